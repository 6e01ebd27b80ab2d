import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedModelServer } from '../../../test/support/scripted-model-server.js';
import { AppError } from '../errors.js';
import type { ChatMessage, ToolDefinition } from './backend.js';
import { normalizeBaseUrl, OpenAiCompatibleBackend, testBackendConnection } from './openai-backend.js';

const KEY = 'sk-very-secret-key-1234';
const user: ChatMessage[] = [{ role: 'user', content: 'hello' }];
const tools: ToolDefinition[] = [{ type: 'function', function: { name: 'lookup', description: 'looks up', parameters: { type: 'object', properties: {} } } }];

const servers: ScriptedModelServer[] = [];
async function startServer(opts?: { apiKey?: string }): Promise<ScriptedModelServer> {
  const s = await ScriptedModelServer.start(opts);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function backend(url: string, extra: { apiKey?: string; timeoutMs?: number } = {}): OpenAiCompatibleBackend {
  return new OpenAiCompatibleBackend({ name: 'local', url, model: 'm1', ...extra });
}

/** The AppError a promise rejects with; fails the test if it resolves or throws something else. */
async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => { throw new Error('expected a rejection'); },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('normalizeBaseUrl', () => {
  it.each([
    ['http://127.0.0.1:11434', 'http://127.0.0.1:11434/v1'],
    ['http://127.0.0.1:11434/', 'http://127.0.0.1:11434/v1'],
    ['http://127.0.0.1:11434/v1', 'http://127.0.0.1:11434/v1'],
    ['  https://api.openai.com/v1//  ', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1/chat/completions', 'https://api.openai.com/v1'],
    ['https://openrouter.ai/api/v1/', 'https://openrouter.ai/api/v1'],
    ['https://generativelanguage.googleapis.com/v1beta/openai/', 'https://generativelanguage.googleapis.com/v1beta/openai'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeBaseUrl(input)).toBe(expected);
  });

  it.each(['not a url', 'ftp://host/v1', 'http://user:pw@host/v1', 'http://host/v1?key=abc'])('refuses %s', (input) => {
    expect(() => normalizeBaseUrl(input)).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
  });
});

describe('OpenAiCompatibleBackend', () => {
  it('sends the request and parses plain content and usage', async () => {
    const s = await startServer();
    s.enqueue({ content: 'hi there' });
    const res = await backend(s.url).chat({ messages: user, maxTokens: 50, temperature: 0.2 });
    expect(res).toEqual({
      message: { content: 'hi there', toolCalls: [] },
      finishReason: 'stop',
      usage: { inputTokens: 9, outputTokens: 2 },
      model: 'm1',
    });
    expect(s.requests[0]).toEqual({ model: 'm1', messages: user, max_tokens: 50, temperature: 0.2 });
  });

  it('sends tools with tool_choice auto and parses tool calls', async () => {
    const s = await startServer();
    s.enqueue({ toolCalls: [{ name: 'lookup', arguments: { q: 'x' } }, { name: 'lookup', arguments: '{"q":"y"}' }] });
    const res = await backend(s.url).chat({ messages: user, tools });
    expect(res.finishReason).toBe('tool_calls');
    expect(res.message.content).toBeNull();
    expect(res.message.toolCalls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
      { id: 'call_2', type: 'function', function: { name: 'lookup', arguments: '{"q":"y"}' } },
    ]);
    expect(s.requests[0]).toMatchObject({ tools, tool_choice: 'auto' });
  });

  it('estimates usage and says so when the server reports none', async () => {
    const s = await startServer();
    s.enqueue({ content: 'twelve chars', omitUsage: true });
    const res = await backend(s.url).chat({ messages: user });
    expect(res.usage).toEqual({ inputTokens: Math.ceil(JSON.stringify(user).length / 4), outputTokens: 3, estimated: true });
  });

  it('normalizes the URL: a base without /v1 or with a trailing slash reaches the same endpoint', async () => {
    const s = await startServer();
    const root = s.url.replace(/\/v1$/, '');
    for (const url of [root, `${root}/`, `${s.url}/`, `${s.url}/chat/completions`]) {
      expect((await backend(url).chat({ messages: user })).message.content).toBe('nothing to do');
    }
    expect(s.requests).toHaveLength(4);
  });

  it('sends the API key, and a wrong key is a BACKEND_ERROR about the key that does not contain it', async () => {
    const s = await startServer({ apiKey: KEY });
    expect((await backend(s.url, { apiKey: KEY }).chat({ messages: user })).message.content).toBe('nothing to do');

    const wrong = await rejection(backend(s.url, { apiKey: 'sk-wrong-key-5678' }).chat({ messages: user }));
    expect(wrong.code).toBe('BACKEND_ERROR');
    expect(wrong.message).toMatch(/rejected the API key \(HTTP 401\)/);
    expect(wrong.message).not.toContain('sk-wrong-key-5678');

    const none = await rejection(backend(s.url).chat({ messages: user }));
    expect(none.message).toMatch(/requires an API key \(HTTP 401\)/);
  });

  it('reports other HTTP errors with the status and the truncated server message, key scrubbed', async () => {
    const s = await startServer();
    s.enqueue({ error: { status: 500, message: 'model exploded' } }, { error: { status: 502, message: `echo ${KEY} ${'x'.repeat(1000)}` } });
    const b = backend(s.url, { apiKey: KEY });

    const first = await rejection(b.chat({ messages: user }));
    expect(first.code).toBe('BACKEND_ERROR');
    expect(first.message).toBe(`model server at ${s.url} answered HTTP 500: model exploded`);
    expect(first.details).toMatchObject({ status: 500 });

    const second = await rejection(b.chat({ messages: user }));
    expect(second.message).not.toContain(KEY);
    expect(second.message).toContain('echo [redacted] xxx');
    const serverPart = second.message.slice(second.message.indexOf(': ') + 2);
    expect(serverPart).toHaveLength(300);
  });

  it('times out on a server that never answers', async () => {
    const s = await startServer();
    s.enqueue({ hang: true });
    const err = await rejection(backend(s.url, { timeoutMs: 200 }).chat({ messages: user }));
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/did not answer within 200 ms/);
  });

  it('stops when the caller aborts, and the server sees the call go away', async () => {
    const s = await startServer();
    s.enqueue({ hang: true });
    const ac = new AbortController();
    const call = backend(s.url).chat({ messages: user, signal: ac.signal });
    await s.waitForRequests(1);
    ac.abort();
    const err = await rejection(call);
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/cancelled/);
    await expect.poll(() => s.pending, { timeout: 2000 }).toBe(0);
  });

  it('reports an unreachable server with its URL and no key', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/v1`;
    const err = await rejection(backend(url, { apiKey: KEY }).chat({ messages: user }));
    expect(err.code).toBe('BACKEND_ERROR');
    expect(err.message).toMatch(new RegExp(`^cannot reach model server at ${url.replace(/\./g, '\\.')}: .*ECONNREFUSED`));
    expect(err.message).not.toContain(KEY);
  });

  it('refuses answers that are not JSON or have no choices', async () => {
    const fake = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>not an API</html>');
    });
    const notJson = await rejection(backend(fake.url).chat({ messages: user }));
    expect(notJson.code).toBe('BACKEND_ERROR');
    expect(notJson.message).toMatch(/not JSON: <html>not an API<\/html>/);
    await fake.close();

    const noChoices = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'model not loaded' } }));
    });
    const err = await rejection(backend(noChoices.url).chat({ messages: user }));
    expect(err.message).toMatch(/without any choices: model not loaded/);
    await noChoices.close();
  });
});

describe('testBackendConnection', () => {
  it('sends a one-token chat and reports latency and model', async () => {
    const s = await startServer();
    const result = await testBackendConnection(backend(s.url));
    expect(result).toEqual({ ok: true, latencyMs: expect.any(Number), model: 'm1' });
    expect(s.requests[0]).toMatchObject({ max_tokens: 1 });
  });

  it('times out with its own limit', async () => {
    const s = await startServer();
    s.enqueue({ hang: true });
    const err = await rejection(testBackendConnection(backend(s.url), { timeoutMs: 150 }));
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/connection test within 150 ms/);
  });
});

/** A port that nothing listens on: bind one, then release it. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** A bare HTTP server for answers the scripted double deliberately cannot give (HTML, no choices). */
async function rawServer(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const srv = http.createServer(handler);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise<void>((resolve) => {
      srv.closeAllConnections();
      srv.close(() => resolve());
    }),
  };
}
