import os from 'node:os';
import path from 'node:path';
import { statSync } from 'node:fs';
import type { ChatHistoryItem, Llama, LlamaContext, LlamaModel } from 'node-llama-cpp';
import { AppError } from '../errors.js';
import type { ChatMessage, ChatRequest, ChatResponse, ToolCall, ToolDefinition } from '../compute/backend.js';

export interface HardwareInfo {
  gpu: string | false;
  vramBytes: number | null;
  ramBytes: number;
  cores: number;
}

export interface LoadedModel {
  path: string;
  architecture: string;
  sizeBytes: number;
  contextSize: number;
  threads: number;
  gpuLayers: number;
}

export interface GenerateRequest {
  prompt: string;
  maxTokens: number;
  temperature?: number;
  /** Constrain the output to JSON matching this schema. */
  jsonSchema?: Record<string, unknown>;
  signal?: AbortSignal;
  onToken?: (text: string) => void;
}

export interface GenerateResult {
  text: string;
  tokens: number;
  durationMs: number;
  tokensPerSecond: number;
  stopReason: 'eos' | 'maxTokens' | 'abort';
}

/** Metadata whose absence makes llama.cpp abort the whole process instead of failing a load. */
const REQUIRED = ['context_length', 'embedding_length', 'block_count', 'feed_forward_length', 'attention.head_count'];

/**
 * Threads for evaluation: on a tiny model every extra thread costs more in synchronisation
 * than it computes (measured ~600× slower at 4 threads than at 1 on a 2-core machine), so
 * small models get one; larger ones use the real cores, leaving one for the rest of the app.
 */
export function chooseThreads(modelBytes: number, cores = os.availableParallelism()): number {
  if (modelBytes < 64 * 1024 * 1024) return 1;
  return Math.max(1, Math.min(cores - 1, 16));
}

/**
 * The local inference engine over node-llama-cpp: checks a GGUF's header before loading it,
 * loads it with a context sized to fit, and runs one generation at a time (a FIFO queue;
 * each can be cancelled), streaming tokens and reporting tokens/s.
 */
