import os from 'node:os';
import path from 'node:path';
import { statSync } from 'node:fs';
import type { ChatHistoryItem, Llama, LlamaContext, LlamaModel } from 'node-llama-cpp';
import { AppError } from '../errors.js';
import type { HardwareView } from '../api/contract.js';
import { formatGiB } from './recommendations.js';
import type { ChatMessage, ChatRequest, ChatResponse, ToolCall, ToolDefinition } from '../compute/backend.js';

/** What the engine found: the GPU node-llama-cpp picked (if any), memory and cores, and a one-line summary. */
export type { HardwareView };
/** @deprecated the older name of {@link HardwareView}. */
export type HardwareInfo = HardwareView;

export interface LoadedModel {
  path: string;
  architecture: string;
  sizeBytes: number;
  contextSize: number;
  threads: number;
  /** Layers offloaded to the GPU (0 on the CPU) out of `totalLayers`. */
  gpuLayers: number;
  totalLayers: number;
  /** Where the model runs, in one line: "CPU only: no GPU found", "42 of 42 layers on the Vulkan GPU", … */
  note: string;
}

export interface LoadOptions {
  /** The largest context wanted (default 4096); the engine picks the largest that fits, up to the model's own. */
  contextSize?: number;
  /** CPU threads; null/undefined = chosen from the model size and the cores ({@link chooseThreads}). */
  threads?: number | null;
  /** The most layers to offload to the GPU; null/undefined = as many as fit, 0 = CPU only. */
  gpuLayers?: number | null;
}

/**
 * Who is waiting for the engine: the operator's own agents and local API ('agent', the default)
 * or a paid job from the compute market ('market').
 */
export type InferencePriority = 'agent' | 'market';

export interface GenerateRequest {
  prompt: string;
  maxTokens: number;
  temperature?: number;
  /** Constrain the output to JSON matching this schema. */
  jsonSchema?: Record<string, unknown>;
  signal?: AbortSignal;
  /** Text as it is produced; `chunks` > 1 when several chunks arrive together (from the inference process). */
  onToken?: (text: string, chunks?: number) => void;
  /** Default 'agent'. */
  priority?: InferencePriority;
}

export type EngineChatRequest = ChatRequest & { maxTokens: number; onText?: (chunk: string) => void; priority?: InferencePriority };

export interface GenerateResult {
  text: string;
  tokens: number;
  durationMs: number;
  tokensPerSecond: number;
  stopReason: 'eos' | 'maxTokens' | 'abort';
}

/** Metadata whose absence makes llama.cpp abort the whole process instead of failing a load. */
const REQUIRED = ['context_length', 'embedding_length', 'block_count', 'feed_forward_length', 'attention.head_count'];

/** The context asked for when the caller names none: enough for agents' prompts, cheap on small machines. */
export const DEFAULT_MAX_CONTEXT = 4096;
/** Below this a context is too small to be useful, unless the model itself was trained on less. */
export const MIN_CONTEXT = 512;

const GPU_NAMES: Record<string, string> = { cuda: 'CUDA', vulkan: 'Vulkan', metal: 'Metal' };
function gpuName(gpu: string | false): string {
  return gpu ? (GPU_NAMES[gpu] ?? gpu) : 'no';
}

/**
 * The one-line hardware summary of {@link InferenceEngine.probe}, e.g. "Vulkan GPU with 8.0 GiB
 * VRAM; 8 cores and 32 GiB RAM" or "No GPU found (CUDA and Vulkan were tried): running on the
 * CPU with 2 cores and 24 GiB RAM". `tried` lists the GPU types node-llama-cpp tried.
 */
export function hardwareNote(h: { gpu: string | false; vramBytes: number | null; unifiedMemory?: boolean; ramBytes: number; cores: number; gpuOff?: boolean; tried?: string[] }): string {
  const cpu = `${h.cores} ${h.cores === 1 ? 'core' : 'cores'} and ${formatGiB(h.ramBytes)} RAM`;
  if (h.gpu) {
    const mem = h.vramBytes === null ? 'unknown VRAM' : h.unifiedMemory ? `${formatGiB(h.vramBytes)} of unified memory` : `${formatGiB(h.vramBytes)} VRAM`;
    return `${gpuName(h.gpu)} GPU with ${mem}; ${cpu}`;
  }
  if (h.gpuOff) return `GPU use is turned off: running on the CPU with ${cpu}`;
  const tried = (h.tried ?? []).map(gpuName);
  const list = tried.length > 1 ? `${tried.slice(0, -1).join(', ')} and ${tried[tried.length - 1]} were tried` : tried.length ? `${tried[0]} was tried` : 'no GPU type is supported here';
  return `No GPU found (${list}): running on the CPU with ${cpu}`;
}

/**
 * Threads for evaluation: on a tiny model every extra thread costs more in synchronisation
 * than it computes (measured ~600× slower at 4 threads than at 1 on a 2-core machine), so
 * small models get one; larger ones use the real cores, leaving one for the rest of the app.
 */
