import type { Db } from '../store/db.js';
import { AppError } from '../errors.js';
import type { SecretStore } from '../identity/secrets.js';
import type { ChatBackend } from './backend.js';

export interface BackendConfig {
  name: string;
  kind: 'openai' | 'local';
  url: string;
  model: string;
  hasApiKey: boolean;
  costInSatsPer1k: number;
  costOutSatsPer1k: number;
  enabled: boolean;
  isDefault: boolean;
}

interface BackendRow {
  name: string; kind: 'openai' | 'local'; url: string; model: string; api_key_secret: string | null;
  cost_in_sats_per_1k: number; cost_out_sats_per_1k: number; enabled: number; is_default: number;
}

function fromRow(r: BackendRow): BackendConfig {
  return {
    name: r.name, kind: r.kind, url: r.url, model: r.model, hasApiKey: r.api_key_secret !== null,
    costInSatsPer1k: r.cost_in_sats_per_1k, costOutSatsPer1k: r.cost_out_sats_per_1k,
    enabled: r.enabled === 1, isDefault: r.is_default === 1,
  };
}

export type BackendFactory = (config: BackendConfig, apiKey: string | undefined) => ChatBackend;

/** Sats for a call, rounded up so that a priced backend never costs 0 by rounding. */
export function callCostSats(config: Pick<BackendConfig, 'costInSatsPer1k' | 'costOutSatsPer1k'>, inputTokens: number, outputTokens: number): number {
  const milli = inputTokens * config.costInSatsPer1k + outputTokens * config.costOutSatsPer1k;
  return Math.ceil(milli / 1000);
}

/**
 * Named model backends, a default, and per-agent routes (seed 001 MultiBackendRouter).
 * API keys live in the keystore; the table only names the secret.
 */
export class BackendRouter {
  private readonly cache = new Map<string, ChatBackend>();

  constructor(private readonly db: Db, private readonly secrets: SecretStore, private readonly factory: BackendFactory) {}

  add(input: { name: string; kind?: 'openai' | 'local'; url: string; model: string; apiKey?: string | undefined; costInSatsPer1k: number; costOutSatsPer1k: number; makeDefault?: boolean | undefined }): BackendConfig {
    if (this.db.prepare('SELECT 1 FROM backends WHERE name = ?').get(input.name)) {
      throw new AppError('CONFLICT', `a backend named "${input.name}" already exists; remove it first`);
    }
    const secretName = input.apiKey ? `backend.${input.name}.api_key` : null;
    const first = (this.db.prepare('SELECT COUNT(*) FROM backends').pluck().get() as number) === 0;
    const makeDefault = input.makeDefault ?? first;
    this.db.transaction(() => {
      if (secretName && input.apiKey) this.secrets.put(secretName, input.apiKey);
      if (makeDefault) this.db.prepare('UPDATE backends SET is_default = 0').run();
      this.db
        .prepare(`INSERT INTO backends (name, kind, url, model, api_key_secret, cost_in_sats_per_1k, cost_out_sats_per_1k, enabled, is_default, created_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`)
        .run(input.name, input.kind ?? 'openai', input.url, input.model, secretName, input.costInSatsPer1k, input.costOutSatsPer1k, makeDefault ? 1 : 0, Date.now());
    })();
    this.cache.delete(input.name);
    return this.get(input.name)!;
  }

  get(name: string): BackendConfig | null {
    const r = this.db.prepare('SELECT * FROM backends WHERE name = ?').get(name) as BackendRow | undefined;
    return r ? fromRow(r) : null;
  }

  list(): BackendConfig[] {
    return (this.db.prepare('SELECT * FROM backends ORDER BY created_at').all() as BackendRow[]).map(fromRow);
  }

  remove(name: string): void {
    const row = this.db.prepare('SELECT * FROM backends WHERE name = ?').get(name) as BackendRow | undefined;
    if (!row) throw new AppError('NOT_FOUND', `no backend named "${name}"`);
    const routed = this.db.prepare("SELECT name FROM agents WHERE backend = ? AND lifecycle != 'terminated'").pluck().all(name) as string[];
    if (routed.length > 0) {
      throw new AppError('CONFLICT', `backend "${name}" is the route of ${routed.join(', ')}; route them elsewhere first`);
    }
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM backends WHERE name = ?').run(name);
      if (row.api_key_secret) this.secrets.delete(row.api_key_secret);
      if (row.is_default === 1) {
        this.db.prepare('UPDATE backends SET is_default = 1 WHERE name = (SELECT name FROM backends WHERE enabled = 1 ORDER BY created_at LIMIT 1)').run();
      }
    })();
    this.cache.delete(name);
  }

  /** A disabled backend is never called; agents routed to it fail their ticks with a clear error. */
  setEnabled(name: string, enabled: boolean): BackendConfig {
    if (this.db.prepare('UPDATE backends SET enabled = ? WHERE name = ?').run(enabled ? 1 : 0, name).changes === 0) {
      throw new AppError('NOT_FOUND', `no backend named "${name}"`);
    }
    return this.get(name)!;
  }

  /** The agent's route if set and enabled, else the default backend. */
  resolve(route: string | null): { config: BackendConfig; backend: ChatBackend } {
    let config: BackendConfig | null;
    if (route) {
      config = this.get(route);
      if (!config) throw new AppError('NOT_FOUND', `the agent is routed to backend "${route}", which no longer exists`);
      if (!config.enabled) throw new AppError('BACKEND_ERROR', `backend "${route}" is disabled`);
    } else {
      const r = this.db.prepare('SELECT * FROM backends WHERE is_default = 1 AND enabled = 1').get() as BackendRow | undefined;
      config = r ? fromRow(r) : null;
      if (!config) throw new AppError('NOT_FOUND', 'no model backend configured: add one with `openagents backend add NAME --url URL --model M`');
    }
    let backend = this.cache.get(config.name);
    if (!backend) {
      const secret = (this.db.prepare('SELECT api_key_secret FROM backends WHERE name = ?').pluck().get(config.name) as string | null) ?? null;
      backend = this.factory(config, secret ? this.secrets.get(secret) ?? undefined : undefined);
      this.cache.set(config.name, backend);
    }
    return { config, backend };
  }
}

/** Records every model call with its cost (seed 001 CostTracker); the cost also counts as a spend. */
export class CostTracker {
  private readonly insertCall;
  private readonly insertSpend;

  constructor(db: Db) {
    this.insertCall = db.prepare(`INSERT INTO model_calls (agent_id, tick_id, backend, model, input_tokens, output_tokens, cost_sats, duration_ms, ok, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertSpend = db.prepare("INSERT INTO spends (agent_id, kind, amount_sats, ref, created_at) VALUES (?, 'model', ?, ?, ?)");
  }

  /** Call inside the transaction of the step that made the call. */
  record(c: { agentId: string; tickId: string | null; backend: string; model: string; inputTokens: number; outputTokens: number; costSats: number; durationMs: number; ok: boolean; now: number }): void {
    const info = this.insertCall.run(c.agentId, c.tickId, c.backend, c.model, c.inputTokens, c.outputTokens, c.costSats, c.durationMs, c.ok ? 1 : 0, c.now);
    if (c.costSats > 0) this.insertSpend.run(c.agentId, c.costSats, `model_call:${info.lastInsertRowid}`, c.now);
  }
}
