// Runs the real engine (node-llama-cpp, CPU) on the generated model. The weights are random, so
// these tests check structure only (tokens produced, wrapper chosen, schema-valid JSON, valid
// UTF-8), never content.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChatMLChatWrapper,
  getLlama,
  LlamaChatSession,
  LlamaCompletion,
  readGgufFileInfo,
  type Llama,
  type LlamaContext,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import { tinyGgufBytes, writeTinyGguf } from './tiny-gguf.js';

describe('tinyGgufBytes', () => {
  it('is byte-identical for a fixed seed and differs for another seed', () => {
    const a = tinyGgufBytes({ seed: 7 });
    const b = tinyGgufBytes({ seed: 7 });
    const c = tinyGgufBytes({ seed: 8 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    expect(a.length).toBe(c.length);
    expect(Buffer.from(a.subarray(0, 4)).toString('latin1')).toBe('GGUF');
    expect(new DataView(a.buffer, a.byteOffset).getUint32(4, true)).toBe(3);
    expect(tinyGgufBytes().length).toBeLessThan(1_000_000);
  });
});

// The default system prompt is hundreds of byte-level tokens here; a short one keeps tests fast.
const SYSTEM_PROMPT = 'You are a test model.';

describe('tiny GGUF on node-llama-cpp', () => {
  let dir: string;
  let file: string;
  let llama: Llama;
  let model: LlamaModel;
  let context: LlamaContext;
  /** Token id -> the bytes it decodes to, from the file's own vocabulary. */
  let tokenBytes: (token: Token) => Uint8Array;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tiny-gguf-'));
    file = path.join(dir, 'tiny.gguf');
    writeTinyGguf(file, { seed: 1 });
    llama = await getLlama({ gpu: false });
    model = await llama.loadModel({ modelPath: file });
    // One thread: on this tiny model more threads are orders of magnitude slower.
    context = await model.createContext({ contextSize: 2048, threads: 1 });

    const { tokenizer } = (await readGgufFileInfo(file, { readTensorInfo: false, logWarnings: false })).metadata;
    tokenBytes = (token) => {
      const piece = tokenizer.ggml.tokens[token] ?? '';
      const byte = /^<0x([0-9A-F]{2})>$/.exec(piece);
      if (byte) return Uint8Array.of(parseInt(byte[1]!, 16));
      if (tokenizer.ggml.token_type[token] === 3) return new Uint8Array(); // control tokens print nothing
      return new TextEncoder().encode(piece.replaceAll('▁', ' '));
    };
  });

  afterAll(async () => {
    await context?.dispose();
    await model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the architecture and metadata back with readGgufFileInfo', async () => {
    const info = await readGgufFileInfo(file, { logWarnings: false });
    expect(info.version).toBe(3);
    expect(info.metadata.general.architecture).toBe('llama');
    const arch = info.architectureMetadata;
    expect(arch.context_length).toBe(2048);
    expect(arch.embedding_length).toBe(64);
    expect(arch.block_count).toBe(2);
    expect(arch.feed_forward_length).toBe(128);
    expect(arch.attention?.head_count).toBe(4);
    expect(arch.attention?.head_count_kv).toBe(4);
    expect(arch.rope?.dimension_count).toBe(16);
    const tok = info.metadata.tokenizer;
    expect(tok.ggml.model).toBe('llama');
    expect(tok.ggml.tokens).toHaveLength(368);
    expect(tok.ggml.token_type).toHaveLength(368);
    expect(tok.ggml.bos_token_id).toBe(1);
    expect(tok.ggml.eos_token_id).toBe(2);
    expect(tok.chat_template).toContain('<|im_start|>');
    expect(info.tensorInfo).toHaveLength(21);
    expect(info.tensorInfo?.find((t) => t.name === 'token_embd.weight')?.dimensions).toEqual([64, 368]);

  });

  /** Decodes generated tokens byte by byte; throws on invalid UTF-8. */
  function decodeStrict(tokens: readonly Token[]): string {
    const bytes = Buffer.concat(tokens.map((t) => tokenBytes(t)));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  }

  it('completes a prompt with tokens of valid UTF-8', async () => {
    const sequence = context.getSequence();
    try {
      const tokens: Token[] = [];
      const completion = new LlamaCompletion({ contextSequence: sequence });
      const started = performance.now();
      const result = await completion.generateCompletionWithMeta('The quick brown fox', {
        maxTokens: 48,
        onToken: (chunk) => tokens.push(...chunk),
      });
      const ms = performance.now() - started;
      expect(tokens.length).toBeGreaterThan(0);
      expect(tokens.length).toBeLessThanOrEqual(48);
      expect(result.response.length).toBeGreaterThan(0);
      expect(['maxTokens', 'eogToken']).toContain(result.metadata.stopReason);
      expect(() => decodeStrict(tokens)).not.toThrow();
      expect(result.response).not.toContain('\uFFFD');
      // 1 thread runs thousands of tokens/s; a regression to the many-thread trap is ~4/s.
      expect(ms).toBeLessThan(5_000);
    } finally {
      sequence.dispose();
    }
  });

  it('chats through LlamaChatSession with the ChatML wrapper', async () => {
    const sequence = context.getSequence();
    try {
      const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: SYSTEM_PROMPT });
      expect(session.chatWrapper).toBeInstanceOf(ChatMLChatWrapper);
      const tokens: Token[] = [];
      const answer = await session.prompt('Hello, who are you?', {
        maxTokens: 32,
        onToken: (chunk) => tokens.push(...chunk),
      });
      expect(tokens.length).toBeGreaterThan(0);
      expect(typeof answer).toBe('string');
      expect(() => decodeStrict(tokens)).not.toThrow();
      expect(session.getChatHistory().map((item) => item.type)).toEqual(['system', 'user', 'model']);
    } finally {
      sequence.dispose();
    }
  });

  it('produces schema-valid JSON under a JSON-schema grammar', async () => {
    const sequence = context.getSequence();
    try {
      const schema = {
        type: 'object',
        properties: { ok: { type: 'boolean' } },
        required: ['ok'],
      } as const;
      const grammar = await llama.createGrammarForJsonSchema(schema);
      const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: SYSTEM_PROMPT });
      const tokens: Token[] = [];
      const text = await session.prompt('Answer in JSON.', {
        grammar,
        maxTokens: 64,
        onToken: (chunk) => tokens.push(...chunk),
      });
      const parsed: unknown = JSON.parse(text);
      expect(parsed).toEqual({ ok: expect.any(Boolean) });
      expect(grammar.parse(text)).toEqual(parsed);
      expect(decodeStrict(tokens)).toBe(text);
    } finally {
      sequence.dispose();
    }
  });
});
