import type { Db } from '../store/db.js';
import { AppError } from '../errors.js';
import { parsePubkey } from '../identity/keys.js';
import type { Autonomy } from './autonomy.js';
import { BudgetLimitsSchema, type BudgetLimits } from './budget.js';
import type { Lifecycle } from './lifecycle.js';

export interface Agent {
  id: string;
  name: string;
  keyIndex: number;
  pubkey: string;
  lifecycle: Lifecycle;
  autonomy: Autonomy;
  approvalThresholdSats: number;
  heartbeatSeconds: number;
  maxSteps: number;
  budget: BudgetLimits;
  hibernateThresholdSats: number;
  backend: string | null;
  instructions: string;
  sessionStartedAt: number;
  funded: boolean;
  consecutiveFailures: number;
  tickCount: number;
  lastTickAt: number | null;
  lifecycleReason: string;
  createdAt: number;
  updatedAt: number;
}

interface AgentRow {
  id: string;
  name: string;
  key_index: number;
  pubkey: string;
  lifecycle: Lifecycle;
  autonomy: Autonomy;
  approval_threshold_sats: number;
  heartbeat_seconds: number;
  max_steps: number;
  budget: string;
  hibernate_threshold_sats: number;
  backend: string | null;
  instructions: string;
  session_started_at: number;
  funded: number;
  consecutive_failures: number;
  tick_count: number;
  last_tick_at: number | null;
  lifecycle_reason: string;
  created_at: number;
  updated_at: number;
}

// Budgets are validated when written; reading reuses the parsed object per stored text.
const parsedBudgets = new Map<string, BudgetLimits>();
function parseBudget(text: string): BudgetLimits {
  let b = parsedBudgets.get(text);
  if (!b) {
    b = BudgetLimitsSchema.parse(JSON.parse(text));
    if (parsedBudgets.size > 1000) parsedBudgets.clear();
    parsedBudgets.set(text, b);
  }
  return { ...b };
}

function fromRow(r: AgentRow): Agent {
  return {
    id: r.id,
    name: r.name,
    keyIndex: r.key_index,
    pubkey: r.pubkey,
    lifecycle: r.lifecycle,
    autonomy: r.autonomy,
    approvalThresholdSats: r.approval_threshold_sats,
    heartbeatSeconds: r.heartbeat_seconds,
    maxSteps: r.max_steps,
    budget: parseBudget(r.budget),
    hibernateThresholdSats: r.hibernate_threshold_sats,
    backend: r.backend,
    instructions: r.instructions,
    sessionStartedAt: r.session_started_at,
    funded: r.funded === 1,
    consecutiveFailures: r.consecutive_failures,
    tickCount: r.tick_count,
    lastTickAt: r.last_tick_at,
    lifecycleReason: r.lifecycle_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export type NewAgent = Pick<Agent, 'id' | 'name' | 'keyIndex' | 'pubkey' | 'autonomy' | 'approvalThresholdSats' | 'heartbeatSeconds' | 'maxSteps' | 'budget' | 'hibernateThresholdSats' | 'instructions'> & { now: number };

/** The agents table. */
export class AgentStore {
  private readonly byId;
  private readonly byName;
  private readonly byPubkey;

  constructor(private readonly db: Db) {
    this.byId = db.prepare('SELECT * FROM agents WHERE id = ?');
    this.byName = db.prepare('SELECT * FROM agents WHERE name = ?');
    this.byPubkey = db.prepare('SELECT * FROM agents WHERE pubkey = ?');
  }

  insert(a: NewAgent): void {
    this.db
      .prepare(
        `INSERT INTO agents (id, name, key_index, pubkey, lifecycle, autonomy, approval_threshold_sats, heartbeat_seconds, max_steps,
          budget, hibernate_threshold_sats, instructions, session_started_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'creating', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(a.id, a.name, a.keyIndex, a.pubkey, a.autonomy, a.approvalThresholdSats, a.heartbeatSeconds, a.maxSteps,
        JSON.stringify(a.budget), a.hibernateThresholdSats, a.instructions, a.now, a.now, a.now);
  }

  get(id: string): Agent | null {
    const r = this.byId.get(id) as AgentRow | undefined;
    return r ? fromRow(r) : null;
  }

  /** Finds an agent by id, name, hex pubkey or npub. */
  find(ref: string): Agent | null {
    const r = (this.byId.get(ref) ?? this.byName.get(ref)) as AgentRow | undefined;
    if (r) return fromRow(r);
    const pk = parsePubkey(ref);
    if (pk) {
      const p = this.byPubkey.get(pk) as AgentRow | undefined;
      if (p) return fromRow(p);
    }
    return null;
  }

  require(ref: string): Agent {
    const a = this.find(ref);
    if (!a) throw new AppError('NOT_FOUND', `no agent named or identified by "${ref}"`);
    return a;
  }

  list(): Agent[] {
    return (this.db.prepare('SELECT * FROM agents ORDER BY key_index').all() as AgentRow[]).map(fromRow);
  }

  setLifecycle(id: string, from: Lifecycle | null, to: Lifecycle, reason: string, now = Date.now()): void {
    this.db.prepare('UPDATE agents SET lifecycle = ?, lifecycle_reason = ?, updated_at = ? WHERE id = ?').run(to, reason, now, id);
    this.db.prepare('INSERT INTO lifecycle_events (agent_id, from_state, to_state, reason, created_at) VALUES (?, ?, ?, ?, ?)').run(id, from, to, reason, now);
  }

  update(id: string, fields: Partial<Pick<Agent, 'autonomy' | 'approvalThresholdSats' | 'heartbeatSeconds' | 'maxSteps' | 'budget' | 'hibernateThresholdSats' | 'backend' | 'instructions' | 'sessionStartedAt' | 'funded'>>): void {
    const sets: string[] = [];
    const values: unknown[] = [];
    const map: Record<string, [string, (v: never) => unknown]> = {
      autonomy: ['autonomy', (v) => v],
      approvalThresholdSats: ['approval_threshold_sats', (v) => v],
      heartbeatSeconds: ['heartbeat_seconds', (v) => v],
      maxSteps: ['max_steps', (v) => v],
      budget: ['budget', (v) => JSON.stringify(BudgetLimitsSchema.parse(v))],
      hibernateThresholdSats: ['hibernate_threshold_sats', (v) => v],
      backend: ['backend', (v) => v],
      instructions: ['instructions', (v) => v],
      sessionStartedAt: ['session_started_at', (v) => v],
      funded: ['funded', (v: boolean) => (v ? 1 : 0)],
    };
    for (const [k, v] of Object.entries(fields)) {
      const m = map[k];
      if (!m || v === undefined) continue;
      sets.push(`${m[0]} = ?`);
      values.push(m[1](v as never));
    }
    if (sets.length === 0) return;
    this.db.prepare(`UPDATE agents SET ${sets.join(', ')}, updated_at = ? WHERE id = ?`).run(...values, Date.now(), id);
  }

  lifecycleHistory(id: string, limit = 50): { fromState: string | null; toState: string; reason: string; createdAt: number }[] {
    return (this.db.prepare('SELECT from_state, to_state, reason, created_at FROM lifecycle_events WHERE agent_id = ? ORDER BY id DESC LIMIT ?').all(id, limit) as {
      from_state: string | null; to_state: string; reason: string; created_at: number;
    }[]).map((r) => ({ fromState: r.from_state, toState: r.to_state, reason: r.reason, createdAt: r.created_at }));
  }
}
