import WebSocket from 'ws';

/** A relay-to-client message as received: `["OK", id, true, ""]`, `["EVENT", sub, {...}]`… */
export type RelayMessage = [string, ...unknown[]];

interface Waiter {
  matches: (message: RelayMessage) => boolean;
  resolve: (message: RelayMessage) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_WAIT_MS = 5_000;

/**
 * A bare NIP-01 client over `ws` that sends any frame as given and records every answer, for
 * probing a relay frame by frame (tests, fuzzing, diagnostics). Client libraries hide exactly
 * what such probes look at: NOTICEs, refused frames, close codes.
 */
export class RawRelayClient {
  /** Every message received, in order. */
  readonly received: RelayMessage[] = [];
  /** Resolves with the close code and reason once the connection is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<Waiter>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: WebSocket.RawData) => this.receive(String(data)));
    this.closed = new Promise((resolve) => {
      socket.once('close', (code: number, reason: Buffer) => {
        for (const waiter of this.waiters) waiter.reject(new Error(`connection closed (${code} ${reason.toString()}) while waiting`));
        this.waiters.clear();
        resolve({ code, reason: reason.toString() });
      });
    });
    socket.on('error', () => undefined);
  }

  static connect(url: string, timeoutMs = DEFAULT_WAIT_MS): Promise<RawRelayClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`no connection to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve(new RawRelayClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Sends a message (serialized as JSON), or a raw text or binary frame as is. */
  send(message: unknown[] | string | Buffer, options: { binary?: boolean } = {}): void {
    const frame = Array.isArray(message) ? JSON.stringify(message) : message;
    this.socket.send(frame, { binary: options.binary ?? Buffer.isBuffer(frame) });
  }

  /** The next message, received after this call, that `matches`. */
  waitFor(matches: (message: RelayMessage) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<RelayMessage> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        matches,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`no matching relay message within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Publishes an event and returns the relay's OK verdict. */
  async publish(event: { id: string; [field: string]: unknown }): Promise<{ accepted: boolean; reason: string }> {
    const ok = this.waitFor((m) => m[0] === 'OK' && m[1] === event.id);
    this.send(['EVENT', event]);
    const [, , accepted, reason] = await ok;
    return { accepted: accepted === true, reason: String(reason ?? '') };
  }

  /**
   * Runs a REQ to its end of stored events and returns them, or the CLOSED reason if the relay
   * refused it. The subscription stays open unless `close` is set.
   */
  async query(subscriptionId: string, filters: object[], options: { close?: boolean; timeoutMs?: number } = {}): Promise<{ events: Record<string, unknown>[]; closedReason?: string }> {
    const events: Record<string, unknown>[] = [];
    const end = this.waitFor((m) => {
      if (m[0] === 'EVENT' && m[1] === subscriptionId) events.push(m[2] as Record<string, unknown>);
      return (m[0] === 'EOSE' || m[0] === 'CLOSED') && m[1] === subscriptionId;
    }, options.timeoutMs);
    this.send(['REQ', subscriptionId, ...filters]);
    const last = await end;
    if (options.close && last[0] === 'EOSE') this.send(['CLOSE', subscriptionId]);
    return last[0] === 'CLOSED' ? { events, closedReason: String(last[2]) } : { events };
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close();
    await this.closed;
  }

  private receive(text: string): void {
    let message: RelayMessage;
    try {
      message = JSON.parse(text) as RelayMessage;
    } catch {
      message = ['UNPARSEABLE', text];
    }
    this.received.push(message);
    for (const waiter of [...this.waiters]) {
      if (!waiter.matches(message)) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(message);
    }
  }
}
