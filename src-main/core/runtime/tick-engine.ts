import type { Db } from '../store/db.js';
import { AppError, toAppError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { TickView, TickStatus } from '../api/contract.js';
import type { ChatMessage, ToolCall } from '../compute/backend.js';
import { callCostSats, type BackendRouter, type CostTracker } from '../compute/router.js';
import { DEVNET_LABEL } from '../config.js';
import { npub, parsePubkey } from '../identity/keys.js';
import type { PaymentBook } from '../wallet/payments.js';
import type { WalletRegistry } from '../wallet/registry.js';
import type { Agent, AgentStore } from './agents.js';
import type { ApprovalQueue } from './approvals.js';
import { autonomyLabel } from './autonomy.js';
import { budgetStatus, describeStatus, isExceeded, type BudgetMeter } from './budget.js';
import type { Leases } from './leases.js';
import { heartbeatFactor, mayTick } from './lifecycle.js';
import type { LifecycleManager } from './lifecycle-manager.js';
import type { InvoiceFacts, MoneyGate } from './money-gate.js';
import type { AgentMirror } from '../nostr/agent-mirror.js';
import type { Channels } from '../nostr/channels.js';
import type { Outbox } from './outbox.js';
import type { ReceiptLog } from './receipts.js';
import { parseToolCall, toolDefinitions } from './tools.js';
import type { Trigger, TriggerQueue } from './triggers.js';

export interface TickEngineDeps {
  db: Db;
  agents: AgentStore;
  triggers: TriggerQueue;
  approvals: ApprovalQueue;
  outbox: Outbox;
  gate: MoneyGate;
  meter: BudgetMeter;
  router: BackendRouter;
  costs: CostTracker;
  wallets: WalletRegistry;
  payments: PaymentBook;
  receipts: ReceiptLog;
  lifecycle: LifecycleManager;
  leases: Leases;
  events: EventBus;
  decodeInvoice: (bolt11: string) => InvoiceFacts;
  /** A CLI working on the home directly takes a per-agent lease; the daemon holds the home lease. */
  perAgentLease: boolean;
  maxFeeSats?: number;
  /** Queues the NIP-SA events of each tick (in the tick's transactions) and is flushed after commits. */
  mirror?: { agent: AgentMirror; flush: () => void } | null;
  channels?: Channels | null;
}

interface TickRow {
  id: string; agent_id: string; seq: number; trigger_kind: string; status: TickStatus; phase: string; started_at: number;
  finished_at: number | null; duration_ms: number | null; steps: number; actions: number; model_calls: number; cost_sats: number;
  summary: string; error: string | null; recovery: string | null; trigger_id: number | null;
}

export function tickView(r: TickRow): TickView {
  return {
    id: r.id, agentId: r.agent_id, seq: r.seq, triggerKind: r.trigger_kind, status: r.status, phase: r.phase, startedAt: r.started_at,
    finishedAt: r.finished_at, durationMs: r.duration_ms, steps: r.steps, actions: r.actions, modelCalls: r.model_calls, costSats: r.cost_sats,
    summary: r.summary, error: r.error, recovery: r.recovery,
  };
}

/** What a tick saw in PERCEIVE. */
interface Perception {
  messages: { id: number; fromKind: string; fromRef: string; content: string; createdAt: number }[];
  approvals: { id: string; action: string; amountSats: number; status: string; reason: string | null; outcome: unknown }[];
  payments: { paymentHash: string; amountSats: number; memo: string; settledAt: number }[];
}

interface TickState {
  agent: Agent;
  tickId: string;
  step: number;
  actions: number;
  modelCalls: number;
  costSats: number;
  spentSats: number;
  balanceSats: number;
  signal: AbortSignal;
}

const MAX_OUTPUT_TOKENS = 1024;
const FAILURES_BEFORE_FAILED = 3;

/**
 * One tick: WAKE → LOAD → PERCEIVE → THINK → ACT → REMEMBER → SCHEDULE → SLEEP.
 * Every step commits its state change together with its outbox rows; effects run after
 * the commit under the key agent:tick:step. A heartbeat with nothing new is one transaction
 * and calls no model.
 */
export class TickEngine {
  private readonly s;

  constructor(private readonly d: TickEngineDeps) {
    const db = d.db;
    this.s = {
      nextSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 FROM ticks WHERE agent_id = ?').pluck(),
      insertTick: db.prepare(`INSERT INTO ticks (id, agent_id, seq, trigger_id, trigger_kind, status, phase, started_at, owner)
        VALUES (?, ?, ?, ?, ?, 'running', 'perceive', ?, ?)`),
      insertIdleTick: db.prepare(`INSERT INTO ticks (id, agent_id, seq, trigger_id, trigger_kind, status, phase, started_at, finished_at, duration_ms, summary, owner)
        VALUES (?, ?, ?, ?, ?, 'success', 'done', ?, ?, ?, 'nothing new to perceive', ?)`),
      consumeTrigger: db.prepare("UPDATE triggers SET status = 'consumed', tick_id = ? WHERE id = ? AND status = 'pending'"),
      dropTrigger: db.prepare("UPDATE triggers SET status = 'dropped', tick_id = ? WHERE id = ?"),
      unseenMessages: db.prepare('SELECT id, from_kind, from_ref, content, created_at FROM messages WHERE to_agent = ? AND seen_tick_id IS NULL ORDER BY id LIMIT 50'),
      // One query for "anything new since the last tick": unseen messages, decided approvals
      // not yet perceived, incoming payments.
      anythingNew: db.prepare(`SELECT EXISTS (SELECT 1 FROM messages WHERE to_agent = ? AND seen_tick_id IS NULL)
        OR EXISTS (SELECT 1 FROM approvals WHERE agent_id = ? AND status != 'pending' AND seen_tick_id IS NULL)
        OR EXISTS (SELECT 1 FROM payments WHERE wallet_id = ? AND direction = 'in' AND status = 'succeeded' AND settled_at > ?)`).pluck(),
      markMessages: db.prepare('UPDATE messages SET seen_tick_id = ? WHERE to_agent = ? AND seen_tick_id IS NULL AND id <= ?'),
      agentTicked: db.prepare('UPDATE agents SET tick_count = tick_count + 1, last_tick_at = ?, consecutive_failures = ? WHERE id = ?'),
      setAlarm: db.prepare("INSERT INTO alarms (agent_id, due_at, kind) VALUES (?, ?, 'heartbeat') ON CONFLICT(agent_id) DO UPDATE SET due_at = excluded.due_at"),
      trajectory: db.prepare('INSERT INTO trajectory (tick_id, agent_id, step, type, content, tokens_in, tokens_out, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      tickProgress: db.prepare('UPDATE ticks SET phase = ?, steps = ?, actions = ?, model_calls = ?, cost_sats = ? WHERE id = ?'),
      finishTick: db.prepare(`UPDATE ticks SET status = ?, phase = 'done', finished_at = ?, duration_ms = ?, steps = ?, actions = ?, model_calls = ?,
        cost_sats = ?, summary = ?, error = ? WHERE id = ?`),
      getTick: db.prepare('SELECT * FROM ticks WHERE id = ?'),
      goals: db.prepare("SELECT id, description, priority FROM goals WHERE agent_id = ? AND status = 'open' ORDER BY priority DESC, id LIMIT 20"),
      memories: db.prepare('SELECT content FROM memories WHERE agent_id = ? ORDER BY id DESC LIMIT 20'),
      insertMemory: db.prepare('INSERT INTO memories (agent_id, content, bytes, tick_id, created_at) VALUES (?, ?, ?, ?, ?)'),
      insertGoal: db.prepare('INSERT INTO goals (agent_id, description, priority, created_at) VALUES (?, ?, ?, ?)'),
      completeGoal: db.prepare("UPDATE goals SET status = 'done', completed_at = ? WHERE id = ? AND agent_id = ? AND status = 'open'"),
    };
  }

  getTick(id: string): TickView | null {
    const r = this.s.getTick.get(id) as TickRow | undefined;
    return r ? tickView(r) : null;
  }

  /** Schedules the next heartbeat (SCHEDULE), stretched for low-balance agents. */
  scheduleHeartbeat(agent: Agent, from: number): number {
    const due = from + agent.heartbeatSeconds * 1000 * heartbeatFactor(agent.lifecycle);
    this.s.setAlarm.run(agent.id, due);
    return due;
  }

  /**
   * Runs one tick for the agent. `trigger` is a pending trigger row, or a heartbeat that came
   * due (heartbeats are alarm rows, not trigger rows). Returns null when there was nothing to run.
   */
  async run(agentId: string, trigger: Trigger | { kind: 'heartbeat'; dueAt: number }): Promise<TickView | null> {
    // WAKE
    const started = Date.now();
    const agent = this.d.agents.get(agentId);
    if (!agent) throw new AppError('NOT_FOUND', `agent ${agentId} is gone`);
    const triggerRow = 'id' in trigger ? trigger : null;
    const triggerKind = trigger.kind;
    if (!mayTick(agent.lifecycle, triggerKind)) {
      if (triggerRow) this.s.dropTrigger.run(null, triggerRow.id);
      else this.scheduleHeartbeat(agent, started);
      return null;
    }
    const wallet = this.d.wallets.agent(agent);
    const sinceLastTick = agent.lastTickAt ?? agent.createdAt;
    const nothingNew = triggerKind === 'heartbeat' && this.s.anythingNew.get(agent.id, agent.id, wallet.id, sinceLastTick) === 0;

    if (nothingNew) {
      // The cheap path: one transaction, no model call.
      const idle = this.d.db.transaction((): TickView => {
        this.checkLease(agent.id);
        const seq = this.s.nextSeq.get(agent.id) as number;
        const id = `${agent.id}:${seq}`;
        const now = Date.now();
        const summary = 'nothing new to perceive';
        this.s.insertIdleTick.run(id, agent.id, seq, null, 'heartbeat', started, now, now - started, this.d.leases.owner);
        this.s.agentTicked.run(now, 0, agent.id);
        this.scheduleHeartbeat(agent, now);
        return {
          id, agentId: agent.id, seq, triggerKind: 'heartbeat', status: 'success', phase: 'done', startedAt: started, finishedAt: now,
          durationMs: now - started, steps: 0, actions: 0, modelCalls: 0, costSats: 0, summary, error: null, recovery: null,
        };
      }).immediate();
      this.d.events.emit('tick.finished', { agentId: agent.id, tickId: idle.id, status: idle.status, summary: idle.summary });
      return idle;
    }

    // Daily compute budget is checked before a tick that may think.
    const usage = this.d.meter.usage(agent.id, agent.sessionStartedAt, started);
    if (usage.computeSecondsToday >= agent.budget.dailyComputeSeconds) {
      return this.refuse(agent, triggerRow, `daily compute budget used (${usage.computeSecondsToday}/${agent.budget.dailyComputeSeconds} s)`);
    }

    // LOAD + PERCEIVE, committed as the tick's first checkpoint.
    let tickId = '';
    const perception: Perception = { messages: [], approvals: [], payments: [] };
    this.d.db.transaction(() => {
      this.checkLease(agent.id);
      if (this.d.perAgentLease) this.d.leases.acquire(agent.id, `agent ${agent.name}`);
      const seq = this.s.nextSeq.get(agent.id) as number;
      tickId = `${agent.id}:${seq}`;
      this.s.insertTick.run(tickId, agent.id, seq, triggerRow?.id ?? null, triggerKind, started, this.d.leases.owner);
      if (triggerRow && this.s.consumeTrigger.run(tickId, triggerRow.id).changes !== 1) {
        throw new AppError('CONFLICT', `trigger ${triggerRow.key} was already consumed`);
      }
      const msgs = this.s.unseenMessages.all(agent.id) as { id: number; from_kind: string; from_ref: string; content: string; created_at: number }[];
      if (msgs.length) this.s.markMessages.run(tickId, agent.id, msgs[msgs.length - 1]!.id);
      perception.messages = msgs.map((m) => ({ id: m.id, fromKind: m.from_kind, fromRef: this.senderName(m.from_kind, m.from_ref), content: m.content, createdAt: m.created_at }));
      perception.approvals = this.d.approvals.takeUnseenOutcomes(agent.id, tickId).map((a) => ({ id: a.id, action: a.action, amountSats: a.amountSats, status: a.status, reason: a.reason, outcome: a.outcome }));
      perception.payments = this.d.payments.incomingSince(wallet.id, sinceLastTick);
      const perceived = { trigger: { kind: triggerKind, payload: triggerRow?.payload ?? {} }, ...perception };
      this.s.trajectory.run(tickId, agent.id, 0, 'perceive', JSON.stringify(perceived), null, null, Date.now());
      const triggerEvent = typeof triggerRow?.payload.event_id === 'string' ? triggerRow.payload.event_id : null;
      this.d.mirror?.agent.tickStarted(agent, tickId, triggerKind, triggerEvent);
      this.d.mirror?.agent.step(agent, tickId, 'perceive', perceived);
    }).immediate();
    this.d.mirror?.flush();
    this.d.events.emit('tick.started', { agentId: agent.id, tickId, trigger: triggerKind });

    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new AppError('TIMEOUT', `tick exceeded its max duration of ${agent.budget.maxTickSeconds} s`)), agent.budget.maxTickSeconds * 1000);
    const st: TickState = { agent, tickId, step: 0, actions: 0, modelCalls: 0, costSats: 0, spentSats: 0, balanceSats: 0, signal: abort.signal };
    let status: TickStatus = 'success';
    let summary = '';
    let error: string | null = null;
    try {
      summary = await this.think(st, perception, triggerRow);
    } catch (err) {
      const e = abort.signal.aborted ? toAppError(abort.signal.reason) : toAppError(err);
      status = abort.signal.aborted ? 'cancelled' : 'error';
      error = `${e.code}: ${e.message}`;
      summary = status === 'cancelled' ? 'cancelled: tick ran too long; state up to the last step was saved' : 'tick failed';
    } finally {
      clearTimeout(timer);
    }

    // REMEMBER + SCHEDULE
    const finished = Date.now();
    const failures = status === 'error' ? agent.consecutiveFailures + 1 : 0;
    this.d.db.transaction(() => {
      this.s.finishTick.run(status, finished, finished - started, st.step, st.actions, st.modelCalls, st.costSats, summary.slice(0, 4000), error, tickId);
      this.s.agentTicked.run(finished, failures, agent.id);
      this.d.receipts.issue('tick_result', agent.id, { tick: tickId, status, trigger: triggerKind, steps: st.step, actions: st.actions, model_calls: st.modelCalls, cost_sats: st.costSats, spent_sats: st.spentSats, duration_ms: finished - started }, finished);
      const nextTickAt = this.scheduleHeartbeat(agent, finished);
      this.d.mirror?.agent.tickFinished(agent, tickId, { status, actions: st.actions, costSats: st.costSats, durationMs: finished - started, summary, balanceSats: st.balanceSats, nextTickAt });
      if (this.d.perAgentLease) this.d.leases.release(agent.id);
    }).immediate();
    this.d.mirror?.flush();
    if (failures >= FAILURES_BEFORE_FAILED) {
      this.d.lifecycle.apply(this.d.agents.get(agent.id)!, { type: 'fail', reason: error ?? '' }, `${failures} ticks in a row failed; last: ${error}`);
    } else if (st.spentSats > 0 || perception.payments.length > 0) {
      await this.d.lifecycle.reevaluate(agent.id);
    }
    this.d.events.emit('tick.finished', { agentId: agent.id, tickId, status, summary });
    return tickView(this.s.getTick.get(tickId) as TickRow);
  }

  private checkLease(agentId: string): void {
    const holder = this.d.leases.otherHolder(agentId);
    if (holder) throw new AppError('AGENT_BUSY', `the agent is being ticked by another process (${holder.owner}, pid ${holder.pid})`);
  }

  private refuse(agent: Agent, trigger: Trigger | null, reason: string): TickView {
    const now = Date.now();
    return this.d.db.transaction(() => {
      const seq = this.s.nextSeq.get(agent.id) as number;
      const id = `${agent.id}:${seq}`;
      this.s.insertTick.run(id, agent.id, seq, trigger?.id ?? null, trigger?.kind ?? 'heartbeat', now, this.d.leases.owner);
      this.s.finishTick.run('skipped', now, 0, 0, 0, 0, 0, `skipped: ${reason}`, reason, id);
      if (trigger) this.s.dropTrigger.run(id, trigger.id);
      this.scheduleHeartbeat(agent, now);
      return tickView(this.s.getTick.get(id) as TickRow);
    }).immediate();
  }

  private senderName(kind: string, ref: string): string {
    if (kind === 'operator') return 'operator';
    if (kind === 'nostr') {
      const local = this.d.agents.find(ref);
      return local ? local.name : `${npub(ref)} (over Nostr; reply with send_message to this npub)`;
    }
    return this.d.agents.get(ref)?.name ?? ref;
  }

  private record(st: TickState, type: string, content: unknown, tokens?: { in: number; out: number }): void {
    this.s.trajectory.run(st.tickId, st.agent.id, st.step, type, JSON.stringify(content), tokens?.in ?? null, tokens?.out ?? null, Date.now());
    this.d.mirror?.agent.step(st.agent, st.tickId, type, content, tokens);
  }

  private progress(st: TickState, phase: string): void {
    this.s.tickProgress.run(phase, st.step, st.actions, st.modelCalls, st.costSats, st.tickId);
  }

  // THINK ⇄ ACT
  private async think(st: TickState, perception: Perception, trigger: Trigger | null): Promise<string> {
    const { config, backend } = this.d.router.resolve(st.agent.backend);
    const balance = await this.d.wallets.agent(st.agent).wallet.balance();
    st.balanceSats = balance;
    const messages: ChatMessage[] = [
      { role: 'system', content: this.systemPrompt(st.agent, balance) },
      { role: 'user', content: this.perceptionText(perception, trigger) },
    ];
    const tools = toolDefinitions();
    let summary = '';
    for (let round = 0; round < st.agent.maxSteps; round++) {
      if (st.signal.aborted) throw st.signal.reason;
      const usage = this.d.meter.usage(st.agent.id, st.agent.sessionStartedAt);
      if (usage.modelCallsToday >= st.agent.budget.modelCallsPerDay) {
        throw new AppError('BUDGET_EXCEEDED', `model calls per day used (${usage.modelCallsToday}/${st.agent.budget.modelCallsPerDay})`);
      }
      const estimatedIn = Math.ceil(JSON.stringify(messages).length / 4);
      const estimate = callCostSats(config, estimatedIn, MAX_OUTPUT_TOKENS);
      const status = budgetStatus(usage, st.agent.budget, estimate);
      if (isExceeded(status)) throw new AppError('BUDGET_EXCEEDED', `model call refused: ${describeStatus(status)} (estimated ${estimate} sats)`);
      if (status.kind === 'warning') this.d.events.emit('budget.warning', { agentId: st.agent.id, status });

      st.step++;
      const callStarted = Date.now();
      let response;
      try {
        response = await backend.chat({ messages, tools, maxTokens: MAX_OUTPUT_TOKENS, signal: st.signal });
      } catch (err) {
        const now = Date.now();
        this.d.db.transaction(() => {
          this.d.costs.record({ agentId: st.agent.id, tickId: st.tickId, backend: config.name, model: config.model, inputTokens: 0, outputTokens: 0, costSats: 0, durationMs: now - callStarted, ok: false, now });
          st.modelCalls++;
          this.record(st, 'think_error', { error: toAppError(err).message });
          this.progress(st, 'think');
        })();
        throw err;
      }
      const cost = callCostSats(config, response.usage.inputTokens, response.usage.outputTokens);
      const now = Date.now();
      this.d.db.transaction(() => {
        this.d.costs.record({ agentId: st.agent.id, tickId: st.tickId, backend: config.name, model: response.model || config.model, inputTokens: response.usage.inputTokens, outputTokens: response.usage.outputTokens, costSats: cost, durationMs: now - callStarted, ok: true, now });
        st.modelCalls++;
        st.costSats += cost;
        if (cost > 0) {
          this.d.receipts.issue('spend', st.agent.id, { tick: st.tickId, step: st.step, kind: 'model_call', backend: config.name, model: response.model || config.model, input_tokens: response.usage.inputTokens, output_tokens: response.usage.outputTokens, cost_sats: cost }, now);
        }
        this.record(st, 'think', { content: response.message.content, tool_calls: response.message.toolCalls.map((c) => ({ name: c.function.name, arguments: c.function.arguments })), finish_reason: response.finishReason, cost_sats: cost }, { in: response.usage.inputTokens, out: response.usage.outputTokens });
        this.progress(st, 'act');
      })();
      messages.push({ role: 'assistant', content: response.message.content, ...(response.message.toolCalls.length ? { tool_calls: response.message.toolCalls } : {}) });
      if (response.message.toolCalls.length === 0) {
        summary = (response.message.content ?? '').trim();
        break;
      }
      for (const call of response.message.toolCalls) {
        if (st.signal.aborted) throw st.signal.reason;
        const result = await this.act(st, call);
        messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
      }
      if (round === st.agent.maxSteps - 1) summary = `stopped after max_steps (${st.agent.maxSteps})`;
    }
    return summary || 'done';
  }

  // ACT: one tool call. Returns what the model sees as the tool result.
  private async act(st: TickState, call: ToolCall): Promise<Record<string, unknown>> {
    st.step++;
    const key = `${st.tickId}:${st.step}`;
    const parsed = parseToolCall(call.function.name, call.function.arguments);
    if (!parsed.ok) {
      this.d.db.transaction(() => {
        this.record(st, 'tool_error', { tool: call.function.name, arguments: call.function.arguments, error: parsed.error });
        this.progress(st, 'act');
      })();
      return { ok: false, error: parsed.error };
    }
    st.actions++;
    const agent = st.agent;
    const now = Date.now();
    const done = (type: string, content: Record<string, unknown>, result: Record<string, unknown>): Record<string, unknown> => {
      this.record(st, type, { tool: parsed.name, args: parsed.args, ...content, result });
      this.progress(st, 'act');
      return result;
    };
    switch (parsed.name) {
      case 'remember': {
        const { content } = parsed.args as { content: string };
        const bytes = Buffer.byteLength(content, 'utf8');
        const usage = this.d.meter.usage(agent.id, agent.sessionStartedAt);
        if (usage.storageBytes + bytes > agent.budget.storageBytes) {
          return this.d.db.transaction(() => done('tool_result', {}, { ok: false, error: `storage budget full (${usage.storageBytes}/${agent.budget.storageBytes} bytes)` }))();
        }
        return this.d.db.transaction(() => {
          const id = this.s.insertMemory.run(agent.id, content, bytes, st.tickId, now).lastInsertRowid;
          return done('tool_result', {}, { ok: true, memory_id: Number(id) });
        })();
      }
      case 'set_goal': {
        const { description, priority } = parsed.args as { description: string; priority: number };
        return this.d.db.transaction(() => {
          const id = this.s.insertGoal.run(agent.id, description, priority, now).lastInsertRowid;
          return done('tool_result', {}, { ok: true, goal_id: Number(id) });
        })();
      }
      case 'complete_goal': {
        const { id } = parsed.args as { id: number };
        return this.d.db.transaction(() => {
          const changed = this.s.completeGoal.run(now, id, agent.id).changes;
          return done('tool_result', {}, changed ? { ok: true, goal_id: id } : { ok: false, error: `no open goal with id ${id}` });
        })();
      }
      case 'check_balance': {
        const balance = await this.d.wallets.agent(agent).wallet.balance();
        const status = budgetStatus(this.d.meter.usage(agent.id, agent.sessionStartedAt), agent.budget);
        return this.d.db.transaction(() => done('tool_result', {}, { ok: true, balance_sats: balance, budget: describeStatus(status), spent_this_tick_sats: st.spentSats }))();
      }
      case 'send_message': {
        const { to, content } = parsed.args as { to: string; content: string };
        const recipient = this.d.agents.find(to);
        const pubkey = recipient?.pubkey ?? parsePubkey(to);
        let error: string | null = null;
        if (!pubkey) error = `no agent "${to}" in this home, and not an npub or hex pubkey`;
        else if (pubkey === agent.pubkey) error = 'cannot message yourself';
        else if (recipient?.lifecycle === 'terminated') error = `agent ${recipient.name} was killed`;
        if (error) return this.d.db.transaction(() => done('tool_result', {}, { ok: false, error }))();
        return this.runEffect(st, key, 'send_message', { to: recipient?.id ?? null, toPubkey: pubkey!, content }, { tool: 'send_message', args: parsed.args });
      }
      case 'create_invoice': {
        const { amount_sats, memo } = parsed.args as { amount_sats: number; memo: string };
        return this.runEffect(st, key, 'create_invoice', { amountSats: amount_sats, memo }, { tool: 'create_invoice', args: parsed.args });
      }
      case 'pay_invoice':
        return this.payInvoice(st, key, parsed.args as { invoice: string; reason: string; amount_sats?: number });
      case 'create_channel':
      case 'post_to_channel':
      case 'read_channel':
        return this.channelTool(st, parsed.name, parsed.args as Record<string, unknown>, done);
    }
  }

  private async channelTool(st: TickState, name: 'create_channel' | 'post_to_channel' | 'read_channel', args: Record<string, unknown>, done: (type: string, content: Record<string, unknown>, result: Record<string, unknown>) => Record<string, unknown>): Promise<Record<string, unknown>> {
    const channels = this.d.channels;
    const agent = st.agent;
    let result: Record<string, unknown>;
    try {
      if (!channels) throw new AppError('BAD_INPUT', 'channels are not available in this process');
      if (name === 'read_channel') {
        result = { ok: true, messages: await channels.read(args.channel_id as string, args.limit as number) };
        return this.d.db.transaction(() => done('tool_result', {}, result))();
      }
      return this.d.db.transaction(() => {
        if (name === 'create_channel') result = { ok: true, channel_id: channels.create(agent, args.name as string, args.about as string) };
        else {
          channels.post(agent, args.channel_id as string, args.content as string);
          result = { ok: true, posted: true };
        }
        return done('tool_result', {}, result);
      })();
    } catch (err) {
      const error = toAppError(err).message;
      return this.d.db.transaction(() => done('tool_result', {}, { ok: false, error }))();
    } finally {
      this.d.mirror?.flush();
    }
  }

  private async payInvoice(st: TickState, key: string, args: { invoice: string; reason: string; amount_sats?: number }): Promise<Record<string, unknown>> {
    const agent = st.agent;
    const hw = this.d.wallets.agent(agent);
    const fail = (error: string): Record<string, unknown> => this.d.db.transaction(() => {
      this.record(st, 'tool_result', { tool: 'pay_invoice', args, result: { ok: false, error } });
      this.progress(st, 'act');
      return { ok: false, error };
    })();
    let amount: number;
    let inv: InvoiceFacts;
    try {
      inv = this.d.decodeInvoice(args.invoice.trim());
      amount = this.d.gate.checkInvoice(inv, { now: Date.now(), ownNodeKey: hw.wallet.nodePubkey, amountSats: args.amount_sats, alreadyPaid: this.d.payments.isPaidOut(hw.id, inv.paymentHash) });
    } catch (err) {
      return fail(toAppError(err).message);
    }
    const decision = this.d.gate.decide(agent, amount, { tickSpentSats: st.spentSats, approved: false });
    if (decision.budget.kind === 'warning') this.d.events.emit('budget.warning', { agentId: agent.id, status: decision.budget });
    if (decision.kind === 'deny') return fail(`payment refused: ${decision.reason}`);
    const payload = { bolt11: args.invoice.trim(), amountSats: amount, maxFeeSats: this.d.maxFeeSats ?? 10, reason: args.reason, approved: false, tickSpentSats: st.spentSats };
    if (decision.kind === 'needs_approval') {
      const approvalId = this.d.db.transaction(() => {
        const id = this.d.approvals.request({ agentId: agent.id, tickId: st.tickId, action: 'pay_invoice', description: `Pay ${amount} sats: ${args.reason}`, amountSats: amount, payload, now: Date.now() });
        this.d.mirror?.agent.approvalRequested(agent, { id, tickId: st.tickId, amountSats: amount, reason: args.reason, expiresAt: this.d.approvals.get(id).expiresAt });
        this.record(st, 'approval_requested', { tool: 'pay_invoice', args, approval: id, reason: decision.reason });
        this.progress(st, 'act');
        return id;
      })();
      this.d.approvals.announce(approvalId);
      return { ok: false, status: 'approval_requested', approval_id: approvalId, reason: decision.reason, note: 'The operator decides; you will see the outcome in a later tick. Do not retry this payment.' };
    }
    const result = await this.runEffect(st, key, 'pay_invoice', payload, { tool: 'pay_invoice', args });
    if (result.ok) st.spentSats += amount;
    return redactForModelLog(result);
  }

  /** Commits the outbox row with the step, runs it after the commit, records the result. */
  private async runEffect(st: TickState, key: string, kind: 'pay_invoice' | 'create_invoice' | 'send_message', payload: object, call: { tool: string; args: unknown }): Promise<Record<string, unknown>> {
    this.d.db.transaction(() => {
      this.d.outbox.add(key, st.agent.id, kind, payload, { tickId: st.tickId });
      this.record(st, 'effect_queued', { ...call, key });
      this.progress(st, 'act');
    })();
    const outcome = await this.d.outbox.run(key);
    const result = outcome.ok ? { ok: true, ...outcome.result } : { ok: false, error: outcome.error.message, ...(outcome.status === 'pending' ? { status: 'queued_for_retry' } : {}) };
    this.d.db.transaction(() => {
      this.record(st, 'tool_result', { ...call, key, result: redactForModelLog(result) });
      this.progress(st, 'act');
    })();
    return result;
  }

  private systemPrompt(agent: Agent, balance: number): string {
    const goals = this.s.goals.all(agent.id) as { id: number; description: string; priority: number }[];
    const memories = (this.s.memories.all(agent.id) as { content: string }[]).map((m) => m.content).reverse();
    const usage = this.d.meter.usage(agent.id, agent.sessionStartedAt);
    const threshold = agent.autonomy === 'semi_autonomous' ? ` (spends above ${agent.approvalThresholdSats} sats need operator approval)` : agent.autonomy === 'supervised' ? ' (every spend needs operator approval)' : '';
    return [
      `You are ${agent.name}, an autonomous agent with your own Nostr identity (${npub(agent.pubkey)}) and Lightning wallet, run by an operator.`,
      `Autonomy: ${autonomyLabel(agent.autonomy)}${threshold}.`,
      `Wallet: ${balance} sats (${DEVNET_LABEL} on devnet). Lifecycle: ${agent.lifecycle}.`,
      `Budget today: ${usage.dailySats}/${agent.budget.dailySats} sats, session ${usage.sessionSats}/${agent.budget.sessionSats} sats, per tick ${agent.budget.tickSats} sats, model calls ${usage.modelCallsToday}/${agent.budget.modelCallsPerDay}.`,
      goals.length ? `Open goals:\n${goals.map((g) => `- [${g.id}] (priority ${g.priority}) ${g.description}`).join('\n')}` : 'No open goals.',
      memories.length ? `Memory (oldest first):\n${memories.map((m) => `- ${m}`).join('\n')}` : 'Memory is empty.',
      agent.instructions ? `Operator instructions: ${agent.instructions}` : '',
      'Act only through your tools. When you are done, answer with a one-line summary of what you did.',
    ].filter(Boolean).join('\n\n');
  }

  private perceptionText(p: Perception, trigger: Trigger | null): string {
    const parts: string[] = [`Woken by: ${trigger ? trigger.kind : 'heartbeat'}.`];
    for (const m of p.messages) parts.push(`Message from ${m.fromRef}: ${m.content}`);
    for (const a of p.approvals) {
      parts.push(`Approval ${a.id} for ${a.action} of ${a.amountSats} sats was ${a.status}${a.reason ? ` (${a.reason})` : ''}${a.outcome ? `; outcome: ${JSON.stringify(redactForModelLog(a.outcome as Record<string, unknown>))}` : ''}.`);
    }
    for (const pay of p.payments) parts.push(`Received ${pay.amountSats} sats${pay.memo ? ` (${pay.memo})` : ''}.`);
    if (parts.length === 1) parts.push('Nothing new since your last tick.');
    return parts.join('\n');
  }
}

/** Preimages prove payment; they stay in the payment book, not in trajectories or prompts. */
function redactForModelLog(result: Record<string, unknown>): Record<string, unknown> {
  if (result && typeof result === 'object' && 'preimage' in result) {
    const { preimage: _preimage, ...rest } = result;
    return { ...rest, preimage_known: true };
  }
  return result;
}
