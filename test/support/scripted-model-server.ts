/**
 * ScriptedModelServer: the test double for a model. A real HTTP server on 127.0.0.1 that
 * speaks the OpenAI API (`POST /v1/chat/completions`, `GET /v1/models`) and answers from a
 * script, so that everything between the runtime and the wire is exercised for real.
 *
 * Each chat request is answered by, in order: the first rule (onRequest) that returns a
 * response, else the next queued response (enqueue), else the default response.
 *
 * Another process can script it over HTTP (not behind the API key):
 *   POST /__script/enqueue   JSON response or array of responses
 *   POST /__script/default   JSON response that answers when the queue is empty
 *   GET  /__script/requests  the recorded request bodies
 *   POST /__script/reset     empty the queue, the records and the rules; restore the default
 *
 * CLI: `node --import tsx test/support/scripted-model-server.ts [--port N] [--api-key K]`
 * prints `{"event":"ready","url":"http://127.0.0.1:N/v1"}` and serves until SIGTERM.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChatMessage, ToolDefinition } from '../../src-main/core/compute/backend.js';

export interface ScriptedToolCall {
  name: string;
  /** An object is sent as its JSON; a string is sent as is (to script malformed arguments). */
  arguments: Record<string, unknown> | string;
}

/**
 * One scripted answer. `toolCalls` (optionally with `content`), `content`, or `error`;
 * `delayMs` sleeps first (cut short if the client goes away) and on its own delays the
 * default response; `hang` never answers. `omitUsage` leaves `usage` out of the answer.
 */
export interface ScriptedResponse {
  content?: string;
  toolCalls?: ScriptedToolCall[];
  error?: { status: number; message: string };
  delayMs?: number;
  hang?: boolean;
  omitUsage?: boolean;
}

/** A chat-completions request body as the server received it. */
export interface RecordedChatRequest {
  model?: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  tool_choice?: unknown;
  max_tokens?: number;
  temperature?: number;
  [key: string]: unknown;
}

/** Returns a response to answer with, or nothing to leave the request to the queue. */
export type ScriptRule = (body: RecordedChatRequest) => ScriptedResponse | undefined | void | Promise<ScriptedResponse | undefined | void>;

export interface ScriptedModelServerOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get a 401. */
  apiKey?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  defaultResponse?: ScriptedResponse;
}

const FALLBACK_RESPONSE: ScriptedResponse = { content: 'nothing to do' };
const MODEL_ID = 'scripted-model';

export class ScriptedModelServer {
  /** Base URL, ending in `/v1`. */
  readonly url: string;
  /** Parsed bodies of the chat requests that passed the key check, oldest first. */
  readonly requests: RecordedChatRequest[] = [];
  private readonly queue: ScriptedResponse[] = [];
  private rules: ScriptRule[] = [];
  private defaultResponse: ScriptedResponse;
  private nextCallId = 1;
  private nextCompletionId = 1;
  private inFlight = 0;
  private closing: Promise<void> | null = null;

  private constructor(private readonly server: http.Server, private readonly opts: ScriptedModelServerOptions) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/v1`;
    this.defaultResponse = opts.defaultResponse ?? FALLBACK_RESPONSE;
  }

  static async start(opts: ScriptedModelServerOptions = {}): Promise<ScriptedModelServer> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const double = new ScriptedModelServer(server, opts);
    server.on('request', (req, res) => void double.handle(req, res));
    return double;
  }

  enqueue(...responses: ScriptedResponse[]): this {
    this.queue.push(...responses);
    return this;
  }

  /** Adds a rule consulted before the queue; returns a function that removes it. */
  onRequest(rule: ScriptRule): () => void {
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  setDefaultResponse(response: ScriptedResponse): void {
    this.defaultResponse = response;
  }

  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
    this.rules = [];
    this.defaultResponse = this.opts.defaultResponse ?? FALLBACK_RESPONSE;
    this.nextCallId = 1;
    this.nextCompletionId = 1;
  }

  /** Queued responses not yet used. */
  get queued(): number {
    return this.queue.length;
  }

  /** Chat requests received and not yet answered or abandoned by the client (delayed or hanging ones). */
  get pending(): number {
    return this.inFlight;
  }

  /** Resolves once at least `count` chat requests have been recorded. */
  async waitForRequests(count: number, timeoutMs = 5000): Promise<RecordedChatRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > deadline) throw new Error(`ScriptedModelServer: expected ${count} requests, got ${this.requests.length} within ${timeoutMs} ms`);
      await sleep(5);
    }
    return this.requests;
  }

  /** Stops listening and drops open connections, hanging requests included. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    try {
      if (req.method === 'POST' && path === '/v1/chat/completions') return await this.chat(req, res);
      if (req.method === 'GET' && path === '/v1/models') {
        if (!this.authorized(req, res)) return;
        return sendJson(res, 200, { object: 'list', data: [{ id: MODEL_ID, object: 'model', created: 0, owned_by: 'scripted' }] });
      }
      if (path.startsWith('/__script/')) return await this.control(req, res, path);
      sendError(res, 404, `no route for ${req.method} ${path}`);
    } catch (err) {
      if (!res.headersSent) sendError(res, 500, `scripted model server failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private authorized(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (!this.opts.apiKey || req.headers.authorization === `Bearer ${this.opts.apiKey}`) return true;
    // Like OpenAI, but without echoing what was sent.
    sendError(res, 401, 'Incorrect API key provided.', 'invalid_api_key');
    return false;
  }

