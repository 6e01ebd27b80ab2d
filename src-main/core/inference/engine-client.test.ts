import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { EngineClient } from './engine-client.js';
import { writeTinyGguf } from './tiny-gguf.js';

// The engine in its own process (engine-host.ts, run from source through tsx here), on the
// tiny generated model: the same API as the in-process engine, plus crash isolation.

const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-engine-client-'));
const file = path.join(dir, 'tiny.gguf');
const engine = new EngineClient({ gpu: false });
const crashes: string[] = [];
engine.onCrash = (reason) => crashes.push(reason);
/** A JSON string of exactly 300 characters: the grammar keeps the model from stopping early. */
const long = { type: 'object', properties: { a: { type: 'string', minLength: 300, maxLength: 300 } }, required: ['a'] };
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  writeTinyGguf(file, { seed: 3 });
  await engine.load(file);
}, 60_000);

afterAll(async () => {
  await engine.close();
});

describe('engine in its own process', () => {
  it('loads in another process and streams tokens back', async () => {
    expect(engine.pid).not.toBe(process.pid);
    expect(engine.loaded()).toMatchObject({ path: file, architecture: 'llama', threads: 1, note: 'CPU only: GPU use is turned off' });
    const chunks: string[] = [];
    const r = await engine.generate({ prompt: 'Hello', maxTokens: 24, onToken: (t) => chunks.push(t) });
    expect(r.tokens).toBeGreaterThan(0);
    expect(chunks.join('')).toBe(r.text);
    const chat = await engine.chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 8 });
    expect(chat.usage.outputTokens).toBeGreaterThan(0);
    expect((await engine.probe()).cores).toBe(os.availableParallelism());
    expect(await engine.countTokens('hello world')).toBeGreaterThan(1);
  });

  it('cancels a running generation and a waiting one', async () => {
    const running = new AbortController();
    const waiting = new AbortController();
    let first = true;
    const a = engine.generate({ prompt: 'x', maxTokens: 400, jsonSchema: long, signal: running.signal, onToken: () => {
      if (first) {
        first = false;
        waiting.abort();
        running.abort();
      }
    } });
    const b = engine.generate({ prompt: 'y', maxTokens: 8, signal: waiting.signal });
    await expect(b).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect((await a).stopReason).toBe('abort');
    expect(engine.busy()).toBe(false);
    await expect(engine.generate({ prompt: 'z', maxTokens: 4, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AppError);
  });

  it('survives a crash of the inference process: calls in flight fail clearly, the next load starts a new one', async () => {
    const pid = engine.pid!;
    const inFlight = engine.generate({ prompt: 'crash', maxTokens: 400, jsonSchema: long, onToken: () => process.kill(pid, 'SIGKILL') });
    await expect(inFlight).rejects.toThrow(/inference process stopped \(SIGKILL\); the model must be loaded again/);
    expect(crashes).toHaveLength(1);
    expect(engine.loaded()).toBe(null);
    await engine.load(file);
    expect(engine.pid).not.toBe(pid);
    expect((await engine.generate({ prompt: 'again', maxTokens: 4 })).tokens).toBeGreaterThan(0);
  });

  it('leaves no inference process behind when the app is killed', async () => {
    const script = path.join(dir, 'owner.mts');
    const client = path.join(path.dirname(fileURLToPath(import.meta.url)), 'engine-client.ts');
    writeFileSync(script, `import { EngineClient } from ${JSON.stringify(client)};\nconst e = new EngineClient({ gpu: false });\nawait e.load(${JSON.stringify(file)});\nconsole.log(e.pid);\nsetInterval(() => undefined, 1000);\n`);
    const owner = spawn(process.execPath, ['--import', 'tsx', script], { cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    const hostPid = await new Promise<number>((resolve, reject) => {
      owner.stdout.on('data', (d: Buffer) => resolve(Number(String(d).trim())));
      owner.on('exit', (code) => reject(new Error(`owner exited ${code}`)));
    });
    expect(alive(hostPid)).toBe(true);
    owner.kill('SIGKILL');
    const until = Date.now() + 10_000;
    while (alive(hostPid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(alive(hostPid)).toBe(false);
  }, 30_000);
});
