import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ROOT, testEnv } from '../test/support/harness.js';

// The same console in the Electron shell, where the Electron binary exists. Here (and on any
// machine whose install could not download it) the suite is skipped and says so.
const require = createRequire(import.meta.url);
function electronBinary(): string | null {
  try {
    const p = require('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}
const binary = electronBinary();
const built = existsSync(path.join(ROOT, 'out/main/main.js'));

describe.skipIf(!binary || !built)(`desktop app${binary ? '' : ' (skipped: the Electron binary is not installed on this machine)'}`, () => {
  it('opens the console with Node out of reach and outside navigation blocked', async () => {
    const t = testEnv();
    const app = await electron.launch({ executablePath: binary!, args: [path.join(ROOT, 'out/main/main.js')], env: { ...t.env, ELECTRON_ENABLE_LOGGING: '1' } as Record<string, string> });
    try {
      const win = await app.firstWindow();
      await win.getByRole('heading', { name: 'Set up OpenAgents' }).waitFor();
      const reach = await win.evaluate(() => {
        const w = window as unknown as Record<string, unknown>;
        return { require: typeof w.require, process: typeof w.process, bridge: typeof w.openagents };
      });
      expect(reach).toEqual({ require: 'undefined', process: 'undefined', bridge: 'object' });
      const before = win.url();
      await win.evaluate(() => { window.location.href = 'https://example.com/'; });
      await expect.poll(() => win.url()).toBe(before);
    } finally {
      await app.close();
    }
  });
});
