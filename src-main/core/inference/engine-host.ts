// The inference process: runs the real InferenceEngine (node-llama-cpp) away from the app's
// main thread, so a native crash cannot take the daemon or the desktop window down and a
// generation is never slowed by the app's own work (relay, signing, database). Spoken to
// over the IPC channel by EngineClient (engine-client.ts); see that file for the protocol.
import { AppError, toAppError } from '../errors.js';
import { InferenceEngine, type EngineChatRequest, type GenerateRequest } from './engine.js';
import type { HostMessage, ClientMessage } from './engine-protocol.js';

const engine = new InferenceEngine({ gpu: process.env.OPENAGENTS_GPU === 'off' ? false : 'auto' });
const running = new Map<number, AbortController>();

function send(m: HostMessage): void {
  process.send?.(m);
}

// Tokens go back in batches (at most one message per 20 ms per call): a message per token
// would put IPC work between every two evaluations of the model.
const buffered = new Map<number, { text: string; chunks: number }>();
let flushTimer: NodeJS.Timeout | null = null;

function flush(id?: number): void {
  for (const [key, b] of buffered) {
    if (id !== undefined && key !== id) continue;
    send({ t: 'token', id: key, text: b.text, chunks: b.chunks });
    buffered.delete(key);
  }
  if (!buffered.size && flushTimer) {
    clearInterval(flushTimer);
    flushTimer = null;
  }
}

function token(id: number, text: string): void {
  const b = buffered.get(id);
  if (b) {
    b.text += text;
    b.chunks += 1;
  } else buffered.set(id, { text, chunks: 1 });
  flushTimer ??= setInterval(() => flush(), 20);
}

function sendState(): void {
  send({ t: 'state', busy: engine.busy(), waiting: engine.waiting() });
}

/** A signal the parent's `cancel` message fires for this call. */
function cancellable(id: number): AbortSignal {
  const abort = new AbortController();
  running.set(id, abort);
  return abort.signal;
}

/** A generation was just queued: the parent learns the engine's new state at once. */
function queued<T>(p: Promise<T>): Promise<T> {
  sendState();
  return p;
}

async function call(id: number, op: string, args: unknown[]): Promise<unknown> {
  switch (op) {
    case 'probe':
      return engine.probe();
    case 'load':
      return engine.load(args[0] as string, (args[1] ?? {}) as Parameters<InferenceEngine['load']>[1]);
    case 'unload':
      return engine.unload();
    case 'countTokens':
      return engine.countTokens(args[0] as string);
    case 'generate': {
      const req = args[0] as Omit<GenerateRequest, 'signal' | 'onToken'>;
      return queued(engine.generate({ ...req, signal: cancellable(id), onToken: (text) => token(id, text) }));
    }
    case 'chat': {
      const { stream, ...rest } = args[0] as Omit<EngineChatRequest, 'signal' | 'onText'> & { stream?: boolean };
      return queued(engine.chat({ ...rest, signal: cancellable(id), ...(stream ? { onText: (text: string) => token(id, text) } : {}) }));
    }
    default:
      throw new AppError('INTERNAL', `unknown engine operation ${op}`);
  }
}

process.on('message', (m: ClientMessage) => {
  if (m.t === 'cancel') {
    running.get(m.id)?.abort(new AppError('TIMEOUT', 'cancelled'));
    return;
  }
  if (m.t === 'agentsFirst') {
    engine.agentsFirst = m.value;
    return;
  }
  void call(m.id, m.op, m.args).then(
    (value) => finish(m.id, { t: 'result', id: m.id, ok: true, value }),
    (err: unknown) => {
      const e = toAppError(err);
      finish(m.id, { t: 'result', id: m.id, ok: false, error: { code: e.code, message: e.message } });
    },
  );
});

/** The call's last tokens, then the engine's state, then the result: a caller that sees the result sees the state after it. */
function finish(id: number, result: HostMessage): void {
  flush(id);
  running.delete(id);
  sendState();
  send(result);
}

// The parent going away (crash, kill -9) must not leave an orphan holding a model in memory.
process.on('disconnect', () => {
  void engine.close().finally(() => process.exit(0));
});

send({ t: 'ready', pid: process.pid });
