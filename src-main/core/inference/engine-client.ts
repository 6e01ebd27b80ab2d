import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ChatResponse } from '../compute/backend.js';
import { AppError, type ErrorCode } from '../errors.js';
import type { HardwareView } from '../api/contract.js';
import { InferenceEngine, type EngineChatRequest, type GenerateRequest, type GenerateResult, type LoadedModel, type LoadOptions } from './engine.js';
import type { ClientMessage, HostMessage } from './engine-protocol.js';

/** What the app needs of a local engine; the in-process InferenceEngine and EngineClient both are one. */
export type LocalEngine = Pick<InferenceEngine, 'agentsFirst' | 'probe' | 'inspect' | 'load' | 'loaded' | 'countTokens' | 'busy' | 'waiting' | 'generate' | 'chat' | 'unload' | 'close'>;

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void; onToken?: ((text: string, chunks?: number) => void) | undefined }

/** The inference process's entry: the bundle's sibling when built, the TypeScript source (through tsx) otherwise. */
function hostEntry(): { file: string; execArgv: string[] } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const name of ['engine-host.mjs', 'engine-host.js']) {
    const file = path.join(here, name);
    if (existsSync(file)) return { file, execArgv: [] };
  }
  const source = path.join(here, 'engine-host.ts');
  if (!existsSync(source)) throw new AppError('INTERNAL', `the inference process entry is missing next to ${here}; run \`npm run build\``);
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return { file: source, execArgv: ['--import', pathToFileURL(tsx).href] };
}

/**
 * The local engine in its own process (engine-host.ts): same API as InferenceEngine. A native
 * crash there rejects the calls in flight with a clear error, is reported through `onCrash`,
 * and the next call starts a fresh process (the model must be loaded again). Tokens stream
 * back over IPC; cancelling a call aborts it in the host, queued or running.
 */
export class EngineClient implements LocalEngine {
  private child: ChildProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private info: LoadedModel | null = null;
  private state: { busy: boolean; waiting: { agent: number; market: number } } = { busy: false, waiting: { agent: 0, market: 0 } };
  private first = true;
  private closing = false;
  /** GGUF header checks run here: they only parse the file and never load llama.cpp. */
  private readonly inspector = new InferenceEngine();
  /** Called when the inference process dies unexpectedly. */
  onCrash: ((reason: string) => void) | null = null;

  constructor(private readonly opts: { gpu?: 'auto' | false; log?: (line: string) => void } = {}) {}

  get agentsFirst(): boolean {
    return this.first;
  }

  set agentsFirst(value: boolean) {
    this.first = value;
    this.post({ t: 'agentsFirst', value });
  }

  /** The process id of the inference process, while one runs. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private post(m: ClientMessage): void {
    if (this.child?.connected) this.child.send(m);
  }

  private spawn(): ChildProcess {
    if (this.child) return this.child;
    const entry = hostEntry();
    const env: NodeJS.ProcessEnv = { ...process.env, ...(this.opts.gpu === false ? { OPENAGENTS_GPU: 'off' } : {}) };
    // Under Electron, fork runs the Electron binary: make it behave as plain Node.
    if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    const child = fork(entry.file, [], { execArgv: entry.execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    this.child = child;
    child.on('message', (m: HostMessage) => this.onMessage(m));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      this.info = null;
      this.state = { busy: false, waiting: { agent: 0, market: 0 } };
      const expected = this.closing;
      const reason = `the inference process stopped (${signal ?? `exit code ${code}`})`;
      const error = new AppError('BACKEND_ERROR', `${reason}; the model must be loaded again`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      if (!expected) {
        this.opts.log?.(reason);
        this.onCrash?.(reason);
      }
    });
    if (!this.first) child.send({ t: 'agentsFirst', value: false } satisfies ClientMessage);
    return child;
  }

  private onMessage(m: HostMessage): void {
    if (m.t === 'token') this.pending.get(m.id)?.onToken?.(m.text, m.chunks);
    else if (m.t === 'state') this.state = { busy: m.busy, waiting: m.waiting };
    else if (m.t === 'result') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new AppError(m.error.code as ErrorCode, m.error.message));
    }
  }

  private call<T>(op: Extract<ClientMessage, { t: 'call' }>['op'], args: unknown[], extra: { signal?: AbortSignal | undefined; onToken?: ((text: string, chunks?: number) => void) | undefined } = {}): Promise<T> {
    if (extra.signal?.aborted) return Promise.reject(new AppError('TIMEOUT', 'the generation was cancelled before it started'));
    this.closing = false;
    const child = this.spawn();
    const id = this.nextId++;
    const onAbort = (): void => this.post({ t: 'cancel', id });
    extra.signal?.addEventListener('abort', onAbort, { once: true });
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onToken: extra.onToken });
      child.send({ t: 'call', id, op, args } satisfies ClientMessage);
    }).finally(() => extra.signal?.removeEventListener('abort', onAbort));
  }

  probe(): Promise<HardwareView> {
    return this.call<HardwareView>('probe', []);
  }

  inspect(modelPath: string): Promise<{ architecture: string; trainContextSize: number }> {
    return this.inspector.inspect(modelPath);
  }

  async load(modelPath: string, opts: LoadOptions = {}): Promise<LoadedModel> {
    this.info = await this.call<LoadedModel>('load', [modelPath, opts]);
    return this.info;
  }

  loaded(): LoadedModel | null {
    return this.info;
  }

  countTokens(text: string): Promise<number> {
    return this.call<number>('countTokens', [text]);
  }

  busy(): boolean {
    return this.state.busy;
  }

  waiting(): { agent: number; market: number } {
    return { ...this.state.waiting };
  }

  generate(req: GenerateRequest): Promise<GenerateResult> {
    const { signal, onToken, ...rest } = req;
    return this.call<GenerateResult>('generate', [rest], { signal, onToken });
  }

  chat(req: EngineChatRequest): Promise<ChatResponse> {
    const { signal, onText, ...rest } = req;
    return this.call<ChatResponse>('chat', [{ ...rest, stream: !!onText }], { signal, onToken: onText });
  }

  async unload(): Promise<void> {
    if (this.child) await this.call('unload', []);
    this.info = null;
  }

  /** Stops the inference process (it frees the model as it goes). */
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.closing = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
