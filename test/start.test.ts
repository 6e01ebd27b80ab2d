import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, testEnv } from './support/harness.js';

describe('npm start where the desktop window cannot open', () => {
  it('runs the daemon, says why, prints the console link and stops on Ctrl+C', async () => {
    const t = testEnv();
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.mjs')], {
      cwd: ROOT,
      env: { ...t.env, DISPLAY: '', WAYLAND_DISPLAY: '', OPENAGENTS_HEADLESS: process.env.OPENAGENTS_HEADLESS ?? '' },
    });
    let out = '';
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => { exitCode = code; r(code); }));
    const link = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no console link:\n${out}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        const m = /console at (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64})/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      void exited.then((code) => reject(new Error(`npm start exited (${code}):\n${out}`)));
    });
    expect(out).toMatch(/starting the headless daemon instead of the desktop window: (the Electron binary is not installed|there is no display|OPENAGENTS_HEADLESS)/);
    const page = await fetch(link.split('#')[0]!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('OpenAgents');
    expect(exitCode).toBeUndefined();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('npm start on a first run', () => {
  it('finds the electron-vite CLI it builds the console with', async () => {
    const { electronViteBin } = (await import(pathToFileURL(path.join(ROOT, 'scripts/electron-vite-bin.mjs')).href)) as { electronViteBin: () => string };
    expect(existsSync(electronViteBin())).toBe(true);
  });
});
