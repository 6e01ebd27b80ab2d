import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import type { ProcedureName, ResponseFrame, Result } from '../core/api/contract.js';
import type { dispatch as Dispatch, Handlers } from '../core/api/handlers.js';
import { AppError } from '../core/errors.js';
import type { OpenAgentsNode } from '../core/node.js';
import { liveDaemon, type DaemonInfo } from './daemon-file.js';

/** How the CLI reaches the core: through the running daemon, or by opening the home itself. */
export interface ApiClient {
  readonly via: 'daemon' | 'direct';
  call(proc: ProcedureName, input: unknown): Promise<Result<unknown>>;
  /** Core events while the command runs (download progress…). */
  onEvent(listener: (event: string, data: unknown) => void): void;
  close(): Promise<void>;
}

export interface ClientOptions {
  home: string;
  devnetDir: string;
  passphrase?: string | undefined;
}

/** While a daemon runs, every command goes through it, so two processes never tick one agent. */
export async function connect(opts: ClientOptions): Promise<ApiClient> {
  const daemon = liveDaemon(opts.home);
  if (daemon) return DaemonClient.open(daemon);
  return DirectClient.open(opts);
}

export class DaemonClient implements ApiClient {
  readonly via = 'daemon' as const;
  private nextId = 1;
  private readonly pending = new Map<number, (r: Result<unknown>) => void>();
  private readonly listeners: ((event: string, data: unknown) => void)[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as ResponseFrame | { event: string; data: unknown };
      if ('id' in frame && typeof frame.id === 'number') {
        this.pending.get(frame.id)?.(frame.result);
        this.pending.delete(frame.id);
      } else if ('event' in frame) {
        for (const l of this.listeners) l(frame.event, frame.data);
      }
    });
    ws.on('close', () => {
      for (const resolve of this.pending.values()) resolve({ ok: false, error: { code: 'DAEMON_UNAVAILABLE', message: 'the daemon closed the connection' } });
      this.pending.clear();
    });
  }

  static async open(info: DaemonInfo): Promise<DaemonClient> {
    let token: string;
    try {
      token = readFileSync(info.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new AppError('DAEMON_UNAVAILABLE', `cannot read the daemon token ${info.tokenFile}: ${(err as Error).message}`);
    }
    const ws = new WebSocket(info.apiUrl, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new AppError('DAEMON_UNAVAILABLE', `the daemon (pid ${info.pid}) does not answer at ${info.apiUrl}`)), 10_000);
      ws.once('open', () => { clearTimeout(timer); resolve(); });
      ws.once('error', (err) => { clearTimeout(timer); reject(new AppError('DAEMON_UNAVAILABLE', `cannot reach the daemon (pid ${info.pid}) at ${info.apiUrl}: ${err.message}`)); });
    });
    return new DaemonClient(ws);
  }

  onEvent(listener: (event: string, data: unknown) => void): void {
    this.listeners.push(listener);
  }

  call(proc: ProcedureName, input: unknown): Promise<Result<unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, proc, input }));
    });
  }

  async close(): Promise<void> {
    this.ws.close();
  }
}

export class DirectClient implements ApiClient {
  readonly via = 'direct' as const;
  private constructor(
    private readonly node: OpenAgentsNode,
    private readonly handlers: Handlers,
    private readonly run: typeof Dispatch,
  ) {}

  static async open(opts: ClientOptions): Promise<DirectClient> {
    // The core is loaded only here: a CLI talking to the daemon stays small and quick.
    const [{ OpenAgentsNode }, { createHandlers, dispatch }] = await Promise.all([import('../core/node.js'), import('../core/api/handlers.js')]);
    const node = new OpenAgentsNode({ home: opts.home, devnetDir: opts.devnetDir, passphrase: opts.passphrase, mode: 'direct' });
    try {
      await node.recoverDirect();
    } catch (err) {
      await node.stop();
      throw err;
    }
    return new DirectClient(node, createHandlers(node), dispatch);
  }

  call(proc: ProcedureName, input: unknown): Promise<Result<unknown>> {
    return this.run(this.handlers, proc, input);
  }

  onEvent(listener: (event: string, data: unknown) => void): void {
    this.node.events.onAny(listener);
  }

  async close(): Promise<void> {
    await this.node.stop();
  }
}
