import type { Db } from '../store/db.js';

export type TriggerKind = 'heartbeat' | 'manual' | 'message' | 'approval' | 'payment' | 'mention' | 'dm' | 'zap' | 'inbox';

export interface Trigger {
  id: number;
  agentId: string;
  kind: TriggerKind;
  key: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'consumed' | 'dropped';
  tickId: string | null;
  createdAt: number;
}

interface TriggerRow { id: number; agent_id: string; kind: TriggerKind; trigger_key: string; payload: string; status: Trigger['status']; tick_id: string | null; created_at: number }

function fromRow(r: TriggerRow): Trigger {
  return { id: r.id, agentId: r.agent_id, kind: r.kind, key: r.trigger_key, payload: JSON.parse(r.payload) as Record<string, unknown>, status: r.status, tickId: r.tick_id, createdAt: r.created_at };
}

/**
 * Durable triggers. The (agent, key) pair is unique: a trigger delivered twice (a retried
 * request, a relay echo) is stored once and so runs once.
 */
export class TriggerQueue {
  private readonly insert;
  private readonly byKey;
  private readonly nextForAgent;
  private readonly agentsWithPending;
  private readonly insertMessage;
  private listeners: ((agentId: string) => void)[] = [];

  constructor(private readonly db: Db) {
    this.insert = db.prepare('INSERT INTO triggers (agent_id, kind, trigger_key, payload, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(agent_id, trigger_key) DO NOTHING');
    this.byKey = db.prepare('SELECT * FROM triggers WHERE agent_id = ? AND trigger_key = ?');
    this.nextForAgent = db.prepare("SELECT * FROM triggers WHERE agent_id = ? AND status = 'pending' ORDER BY id LIMIT 1");
    this.agentsWithPending = db.prepare("SELECT agent_id, MIN(id) AS first FROM triggers WHERE status = 'pending' GROUP BY agent_id ORDER BY first LIMIT ?");
    this.insertMessage = db.prepare('INSERT INTO messages (to_agent, from_kind, from_ref, content, idempotency_key, channel, ref_event, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(idempotency_key) DO NOTHING');
  }

  /** Called (after commit) whenever a trigger may be waiting: the runtime wakes the agent. */
  onEnqueued(listener: (agentId: string) => void): void {
    this.listeners.push(listener);
  }

  notify(agentId: string): void {
    for (const l of this.listeners) l(agentId);
  }

  /** Inserts a trigger (inside the caller's transaction if any); returns it, new or already seen. */
  enqueue(agentId: string, kind: TriggerKind, key: string, payload: Record<string, unknown> = {}, now = Date.now()): { trigger: Trigger; created: boolean } {
    const info = this.insert.run(agentId, kind, key, JSON.stringify(payload), now);
    const trigger = fromRow(this.byKey.get(agentId, key) as TriggerRow);
    return { trigger, created: info.changes > 0 };
  }

  /** A message to an agent plus the trigger that wakes it, in one transaction. */
  deliverMessage(
    toAgent: string,
    from: { kind: 'operator' | 'agent' | 'nostr'; ref: string },
    content: string,
    key: string,
    now = Date.now(),
    opts: { channel?: string; refEvent?: string; triggerKind?: TriggerKind; payload?: Record<string, unknown> } = {},
  ): { trigger: Trigger; created: boolean } {
    return this.db.transaction(() => {
      this.insertMessage.run(toAgent, from.kind, from.ref, content, key, opts.channel ?? 'local', opts.refEvent ?? null, now);
      const kind = opts.triggerKind ?? (from.kind === 'operator' ? 'manual' : 'message');
      return this.enqueue(toAgent, kind, key, opts.payload ?? { from: from.ref }, now);
    })();
  }

  get(id: number): Trigger | null {
    const r = this.db.prepare('SELECT * FROM triggers WHERE id = ?').get(id) as TriggerRow | undefined;
    return r ? fromRow(r) : null;
  }

  next(agentId: string): Trigger | null {
    const r = this.nextForAgent.get(agentId) as TriggerRow | undefined;
    return r ? fromRow(r) : null;
  }

  agentsWaiting(limit: number): string[] {
    return (this.agentsWithPending.all(limit) as { agent_id: string }[]).map((r) => r.agent_id);
  }
}
