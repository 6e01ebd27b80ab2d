import type { Event } from 'nostr-tools';
import { finalizeEvent } from 'nostr-tools/pure';
import type { Db } from '../store/db.js';
import type { Template } from './nip-sa.js';
import { isAddressable, isReplaceable } from './kinds.js';
import type { RelayPool } from './relay-pool.js';

/** 'operator' or an agent id: whose key signs the event. 'prebuilt' rows carry a finished event. */
export type SignerRef = string;

interface Row { id: number; agent_id: string | null; signer: string; template: string; refs: string; event: string | null; attempts: number }

const REF = /^\$ref:(\d+)$/;

/** The `d` of a replaceable (always '') or addressable event; null for other kinds. */
function versionKey(template: Template): string | null {
  if (isReplaceable(template.kind)) return '';
  if (isAddressable(template.kind)) return template.tags.find((t) => t[0] === 'd')?.[1] ?? '';
  return null;
}

/**
 * Durable queue of events to publish. Rows are written inside the transaction of the state
 * change they describe; `Publisher` signs and sends them in order. A tag value
 * `$ref:<row id>` is replaced with the id of that (earlier) row's signed event, so a tick
 * result can point at its request before either is signed.
 */
export class NostrOutbox {
  private readonly insert;
  private readonly setLatestRow;
  private readonly latest;
  private readonly setSignedAt;
  listeners: (() => void)[] = [];

  constructor(private readonly db: Db) {
    this.insert = db.prepare('INSERT INTO nostr_outbox (agent_id, signer, template, event, event_id, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.setLatestRow = db.prepare('INSERT INTO nostr_versions (signer, kind, d, row_id) VALUES (?, ?, ?, ?) ON CONFLICT(signer, kind, d) DO UPDATE SET row_id = excluded.row_id');
    this.latest = db.prepare('SELECT row_id, created_at FROM nostr_versions WHERE signer = ? AND kind = ? AND d = ?');
    this.setSignedAt = db.prepare('UPDATE nostr_versions SET created_at = ? WHERE signer = ? AND kind = ? AND d = ?');
  }

  /** Queues a template; returns its row id (usable as `$ref:<id>` in later templates). */
  enqueue(agentId: string | null, signer: SignerRef, template: Template): number {
    const row = Number(this.insert.run(agentId, signer, JSON.stringify(template), null, null, Date.now()).lastInsertRowid);
    const d = versionKey(template);
    if (d !== null) this.setLatestRow.run(signer, template.kind, d, row);
    return row;
  }

  /** The outbox row of the newest queued version of a replaceable/addressable event. */
  latestRow(signer: SignerRef, kind: number, d: string): number | null {
    return (this.latest.get(signer, kind, d) as { row_id: number } | undefined)?.row_id ?? null;
  }

  /** Queues an already signed event (gift wraps are signed by a one-time key; channel ids are needed at once). */
  enqueueSigned(agentId: string | null, event: Event): number {
    return Number(this.insert.run(agentId, 'prebuilt', JSON.stringify({ kind: event.kind, created_at: event.created_at, tags: event.tags, content: event.content }), JSON.stringify(event), event.id, Date.now()).lastInsertRowid);
  }

  /** Tell the publisher there is work (after the enqueuing transaction committed). */
  kick(): void {
    for (const l of this.listeners) l();
  }

  /**
   * Relays keep one replaceable/addressable event per author, kind (and d), and on a tie of
   * timestamps the lower id wins: two updates within one second could keep the older. Each
   * new version is therefore dated after the previous one this home signed.
   */
  private strictlyNewer(signer: string, template: Template): void {
    const d = versionKey(template);
    if (d === null) return;
    const last = (this.latest.get(signer, template.kind, d) as { created_at: number | null } | undefined)?.created_at ?? 0;
    if (template.created_at <= last) template.created_at = last + 1;
    this.setSignedAt.run(template.created_at, signer, template.kind, d);
  }

  pending(limit: number): Row[] {
    return this.db.prepare("SELECT id, agent_id, signer, template, refs, event, attempts FROM nostr_outbox WHERE status = 'pending' ORDER BY id LIMIT ?").all(limit) as Row[];
  }

  eventIdOf(rowId: number): string | null {
    return (this.db.prepare('SELECT event_id FROM nostr_outbox WHERE id = ?').pluck().get(rowId) as string | null | undefined) ?? null;
  }

  pendingCount(): number {
    return this.db.prepare("SELECT COUNT(*) FROM nostr_outbox WHERE status = 'pending'").pluck().get() as number;
  }

  /** Signs a row (once) and stores the signed event. */
  sign(row: Row, secretKeyFor: (signer: SignerRef) => Uint8Array): Event {
    if (row.event) return JSON.parse(row.event) as Event;
    const template = JSON.parse(row.template) as Template;
    template.tags = template.tags.map((t) => t.map((v) => {
      const m = REF.exec(v);
      if (!m) return v;
      const id = this.eventIdOf(Number(m[1]));
      if (!id) throw new Error(`event ${row.id} refers to row ${m[1]}, which is not signed yet`);
      return id;
    }));
    this.strictlyNewer(row.signer, template);
    const event = finalizeEvent(template, secretKeyFor(row.signer));
    this.db.prepare('UPDATE nostr_outbox SET event = ?, event_id = ? WHERE id = ?').run(JSON.stringify(event), event.id, row.id);
    return event;
  }
}

/**
 * Sends queued events to the relay pool in order. An event counts as published when at
 * least one relay accepted it; per-relay outcomes are stored with the row. When no relay is
 * reachable it waits and retries, so events queued offline go out once a relay is back.
 */
export class Publisher {
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private running = false;
  private again = false;
  private stopped = true;

