import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseThreads, InferenceEngine } from './engine.js';
import { writeTinyGguf } from './tiny-gguf.js';

// The real node-llama-cpp engine on the tiny generated model (random weights): tests check
// structure — tokens, streaming, JSON validity, cancellation, queueing — never content.

const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'oa-engine-')), 'tiny.gguf');
const engine = new InferenceEngine({ gpu: false });

beforeAll(async () => {
  writeTinyGguf(file, { seed: 3 });
  await engine.load(file);
}, 60_000);

afterAll(async () => {
  await engine.close();
});

describe('inference engine', () => {
  it('chooses one thread for a tiny model and the real cores for a big one', () => {
    expect(chooseThreads(1_000_000, 8)).toBe(1);
    expect(chooseThreads(4e9, 8)).toBe(7);
    expect(engine.loaded()).toMatchObject({ architecture: 'llama', threads: 1, gpuLayers: 0 });
  });

  it('streams tokens and reports tokens per second', async () => {
    const chunks: string[] = [];
    const r = await engine.generate({ prompt: 'Hello', maxTokens: 24, onToken: (t) => chunks.push(t) });
    expect(r.tokens).toBeGreaterThan(0);
    expect(r.tokensPerSecond).toBeGreaterThan(0);
    expect(chunks.join('')).toBe(r.text);
    expect(Buffer.from(r.text, 'utf8').toString('utf8')).toBe(r.text);
  });

  it('constrains output to a JSON schema', async () => {
    const r = await engine.generate({ prompt: 'Answer in JSON:', maxTokens: 96, jsonSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } });
    const parsed = JSON.parse(r.text) as { ok: unknown };
    expect(typeof parsed.ok).toBe('boolean');
  });

  it('runs generations one at a time, in order, and cancels on request', async () => {
    const order: string[] = [];
    const a = engine.generate({ prompt: 'one', maxTokens: 16 }).then(() => order.push('a'));
    const b = engine.generate({ prompt: 'two', maxTokens: 16 }).then(() => order.push('b'));
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
    const abort = new AbortController();
    const r = engine.generate({ prompt: 'long', maxTokens: 2000, signal: abort.signal, onToken: () => abort.abort() });
    await expect(r).resolves.toMatchObject({ stopReason: 'abort' });
  });

  it('refuses a file that is not a GGUF before llama.cpp sees it', async () => {
    await expect(engine.inspect(path.join(os.tmpdir(), 'does-not-exist.gguf'))).rejects.toThrow(/not a readable GGUF/);
  });
});

describe('chat with tools on the local engine', () => {
  it('answers in the tool-call shape, naming only offered tools', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'remember', description: 'Store a note.', parameters: { type: 'object', properties: { content: { type: 'string' } } } } },
      { type: 'function' as const, function: { name: 'check_balance', description: 'Read the balance.', parameters: { type: 'object', properties: {} } } },
    ];
    const r = await engine.chat({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], tools, maxTokens: 200 });
    expect(typeof r.message.content === 'string' || r.message.content === null).toBe(true);
    for (const c of r.message.toolCalls) {
      expect(['remember', 'check_balance']).toContain(c.function.name);
      expect(typeof c.function.arguments).toBe('string');
    }
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    const plain = await engine.chat({ messages: [{ role: 'user', content: 'Hi' }], maxTokens: 16 });
    expect(plain.message.toolCalls).toEqual([]);
    expect(typeof plain.message.content).toBe('string');
  });
});
