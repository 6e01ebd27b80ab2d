import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedModelServer } from './scripted-model-server.js';

const servers: ScriptedModelServer[] = [];
async function startServer(opts?: Parameters<typeof ScriptedModelServer.start>[0]): Promise<ScriptedModelServer> {
  const s = await ScriptedModelServer.start(opts);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The parts of an OpenAI chat-completions answer (or error) the tests look at. */
interface Completion {
  model: string;
  choices: Array<{
    index: number;
    finish_reason: string;
    message: { role: string; content: string | null; tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }> };
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  error: { message: string; code: string | null };
}

async function chat(url: string, messages: unknown[], init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<{ status: number; body: Completion }> {
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: JSON.stringify({ model: 'm1', messages }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  return { status: res.status, body: (await res.json()) as Completion };
}

const choice = (r: { body: Completion }) => r.body.choices[0]!;
const contentOf = (r: { body: Completion }) => choice(r).message.content;

const user = [{ role: 'user', content: 'hello' }];

describe('ScriptedModelServer', () => {
  it('answers queued content, then the default, and records requests', async () => {
    const s = await startServer();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    s.enqueue({ content: 'hi there' });

    const first = await chat(s.url, user);
    expect(first.status).toBe(200);
    expect(first.body.model).toBe('m1');
    expect(choice(first)).toEqual({ index: 0, message: { role: 'assistant', content: 'hi there' }, finish_reason: 'stop' });
    // JSON of the messages is 35 chars -> 9 tokens; 'hi there' is 8 chars -> 2.
    expect(first.body.usage).toEqual({ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 });

    const second = await chat(s.url, user);
    expect(contentOf(second)).toBe('nothing to do');
    expect(s.requests).toHaveLength(2);
    expect(s.requests[0]!.messages).toEqual(user);
  });

  it('answers tool calls with generated ids and string arguments', async () => {
    const s = await startServer();
    s.enqueue({ toolCalls: [{ name: 'a', arguments: { x: 1 } }, { name: 'b', arguments: 'not json' }] }, { toolCalls: [{ name: 'c', arguments: {} }] });
    const r1 = await chat(s.url, user);
    expect(choice(r1).finish_reason).toBe('tool_calls');
    expect(contentOf(r1)).toBeNull();
    expect(choice(r1).message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
      { id: 'call_2', type: 'function', function: { name: 'b', arguments: 'not json' } },
    ]);
    const r2 = await chat(s.url, user);
    expect(choice(r2).message.tool_calls?.[0]?.id).toBe('call_3');
  });

  it('consults rules before the queue, and a rule can be removed', async () => {
    const s = await startServer({ defaultResponse: { content: 'default' } });
    s.enqueue({ content: 'queued' });
    const off = s.onRequest((body) => (body.messages.at(-1)?.role === 'tool' ? { content: 'saw the tool result' } : undefined));

    const afterTool = await chat(s.url, [...user, { role: 'tool', tool_call_id: 'call_1', content: '42' }]);
    expect(contentOf(afterTool)).toBe('saw the tool result');
    expect(contentOf(await chat(s.url, user))).toBe('queued');
    off();
    expect(contentOf(await chat(s.url, [{ role: 'tool', tool_call_id: 'x', content: '' }]))).toBe('default');
  });

  it('answers scripted errors in the OpenAI error shape', async () => {
    const s = await startServer();
    s.enqueue({ error: { status: 503, message: 'overloaded' } });
    const r = await chat(s.url, user);
    expect(r.status).toBe(503);
    expect(r.body.error.message).toBe('overloaded');
  });

  it('requires the API key when one is set, for chat and models', async () => {
    const s = await startServer({ apiKey: 'sk-test' });
    const denied = await chat(s.url, user, { headers: { authorization: 'Bearer wrong' } });
    expect(denied.status).toBe(401);
    expect(denied.body.error.code).toBe('invalid_api_key');
    expect(s.requests).toHaveLength(0);
    expect((await fetch(`${s.url}/models`)).status).toBe(401);

    const ok = await chat(s.url, user, { headers: { authorization: 'Bearer sk-test' } });
    expect(ok.status).toBe(200);
    const models = (await (await fetch(`${s.url}/models`, { headers: { authorization: 'Bearer sk-test' } })).json()) as { data: Array<{ id: string }> };
    expect(models.data[0]?.id).toBe('scripted-model');
  });

  it('delays, and stops waiting when the client goes away', async () => {
    const s = await startServer();
    s.enqueue({ delayMs: 60, content: 'slow' }, { delayMs: 60_000, content: 'never' });
    const started = Date.now();
    expect(contentOf(await chat(s.url, user))).toBe('slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);

    const ac = new AbortController();
    const pending = chat(s.url, user, { signal: ac.signal });
    await s.waitForRequests(2);
    expect(s.pending).toBe(1);
    ac.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => s.pending, { timeout: 2000 }).toBe(0);
  });

  it('hangs until the server is closed', async () => {
    const s = await startServer();
    s.enqueue({ hang: true });
    const pending = chat(s.url, user);
    await s.waitForRequests(1);
    await s.close();
    await expect(pending).rejects.toThrow();
  });

  it('is scriptable over the HTTP control endpoints', async () => {
    const s = await startServer({ apiKey: 'k' });
    const post = (path: string, body?: unknown) =>
      fetch(`${s.url.replace(/\/v1$/, '')}/__script/${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
    expect((await post('enqueue', [{ content: 'one' }, { toolCalls: [{ name: 't', arguments: {} }] }])).status).toBe(200);
    expect((await post('enqueue', [{ contnet: 'typo' }])).status).toBe(400);
    expect(s.queued).toBe(2);
    const auth = { authorization: 'Bearer k' };
    expect(contentOf(await chat(s.url, user, { headers: auth }))).toBe('one');

    const recorded = (await (await fetch(`${s.url.replace(/\/v1$/, '')}/__script/requests`)).json()) as Array<{ messages: unknown }>;
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.messages).toEqual(user);

    expect((await post('default', { content: 'new default' })).status).toBe(200);
    expect((await post('reset')).status).toBe(200);
    expect(s.queued).toBe(0);
    expect(s.requests).toHaveLength(0);
    expect(contentOf(await chat(s.url, user, { headers: auth }))).toBe('nothing to do');
  });

  it('runs as a CLI process that prints its URL and stops on SIGTERM', async () => {
    const entry = fileURLToPath(new URL('./scripted-model-server.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', entry, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited with ${code} before ready`)));
      });
      const ready = JSON.parse(line) as { event: string; url: string };
      expect(ready.event).toBe('ready');
      await fetch(`${ready.url.replace(/\/v1$/, '')}/__script/enqueue`, { method: 'POST', body: JSON.stringify([{ content: 'from afar' }]) });
      expect(contentOf(await chat(ready.url, user))).toBe('from afar');

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