export class InferenceEngine {
  private llama: Llama | null = null;
  private model: LlamaModel | null = null;
  private context: LlamaContext | null = null;
  private info: LoadedModel | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: { gpu?: 'auto' | false } = {}) {}

  private async getLlama(): Promise<Llama> {
    if (!this.llama) {
      const { getLlama } = await import('node-llama-cpp');
      this.llama = await getLlama({ gpu: this.opts.gpu ?? 'auto', logLevel: 'error' as never, progressLogs: false, skipDownload: true } as Parameters<typeof getLlama>[0] & object);
    }
    return this.llama;
  }

  async probe(): Promise<HardwareInfo> {
    const llama = await this.getLlama();
    let vram: number | null = null;
    if (llama.gpu) vram = (await llama.getVramState()).total;
    return { gpu: llama.gpu, vramBytes: vram, ramBytes: os.totalmem(), cores: os.availableParallelism() };
  }

  /** Refuses files llama.cpp would crash on, with the reason. */
  async inspect(modelPath: string): Promise<{ architecture: string }> {
    const { readGgufFileInfo } = await import('node-llama-cpp');
    let info;
    try {
      info = await readGgufFileInfo(modelPath, { readTensorInfo: false });
    } catch (err) {
      throw new AppError('BAD_INPUT', `not a readable GGUF model: ${(err as Error).message}`);
    }
    const meta = info.metadata as unknown as { general?: { architecture?: string } } & Record<string, Record<string, unknown> | undefined>;
    const arch = meta.general?.architecture;
    if (!arch) throw new AppError('BAD_INPUT', 'the GGUF has no general.architecture');
    const section = meta[arch] ?? {};
    const missing = REQUIRED.filter((key) => key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), section) === undefined);
    if (missing.length) throw new AppError('BAD_INPUT', `the GGUF lacks ${missing.map((m) => `${arch}.${m}`).join(', ')}; llama.cpp cannot load it`);
    return { architecture: arch };
  }

  async load(modelPath: string, opts: { contextSize?: number; threads?: number } = {}): Promise<LoadedModel> {
    const { architecture } = await this.inspect(modelPath);
    await this.unload();
    const llama = await this.getLlama();
    const sizeBytes = statSync(modelPath).size;
    try {
      this.model = await llama.loadModel({ modelPath, gpuLayers: llama.gpu ? 'auto' : 0 });
      const threads = opts.threads ?? chooseThreads(sizeBytes);
      this.context = await this.model.createContext({ contextSize: opts.contextSize ?? 2048, threads });
      this.info = { path: modelPath, architecture, sizeBytes, contextSize: this.context.contextSize, threads, gpuLayers: this.model.gpuLayers };
      return this.info;
    } catch (err) {
      await this.unload();
      throw new AppError('BACKEND_ERROR', `could not load ${modelPath}: ${(err as Error).message}`);
    }
  }

  loaded(): LoadedModel | null {
    return this.info;
  }

  /** Queued behind any running generation; the signal cancels it whether queued or running. */
  generate(req: GenerateRequest): Promise<GenerateResult> {
    const run = this.queue.then(() => this.run(req));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(req: GenerateRequest): Promise<GenerateResult> {
    if (!this.model || !this.context) throw new AppError('BACKEND_ERROR', 'no model is loaded');
    if (req.signal?.aborted) throw new AppError('TIMEOUT', 'the generation was cancelled before it started');
    const { LlamaCompletion } = await import('node-llama-cpp');
    const sequence = this.context.getSequence();
    try {
      const completion = new LlamaCompletion({ contextSequence: sequence });
      const grammar = req.jsonSchema ? await (await this.getLlama()).createGrammarForJsonSchema(req.jsonSchema as never) : undefined;
      let tokens = 0;
      let text = '';
      const started = performance.now();
      let aborted = false;
      const out = await completion.generateCompletion(req.prompt, {
        maxTokens: req.maxTokens,
        temperature: req.temperature ?? 0,
        ...(grammar ? { grammar } : {}),
        ...(req.signal ? { signal: req.signal, stopOnAbortSignal: true } : {}),
        onToken: (t: number[]) => {
          tokens += t.length;
        },
        onTextChunk: (chunk: string) => {
          text += chunk;
          req.onToken?.(chunk);
        },
      });
      if (req.signal?.aborted) aborted = true;
      const durationMs = performance.now() - started;
      const finalText = out.length >= text.length ? out : text;
      return {
        text: finalText,
        tokens,
        durationMs,
        tokensPerSecond: durationMs > 0 ? (tokens * 1000) / durationMs : 0,
        stopReason: aborted ? 'abort' : tokens >= req.maxTokens ? 'maxTokens' : 'eos',
      };
    } finally {
      sequence.dispose();
    }
  }

  /**
   * OpenAI-style chat on the loaded model, with the model's own chat template. With tools, the
   * answer is constrained by a JSON grammar to `{content, tool_calls:[{name, arguments}]}`
   * (arguments as a JSON string, as in the OpenAI API), so any GGUF model can call tools.
   */
  chat(req: ChatRequest & { maxTokens: number; onText?: (chunk: string) => void }): Promise<ChatResponse> {
    const run = this.queue.then(() => this.runChat(req));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runChat(req: ChatRequest & { maxTokens: number; onText?: (chunk: string) => void }): Promise<ChatResponse> {
    if (!this.model || !this.context || !this.info) throw new AppError('BACKEND_ERROR', 'no model is loaded');
    if (req.signal?.aborted) throw new AppError('TIMEOUT', 'the generation was cancelled before it started');
    const { LlamaChat } = await import('node-llama-cpp');
    const tools = req.tools ?? [];
    const history = toHistory(req.messages, tools);
    const grammar = tools.length ? await (await this.getLlama()).createGrammarForJsonSchema(toolCallSchema(tools) as never) : undefined;
    const sequence = this.context.getSequence();
    try {
      const chat = new LlamaChat({ contextSequence: sequence });
      let outputTokens = 0;
      const r = await chat.generateResponse(history, {
        // A prompt longer than the context is an error for the caller, not a silent truncation.
        contextShift: { strategy: () => { throw new AppError('BACKEND_ERROR', `the conversation does not fit the model's context of ${this.info?.contextSize} tokens`); } },
        maxTokens: req.maxTokens,
        temperature: req.temperature ?? 0,
        ...(grammar ? { grammar } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        onToken: (t) => {
          outputTokens += t.length;
        },
        // With tools the text is JSON for the caller to parse, so it is not streamed as text.
        ...(req.onText && !tools.length ? { onTextChunk: req.onText } : {}),
      });
      const inputTokens = this.model.tokenize(history.map((h) => (h.type === 'model' ? h.response.join('') : String(h.text))).join('\n')).length;
      let content: string | null = r.response;
      let toolCalls: ToolCall[] = [];
      if (tools.length) {
        const parsed = parseToolAnswer(r.response);
        content = parsed.content;
        toolCalls = parsed.toolCalls;
      }
      return {
        message: { content, toolCalls },
        finishReason: toolCalls.length ? 'tool_calls' : r.metadata.stopReason === 'maxTokens' ? 'length' : 'stop',
        usage: { inputTokens, outputTokens },
        model: path.basename(this.info.path),
      };
    } finally {
      sequence.dispose();
    }
  }

  async unload(): Promise<void> {
    await this.context?.dispose();
    await this.model?.dispose();
    this.context = null;
    this.model = null;
    this.info = null;
  }

  async close(): Promise<void> {
    await this.unload();
    await this.llama?.dispose();
    this.llama = null;
  }
}

/** OpenAI messages as a chat history; tool results become user turns the model can read. */
function toHistory(messages: ChatMessage[], tools: ToolDefinition[]): ChatHistoryItem[] {
  const out: ChatHistoryItem[] = [];
  for (const m of messages) {
    if (m.role === 'system') out.push({ type: 'system', text: m.content });
    else if (m.role === 'user') out.push({ type: 'user', text: m.content });
    else if (m.role === 'tool') out.push({ type: 'user', text: `Result of tool call ${m.tool_call_id}: ${m.content}` });
    else {
      const calls = (m.tool_calls ?? []).map((c) => ({ name: c.function.name, arguments: c.function.arguments }));
      out.push({ type: 'model', response: [tools.length ? JSON.stringify({ content: m.content ?? '', tool_calls: calls }) : m.content ?? ''] });
    }
  }
  if (tools.length) {
    // Compact signatures: small local models have small contexts.
    const list = tools.map((t) => `${t.function.name}(${signature(t.function.parameters)})`).join('; ');
    const guide = `Reply as JSON {"content":text,"tool_calls":[{"name":tool,"arguments":JSON string}]}; no tool_calls ends your turn. Tools: ${list}`;
    const first = out[0];
    if (first && first.type === 'system') out[0] = { type: 'system', text: `${String(first.text)}\n\n${guide}` };
    else out.unshift({ type: 'system', text: guide });
  }
  return out;
}

function signature(schema: Record<string, unknown>): string {
  const props = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return props.map((p) => (required.has(p) ? p : `${p}?`)).join(', ');
}

/** Bounded strings keep generation finite even on a weak model. */
function toolCallSchema(tools: ToolDefinition[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      content: { type: 'string', maxLength: 600 },
      tool_calls: {
        type: 'array',
        maxItems: 4,
        items: {
          type: 'object',
          properties: { name: { enum: tools.map((t) => t.function.name) }, arguments: { type: 'string', maxLength: 2000 } },
          required: ['name', 'arguments'],
        },
      },
    },
    required: ['content', 'tool_calls'],
  };
}

let callSeq = 0;
function parseToolAnswer(text: string): { content: string | null; toolCalls: ToolCall[] } {
  try {
    const v = JSON.parse(text) as { content?: unknown; tool_calls?: { name?: unknown; arguments?: unknown }[] };
    const toolCalls = (v.tool_calls ?? [])
      .filter((c) => typeof c.name === 'string')
      .map((c): ToolCall => ({ id: `local_${++callSeq}`, type: 'function', function: { name: c.name as string, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}) } }));
    return { content: typeof v.content === 'string' ? v.content : null, toolCalls };
  } catch {
    // Cut off by the token limit: keep the text as content, call nothing.
    return { content: text, toolCalls: [] };
  }
}
