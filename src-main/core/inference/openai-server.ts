import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { toAppError } from '../errors.js';
import type { ChatMessage, ToolDefinition } from '../compute/backend.js';
import type { LocalEngine } from './engine-client.js';
import type { ModelStore } from './models.js';

const ChatBody = z.object({
  model: z.string().min(1),
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant', 'tool']), content: z.string().nullable().optional(), tool_calls: z.array(z.any()).optional(), tool_call_id: z.string().optional() }).passthrough()).min(1),
  tools: z.array(z.object({ type: z.literal('function'), function: z.object({ name: z.string(), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }) })).optional(),
  stream: z.boolean().optional(),
  max_tokens: z.number().int().min(1).max(32_768).optional(),
  max_completion_tokens: z.number().int().min(1).max(32_768).optional(),
  temperature: z.number().min(0).max(2).optional(),
}).passthrough();

const CompletionBody = z.object({
  model: z.string().min(1),
  prompt: z.string(),
  stream: z.boolean().optional(),
  max_tokens: z.number().int().min(1).max(32_768).optional(),
  temperature: z.number().min(0).max(2).optional(),
}).passthrough();

type Send = (status: number, body: unknown) => void;

/**
 * The local engine behind an OpenAI-compatible API (like LM Studio, Ollama or Jan):
 * /v1/models, /v1/chat/completions (tools, streaming or not) and /v1/completions, on
 * 127.0.0.1 with an API key. Off unless the operator turns it on.
 */
export class LocalOpenAiServer {
  private server: http.Server | null = null;
  private port = 0;

  constructor(private readonly engine: LocalEngine, private readonly models: ModelStore, private readonly apiKey: string) {}

  static newKey(): string {
    return `oa-local-${randomBytes(24).toString('hex')}`;
  }

  get baseUrl(): string | null {
    return this.server ? `http://127.0.0.1:${this.port}/v1` : null;
  }

  async start(port = 0): Promise<string> {
    if (this.server) return this.baseUrl!;
    const server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.baseUrl!;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
  }

  private authorized(req: http.IncomingMessage): boolean {
    const given = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : '';
    const a = Buffer.from(given);
    const b = Buffer.from(this.apiKey);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send: Send = (status, body) => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, message: string, type = 'invalid_request_error'): void => send(status, { error: { message, type, code: null } });
    if (!this.authorized(req)) return fail(401, 'missing or wrong API key (Authorization: Bearer …)', 'authentication_error');
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        return send(200, { object: 'list', data: this.models.list().map((m) => ({ id: m.name, object: 'model', created: Math.floor(m.addedAt / 1000), owned_by: 'local' })) });
      }
      if (req.method === 'POST' && url.pathname === '/v1/chat/completions') return await this.chat(req, res, send, fail);
      if (req.method === 'POST' && url.pathname === '/v1/completions') return await this.completion(req, res, send, fail);
      return fail(404, `no route ${req.method} ${url.pathname}`);
    } catch (err) {
      const e = toAppError(err);
      return fail(e.code === 'NOT_FOUND' || e.code === 'BAD_INPUT' ? 400 : 500, e.message, e.code === 'NOT_FOUND' ? 'invalid_request_error' : 'server_error');
    }
  }

  private async body(req: http.IncomingMessage): Promise<unknown> {
    let raw = '';
    for await (const chunk of req) {
      raw += chunk;
      if (raw.length > 8 * 1024 * 1024) throw new Error('request body too large');
    }
    return JSON.parse(raw);
  }

  private async ensureModel(name: string): Promise<void> {
    const entry = this.models.require(name);
    if (this.engine.loaded()?.path !== entry.path) await this.engine.load(entry.path);
  }

  private async chat(req: http.IncomingMessage, res: http.ServerResponse, send: Send, fail: (s: number, m: string) => void): Promise<void> {
    const parsed = ChatBody.safeParse(await this.body(req).catch(() => null));
    if (!parsed.success) return fail(400, `invalid request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const b = parsed.data;
    await this.ensureModel(b.model);
    const abort = new AbortController();
    res.on('close', () => { if (!res.writableFinished) abort.abort(); });
    const id = `chatcmpl-${randomBytes(8).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const stream = b.stream === true;
    if (stream) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: Record<string, unknown>, finish: string | null): void => {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: b.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    };
    if (stream) chunk({ role: 'assistant', content: '' }, null);
    const r = await this.engine.chat({
      messages: b.messages.map((m) => ({ ...m, content: m.content ?? null })) as unknown as ChatMessage[],
      ...(b.tools ? { tools: b.tools.map((t) => ({ type: 'function', function: { name: t.function.name, description: t.function.description ?? '', parameters: t.function.parameters ?? { type: 'object', properties: {} } } })) as ToolDefinition[] } : {}),
      maxTokens: b.max_completion_tokens ?? b.max_tokens ?? 512,
      ...(b.temperature !== undefined ? { temperature: b.temperature } : {}),
      signal: abort.signal,
      ...(stream ? { onText: (text: string) => chunk({ content: text }, null) } : {}),
    });
    const toolCalls = r.message.toolCalls.map((c, index) => ({ index, id: c.id, type: 'function', function: c.function }));
    if (stream) {
      if (toolCalls.length) chunk({ content: r.message.content ?? '', tool_calls: toolCalls }, null);
      chunk({}, r.finishReason);
      res.write('data: [DONE]\n\n');
      res.end();
      return;
    }
    send(200, {
      id, object: 'chat.completion', created, model: b.model,
      choices: [{ index: 0, message: { role: 'assistant', content: r.message.content, ...(toolCalls.length ? { tool_calls: toolCalls.map(({ index: _i, ...c }) => c) } : {}) }, finish_reason: r.finishReason }],
      usage: { prompt_tokens: r.usage.inputTokens, completion_tokens: r.usage.outputTokens, total_tokens: r.usage.inputTokens + r.usage.outputTokens },
    });
  }

  private async completion(req: http.IncomingMessage, res: http.ServerResponse, send: Send, fail: (s: number, m: string) => void): Promise<void> {
    const parsed = CompletionBody.safeParse(await this.body(req).catch(() => null));
    if (!parsed.success) return fail(400, `invalid request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const b = parsed.data;
    await this.ensureModel(b.model);
    const abort = new AbortController();
    res.on('close', () => { if (!res.writableFinished) abort.abort(); });
    const id = `cmpl-${randomBytes(8).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const stream = b.stream === true;
    if (stream) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const r = await this.engine.generate({
      prompt: b.prompt, maxTokens: b.max_tokens ?? 256, ...(b.temperature !== undefined ? { temperature: b.temperature } : {}), signal: abort.signal,
      ...(stream ? { onToken: (text: string) => res.write(`data: ${JSON.stringify({ id, object: 'text_completion', created, model: b.model, choices: [{ index: 0, text, finish_reason: null }] })}\n\n`) } : {}),
    });
    const finish = r.stopReason === 'maxTokens' ? 'length' : 'stop';
    if (stream) {
      res.write(`data: ${JSON.stringify({ id, object: 'text_completion', created, model: b.model, choices: [{ index: 0, text: '', finish_reason: finish }] })}\n\n`);
      res.write('data: [DONE]\n\n');
      res.end();
      return;
    }
    send(200, { id, object: 'text_completion', created, model: b.model, choices: [{ index: 0, text: r.text, finish_reason: finish }], usage: { prompt_tokens: 0, completion_tokens: r.tokens, total_tokens: r.tokens } });
  }
}
