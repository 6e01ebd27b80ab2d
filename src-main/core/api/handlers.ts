import { randomBytes, randomUUID } from 'node:crypto';
import { AppError, toAppError } from '../errors.js';
import { DEVNET_LABEL } from '../config.js';
import { npub, parsePubkey, publicKeyHex } from '../identity/keys.js';
import { finalizeEvent } from 'nostr-tools/pure';
import { wrapEvent } from 'nostr-tools/nip17';
import type { Filter } from 'nostr-tools';
import type { OpenAgentsNode } from '../node.js';
import type { Agent } from '../runtime/agents.js';
import { DEFAULT_APPROVAL_THRESHOLD_SATS } from '../runtime/autonomy.js';
import { budgetStatus, DEFAULT_BUDGET, type BudgetLimits } from '../runtime/budget.js';
import { fundingState } from '../runtime/lifecycle.js';
import { tickView } from '../runtime/tick-engine.js';
import { verifyReceipt } from '../runtime/receipts.js';
import { startOfLocalDay } from '../runtime/budget.js';
import { testBackendConnection } from '../compute/openai-backend.js';
import type { WalletTransaction } from '../wallet/wallet.js';
import { recommendModels } from '../inference/recommendations.js';
import { earningsSince } from '../provider/earnings.js';
import { requestJob } from '../provider/market-client.js';
import type { JobRow } from '../provider/provider.js';
import {
  procedures,
  type AgentStatus,
  type AgentSummary,
  type ParsedInput,
  type ProcedureName,
  type ProcedureOutput,
  type Result,
  type TickView,
  type TrajectoryStep,
  type ActivityItem,
  type SettingsView,
  type HardwareView,
  type JobView,
  type ProviderStatusView,
} from './contract.js';

export type Handlers = { [P in ProcedureName]: (input: ParsedInput<P>) => Promise<ProcedureOutput<P>> };

