import type { Client, ClientContext, OutgoingMessage } from '@nostr-relay/common';
import { ClientReadyState } from '@nostr-relay/common';
import WebSocket from 'ws';

/** Messages queued on one connection before its socket stops being read (TCP backpressure). */
const PAUSE_READING_AT = 64;
const RESUME_READING_AT = 16;

/**
 * Live events queued for a subscriber that does not read. Past this the connection is
 * dropped: otherwise one stalled client would grow the relay's memory without bound.
 */
const LIVE_BACKLOG_LIMIT_BYTES = 16 * 1024 * 1024;

/** Sustained rate with bursts of one second's worth, refilled continuously. */
export class EventRateBudget {
  private tokens: number;
  private refilledAt = performance.now();

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * One client's WebSocket as the relay library sees it (its `Client`): the library keys its
 * ClientContext by this object, so plugins reach the connection's own state via `ctx.client`.
 * Messages of one connection are handled one at a time, in arrival order, so an OK, EOSE or
 * CLOSED always answers the message before it and a CLOSE never overtakes its REQ.
 */
export class RelayConnection implements Client {
  /** Set by the first message through the plugins; the fan-out reads subscriptions from it. */
  context: ClientContext | null = null;
  /** Cleared on each heartbeat ping, set by the pong; still clear at the next beat means gone. */
  alive = true;
  private queued = 0;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly socket: WebSocket,
    readonly remoteAddress: string,
    readonly eventBudget: EventRateBudget,
    private readonly onTaskError: (err: unknown) => void,
  ) {}

  get readyState(): ClientReadyState {
    switch (this.socket.readyState) {
      case WebSocket.CONNECTING: return ClientReadyState.CONNECTING;
      case WebSocket.OPEN: return ClientReadyState.OPEN;
      case WebSocket.CLOSING: return ClientReadyState.CLOSING;
      default: return ClientReadyState.CLOSED;
    }
  }

  send(data: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(data);
  }

  sendMessage(message: OutgoingMessage): void {
    this.send(JSON.stringify(message));
  }

  /** A live event for a subscription; drops the connection if it stopped reading. */
  sendLive(data: string): void {
    if (this.socket.bufferedAmount > LIVE_BACKLOG_LIMIT_BYTES) {
      this.socket.terminate();
      return;
    }
    this.send(data);
  }

  /** Runs `task` after every earlier task of this connection has finished. */
  enqueue(task: () => Promise<void>): void {
    this.queued += 1;
    if (this.queued === PAUSE_READING_AT) this.socket.pause();
    this.tail = this.tail
      .then(task)
      .catch(this.onTaskError)
      .finally(() => {
        this.queued -= 1;
        if (this.queued === RESUME_READING_AT && this.socket.isPaused) this.socket.resume();
      });
  }

  /** Resolves once every queued message has been handled. */
  drained(): Promise<void> {
    return this.tail;
  }
}
