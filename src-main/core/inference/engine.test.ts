import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Llama } from 'node-llama-cpp';
import { AppError } from '../errors.js';
import { chooseThreads, hardwareNote, InferenceEngine } from './engine.js';
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
    expect(engine.loaded()).toMatchObject({ architecture: 'llama', threads: 1, gpuLayers: 0, note: 'CPU only: GPU use is turned off' });
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

describe('hardware-aware loading', () => {
  it('probes this machine: no GPU (turned off here), real RAM and cores, a one-line note', async () => {
    const hw = await engine.probe();
    expect(hw).toMatchObject({ gpu: false, vramBytes: null, ramBytes: os.totalmem(), cores: os.availableParallelism() });
    expect(hw.freeRamBytes).toBeGreaterThan(0);
    expect(hw.freeRamBytes).toBeLessThanOrEqual(hw.ramBytes);
    expect(hw.note).toMatch(/^GPU use is turned off: running on the CPU with \d+ cores? and [\d.]+ GiB RAM$/);
    expect(hw.note).not.toContain('\n');
  });

  it('words the hardware note for a missing GPU and for a GPU', () => {
    const GiB = 1024 ** 3;
    expect(hardwareNote({ gpu: false, vramBytes: null, ramBytes: 24 * GiB, cores: 2, tried: ['cuda', 'vulkan'] }))
      .toBe('No GPU found (CUDA and Vulkan were tried): running on the CPU with 2 cores and 24 GiB RAM');
    expect(hardwareNote({ gpu: false, vramBytes: null, ramBytes: 16 * GiB, cores: 8, tried: ['metal'] })).toBe('No GPU found (Metal was tried): running on the CPU with 8 cores and 16 GiB RAM');
    expect(hardwareNote({ gpu: 'vulkan', vramBytes: 8 * GiB, ramBytes: 32 * GiB, cores: 8 })).toBe('Vulkan GPU with 8.0 GiB VRAM; 8 cores and 32 GiB RAM');
    expect(hardwareNote({ gpu: 'metal', vramBytes: 21 * GiB, unifiedMemory: true, ramBytes: 32 * GiB, cores: 10 })).toMatch(/^Metal GPU with 21 GiB of unified memory/);
  });

  it('sizes the context between 512 and 4096, capped by the model and the caller; a GPU cap of 0 loads on the CPU', async () => {
    try {
      const capped = await engine.load(file, { contextSize: 1024, gpuLayers: 0, threads: null });
      expect(capped.contextSize).toBeGreaterThanOrEqual(1024);
      expect(capped.contextSize).toBeLessThanOrEqual(1024 + 256); // llama.cpp rounds up to a multiple of 256
      expect(capped).toMatchObject({ gpuLayers: 0, threads: 1, totalLayers: 3 });
      expect(capped.note).toMatch(/^CPU only/);
      const two = await engine.load(file, { threads: 2 });
      expect(two.threads).toBe(2);
    } finally {
      // The tiny model was trained on 2048 tokens: the default 4096 is capped to it.
      const again = await engine.load(file);
      expect(again.contextSize).toBe(2048);
      expect(again.threads).toBe(1);
    }
  });

  it('passes the GPU cap to node-llama-cpp and falls back to the CPU when the GPU load fails', async () => {
    // A stand-in GPU: reports Vulkan, refuses any load that offloads layers, loads CPU-only for real.
    const real = await (engine as unknown as { getLlama(): Promise<Llama> }).getLlama();
    const seen: unknown[] = [];
    const fake = {
      gpu: 'vulkan',
      loadModel: (o: Parameters<Llama['loadModel']>[0]) => {
        seen.push(o.gpuLayers);
        return o.gpuLayers === 0 ? real.loadModel(o) : Promise.reject(new Error('vk::OutOfDeviceMemoryError'));
      },
    };
    const gpuEngine = new InferenceEngine();
    (gpuEngine as unknown as { getLlama(): Promise<unknown> }).getLlama = () => Promise.resolve(fake);
    try {
      const info = await gpuEngine.load(file, { gpuLayers: 20 });
      expect(seen).toEqual([{ max: 20, fitContext: { contextSize: 2048 } }, 0]);
      expect(info).toMatchObject({ gpuLayers: 0, note: 'GPU load failed (vk::OutOfDeviceMemoryError); fell back to the CPU' });
      seen.length = 0;
      const cpu = await gpuEngine.load(file, { gpuLayers: 0 });
      expect(seen).toEqual([0]);
      expect(cpu.note).toBe('CPU only: GPU layers capped at 0');
      seen.length = 0;
      await gpuEngine.load(file);
      expect(seen).toEqual([{ fitContext: { contextSize: 2048 } }, 0]); // no cap: as many layers as fit
    } finally {
      await gpuEngine.unload();
    }
  });
});