  constructor(
    private readonly db: Db,
    private readonly outbox: NostrOutbox,
    private readonly pool: RelayPool,
    private readonly secretKeyFor: (signer: SignerRef) => Uint8Array,
    private readonly log: (line: string) => void,
  ) {
    outbox.listeners.push(() => this.kick());
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Right after the current I/O, not a timer tick later: results and feedback are latency-bound.
    this.immediate ??= setImmediate(() => {
      this.immediate = null;
      void this.drain();
    });
  }

  /** Publishes what is pending; resolves when the queue is empty or no relay took an event. */
  async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    let retryIn = 0;
    try {
      do {
        this.again = false;
        for (;;) {
          if (this.stopped) return;
          const rows = this.outbox.pending(50);
          if (rows.length === 0) break;
          let blocked = false;
          for (const row of rows) {
            let event: Event;
            try {
              event = this.outbox.sign(row, this.secretKeyFor);
            } catch (err) {
              this.db.prepare("UPDATE nostr_outbox SET status = 'failed', relay_results = ? WHERE id = ?").run(JSON.stringify({ error: (err as Error).message }), row.id);
              this.log(`cannot sign queued event ${row.id}: ${(err as Error).message}`);
              continue;
            }
            const results = this.pool.urls().length ? await this.pool.publish(event) : [];
            const ok = results.some((r) => r.ok);
            this.db.prepare('UPDATE nostr_outbox SET status = ?, attempts = attempts + 1, relay_results = ?, published_at = ? WHERE id = ?')
              .run(ok ? 'published' : 'pending', JSON.stringify(results), ok ? Date.now() : null, row.id);
            if (!ok) {
              blocked = true;
              retryIn = Math.min(30_000, 1000 * 2 ** Math.min(row.attempts, 5));
              break;
            }
          }
          if (blocked) break;
        }
      } while (this.again && !this.stopped && retryIn === 0);
    } finally {
      this.running = false;
    }
    if (retryIn > 0 && !this.stopped) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.drain(), retryIn);
      this.timer.unref();
    }
  }
}
