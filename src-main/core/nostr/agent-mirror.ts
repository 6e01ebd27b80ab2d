import { getConversationKey, encrypt } from 'nostr-tools/nip44';
import type { Db } from '../store/db.js';
import type { Agent } from '../runtime/agents.js';
import { autonomyWire } from '../runtime/autonomy.js';
import type { TickStatus } from '../api/contract.js';
import { Kind } from './kinds.js';
import * as sa from './nip-sa.js';
import type { NostrOutbox } from './nostr-outbox.js';

const VERSION = '0.1.0';
const CAPABILITIES = ['pay_invoice', 'create_invoice', 'remember', 'set_goal', 'complete_goal', 'send_message', 'check_balance', 'create_channel', 'post_to_channel', 'read_channel'];

/**
 * Mirrors agents on Nostr (NIP-SA): profile, schedule, goals and encrypted state on change;
 * per tick a request, a trajectory session with one event per step, and a result. Every
 * method only queues templates, inside the caller's transaction.
 */
export class AgentMirror {
  private readonly open = new Map<string, { requestRow: number; sessionRow: number; seq: number }>();

  constructor(
    private readonly db: Db,
    private readonly outbox: NostrOutbox,
    private readonly keys: { agentSecretKey: (agent: Agent) => Uint8Array; operatorPubkey: () => string },
    private readonly relayHint: () => string,
    private readonly modelName: (agent: Agent) => string,
  ) {}

  private selfEncrypt(agent: Agent, plaintext: string): string {
    return encrypt(plaintext, getConversationKey(this.keys.agentSecretKey(agent), agent.pubkey));
  }

  private goals(agent: Agent): { id: number; description: string; priority: number; status: string }[] {
    return this.db.prepare('SELECT id, description, priority, status FROM goals WHERE agent_id = ? ORDER BY id').all(agent.id) as { id: number; description: string; priority: number; status: string }[];
  }

  /** Profile, schedule, goals and state: on spawn and whenever the agent changes. */
  agentChanged(agent: Agent, balanceSats: number, nextTickAt: number | null): void {
    const at = Date.now();
    const op = this.keys.operatorPubkey();
    this.outbox.enqueue(agent.id, agent.id, sa.agentProfile({
      name: agent.name, about: agent.instructions.slice(0, 280), capabilities: CAPABILITIES, autonomy_level: autonomyWire(agent.autonomy), version: VERSION,
    }, op, at));
    this.schedule(agent, nextTickAt, at);
    this.state(agent, balanceSats, at);
  }

  private schedule(agent: Agent, nextTickAt: number | null, at: number): void {
    const active = agent.lifecycle === 'active' || agent.lifecycle === 'low_balance';
    this.outbox.enqueue(agent.id, agent.id, sa.agentSchedule({ heartbeatSeconds: agent.heartbeatSeconds, nextTickAt, active, triggers: ['mention', 'dm', 'zap'] }, at));
  }

  private state(agent: Agent, balanceSats: number, at: number): void {
    const goals = this.goals(agent);
    this.outbox.enqueue(agent.id, agent.id, sa.agentGoals(goals, at));
    const memory = (this.db.prepare('SELECT content FROM memories WHERE agent_id = ? ORDER BY id DESC LIMIT 50').pluck().all(agent.id) as string[]).reverse();
    const content: sa.AgentStateContent = {
      goals, memory, pending_tasks: [], beliefs: {}, wallet_balance: balanceSats, last_tick: agent.lastTickAt === null ? null : Math.floor(agent.lastTickAt / 1000), tick_count: agent.tickCount,
    };
    this.outbox.enqueue(agent.id, agent.id, sa.agentState(this.selfEncrypt(agent, JSON.stringify(content)), at));
  }

  tickStarted(agent: Agent, tickId: string, trigger: string, triggerEventId: string | null): void {
    const at = Date.now();
    const requestRow = this.outbox.enqueue(agent.id, agent.id, sa.tickRequest({
      tickId, agentPubkey: agent.pubkey, trigger, triggerEventId, maxSteps: agent.maxSteps, budgetSats: agent.budget.tickSats,
      approvalThresholdSats: agent.autonomy === 'semi_autonomous' ? agent.approvalThresholdSats : null, guardianPubkey: this.keys.operatorPubkey(),
    }, at));
    const sessionRow = this.outbox.enqueue(agent.id, agent.id, sa.trajectorySession({ sessionId: tickId, model: this.modelName(agent), startedAt: at, participants: [agent.pubkey] }, at));
    this.open.set(tickId, { requestRow, sessionRow, seq: 0 });
  }

  step(agent: Agent, tickId: string, type: string, content: unknown, tokens?: { in: number; out: number }): void {
    const t = this.open.get(tickId);
    if (!t) return;
    t.seq++;
    const c = content as { tool?: string; args?: unknown; result?: unknown } | null;
    this.outbox.enqueue(agent.id, agent.id, sa.trajectoryEvent({
      sessionId: tickId, sessionEventId: `$ref:${t.sessionRow}`, relay: this.relayHint(), seq: t.seq, type, content, ts: Date.now(),
      tokensIn: tokens?.in ?? null, tokensOut: tokens?.out ?? null, toolInvoked: c?.tool ?? null,
      ...(c && 'args' in c ? { input: c.args } : {}), ...(c && 'result' in c ? { output: c.result } : {}),
    }));
  }

  tickFinished(agent: Agent, tickId: string, f: { status: TickStatus; actions: number; costSats: number; durationMs: number; summary: string; balanceSats: number; nextTickAt: number | null }): void {
    const t = this.open.get(tickId);
    this.open.delete(tickId);
    if (!t) return;
    const at = Date.now();
    const status: sa.TickResultStatus = f.status === 'success' || f.status === 'resumed' ? 'success' : f.status === 'cancelled' ? 'partial' : 'error';
    this.outbox.enqueue(agent.id, agent.id, sa.tickResult({
      tickId, agentPubkey: agent.pubkey, requestEventId: `$ref:${t.requestRow}`, status, actions: f.actions, costSats: f.costSats, durationMs: f.durationMs,
      guardianApproved: 'auto', encryptedSummary: this.selfEncrypt(agent, f.summary),
    }, at));
    this.schedule(agent, f.nextTickAt, at);
    this.state(agent, f.balanceSats, at);
  }

  approvalRequested(agent: Agent, a: { id: string; tickId: string | null; amountSats: number; reason: string; expiresAt: number }): void {
    const t = a.tickId ? this.open.get(a.tickId) : undefined;
    this.outbox.enqueue(agent.id, agent.id, sa.approvalRequest({
      approvalId: a.id, guardianPubkey: this.keys.operatorPubkey(), tickRequestEventId: t ? `$ref:${t.requestRow}` : null,
      budgetRequestedSats: a.amountSats, approvalThresholdSats: agent.approvalThresholdSats, reason: a.reason, expiresAt: a.expiresAt,
    }, Date.now()));
  }

  approvalDecided(agent: Agent, a: { id: string; decision: 'approved' | 'denied'; reason: string }): void {
    const requestRow = this.outbox.latestRow(agent.id, Kind.GuardianApprovalRequest, a.id);
    this.outbox.enqueue(agent.id, 'operator', sa.approvalDecision({
      approvalId: a.id, runnerPubkey: agent.pubkey, approvalRequestEventId: requestRow ? `$ref:${requestRow}` : null, tickRequestEventId: null, decision: a.decision, reason: a.reason,
    }, Date.now()));
  }
}
