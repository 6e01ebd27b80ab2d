import { AppError } from '../errors.js';
import type { ChatBackend, ChatMessage, ChatRequest, ChatResponse, ToolCall } from './backend.js';

export interface OpenAiBackendOptions {
  name: string;
  /** Base URL of the server; see normalizeBaseUrl for what is accepted. */
  url: string;
  model: string;
  apiKey?: string;
  /** Whole-call limit (connect, wait, read the answer). Default 120 000 ms. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_SERVER_MESSAGE_CHARS = 300;

/**
 * The base URL that `/chat/completions` is appended to, from what a person typed:
 * - surrounding whitespace and trailing slashes are removed;
 * - a full endpoint URL ending in `/chat/completions` is cut back to its base;
 * - a URL with no path (`http://127.0.0.1:11434`) gets `/v1`, the path that OpenAI, Ollama,
 *   llama.cpp, vLLM and LM Studio all serve;
 * - any other path is kept as given (`/v1`, OpenRouter's `/api/v1`, Gemini's `/v1beta/openai`).
 * Only http and https are accepted, and no credentials, query or fragment: the API key goes
 * in its own field so that it never ends up in a URL that is shown or logged.
 */
export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new AppError('BAD_INPUT', `not a valid backend URL: "${raw}" (expected something like http://127.0.0.1:11434/v1)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('BAD_INPUT', `backend URL must start with http:// or https://, got ${url.protocol}`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new AppError('BAD_INPUT', 'backend URL must not carry credentials, a query or a fragment; put the API key in the API key field');
  }
  let path = url.pathname.replace(/\/+$/, '');
  path = path.replace(/\/chat\/completions$/, '');
  if (path === '') path = '/v1';
  return `${url.origin}${path}`;
}

/** A model server that speaks the OpenAI chat-completions API (OpenAI, Ollama, llama.cpp, vLLM, ...). */
export class OpenAiCompatibleBackend implements ChatBackend {
  readonly name: string;
  readonly model: string;
  /** Normalized base URL; requests go to `${baseUrl}/chat/completions`. */
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;