  private async chat(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!this.authorized(req, res)) return;
    const body = await readJson(req);
    if (!isObject(body) || !Array.isArray(body.messages)) return sendError(res, 400, "request body must be a JSON object with a 'messages' array");
    if (body.stream === true) return sendError(res, 400, 'the scripted model server does not stream; send stream: false');
    const request = body as RecordedChatRequest;
    this.requests.push(request);

    this.inFlight++;
    res.once('close', () => this.inFlight--);

    let response = await this.pick(request);
    if (response.hang) return;
    if (response.delayMs && !(await sleepUnlessClosed(res, response.delayMs))) return;
    if (response.content === undefined && !response.toolCalls && !response.error) response = this.defaultResponse;
    if (response.error) return sendError(res, response.error.status, response.error.message);
    sendJson(res, 200, this.completion(request, response));
  }

  private async pick(request: RecordedChatRequest): Promise<ScriptedResponse> {
    for (const rule of this.rules) {
      const answer = await rule(request);
      if (answer) return answer;
    }
    return this.queue.shift() ?? this.defaultResponse;
  }

  private completion(request: RecordedChatRequest, response: ScriptedResponse): Record<string, unknown> {
    const toolCalls = (response.toolCalls ?? []).map((c) => ({
      id: `call_${this.nextCallId++}`,
      type: 'function',
      function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) },
    }));
    const content = response.content ?? (toolCalls.length > 0 ? null : '');
    const message: Record<string, unknown> = { role: 'assistant', content };
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    const promptTokens = countTokens(JSON.stringify(request.messages));
    const completionTokens = countTokens((content ?? '') + toolCalls.map((c) => c.function.name + c.function.arguments).join(''));
    return {
      id: `chatcmpl-${this.nextCompletionId++}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: typeof request.model === 'string' && request.model ? request.model : MODEL_ID,
      choices: [{ index: 0, message, finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop' }],
      ...(response.omitUsage ? {} : { usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } }),
    };
  }

  private async control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    if (req.method === 'GET' && path === '/__script/requests') return sendJson(res, 200, this.requests);
    if (req.method === 'POST' && path === '/__script/reset') {
      this.reset();
      return sendJson(res, 200, { ok: true });
    }
    if (req.method === 'POST' && (path === '/__script/enqueue' || path === '/__script/default')) {
      const body = await readJson(req);
      const list = Array.isArray(body) ? body : [body];
      const bad = list.findIndex((r) => !isScriptedResponse(r));
      if (bad >= 0) return sendError(res, 400, `item ${bad} is not a scripted response: ${JSON.stringify(list[bad])}`);
      const responses = list as ScriptedResponse[];
      if (path === '/__script/default') {
        if (responses.length !== 1) return sendError(res, 400, 'send exactly one default response');
        this.setDefaultResponse(responses[0]!);
      } else {
        this.enqueue(...responses);
      }
      return sendJson(res, 200, { ok: true, queued: this.queue.length });
    }
    sendError(res, 404, `no control route for ${req.method} ${path}`);
  }
}

/** Simple and deterministic: four characters per token, rounded up, at least one. */
function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A shape check for responses that arrive over HTTP, so a typo fails loudly at enqueue time. */
function isScriptedResponse(v: unknown): v is ScriptedResponse {
  if (!isObject(v)) return false;
  const known = new Set(['content', 'toolCalls', 'error', 'delayMs', 'hang', 'omitUsage']);
  if (Object.keys(v).some((k) => !known.has(k))) return false;
  if (v.content !== undefined && typeof v.content !== 'string') return false;
  if (v.delayMs !== undefined && typeof v.delayMs !== 'number') return false;
  if (v.hang !== undefined && typeof v.hang !== 'boolean') return false;
  if (v.error !== undefined && !(isObject(v.error) && typeof v.error.status === 'number' && typeof v.error.message === 'string')) return false;
  if (v.toolCalls !== undefined) {
    if (!Array.isArray(v.toolCalls)) return false;
    return v.toolCalls.every((c: unknown) => isObject(c) && typeof c.name === 'string' && (typeof c.arguments === 'string' || isObject(c.arguments)));
  }
  return true;
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The OpenAI error body shape. */
function sendError(res: http.ServerResponse, status: number, message: string, code: string | null = null): void {
  const type = status === 401 || status === 403 || status === 400 || status === 404 ? 'invalid_request_error' : 'server_error';
  sendJson(res, status, { error: { message, type, param: null, code } });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True after `ms`; false as soon as the client disconnects, so no timer outlives its request. */
function sleepUnlessClosed(res: http.ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', onClose);
  });
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const port = Number(flag('--port') ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`scripted-model-server: --port must be an integer 0-65535, got ${flag('--port')}`);
    process.exit(2);
  }
  const apiKey = flag('--api-key');
  const server = await ScriptedModelServer.start({ port, ...(apiKey ? { apiKey } : {}) });
  process.stdout.write(`${JSON.stringify({ event: 'ready', url: server.url })}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

// Run as a CLI only when this file is the entry point, not when a test imports it.
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