/** Validates the raw input against the procedure's schema, runs it and wraps the outcome. */
export async function dispatch(handlers: Handlers, name: string, rawInput: unknown): Promise<Result<unknown>> {
  if (!Object.prototype.hasOwnProperty.call(procedures, name)) {
    return { ok: false, error: { code: 'BAD_INPUT', message: `unknown procedure "${name}"` } };
  }
  const proc = name as ProcedureName;
  const parsed = procedures[proc].safeParse(rawInput ?? {});
  if (!parsed.success) {
    const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'BAD_INPUT', message } };
  }
  try {
    const handler = handlers[proc] as (input: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (err) {
    const e = toAppError(err);
    return { ok: false, error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
  }
}

const DEFAULT_HIBERNATE_THRESHOLD_SATS = 100;

type StoredSettings = Omit<SettingsView, 'home' | 'network'>;
const DEFAULT_SETTINGS: StoredSettings = {
  defaultAutonomy: 'semi_autonomous', defaultApprovalThresholdSats: DEFAULT_APPROVAL_THRESHOLD_SATS, defaultDailyLimitSats: DEFAULT_BUDGET.dailySats,
  notifications: true, startAtLogin: false, closeToTray: true, autopilotWindow: null,
};

/** A line a person can read for one receipt. */
function describeReceipt(kind: string, d: Record<string, unknown>): { summary: string; amountSats: number | null; tickId: string | null } {
  const n = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  switch (kind) {
    case 'payment':
      return { summary: `paid ${n(d.amount_sats)} sats${d.reason ? ` — ${String(d.reason)}` : ''}${d.approval ? ` (approved ${String(d.approval)})` : ''}`, amountSats: n(d.amount_sats), tickId: null };
    case 'spend':
      return { summary: `model call on ${String(d.backend)} (${String(d.model)}): ${n(d.cost_sats)} sats`, amountSats: n(d.cost_sats), tickId: typeof d.tick === 'string' ? d.tick : null };
    case 'approval_decision':
      return { summary: `approval ${String(d.approval)} ${String(d.decision)}: ${String(d.action)} of ${n(d.amount_sats)} sats${d.reason ? ` — ${String(d.reason)}` : ''}`, amountSats: n(d.amount_sats), tickId: null };
    case 'tick_result':
      return { summary: `tick ${String(d.tick)} ${String(d.status)} (${String(d.trigger)}): ${n(d.actions)} actions, ${n(d.model_calls)} model calls, ${n(d.cost_sats)} sats`, amountSats: n(d.spent_sats), tickId: typeof d.tick === 'string' ? d.tick : null };
    case 'funding':
      return { summary: `funded with ${n(d.amount_sats)} sats by the operator`, amountSats: n(d.amount_sats), tickId: null };
    default:
      return { summary: kind, amountSats: null, tickId: null };
  }
}

export function createHandlers(node: OpenAgentsNode): Handlers {
  const { db, agents, identity, wallets, approvals, router, receipts, runtime, triggers, lifecycle, meter, engine, nostr } = node;

  /** Re-publishes the agent's NIP-SA profile, schedule, goals and state after a change. */
  async function mirror(agent: Agent): Promise<void> {
    const balance = await wallets.agent(agent).wallet.balance();
    db.transaction(() => nostr.mirror.agentChanged(agent, balance, (nextTickAt.get(agent.id) as number | undefined) ?? null))();
    nostr.outbox.kick();
  }

  function requireRelays(what: string): void {
    if (!nostr.active) throw new AppError('DAEMON_UNAVAILABLE', `${what} needs the relays, which run in the daemon: start \`openagents daemon\``);
  }

  function allowList(agent: Agent) {
    const rows = db.prepare('SELECT pubkey, allowed FROM agent_allow WHERE agent_id = ? ORDER BY created_at').all(agent.id) as { pubkey: string; allowed: number }[];
    const anyone = (db.prepare('SELECT allow_anyone FROM agents WHERE id = ?').pluck().get(agent.id) as number) === 1;
    return { agent: agent.name, anyone, allowed: rows.filter((r) => r.allowed === 1).map((r) => npub(r.pubkey)), denied: rows.filter((r) => r.allowed === 0).map((r) => npub(r.pubkey)) };
  }

  function pubkeysOf(list: string[]): string[] {
    return list.map((p) => {
      const local = agents.find(p);
      const pk = local?.pubkey ?? parsePubkey(p);
      if (!pk) throw new AppError('BAD_INPUT', `not an npub, hex pubkey or agent of this home: "${p}"`);
      return pk;
    });
  }

  const nextTickAt = db.prepare('SELECT due_at FROM alarms WHERE agent_id = ?').pluck();

  async function summary(agent: Agent): Promise<AgentSummary> {
    const hw = wallets.agent(agent);
    const balanceSats = await hw.wallet.balance();
    const burn = meter.dailyBurn(agent.id, agent.createdAt);
    return {
      id: agent.id, name: agent.name, pubkey: agent.pubkey, npub: npub(agent.pubkey), lifecycle: agent.lifecycle, lifecycleReason: agent.lifecycleReason,
      autonomy: agent.autonomy, approvalThresholdSats: agent.approvalThresholdSats, heartbeatSeconds: agent.heartbeatSeconds, balanceSats,
      runwayDays: burn > 0 ? Math.floor(balanceSats / burn) : null, nextTickAt: (nextTickAt.get(agent.id) as number | undefined) ?? null,
      lastTickAt: agent.lastTickAt, tickCount: agent.tickCount, backend: agent.backend, walletAccount: hw.account, network: node.network(),
    };
  }

  async function status(agent: Agent): Promise<AgentStatus> {
    const base = await summary(agent);
    const usage = meter.usage(agent.id, agent.sessionStartedAt);
    return {
      ...base,
      budget: agent.budget,
      usage,
      budgetStatus: budgetStatus(usage, agent.budget),
      dailyBurnSats: meter.dailyBurn(agent.id, agent.createdAt),
      goals: db.prepare('SELECT id, description, priority, status FROM goals WHERE agent_id = ? ORDER BY status, priority DESC, id').all(agent.id) as AgentStatus['goals'],
      memories: (db.prepare('SELECT id, content, created_at FROM memories WHERE agent_id = ? ORDER BY id DESC LIMIT 50').all(agent.id) as { id: number; content: string; created_at: number }[])
        .map((m) => ({ id: m.id, content: m.content, createdAt: m.created_at })),
      pendingApprovals: db.prepare("SELECT COUNT(*) FROM approvals WHERE agent_id = ? AND status = 'pending'").pluck().get(agent.id) as number,
      maxSteps: agent.maxSteps,
      instructions: agent.instructions,
      lifecycleHistory: agents.lifecycleHistory(agent.id),
    };
  }

  // The hardware probe loads llama.cpp's bindings once; status reads the cached answer and
  // never starts the inference process just to look (the tray and CLI ask for status often).
  let hardware: HardwareView | null = null;
  let probing: Promise<HardwareView> | null = null;
  const probeHardware = (): Promise<HardwareView> => {
    probing ??= node.inference.probe().then((h) => (hardware = h));
    return probing;
  };

  function providerStatus(): ProviderStatusView {
    const s = node.provider.settings();
    const me = identity.requireInitialized().pubkey;
    const today = startOfLocalDay(Date.now());
    if (!hardware && node.inference.pid !== null) void probeHardware().catch(() => undefined);
    const loaded = node.inference.loaded();
    const { online: _online, ...settingsView } = s;
    return {
      state: node.provider.state, reasons: node.provider.reasons, lastError: node.provider.lastError, pubkey: me, npub: npub(me), model: s.model,
      minPriceSats: s.minPriceSats, pricePer1kSats: s.pricePer1kSats, maxTokens: s.maxTokens,
      relays: nostr.pool.status().map((r) => ({ url: r.url, connected: r.state === 'connected' })),
      checks: node.provider.checks, settings: settingsView, live: node.provider.liveJobs(),
      earnedTodaySats: node.provider.earnedSats(today), earnedTotalSats: node.provider.earnedSats(0), jobsToday: node.provider.jobsSince(today),
      engine: {
        hardware,
        loaded: loaded ? { model: node.models.list().find((m) => m.path === loaded.path)?.name ?? loaded.path, contextSize: loaded.contextSize, threads: loaded.threads, gpuLayers: loaded.gpuLayers, note: loaded.note } : null,
        pid: node.inference.pid,
      },
    };
  }

  function jobView(j: JobRow): JobView {
    return {
      id: j.id, customer: j.customer, status: j.status, model: j.model, maxTokens: j.max_tokens, bidMsats: j.bid_msats, priceSats: j.price_sats,
      outputTokens: j.output_tokens, error: j.error, createdAt: j.created_at, paidAt: j.paid_at, finishedAt: j.finished_at,
      encrypted: j.encrypted === 1, promptPreview: j.encrypted ? '(encrypted)' : j.prompt.slice(0, 200),
      refund: j.refund_status ? { status: j.refund_status, sats: j.refund_sats ?? 0, detail: j.refund_detail } : null,
    };
  }

  function settings(): StoredSettings {
    const raw = db.prepare("SELECT value FROM meta WHERE key = 'settings'").pluck().get() as string | undefined;
    return { ...DEFAULT_SETTINGS, ...(raw ? (JSON.parse(raw) as Partial<StoredSettings>) : {}) };
  }

  function settingsView(): SettingsView {
    return { home: node.options.home, network: identity.status().network, ...settings() };
  }

  function requireAgent(ref: string): Agent {
    identity.requireInitialized();
    return agents.require(ref);
  }

  function walletFor(ref: string | undefined) {
    identity.requireInitialized();
    return ref ? wallets.agent(agents.require(ref)) : wallets.operator();
  }

  /** Operator → agent: the agent's wallet issues an invoice, the operator wallet pays it. */
  async function fund(agent: Agent, amountSats: number) {
    const op = wallets.operator();
    const have = await op.wallet.balance();
    if (have < amountSats) {
      throw new AppError('INSUFFICIENT_FUNDS', `the operator wallet has ${have} sats, ${amountSats} needed${node.network() === 'devnet' ? '; get devnet sats with `openagents wallet faucet SATS`' : ''}`);
    }
    const hw = wallets.agent(agent);
    const inv = await hw.wallet.createInvoice({ amountSats, memo: `funding for agent ${agent.name}` });
    node.payments.recordInvoice(hw.id, agent.id, inv);
    const key = `operator:fund:${randomUUID()}`;
    const result = await op.wallet.payInvoice({ bolt11: inv.bolt11, maxFeeSats: 10, idempotencyKey: key });
    const now = Date.now();
    db.transaction(() => {
      node.payments.recordOutgoing({ walletId: op.id, agentId: null, invoice: inv.bolt11, result, memo: `fund ${agent.name}`, idempotencyKey: key, now });
      receipts.issue('funding', agent.id, { payment_hash: result.paymentHash, preimage: result.preimage, amount_sats: result.amountSats, from: 'operator' }, now);
    })();
    node.incoming.settle(hw.id, agent.id, result.paymentHash, result.amountSats, inv.memo, result.settledAt);
    node.events.emit('payment.sent', { owner: 'operator', amountSats: result.amountSats, paymentHash: result.paymentHash });
    return { paymentHash: result.paymentHash, preimage: result.preimage, amountSats: result.amountSats, feeSats: result.feeSats, settledAt: result.settledAt };
  }

  async function runManualTick(agent: Agent, message: string | undefined): Promise<TickView> {
    const key = `manual:${randomUUID()}`;
    const { trigger } = message !== undefined
      ? triggers.deliverMessage(agent.id, { kind: 'operator', ref: 'operator' }, message, key)
      : triggers.enqueue(agent.id, 'manual', key, {});
    return runtime.tickNow(agent.id, trigger);
  }

  function txView(t: WalletTransaction) {
    return { direction: t.direction, paymentHash: t.paymentHash, amountSats: t.amountSats, feeSats: t.feeSats, memo: t.memo, state: t.state, createdAt: t.createdAt, settledAt: t.settledAt, kind: t.kind };
  }

  const handlers: Handlers = {
    'system.status': async () => {
      const id = identity.status();
      return {
        home: node.options.home, network: id.network, initialized: id.initialized, mode: node.options.mode, pid: process.pid, startedAt: node.startedAt,
        agents: id.initialized ? (db.prepare("SELECT COUNT(*) FROM agents WHERE lifecycle != 'terminated'").pluck().get() as number) : 0,
        pendingApprovals: id.initialized ? approvals.pendingCount() : 0,
        label: id.network === 'devnet' ? DEVNET_LABEL : '',
        relayUrl: nostr.embeddedRelayUrl,
      };
    },

    'identity.init': async (input) => {
      if (input.network !== 'devnet') {
        throw new AppError('BAD_INPUT', `network ${input.network} needs the Spark wallet, which this build does not include yet; use devnet`);
      }
      const r = identity.init({ importMnemonic: input.importMnemonic, network: input.network });
      wallets.operator();
      await node.startNostr();
      return { pubkey: r.pubkey, npub: r.npub, network: input.network, imported: r.imported, mnemonic: r.mnemonic };
    },
    'identity.status': async () => identity.status(),
    'identity.exportMnemonic': async () => ({ mnemonic: identity.exportMnemonic() }),

    'agents.spawn': async (input) => {
      identity.requireInitialized();
      if (agents.find(input.name)) throw new AppError('CONFLICT', `an agent named "${input.name}" already exists`);
      if (input.bootstrapSats > 0) {
        const have = await wallets.operator().wallet.balance();
        if (have < input.bootstrapSats) {
          throw new AppError('INSUFFICIENT_FUNDS', `the operator wallet has ${have} sats, ${input.bootstrapSats} needed to bootstrap the agent${node.network() === 'devnet' ? '; get devnet sats with `openagents wallet faucet SATS`' : ''}`);
        }
      }
      const defaults = settings();
      const budget: BudgetLimits = { ...DEFAULT_BUDGET, dailySats: defaults.defaultDailyLimitSats, ...(input.budget ?? {}), ...(input.dailyLimitSats !== undefined ? { dailySats: input.dailyLimitSats } : {}) };
      if (budget.sessionSats > budget.dailySats && input.budget?.sessionSats === undefined) budget.sessionSats = budget.dailySats;
      const now = Date.now();
      const id = `ag_${randomBytes(5).toString('hex')}`;
      db.transaction(() => {
        const index = db.prepare('SELECT next_agent_index FROM identity WHERE id = 1').pluck().get() as number;
        db.prepare('UPDATE identity SET next_agent_index = next_agent_index + 1 WHERE id = 1').run();
        const pubkey = publicKeyHex(identity.agentSecretKey(index));
        agents.insert({
          id, name: input.name, keyIndex: index, pubkey, autonomy: input.autonomy ?? defaults.defaultAutonomy,
          approvalThresholdSats: input.approvalThresholdSats ?? defaults.defaultApprovalThresholdSats, heartbeatSeconds: input.heartbeatSeconds,
          maxSteps: input.maxSteps, budget, hibernateThresholdSats: DEFAULT_HIBERNATE_THRESHOLD_SATS, instructions: input.instructions, now,
        });
        agents.setLifecycle(id, null, 'creating', 'spawned by the operator', now);
      })();
      let agent = agents.get(id)!;
      try {
        wallets.agent(agent);
        lifecycle.apply(agent, { type: 'created', funded: false }, 'identity and wallet ready; waiting for funds');
      } catch (err) {
        lifecycle.apply(agents.get(id)!, { type: 'creation_failed', reason: toAppError(err).message }, `creation failed: ${toAppError(err).message}`);
        throw err;
      }
      agent = agents.get(id)!;
      if (input.bootstrapSats > 0) {
        await fund(agent, input.bootstrapSats);
        await lifecycle.reevaluate(id);
      }
      agent = agents.get(id)!;
      engine.scheduleHeartbeat(agent, Date.now());
      await mirror(agent);
      if (nostr.active) nostr.inbound.refresh();
      runtime.kick();
      node.events.emit('agent.spawned', { agentId: id, name: agent.name });
      return summary(agent);
    },
    'agents.list': async () => {
      identity.requireInitialized();
      return Promise.all(agents.list().map(summary));
    },
    'agents.status': async ({ agent }) => status(requireAgent(agent)),
    'agents.start': async (input) => {
      const agent = requireAgent(input.agent);
      const f = await lifecycle.funding(agent);
      const fundedBefore = agent.funded || f.balanceSats > 0;
      if (fundedBefore && !agent.funded) agents.update(agent.id, { funded: true });
      lifecycle.apply(agent, { type: 'start', funding: fundingState(f.balanceSats, f.dailyBurnSats, agent.hibernateThresholdSats), fundedBefore }, 'started by the operator');
      agents.update(agent.id, { sessionStartedAt: Date.now() });
      db.prepare('UPDATE agents SET consecutive_failures = 0 WHERE id = ?').run(agent.id);
      const fresh = agents.get(agent.id)!;
      engine.scheduleHeartbeat(fresh, Date.now());
      await mirror(fresh);
      runtime.kick();
      return summary(fresh);
    },
    'agents.stop': async (input) => {
      const agent = requireAgent(input.agent);
      lifecycle.apply(agent, { type: 'stop' }, 'stopped by the operator');
      db.prepare('DELETE FROM alarms WHERE agent_id = ?').run(agent.id);
      await mirror(agents.get(agent.id)!);
      return summary(agents.get(agent.id)!);
    },
    'agents.kill': async (input) => {
      const agent = requireAgent(input.agent);
      const pending = approvals.list({ status: 'pending', agentId: agent.id });
      for (const a of pending) approvals.reject(a.id, 'agent killed');
      db.transaction(() => {
        lifecycle.apply(agent, { type: 'kill' }, 'killed by the operator');
        db.prepare('DELETE FROM alarms WHERE agent_id = ?').run(agent.id);
        db.prepare("UPDATE triggers SET status = 'dropped' WHERE agent_id = ? AND status = 'pending'").run(agent.id);
      })();
      await mirror(agents.get(agent.id)!);
      if (nostr.active) nostr.inbound.refresh();
      return summary(agents.get(agent.id)!);
    },
    'agents.fund': async (input) => {
      const agent = requireAgent(input.agent);
      if (agent.lifecycle === 'terminated') throw new AppError('AGENT_NOT_RUNNABLE', `agent ${agent.name} was killed; funding it would strand the sats`);
      const payment = await fund(agent, input.amountSats);
      await lifecycle.reevaluate(agent.id);
      return { agent: await summary(agents.get(agent.id)!), payment };
    },
    'agents.tick': async (input) => runManualTick(requireAgent(input.agent), input.message),
    'agents.route': async (input) => {
      const agent = requireAgent(input.agent);
      if (input.backend !== null && !router.get(input.backend)) throw new AppError('NOT_FOUND', `no backend named "${input.backend}"`);
      agents.update(agent.id, { backend: input.backend });
      return summary(agents.get(agent.id)!);
    },
    'agents.configure': async (input) => {
      const agent = requireAgent(input.agent);
      agents.update(agent.id, {
        autonomy: input.autonomy, approvalThresholdSats: input.approvalThresholdSats, heartbeatSeconds: input.heartbeatSeconds,
        maxSteps: input.maxSteps, instructions: input.instructions, budget: input.budget ? { ...agent.budget, ...input.budget } : undefined,
      });
      await mirror(agents.get(agent.id)!);
      return status(agents.get(agent.id)!);
    },
    'agents.ticks': async (input) => {
      const agent = requireAgent(input.agent);
      return (db.prepare('SELECT * FROM ticks WHERE agent_id = ? ORDER BY seq DESC LIMIT ?').all(agent.id, input.limit) as Parameters<typeof tickView>[0][]).map(tickView);
    },
    'ticks.trajectory': async (input) => {
      const tick = engine.getTick(input.tickId);
      if (!tick) throw new AppError('NOT_FOUND', `no tick ${input.tickId}`);
      const steps = (db.prepare('SELECT step, type, content, tokens_in, tokens_out, created_at FROM trajectory WHERE tick_id = ? ORDER BY id').all(input.tickId) as {
        step: number; type: string; content: string; tokens_in: number | null; tokens_out: number | null; created_at: number;
      }[]).map((r): TrajectoryStep => ({ step: r.step, type: r.type, content: JSON.parse(r.content), tokensIn: r.tokens_in, tokensOut: r.tokens_out, createdAt: r.created_at }));
      return { tick, steps };
    },

    'approvals.list': async (input) => {
      identity.requireInitialized();
      return approvals.list({ status: input.status, agentId: input.agent ? agents.require(input.agent).id : undefined });
    },
    'approvals.approve': async (input) => {
      identity.requireInitialized();
      return approvals.approve(input.id, { amountSats: input.amountSats, reason: input.reason, execute: true });
    },
    'approvals.reject': async (input) => {
      identity.requireInitialized();
      return approvals.reject(input.id, input.reason);
    },

    'wallet.balance': async (input) => {
      const hw = walletFor(input.agent);
      return { owner: input.agent ? agents.require(input.agent).name : 'operator', balanceSats: await hw.wallet.balance(), network: node.network(), label: node.network() === 'devnet' ? DEVNET_LABEL : '' };
    },
    'wallet.invoice': async (input) => {
      const hw = walletFor(input.agent);
      const inv = await hw.wallet.createInvoice({ amountSats: input.amountSats, memo: input.memo });
      node.payments.recordInvoice(hw.id, input.agent ? agents.require(input.agent).id : null, inv);
      return { bolt11: inv.bolt11, paymentHash: inv.paymentHash, amountSats: inv.amountSats, memo: inv.memo, expiresAt: inv.expiresAt };
    },
    'wallet.pay': async (input) => {
      const hw = walletFor(undefined);
      const bolt11 = input.invoice.trim();
      const inv = node.devnet.decodeInvoice(bolt11);
      node.gate.checkInvoice(inv, { now: Date.now(), ownNodeKey: hw.wallet.nodePubkey, amountSats: inv.amountSats === null ? input.amountSats : undefined, alreadyPaid: node.payments.isPaidOut(hw.id, inv.paymentHash) });
      if (inv.amountSats !== null && input.amountSats !== undefined && input.amountSats !== inv.amountSats) {
        throw new AppError('INVOICE_INVALID', `the invoice is for ${inv.amountSats} sats, not ${input.amountSats}`);
      }
      const key = `operator:pay:${randomUUID()}`;
      const result = await hw.wallet.payInvoice({ bolt11, amountSats: inv.amountSats === null ? input.amountSats : undefined, maxFeeSats: input.maxFeeSats, idempotencyKey: key });
      const now = Date.now();
      db.transaction(() => {
        node.payments.recordOutgoing({ walletId: hw.id, agentId: null, invoice: bolt11, result, memo: '', idempotencyKey: key, now });
        receipts.issue('payment', null, { payment_hash: result.paymentHash, preimage: result.preimage, amount_sats: result.amountSats, fee_sats: result.feeSats, key }, now);
      })();
      node.events.emit('payment.sent', { owner: 'operator', amountSats: result.amountSats, paymentHash: result.paymentHash });
      // A payment to one of this home's own agents settles its invoice right away.
      await node.incoming.checkNow();
      return { paymentHash: result.paymentHash, preimage: result.preimage, amountSats: result.amountSats, feeSats: result.feeSats, settledAt: result.settledAt };
    },
    'wallet.history': async (input) => (await walletFor(input.agent).wallet.history({ limit: input.limit })).map(txView),
    'wallet.faucet': async (input) => {
      identity.requireInitialized();
      if (node.network() !== 'devnet') throw new AppError('BAD_INPUT', 'the faucet exists only on devnet');
      const hw = wallets.operator();
      node.devnet.faucet(hw.wallet.nodePubkey, input.amountSats);
      const balanceSats = await hw.wallet.balance();
      node.events.emit('balance.changed', { owner: 'operator', balanceSats });
      return { balanceSats, label: DEVNET_LABEL };
    },

    'backends.add': async (input) => {
      if (input.local !== undefined) {
        node.models.require(input.local);
        return router.add({ name: input.name, kind: 'local', url: 'local:', model: input.local, costInSatsPer1k: input.costInSatsPer1k, costOutSatsPer1k: input.costOutSatsPer1k, makeDefault: input.makeDefault });
      }
      return router.add({ ...input, url: input.url!, model: input.model! });
    },
    'backends.list': async () => router.list(),
    'backends.setEnabled': async (input) => router.setEnabled(input.name, input.enabled),
    'backends.remove': async (input) => {
      router.remove(input.name);
      return { removed: input.name };
    },

    'relays.list': async () => {
      identity.requireInitialized();
      return nostr.status();
    },
    'relays.add': async (input) => {
      identity.requireInitialized();
      nostr.addRelay(input.url.trim());
      return nostr.status();
    },
    'relays.remove': async (input) => {
      identity.requireInitialized();
      nostr.removeRelay(input.url.trim());
      return nostr.status();
    },
    'nostr.publish': async (input) => {
      identity.requireInitialized();
      requireRelays('publishing');
      const sk = input.as ? node.signer(agents.require(input.as).id).secretKey : node.signer(null).secretKey;
      const event = finalizeEvent({ kind: input.kind, content: input.content, tags: input.tags, created_at: Math.floor(Date.now() / 1000) }, sk);
      return { id: event.id, results: await nostr.pool.publish(event) };
    },
    'nostr.query': async (input) => {
      identity.requireInitialized();
      requireRelays('querying');
      return nostr.pool.query([input.filter as Filter], input.timeoutMs);
    },
    'agents.dm': async (input) => {
      const agent = requireAgent(input.agent);
      const wrap = wrapEvent(node.signer(null).secretKey, { publicKey: agent.pubkey }, input.message);
      db.transaction(() => nostr.outbox.enqueueSigned(null, wrap))();
      if (!nostr.active) return { eventId: wrap.id, published: false };
      await nostr.publisher.drain();
      return { eventId: wrap.id, published: db.prepare("SELECT status FROM nostr_outbox WHERE event_id = ?").pluck().get(wrap.id) === 'published' };
    },
    'agents.allow': async (input) => {
      const agent = requireAgent(input.agent);
      const keys = pubkeysOf(input.pubkeys);
      db.transaction(() => {
        for (const pk of keys) db.prepare('INSERT INTO agent_allow (agent_id, pubkey, allowed, created_at) VALUES (?, ?, 1, ?) ON CONFLICT(agent_id, pubkey) DO UPDATE SET allowed = 1').run(agent.id, pk, Date.now());
        if (input.anyone !== undefined) db.prepare('UPDATE agents SET allow_anyone = ? WHERE id = ?').run(input.anyone ? 1 : 0, agent.id);
      })();
      return allowList(agent);
    },
    'agents.deny': async (input) => {
      const agent = requireAgent(input.agent);
      const keys = pubkeysOf(input.pubkeys);
      db.transaction(() => {
        for (const pk of keys) db.prepare('INSERT INTO agent_allow (agent_id, pubkey, allowed, created_at) VALUES (?, ?, 0, ?) ON CONFLICT(agent_id, pubkey) DO UPDATE SET allowed = 0').run(agent.id, pk, Date.now());
      })();
      return allowList(agent);
    },

    'activity.list': async (input) => {
      identity.requireInitialized();
      const agentId = input.agent ? agents.require(input.agent).id : undefined;
      const names = new Map(agents.list().map((a) => [a.id, a.name]));
      return receipts.list({ agentId, limit: input.kind ? 5000 : input.limit })
        .filter((r) => !input.kind || r.kind === input.kind)
        .slice(0, input.limit)
        .map((r): ActivityItem => {
          const body = JSON.parse(r.body) as { data?: Record<string, unknown> };
          const problem = verifyReceipt(r, node.expectedSigner(r.agentId));
          return { id: r.id, kind: r.kind, agentId: r.agentId, agentName: r.agentId ? names.get(r.agentId) ?? null : 'operator', ...describeReceipt(r.kind, body.data ?? {}), createdAt: r.createdAt, verified: problem === null, problem };
        });
    },
    'budgets.overview': async (input) => {
      identity.requireInitialized();
      const now = Date.now();
      const starts: number[] = [];
      let day = startOfLocalDay(now);
      for (let i = 0; i < input.days; i++) {
        starts.unshift(day);
        day = startOfLocalDay(day - 1);
      }
      const rows = db.prepare('SELECT agent_id, amount_sats, created_at FROM spends WHERE created_at >= ?').all(starts[0]) as { agent_id: string; amount_sats: number; created_at: number }[];
      const bucket = (t: number): number => {
        let i = starts.length - 1;
        while (i > 0 && t < starts[i]!) i--;
        return i;
      };
      const perAgent = new Map<string, number[]>();
      for (const r of rows) {
        const series = perAgent.get(r.agent_id) ?? new Array<number>(starts.length).fill(0);
        series[bucket(r.created_at)]! += r.amount_sats;
        perAgent.set(r.agent_id, series);
      }
      const list = agents.list().filter((a) => a.lifecycle !== 'terminated').map((a) => {
        const usage = meter.usage(a.id, a.sessionStartedAt, now);
        return { id: a.id, name: a.name, lifecycle: a.lifecycle, budget: a.budget, status: budgetStatus(usage, a.budget), usage, spendByDay: perAgent.get(a.id) ?? new Array<number>(starts.length).fill(0) };
      });
      const totalByDay = starts.map((_, i) => list.reduce((sum, a) => sum + a.spendByDay[i]!, 0));
      return {
        days: starts.map((t) => new Date(t).toISOString().slice(0, 10)),
        agents: list,
        totals: { todaySats: list.reduce((s2, a) => s2 + a.usage.dailySats, 0), dailyLimitSats: list.reduce((s2, a) => s2 + a.budget.dailySats, 0), spendByDay: totalByDay },
      };
    },
    'backends.test': async (input) => {
      const cfg = router.get(input.name);
      if (!cfg) throw new AppError('NOT_FOUND', `no backend named "${input.name}"`);
      const { backend } = router.resolve(input.name);
      return testBackendConnection(backend, { timeoutMs: cfg.kind === 'local' ? 120_000 : 15_000 });
    },
    'settings.get': async () => settingsView(),
    'settings.set': async (input) => {
      const next = { ...settings(), ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) };
      db.prepare("INSERT INTO meta (key, value) VALUES ('settings', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(JSON.stringify(next));
      return settingsView();
    },

    'provider.online': async (input) => {
      identity.requireInitialized();
      await node.provider.goOnline(input);
      return providerStatus();
    },
    'provider.offline': async () => {
      identity.requireInitialized();
      await node.provider.goOffline();
      return providerStatus();
    },
    'provider.status': async () => {
      identity.requireInitialized();
      return providerStatus();
    },
    'provider.set': async (input) => {
      identity.requireInitialized();
      if (input.model !== undefined) node.models.require(input.model);
      await node.provider.configure(input);
      return providerStatus();
    },
    'provider.jobs': async (input) => node.provider.jobs(input.limit).map(jobView),
    'provider.cancel': async (input) => {
      identity.requireInitialized();
      return jobView(await node.provider.cancel(input.id));
    },
    'provider.refund': async (input) => {
      identity.requireInitialized();
      return jobView(await node.provider.retryRefund(input.id));
    },
    'earnings.summary': async (input) => {
      identity.requireInitialized();
      return earningsSince(db, input.since ?? startOfLocalDay(Date.now() - 29 * 86_400_000));
    },
    'market.request': async (input) => {
      identity.requireInitialized();
      if (!nostr.active) throw new AppError('DAEMON_UNAVAILABLE', 'buying compute needs the relays, which run in the daemon: start `openagents daemon`');
      return requestJob({ pool: nostr.pool, secretKey: node.signer(null).secretKey, wallets: node.wallets, payments: node.payments, events: node.events }, input);
    },
    'localApi.status': async () => node.localApiStatus(),
    'localApi.on': async (input) => {
      await node.setLocalApi(true, input.port);
      return node.localApiStatus();
    },
    'localApi.off': async () => {
      await node.setLocalApi(false);
      return node.localApiStatus();
    },
    'models.list': async () => node.models.list(),
    'models.import': async (input) => node.models.import(input.path, { name: input.name }),
    'models.pull': async (input) => {
      let last = 0;
      return node.models.pull(input.url, {
        name: input.name,
        sha256: input.sha256,
        onProgress: (p) => {
          // A progress event at most every 250 ms, plus the last one.
          const now = Date.now();
          if (now - last < 250 && p.receivedBytes !== p.totalBytes) return;
          last = now;
          node.events.emit('model.download', { url: input.url, ...p });
        },
      });
    },
    // The desktop shell answers this itself (a native dialog); the daemon has no screen to show one on.
    'system.pickFile': async () => {
      throw new AppError('BAD_INPUT', 'a file picker needs the desktop app; type the full path instead');
    },
    'models.folder': async (input) => {
      if (input.path !== undefined) node.models.setFolder(input.path);
      return { folder: node.models.dir, isDefault: node.models.dir === node.models.defaultDir, freeBytes: node.models.freeBytes() };
    },
    'models.recommended': async () => {
      const hw = await probeHardware();
      return { hardware: hw, models: recommendModels(hw, node.models.list().map((m) => m.source)) };
    },
    'models.remove': async (input) => {
      const m = node.models.remove(input.name);
      return { removed: m.name, deletedFile: m.owned };
    },

    'receipts.verify': async () => {
      identity.requireInitialized();
      return receipts.verifyAll((agentId) => node.expectedSigner(agentId));
    },
    'receipts.list': async (input) => {
      identity.requireInitialized();
      return receipts.list({ agentId: input.agent ? agents.require(input.agent).id : undefined, limit: input.limit })
        .map((r) => ({ id: r.id, agentId: r.agentId, kind: r.kind, signer: r.signer, hash: r.hash, createdAt: r.createdAt, body: JSON.parse(r.body) as unknown }));
    },
  };
  return handlers;
}