export function chooseThreads(modelBytes: number, cores = os.availableParallelism()): number {
  if (modelBytes < 64 * 1024 * 1024) return 1;
  return Math.max(1, Math.min(cores - 1, 16));
}

interface QueueItem {
  priority: InferencePriority;
  start: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The local inference engine over node-llama-cpp: checks a GGUF's header before loading it,
 * loads it with GPU layers and a context sized by node-llama-cpp to fit the hardware (falling
 * back to the CPU when the GPU load fails), and runs one generation at a time, streaming tokens
 * and reporting tokens/s.
 *
 * Waiting generations form a small queue: with `agentsFirst` (the default) the operator's own
 * agents ('agent') go before any waiting market job ('market'); otherwise, and within one
 * priority, it is first come first served. A generation that is already running is never
 * interrupted, so an agent may still wait for one market job to finish. A waiting generation
 * whose signal fires leaves the queue and rejects with TIMEOUT.
 */
export class InferenceEngine {
  /** Agents before market jobs among the waiting generations; false = strict FIFO. */
  agentsFirst = true;
  private llama: Llama | null = null;
  private model: LlamaModel | null = null;
  private context: LlamaContext | null = null;
  private info: LoadedModel | null = null;
  private readonly queue: QueueItem[] = [];
  private running = false;

  constructor(private readonly opts: { gpu?: 'auto' | false } = {}) {}

  private async getLlama(): Promise<Llama> {
    if (!this.llama) {
      const { getLlama } = await import('node-llama-cpp');
      this.llama = await getLlama({ gpu: this.opts.gpu ?? 'auto', logLevel: 'error' as never, progressLogs: false, skipDownload: true } as Parameters<typeof getLlama>[0] & object);
    }
    return this.llama;
  }

  async probe(): Promise<HardwareView> {
    const llama = await this.getLlama();
    const ramBytes = os.totalmem();
    const cores = os.availableParallelism();
    const vram = llama.gpu ? await llama.getVramState() : null;
    let tried: string[] = [];
    if (!llama.gpu && this.opts.gpu !== false) {
      const { getLlamaGpuTypes } = await import('node-llama-cpp');
      tried = (await getLlamaGpuTypes('allValid')).filter((g) => g !== false);
    }
    const note = hardwareNote({ gpu: llama.gpu, vramBytes: vram?.total ?? null, unifiedMemory: (vram?.unifiedSize ?? 0) > 0, ramBytes, cores, gpuOff: this.opts.gpu === false, tried });
    return { gpu: llama.gpu, vramBytes: vram?.total ?? null, ramBytes, freeRamBytes: os.freemem(), cores, note };
  }

  /** Refuses files llama.cpp would crash on, with the reason. */
  async inspect(modelPath: string): Promise<{ architecture: string; trainContextSize: number }> {
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
    return { architecture: arch, trainContextSize: Number(section.context_length) };
  }

  /**
   * Loads a model to fit this machine. node-llama-cpp does the fitting from the GGUF's own
   * insights and the live VRAM/RAM state: `gpuLayers: {max?, fitContext}` offloads as many
   * layers as fit (up to the cap) while leaving VRAM for the context we will create, and
   * `contextSize: {min, max}` picks the largest context that fits (shrinking and retrying if the
   * creation still fails). A failed GPU load is retried on the CPU, and the note says so.
   */
  async load(modelPath: string, opts: LoadOptions = {}): Promise<LoadedModel> {
    const { architecture, trainContextSize } = await this.inspect(modelPath);
    await this.unload();
    const llama = await this.getLlama();
    const sizeBytes = statSync(modelPath).size;
    const threads = opts.threads ?? chooseThreads(sizeBytes);
    const train = Number.isFinite(trainContextSize) && trainContextSize > 0 ? trainContextSize : DEFAULT_MAX_CONTEXT;
    const maxContext = Math.max(1, Math.min(opts.contextSize ?? DEFAULT_MAX_CONTEXT, train));
    const contextSize = { min: Math.min(MIN_CONTEXT, maxContext), max: maxContext };
    const cap = opts.gpuLayers ?? null;
    const tryGpu = llama.gpu !== false && cap !== 0;

    const attempt = async (gpu: boolean): Promise<void> => {
      this.model = await llama.loadModel({ modelPath, gpuLayers: gpu ? { ...(cap !== null ? { max: cap } : {}), fitContext: { contextSize: maxContext } } : 0 });
      this.context = await this.model.createContext({ contextSize, threads });
    };
    let gpuFailure: string | null = null;
    try {
      try {
        await attempt(tryGpu);
      } catch (err) {
        if (!tryGpu) throw err;
        gpuFailure = (err as Error).message;
        await this.unload();
        await attempt(false);
      }
    } catch (err) {
      await this.unload();
      const gpuPart = gpuFailure ? ` (the GPU load failed first: ${gpuFailure})` : '';
      throw new AppError('BACKEND_ERROR', `could not load ${modelPath}: ${(err as Error).message}${gpuPart}`);
    }
    const model = this.model as LlamaModel | null;
    const context = this.context as LlamaContext | null;
    if (!model || !context) throw new AppError('INTERNAL', 'the model vanished while loading');
    const gpuLayers = model.gpuLayers;
    const totalLayers = model.fileInsights.totalLayers;
    let note: string;
    if (gpuFailure) note = `GPU load failed (${gpuFailure}); fell back to the CPU`;
    else if (!llama.gpu) note = this.opts.gpu === false ? 'CPU only: GPU use is turned off' : 'CPU only: no GPU found';
    else if (cap === 0) note = 'CPU only: GPU layers capped at 0';
    else if (gpuLayers === 0) note = `CPU only: not enough free VRAM on the ${gpuName(llama.gpu)} GPU`;
    else note = `${gpuLayers} of ${totalLayers} layers on the ${gpuName(llama.gpu)} GPU${cap !== null && gpuLayers === cap && cap < totalLayers ? ` (capped at ${cap})` : ''}`;
    this.info = { path: modelPath, architecture, sizeBytes, contextSize: context.contextSize, threads, gpuLayers, totalLayers, note };
    return this.info;
  }