  constructor(opts: OpenAiBackendOptions) {
    this.name = opts.name;
    this.model = opts.model;
    this.baseUrl = normalizeBaseUrl(opts.url);
    this.apiKey = opts.apiKey || undefined;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async chat(req: ChatRequest): Promise<ChatResponse> {
    const body: Record<string, unknown> = { model: this.model, messages: req.messages };
    if (req.tools && req.tools.length > 0) {
      body.tools = req.tools;
      body.tool_choice = 'auto';
    }
    if (req.maxTokens !== undefined) body.max_tokens = req.maxTokens;
    if (req.temperature !== undefined) body.temperature = req.temperature;

    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;

    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;

    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/chat/completions`, { method: 'POST', headers, body: JSON.stringify(body), signal });
    } catch (err) {
      throw this.transportError(err, 'connect', req.signal, timeout);
    }
    let text: string;
    try {
      // The signal also covers reading the body, so a server that stalls mid-answer times out too.
      text = await res.text();
    } catch (err) {
      throw this.transportError(err, 'read', req.signal, timeout);
    }
    if (!res.ok) throw this.httpError(res.status, text);
    return this.parse(text, req);
  }

  /** An AppError whose message has the API key scrubbed out, whatever the server echoed. */
  private fail(code: 'BACKEND_ERROR' | 'TIMEOUT', message: string, details?: Record<string, unknown>): AppError {
    return new AppError(code, this.redact(message), { backend: this.name, ...details });
  }

  private redact(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join('[redacted]') : text;
  }

  private transportError(err: unknown, phase: 'connect' | 'read', callerSignal: AbortSignal | undefined, timeout: AbortSignal): AppError {
    // Check the caller first: when both fired, the caller's intent is the better explanation.
    if (callerSignal?.aborted) {
      return this.fail('TIMEOUT', `model call to backend "${this.name}" was cancelled`, { cancelled: true });
    }
    if (timeout.aborted) {
      return this.fail('TIMEOUT', `model server at ${this.baseUrl} did not answer within ${formatMs(this.timeoutMs)}`, { timeoutMs: this.timeoutMs });
    }
    const why = describeNetworkError(err);
    return phase === 'connect'
      ? this.fail('BACKEND_ERROR', `cannot reach model server at ${this.baseUrl}: ${why}`)
      : this.fail('BACKEND_ERROR', `lost the connection to model server at ${this.baseUrl} while reading its answer: ${why}`);
  }

  private httpError(status: number, text: string): AppError {
    const serverMessage = truncate(this.redact(extractServerMessage(text)), MAX_SERVER_MESSAGE_CHARS);
    const suffix = serverMessage ? `: ${serverMessage}` : '';
    if (status === 401 || status === 403) {
      const what = this.apiKey
        ? `rejected the API key (HTTP ${status})`
        : `requires an API key (HTTP ${status}) and backend "${this.name}" has none`;
      return this.fail('BACKEND_ERROR', `model server at ${this.baseUrl} ${what}${suffix}`, { status });
    }
    return this.fail('BACKEND_ERROR', `model server at ${this.baseUrl} answered HTTP ${status}${suffix}`, { status });
  }

  private parse(text: string, req: ChatRequest): ChatResponse {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      const snippet = truncate(text.trim(), 100);
      return this.throwBad(`answered with something that is not JSON${snippet ? `: ${snippet}` : ''}`);
    }
    if (!isObject(json)) return this.throwBad('answered with JSON that is not an object');
    const choices = json.choices;
    if (!Array.isArray(choices) || choices.length === 0) {
      // Some servers report errors with HTTP 200; surface their message when there is one.
      const serverMessage = truncate(extractServerMessage(text), MAX_SERVER_MESSAGE_CHARS);
      return this.throwBad(`answered without any choices${json.error !== undefined && serverMessage ? `: ${serverMessage}` : ''}`);
    }
    const choice: unknown = choices[0];
    if (!isObject(choice) || !isObject(choice.message)) return this.throwBad('answered with a choice that has no message');
    const message = choice.message;

    const content = parseContent(message.content);
    const rawCalls = message.tool_calls ?? [];
    if (!Array.isArray(rawCalls)) return this.throwBad('answered with tool_calls that is not a list');
    const toolCalls: ToolCall[] = rawCalls.map((raw: unknown, i) => {
      if (!isObject(raw) || !isObject(raw.function) || typeof raw.function.name !== 'string') {
        return this.throwBad(`answered with a malformed tool call at index ${i}`);
      }
      const args = raw.function.arguments;
      return {
        id: typeof raw.id === 'string' && raw.id ? raw.id : `call_${i}`,
        type: 'function',
        function: {
          name: raw.function.name,
          // OpenAI sends a JSON string; a few servers send the object itself.
          arguments: typeof args === 'string' ? args : args === undefined || args === null ? '{}' : JSON.stringify(args),
        },
      };
    });

    const finishReason = typeof choice.finish_reason === 'string' ? choice.finish_reason : toolCalls.length > 0 ? 'tool_calls' : 'stop';
    const usage = json.usage;
    const reported = isObject(usage) && typeof usage.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number';
    return {
      message: { content, toolCalls },
      finishReason,
      usage: reported
        ? { inputTokens: usage.prompt_tokens as number, outputTokens: usage.completion_tokens as number }
        : {
            inputTokens: estimateInputTokens(req),
            outputTokens: estimateTokens((content ?? '') + toolCalls.map((c) => c.function.name + c.function.arguments).join('')),
            estimated: true,
          },
      model: typeof json.model === 'string' && json.model ? json.model : this.model,
    };
  }

  private throwBad(what: string): never {
    throw this.fail('BACKEND_ERROR', `model server at ${this.baseUrl} ${what}`);
  }
}

/**
 * Sends a one-token chat to check URL, key and model together, for a "test connection"
 * button. The limit defaults to 15 s, shorter than a normal call, because a person is waiting.
 */
export async function testBackendConnection(
  backend: ChatBackend,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ ok: true; latencyMs: number; model: string }> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const started = performance.now();
  try {
    const res = await backend.chat({ messages: [{ role: 'user', content: 'Reply with OK.' }], maxTokens: 1, temperature: 0, signal });
    return { ok: true, latencyMs: Math.round(performance.now() - started), model: res.model };
  } catch (err) {
    // The backend sees our timeout as a cancellation; report it as what it is.
    if (timeout.aborted && !opts.signal?.aborted) {
      throw new AppError('TIMEOUT', `backend "${backend.name}" did not answer the connection test within ${formatMs(timeoutMs)}`, { backend: backend.name, timeoutMs });
    }
    throw err;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Plain string content, or the text parts of an array-of-parts content; null when there is none. */
function parseContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const text = v.map((p: unknown) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
    return text || null;
  }
  return null;
}

/** The message of an error body in the shapes servers use: OpenAI, Ollama, FastAPI, or plain text. */
function extractServerMessage(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return text.trim();
  }
  if (isObject(json)) {
    const e = json.error;
    if (isObject(e) && typeof e.message === 'string') return e.message;
    if (typeof e === 'string') return e;
    if (typeof json.message === 'string') return json.message;
    if (typeof json.detail === 'string') return json.detail;
  }
  return text.trim();
}

/** undici reports "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND, ...) in `cause`. */
function describeNetworkError(err: unknown): string {
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
  if (cause instanceof AggregateError && cause.errors.length > 0) return describeNetworkError(cause.errors[0]);
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    if (cause.message) return cause.message;
    if (typeof code === 'string') return code;
  }
  return err instanceof Error ? err.message : String(err);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Roughly four characters per token, at least one. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** JSON of the messages and tools: the keys and roles stand in for the per-message overhead a real tokenizer adds. */
function estimateInputTokens(req: { messages: ChatMessage[]; tools?: unknown[] }): number {
  return estimateTokens(JSON.stringify(req.messages) + (req.tools ? JSON.stringify(req.tools) : ''));
}
