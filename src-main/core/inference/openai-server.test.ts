import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/db.js';
import { InferenceEngine } from './engine.js';
import { ModelStore } from './models.js';
import { LocalOpenAiServer } from './openai-server.js';
import { writeTinyGguf } from './tiny-gguf.js';

// The official `openai` npm client against the local server on the tiny model (structure
// only: the weights are random).

const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-openai-'));
const engine = new InferenceEngine({ gpu: false });
const models = new ModelStore(openDatabase(path.join(dir, 'db.sqlite')), path.join(dir, 'models'), (f) => engine.inspect(f));
const key = LocalOpenAiServer.newKey();
const server = new LocalOpenAiServer(engine, models, key);
let client: OpenAI;

beforeAll(async () => {
  const file = path.join(dir, 'tiny.gguf');
  writeTinyGguf(file, { seed: 9 });
  await models.import(file, { name: 'tiny' });
  const baseURL = await server.start();
  client = new OpenAI({ baseURL, apiKey: key, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await server.stop();
  await engine.close();
});

describe('local OpenAI-compatible server', () => {
  it('lists models and refuses a wrong key', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['tiny']);
    const wrong = new OpenAI({ baseURL: server.baseUrl!, apiKey: 'nope', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toMatchObject({ status: 401 });
  });

  it('answers chat completions, streaming and not', async () => {
    const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 16 });
    expect(r.object).toBe('chat.completion');
    expect(typeof r.choices[0]!.message.content).toBe('string');
    expect(r.usage!.completion_tokens).toBeGreaterThan(0);
    const stream = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 16, stream: true });
    const parts: string[] = [];
    let finish: string | null = null;
    for await (const c of stream) {
      parts.push(c.choices[0]?.delta.content ?? '');
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(parts.join('').length).toBeGreaterThan(0);
    expect(finish).not.toBeNull();
  });

  it('returns tool calls in the OpenAI shape', async () => {
    const r = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'What is the weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      max_tokens: 200,
    });
    const msg = r.choices[0]!.message;
    for (const c of msg.tool_calls ?? []) {
      expect(c.type).toBe('function');
      expect((c as { function: { name: string } }).function.name).toBe('get_weather');
    }
    expect(['tool_calls', 'stop', 'length']).toContain(r.choices[0]!.finish_reason);
  });

  it('answers text completions and reports a bad request', async () => {
    const r = await client.completions.create({ model: 'tiny', prompt: 'Once', max_tokens: 8 });
    expect(r.choices[0]!.text.length).toBeGreaterThan(0);
    await expect(client.chat.completions.create({ model: 'missing', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 400 });
  });
});
