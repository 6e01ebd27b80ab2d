import type { Event, Filter } from 'nostr-tools';
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay';
import WebSocket from 'ws';

useWebSocketImplementation(WebSocket);

export type RelayState = 'connecting' | 'connected' | 'error' | 'closed';

export interface RelayStatus {
  url: string;
  state: RelayState;
  lastError: string | null;
  latencyMs: number | null;
  connectedAt: number | null;
  reconnects: number;
}

export interface PublishResult {
  url: string;
  ok: boolean;
  message: string;
}

interface Subscription {
  filters: Filter[];
  onEvent: (event: Event, relay: string) => void;
  /** How far before the last event seen a resubscription reaches back (seconds). */
  catchUpSeconds: number;
  newestSeen: number;
  seen: Set<string>;
  perRelay: Map<string, { close: () => void }>;
}

const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
const PUBLISH_TIMEOUT_MS = 5000;
const SEEN_LIMIT = 20_000;

/**
 * A set of relays with reconnect and catch-up. nostr-tools speaks the protocol; this keeps
 * the connections: on a drop it reconnects with backoff and re-issues every subscription
 * with `since` set back from the newest event seen (by `catchUpSeconds`, which must cover
 * randomised timestamps such as NIP-59's), and delivers each event id once across relays.
 */
export class RelayPool {
  private readonly conns = new Map<string, { relay: Relay | null; status: RelayStatus; timer: NodeJS.Timeout | null; attempts: number }>();
  private readonly subs = new Map<number, Subscription>();
  private nextSub = 1;
  private closed = false;

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  setRelays(urls: string[]): void {
    const wanted = new Set(urls);
    for (const url of [...this.conns.keys()]) if (!wanted.has(url)) this.drop(url);
    for (const url of wanted) if (!this.conns.has(url)) this.add(url);
  }

  urls(): string[] {
    return [...this.conns.keys()];
  }

  status(): RelayStatus[] {
    return [...this.conns.values()].map((c) => ({ ...c.status }));
  }

  connectedCount(): number {
    return [...this.conns.values()].filter((c) => c.status.state === 'connected').length;
  }

  /** Resolves once at least one relay is connected (or rejects after the timeout). */
  async waitConnected(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.connectedCount() === 0) {
      if (Date.now() > until) throw new Error(`no relay connected within ${timeoutMs} ms (${this.status().map((s) => `${s.url}: ${s.lastError ?? s.state}`).join('; ')})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private add(url: string): void {
    const entry = { relay: null as Relay | null, status: { url, state: 'connecting' as RelayState, lastError: null, latencyMs: null, connectedAt: null, reconnects: 0 }, timer: null as NodeJS.Timeout | null, attempts: 0 };
    this.conns.set(url, entry);
    void this.connect(url);
  }

  private drop(url: string): void {
    const c = this.conns.get(url);
    if (!c) return;
    if (c.timer) clearTimeout(c.timer);
    this.conns.delete(url);
    for (const s of this.subs.values()) s.perRelay.delete(url);
    try {
      c.relay?.close();
    } catch {
      // already closed
    }
  }

  private async connect(url: string): Promise<void> {
    const c = this.conns.get(url);
    if (!c || this.closed) return;
    c.status.state = 'connecting';
    const started = Date.now();
    try {
      const relay = await Relay.connect(url, { timeout: 5000 } as Parameters<typeof Relay.connect>[1]);
      if (this.closed || this.conns.get(url) !== c) {
        relay.close();
        return;
      }
      c.relay = relay;
      c.attempts = 0;
      c.status = { ...c.status, state: 'connected', lastError: null, latencyMs: Date.now() - started, connectedAt: Date.now() };
      relay.onclose = () => this.onDrop(url, 'connection closed');
      for (const [id, s] of this.subs) this.open(id, s, url, relay);
    } catch (err) {
      this.onDrop(url, err instanceof Error ? err.message : String(err));
    }
  }

  private onDrop(url: string, reason: string): void {
    const c = this.conns.get(url);
    if (!c || this.closed) return;
    c.relay = null;
    for (const s of this.subs.values()) s.perRelay.delete(url);
    c.status.state = 'error';
    c.status.lastError = reason;
    const wait = BACKOFF_MS[Math.min(c.attempts, BACKOFF_MS.length - 1)]!;
    c.attempts++;
    c.status.reconnects++;
    if (c.timer) clearTimeout(c.timer);
    c.timer = setTimeout(() => void this.connect(url), wait);
    c.timer.unref();
    this.log(`relay ${url}: ${reason}; reconnecting in ${wait} ms`);
  }

  private open(id: number, s: Subscription, url: string, relay: Relay): void {
    const filters = s.filters.map((f) => (s.newestSeen > 0 ? { ...f, since: Math.max(f.since ?? 0, s.newestSeen - s.catchUpSeconds) } : f));
    try {
      const sub = relay.subscribe(filters, {
        onevent: (event: Event) => {
          if (s.seen.has(event.id)) return;
          s.seen.add(event.id);
          if (s.seen.size > SEEN_LIMIT) s.seen.delete(s.seen.values().next().value!);
          if (event.created_at > s.newestSeen) s.newestSeen = event.created_at;
          s.onEvent(event, url);
        },
      });
      s.perRelay.set(url, sub);
    } catch (err) {
      this.log(`relay ${url}: subscribe failed: ${(err as Error).message}`);
    }
    void id;
  }

  /** A live subscription on every relay, kept across reconnects. */
  subscribe(filters: Filter[], onEvent: (event: Event, relay: string) => void, opts: { catchUpSeconds?: number } = {}): () => void {
    const id = this.nextSub++;
    const s: Subscription = { filters, onEvent, catchUpSeconds: opts.catchUpSeconds ?? 120, newestSeen: 0, seen: new Set(), perRelay: new Map() };
    this.subs.set(id, s);
    for (const [url, c] of this.conns) if (c.relay) this.open(id, s, url, c.relay);
    return () => {
      for (const sub of s.perRelay.values()) sub.close();
      this.subs.delete(id);
    };
  }

  /** Best-effort on every relay; each relay's outcome is reported, none swallowed. */
  async publish(event: Event): Promise<PublishResult[]> {
    const targets = [...this.conns.entries()];
    return Promise.all(targets.map(async ([url, c]): Promise<PublishResult> => {
      if (!c.relay) return { url, ok: false, message: `not connected${c.status.lastError ? ` (${c.status.lastError})` : ''}` };
      const started = Date.now();
      try {
        const message = await Promise.race([
          c.relay.publish(event),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no OK within 5 s')), PUBLISH_TIMEOUT_MS).unref()),
        ]);
        c.status.latencyMs = Date.now() - started;
        return { url, ok: true, message: String(message ?? '') };
      } catch (err) {
        return { url, ok: false, message: err instanceof Error ? err.message : String(err) };
      }
    }));
  }

  /** Events matching the filters from every connected relay until EOSE (or the timeout), deduplicated. */
  async query(filters: Filter[], timeoutMs = 3000): Promise<Event[]> {
    const found = new Map<string, Event>();
    await Promise.all([...this.conns.values()].filter((c) => c.relay).map((c) => new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sub.close();
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      const sub = c.relay!.subscribe(filters, { onevent: (e: Event) => found.set(e.id, e), oneose: finish, onclose: finish });
    })));
    return [...found.values()].sort((a, b) => a.created_at - b.created_at);
  }

  close(): void {
    this.closed = true;
    for (const url of [...this.conns.keys()]) this.drop(url);
    this.subs.clear();
  }
}