describe('agents-first queue', () => {
  // The grammar forces exactly 400 characters, so this market job cannot end early.
  const LONG = { prompt: 'JSON:', maxTokens: 2000, priority: 'market' as const, jsonSchema: { type: 'object', properties: { a: { type: 'string', minLength: 400, maxLength: 400 } }, required: ['a'] } };
  const longText = (text: string) => (JSON.parse(text) as { a: string }).a;

  it('runs a waiting agent item before a market job that was queued earlier', async () => {
    const done: string[] = [];
    const running = engine.generate(LONG).then((r) => { done.push('running market'); return r; });
    expect(engine.busy()).toBe(true);
    const market = engine.generate({ prompt: 'market', maxTokens: 8, priority: 'market' }).then(() => done.push('queued market'));
    const agent = engine.chat({ messages: [{ role: 'user', content: 'Hi' }], maxTokens: 8 }).then(() => done.push('agent'));
    expect(engine.waiting()).toEqual({ agent: 1, market: 1 });
    expect(longText((await running).text)).toHaveLength(400);
    await Promise.all([market, agent]);
    // The running market job was not interrupted; the agent then jumped the queued market job.
    expect(done).toEqual(['running market', 'agent', 'queued market']);
    expect(engine.busy()).toBe(false);
    expect(engine.waiting()).toEqual({ agent: 0, market: 0 });
  });

  it('is strict FIFO when agentsFirst is off', async () => {
    engine.agentsFirst = false;
    try {
      const done: string[] = [];
      const running = engine.generate(LONG).then(() => done.push('running market'));
      const market = engine.generate({ prompt: 'market', maxTokens: 8, priority: 'market' }).then(() => done.push('queued market'));
      const agent = engine.generate({ prompt: 'agent', maxTokens: 8, priority: 'agent' }).then(() => done.push('agent'));
      await Promise.all([running, market, agent]);
      expect(done).toEqual(['running market', 'queued market', 'agent']);
    } finally {
      engine.agentsFirst = true;
    }
  });

  it('drops a cancelled waiting item with TIMEOUT and keeps serving the rest', async () => {
    const abort = new AbortController();
    const running = engine.generate(LONG);
    const cancelled = engine.generate({ prompt: 'agent', maxTokens: 8, signal: abort.signal });
    const market = engine.generate({ prompt: 'market', maxTokens: 8, priority: 'market' });
    expect(engine.waiting()).toEqual({ agent: 1, market: 1 });
    abort.abort();
    expect(engine.waiting()).toEqual({ agent: 0, market: 1 });
    const err: unknown = await cancelled.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'TIMEOUT', message: 'the generation was cancelled before it started' });
    expect(longText((await running).text)).toHaveLength(400);
    await expect(market).resolves.toMatchObject({ stopReason: expect.any(String) as unknown });
    // An already-cancelled signal never enters the queue.
    await expect(engine.generate({ prompt: 'x', maxTokens: 4, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(engine.waiting()).toEqual({ agent: 0, market: 0 });
    await expect(engine.generate({ prompt: 'after', maxTokens: 4 })).resolves.toMatchObject({ tokens: expect.any(Number) as unknown });
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
