import type { CoreEventMessage, ProcedureInput, ProcedureName, ProcedureOutput, Result } from '../../../src-main/core/api/contract';

/** How the console reaches the core: Electron IPC through the preload, or the daemon's WebSocket. */
export interface ApiClient {
  readonly transport: 'ipc' | 'websocket';
  call<P extends ProcedureName>(proc: P, input: ProcedureInput<P>): Promise<Result<ProcedureOutput<P>>>;
  onEvent(listener: (message: CoreEventMessage) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'unauthorized';

interface PreloadBridge {
  api: Record<string, (input: unknown) => Promise<Result<unknown>>>;
  onEvent(listener: (message: CoreEventMessage) => void): () => void;
  onNavigate(listener: (route: string) => void): () => void;
}

declare global {
  interface Window {
    openagents?: PreloadBridge;
  }
}

export class ApiCallError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Unwraps a result envelope for react-query: errors become exceptions carrying the typed code. */
export async function unwrap<T>(p: Promise<Result<T>>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new ApiCallError(r.error.code, r.error.message);
  return r.value;
}

function ipcClient(bridge: PreloadBridge): ApiClient {
  return {
    transport: 'ipc',
    call: (proc, input) => {
      const fn = bridge.api[proc];
      if (!fn) return Promise.resolve({ ok: false, error: { code: 'BAD_INPUT', message: `unknown procedure ${proc}` } });
      return fn(input) as never;
    },
    onEvent: (listener) => bridge.onEvent(listener),
    onConnection: (listener) => {
      listener('open');
      return () => undefined;
    },
  };
}

/**
 * The web console: the printed link carries the token in the URL fragment (never sent to a
 * server log); it is exchanged once for an HttpOnly session cookie and removed from the
 * address bar. The socket reconnects with backoff and replays nothing: pages refetch.
 */
function webSocketClient(token: string | null): ApiClient {
  let ws: WebSocket | null = null;
  let nextId = 1;
  let state: ConnectionState = 'connecting';
  let attempts = 0;
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const queue: string[] = [];
  const eventListeners = new Set<(m: CoreEventMessage) => void>();
  const stateListeners = new Set<(s: ConnectionState) => void>();
  const setState = (s: ConnectionState): void => {
    state = s;
    for (const l of stateListeners) l(s);
  };

  async function ensureSession(): Promise<boolean> {
    if (!token) return true; // the cookie (if any) is checked by the socket
    const res = await fetch('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }), credentials: 'same-origin' });
    return res.ok;
  }

  function connect(): void {
    setState('connecting');
    const socket = new WebSocket(`${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/api/ws`);
    ws = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      attempts = 0;
      setState('open');
      for (const frame of queue.splice(0)) socket.send(frame);
    };
    socket.onmessage = (ev) => {
      const frame = JSON.parse(String(ev.data)) as { id?: number; result?: Result<unknown>; event?: string; data?: unknown };
      if (typeof frame.id === 'number' && frame.result) {
        pending.get(frame.id)?.(frame.result);
        pending.delete(frame.id);
      } else if (frame.event) {
        for (const l of eventListeners) l(frame as CoreEventMessage);
      }
    };
    socket.onclose = () => {
      for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'DAEMON_UNAVAILABLE', message: 'lost the connection to the daemon' } });
      pending.clear();
      if (!opened && attempts === 0) {
        // Refused at the first try: no valid session.
        setState('unauthorized');
        return;
      }
      setState('closed');
      const wait = Math.min(10_000, 500 * 2 ** attempts++);
      setTimeout(connect, wait);
    };
  }

  void ensureSession().then((ok) => (ok ? connect() : setState('unauthorized')));

  return {
    transport: 'websocket',
    call: (proc, input) => new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve as (r: Result<unknown>) => void);
      const frame = JSON.stringify({ id, proc, input: input ?? {} });
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(frame);
      else if (state === 'unauthorized') {
        pending.delete(id);
        resolve({ ok: false, error: { code: 'UNAUTHORIZED', message: 'no access: open the link the daemon printed' } });
      } else queue.push(frame);
    }),
    onEvent: (listener) => {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onConnection: (listener) => {
      stateListeners.add(listener);
      listener(state);
      return () => stateListeners.delete(listener);
    },
  };
}

/** Takes the access token out of the address bar (before the router reads the hash). */
export function takeTokenFromUrl(): string | null {
  const m = /[#&]token=([0-9a-f]{64})/.exec(window.location.hash);
  if (!m) return null;
  window.history.replaceState(null, '', `${window.location.pathname}#/`);
  return m[1]!;
}

export function createClient(): ApiClient {
  return window.openagents ? ipcClient(window.openagents) : webSocketClient(takeTokenFromUrl());
}