  loaded(): LoadedModel | null {
    return this.info;
  }

  /** Tokens the loaded model's tokenizer makes of a text (prompts are checked against the context before a job is sold). */
  async countTokens(text: string): Promise<number> {
    if (!this.model) throw new AppError('BACKEND_ERROR', 'no model is loaded');
    return this.model.tokenize(text).length;
  }

  /** Whether a generation is running now. */
  busy(): boolean {
    return this.running;
  }

  /** Generations waiting for the engine, by priority (the running one is not counted). */
  waiting(): { agent: number; market: number } {
    let agent = 0;
    for (const item of this.queue) if (item.priority === 'agent') agent++;
    return { agent, market: this.queue.length - agent };
  }

  /** Queued behind any running generation (see the class comment); the signal cancels it whether queued or running. */
  generate(req: GenerateRequest): Promise<GenerateResult> {
    return this.enqueue(req.priority ?? 'agent', req.signal, () => this.run(req));
  }

  /**
   * OpenAI-style chat on the loaded model, with the model's own chat template. With tools, the
   * answer is constrained by a JSON grammar to `{content, tool_calls:[{name, arguments}]}`
   * (arguments as a JSON string, as in the OpenAI API), so any GGUF model can call tools.
   * Queued like {@link generate}.
   */
  chat(req: EngineChatRequest): Promise<ChatResponse> {
    return this.enqueue(req.priority ?? 'agent', req.signal, () => this.runChat(req));
  }

  private enqueue<T>(priority: InferencePriority, signal: AbortSignal | undefined, job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(cancelledBeforeStart());
        return;
      }
      const item: QueueItem = {
        priority,
        signal,
        start: () => {
          this.running = true;
          // A rejection or throw from the job settles this promise; the engine moves on either way,
          // and is already free (or on the next job) when the caller sees the outcome.
          const done = (): void => {
            this.running = false;
            this.pump();
          };
          void Promise.resolve()
            .then(job)
            .then((v) => {
              done();
              resolve(v);
            }, (err: unknown) => {
              done();
              reject(err as Error);
            });
        },
      };
      if (signal) {
        item.onAbort = () => {
          const i = this.queue.indexOf(item);
          if (i < 0) return; // already started: the generation itself stops on the signal
          this.queue.splice(i, 1);
          reject(cancelledBeforeStart());
        };
        signal.addEventListener('abort', item.onAbort, { once: true });
      }
      this.queue.push(item);
      this.pump();
    });
  }

  /** Starts the next waiting generation when the engine is free. A running one is never interrupted. */
  private pump(): void {
    if (this.running || !this.queue.length) return;
    let i = this.agentsFirst ? this.queue.findIndex((q) => q.priority === 'agent') : 0;
    if (i < 0) i = 0;
    const [item] = this.queue.splice(i, 1);
    if (!item) return;
    if (item.signal && item.onAbort) item.signal.removeEventListener('abort', item.onAbort);
    item.start();
  }

  private async run(req: GenerateRequest): Promise<GenerateResult> {
    if (!this.model || !this.context) throw new AppError('BACKEND_ERROR', 'no model is loaded');
    if (req.signal?.aborted) throw cancelledBeforeStart();
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

  private async runChat(req: EngineChatRequest): Promise<ChatResponse> {
    if (!this.model || !this.context || !this.info) throw new AppError('BACKEND_ERROR', 'no model is loaded');
    if (req.signal?.aborted) throw cancelledBeforeStart();
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

function cancelledBeforeStart(): AppError {
  return new AppError('TIMEOUT', 'the generation was cancelled before it started');
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
