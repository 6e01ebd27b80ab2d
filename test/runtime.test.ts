import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalView, ProcedureName, ProcedureOutputs } from '../src-main/core/api/contract.js';
import { createHandlers, dispatch, type Handlers } from '../src-main/core/api/handlers.js';
import { OpenAgentsNode } from '../src-main/core/node.js';
import { ScriptedModelServer } from './support/scripted-model-server.js';

// The runtime end to end in one process: the real store, wallet ledger, tick engine and
// money gate, with the model played by the scripted OpenAI-compatible server (a test double).

let model: ScriptedModelServer;
let node: OpenAgentsNode;
let api: Handlers;

async function call<P extends ProcedureName>(proc: P, input: unknown): Promise<ProcedureOutputs[P]> {
  const r = await dispatch(api, proc, input);
  if (!r.ok) throw new Error(`${proc}: ${r.error.code}: ${r.error.message}`);
  return r.value as ProcedureOutputs[P];
}

async function callError(proc: ProcedureName, input: unknown): Promise<{ code: string; message: string }> {
  const r = await dispatch(api, proc, input);
  if (r.ok) throw new Error(`${proc} unexpectedly succeeded`);
  return r.error;
}

beforeAll(async () => {
  model = await ScriptedModelServer.start();
});
afterAll(async () => {
  await model.close();
});

beforeEach(async () => {
  model.reset();
  const base = mkdtempSync(path.join(os.tmpdir(), 'oa-rt-'));
  node = new OpenAgentsNode({ home: path.join(base, 'home'), devnetDir: path.join(base, 'devnet'), mode: 'direct', incomingPollMs: 50 });
  api = createHandlers(node);
  await call('identity.init', {});
  await call('wallet.faucet', { amountSats: 1_000_000 });
  await call('backends.add', { name: 'scripted', url: model.url, model: 'scripted-model' });
});

afterEach(async () => {
  await node.stop();
});

/** Spawns a funded agent and lets it perceive its funding, so later ticks start clean. */
async function spawn(name: string, extra: Record<string, unknown> = {}) {
  const a = await call('agents.spawn', { name, bootstrapSats: 50_000, ...extra });
  const funding = node.triggers.next(a.id);
  expect(funding).toMatchObject({ kind: 'payment' });
  await node.runtime.tickNow(a.id, funding!);
  expect(node.triggers.next(a.id)).toBeNull();
  model.reset();
  return a;
}

/** An invoice from the operator wallet that an agent can pay. */
async function operatorInvoice(amountSats: number): Promise<string> {
  return (await call('wallet.invoice', { amountSats, memo: `test ${amountSats}` })).bolt11;
}

describe('agents', () => {
  it('spawns with a derived identity and a funded wallet, and lists it', async () => {
    const a = await call('agents.spawn', { name: 'alpha', bootstrapSats: 50_000 });
    expect(a.lifecycle).toBe('active');
    model.enqueue({ content: 'thanks for the sats' });
    await node.runtime.tickNow(a.id, node.triggers.next(a.id)!);
    expect(a.balanceSats).toBe(50_000);
    expect(a.walletAccount).toBe(1);
    expect(a.npub).toMatch(/^npub1/);
    const b = await call('agents.spawn', { name: 'beta' });
    expect(b.lifecycle).toBe('spawning');
    expect(b.walletAccount).toBe(2);
    expect(model.requests.at(-1)!.messages.find((m) => m.role === 'user')).toMatchObject({ content: expect.stringContaining('Received 50000 sats') });
    expect((await call('agents.list', {})).map((x) => x.name)).toEqual(['alpha', 'beta']);
    expect((await call('wallet.balance', {})).balanceSats).toBe(1_000_000 - 50_000);
    expect((await callError('agents.spawn', { name: 'alpha' })).code).toBe('CONFLICT');
    expect((await callError('agents.spawn', { name: 'rich', bootstrapSats: 10_000_000 })).code).toBe('INSUFFICIENT_FUNDS');
    expect((await callError('agents.spawn', { name: '' })).code).toBe('BAD_INPUT');
  });

  it('thinks through the backend with tools and records every step', async () => {
    const a = await spawn('alpha');
    model.enqueue(
      { toolCalls: [{ name: 'set_goal', arguments: { description: 'earn sats', priority: 7 } }, { name: 'remember', arguments: { content: 'the operator likes brevity' } }] },
      { content: 'set a goal and took a note' },
    );
    const tick = await call('agents.tick', { agent: a.name, message: 'hello' });
    expect(tick.status).toBe('success');
    expect(tick.summary).toBe('set a goal and took a note');
    expect(tick.modelCalls).toBe(2);
    expect(tick.actions).toBe(2);
    const first = model.requests[0]!;
    expect(first.messages.some((m) => m.role === 'user' && typeof m.content === 'string' && m.content.includes('Message from operator: hello'))).toBe(true);
    expect(first.tools?.map((t) => t.function.name)).toContain('pay_invoice');
    const status = await call('agents.status', { agent: 'alpha' });
    expect(status.goals).toMatchObject([{ description: 'earn sats', priority: 7, status: 'open' }]);
    expect(status.memories).toMatchObject([{ content: 'the operator likes brevity' }]);
    const { steps } = await call('ticks.trajectory', { tickId: tick.id });
    expect(steps.map((s) => s.type)).toEqual(['perceive', 'think', 'tool_result', 'tool_result', 'think']);
    expect(steps[1]!.tokensIn).toBeGreaterThan(0);
    // The second request carries the tool results back to the model.
    expect(model.requests[1]!.messages.filter((m) => m.role === 'tool')).toHaveLength(2);
    expect(await call('receipts.verify', {})).toMatchObject({ invalid: [] });
  });

  it('reports malformed tool calls to the model as errors without failing the tick', async () => {
    const a = await spawn('alpha');
    model.enqueue({ toolCalls: [{ name: 'remember', arguments: '{not json' }, { name: 'launch_rocket', arguments: {} }, { name: 'set_goal', arguments: { priority: 'high' } }] }, { content: 'ok' });
    const tick = await call('agents.tick', { agent: a.id, message: 'go' });
    expect(tick.status).toBe('success');
    const toolMessages = model.requests[1]!.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse((m as { content: string }).content) as { ok: boolean; error: string });
    expect(toolMessages.map((t) => t.ok)).toEqual([false, false, false]);
    expect(toolMessages[0]!.error).toMatch(/not valid JSON/);
    expect(toolMessages[1]!.error).toMatch(/unknown tool/);
    expect(toolMessages[2]!.error).toMatch(/description/);
  });

  it('runs a heartbeat with nothing new without calling the model', async () => {
    const a = await spawn('alpha');
    const before = model.requests.length;
    const t = await node.engine.run(a.id, { kind: 'heartbeat', dueAt: Date.now() });
    expect(t?.status).toBe('success');
    expect(t?.summary).toBe('nothing new to perceive');
    expect(model.requests.length).toBe(before);
    const nextDue = node.db.prepare('SELECT due_at FROM alarms WHERE agent_id = ?').pluck().get(a.id) as number;
    expect(nextDue).toBeGreaterThan(Date.now() + 800_000);
  });

  it('runs a trigger seen twice only once', async () => {
    const a = await spawn('alpha');
    const first = node.triggers.deliverMessage(a.id, { kind: 'agent', ref: 'x' }, 'hi', 'nostr:event1');
    const second = node.triggers.deliverMessage(a.id, { kind: 'agent', ref: 'x' }, 'hi', 'nostr:event1');
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.trigger.id).toBe(first.trigger.id);
    expect(node.db.prepare('SELECT COUNT(*) FROM messages WHERE to_agent = ?').pluck().get(a.id)).toBe(1);
    model.enqueue({ content: 'read it' });
    await node.runtime.tickNow(a.id, first.trigger);
    await expect(node.runtime.tickNow(a.id, second.trigger)).resolves.toMatchObject({ summary: 'read it' });
    expect(model.requests.length).toBe(1);
  });

  it('delivers send_message to another agent and wakes it', async () => {
    const a = await spawn('alpha');
    const b = await spawn('beta');
    model.enqueue({ toolCalls: [{ name: 'send_message', arguments: { to: 'beta', content: 'meet at noon' } }] }, { content: 'sent' });
    await call('agents.tick', { agent: a.id, message: 'tell beta' });
    const pending = node.triggers.next(b.id);
    expect(pending).toMatchObject({ kind: 'message' });
    model.enqueue({ content: 'noted' });
    const t = await node.runtime.tickNow(b.id, pending!);
    expect(t.status).toBe('success');
    const lastUser = model.requests.at(-1)!.messages.find((m) => m.role === 'user') as { content: string };
    expect(lastUser.content).toContain('Message from alpha: meet at noon');
  });

  it('cancels a tick that runs past its max duration and keeps the state saved so far', async () => {
    const a = await spawn('alpha');
    await call('agents.configure', { agent: a.id, budget: { maxTickSeconds: 1 } });
    model.enqueue({ toolCalls: [{ name: 'remember', arguments: { content: 'before the hang' } }] }, { hang: true });
    const t = await call('agents.tick', { agent: a.id, message: 'work' });
    expect(t.status).toBe('cancelled');
    expect(t.error).toMatch(/max duration/);
    expect((await call('agents.status', { agent: a.id })).memories).toMatchObject([{ content: 'before the hang' }]);
  });
});

describe('money', () => {
  it('pays within its autonomy and budget, with proof, receipt and spend', async () => {
    const a = await spawn('alpha', { autonomy: 'semi_autonomous', approvalThresholdSats: 1000 });
    const invoice = await operatorInvoice(600);
    model.enqueue({ toolCalls: [{ name: 'pay_invoice', arguments: { invoice, reason: 'test payment' } }] }, { content: 'paid' });
    const tick = await call('agents.tick', { agent: a.id, message: 'pay it' });
    expect(tick.status).toBe('success');
    const toolResult = JSON.parse((model.requests[1]!.messages.find((m) => m.role === 'tool') as { content: string }).content) as Record<string, unknown>;
    expect(toolResult).toMatchObject({ ok: true, amountSats: 600, preimage_known: true });
    expect(toolResult.preimage).toBeUndefined();
    expect((await call('wallet.balance', { agent: a.id })).balanceSats).toBe(50_000 - 600);
    expect((await call('agents.status', { agent: a.id })).usage.dailySats).toBe(600);
    const receipts = await call('receipts.list', { agent: a.id });
    expect(receipts.map((r) => r.kind)).toContain('payment');
    expect(await call('receipts.verify', {})).toMatchObject({ invalid: [] });

    // Paying the same invoice again is refused before any money moves.
    model.enqueue({ toolCalls: [{ name: 'pay_invoice', arguments: { invoice, reason: 'again' } }] }, { content: 'tried' });
    await call('agents.tick', { agent: a.id, message: 'pay it again' });
    const again = JSON.parse((model.requests[3]!.messages.find((m) => m.role === 'tool') as { content: string }).content) as { ok: boolean; error: string };
    expect(again).toMatchObject({ ok: false });
    expect(again.error).toMatch(/already paid/);
    expect((await call('wallet.balance', { agent: a.id })).balanceSats).toBe(50_000 - 600);
  });

  it('asks for approval above the threshold; approving pays exactly once and the agent sees it', async () => {
    const a = await spawn('alpha', { autonomy: 'semi_autonomous', approvalThresholdSats: 1000 });
    const invoice = await operatorInvoice(2500);
    model.enqueue({ toolCalls: [{ name: 'pay_invoice', arguments: { invoice, reason: 'buy data' } }] }, { content: 'asked' });
    await call('agents.tick', { agent: a.id, message: 'buy' });
    const [pending] = await call('approvals.list', {});
    expect(pending).toMatchObject({ agentName: 'alpha', action: 'pay_invoice', amountSats: 2500, status: 'pending' });
    expect((await call('wallet.balance', { agent: a.id })).balanceSats).toBe(50_000);

    const decision = await call('approvals.approve', { id: pending!.id, reason: 'fine' });
    expect(decision.executed).toBe(true);
    expect(decision.approval).toMatchObject({ status: 'approved', execution: 'executed', outcome: { ok: true, amountSats: 2500 } });
    expect((await call('wallet.balance', { agent: a.id })).balanceSats).toBe(47_500);
    expect((await callError('approvals.approve', { id: pending!.id })).code).toBe('CONFLICT');
    expect((await call('wallet.balance', { agent: a.id })).balanceSats).toBe(47_500);

    // The approval woke the agent; its next tick perceives the outcome.
    const trigger = node.triggers.next(a.id);
    expect(trigger).toMatchObject({ kind: 'approval' });
    model.enqueue({ content: 'saw it' });
    await node.runtime.tickNow(a.id, trigger!);
    const perceived = model.requests.at(-1)!.messages.find((m) => m.role === 'user') as { content: string };
    expect(perceived.content).toContain(`Approval ${pending!.id} for pay_invoice of 2500 sats was approved`);
  });

  it('never pays a rejected or expired request', async () => {
    const a = await spawn('alpha', { autonomy: 'supervised' });
    const inv1 = await operatorInvoice(10);
    const inv2 = await operatorInvoice(20);
    model.enqueue(
      { toolCalls: [{ name: 'pay_invoice', arguments: { invoice: inv1, reason: 'one' } }, { name: 'pay_invoice', arguments: { invoice: inv2, reason: 'two' } }] },
      { content: 'asked twice' },
    );
    await call('agents.tick', { agent: a.id, message: 'pay both' });
    const pending = await call('approvals.list', {});
    expect(pending).toHaveLength(2); // supervised: even 10 sats needs approval
    const rejected = await call('approvals.reject', { id: pending[0]!.id, reason: 'no' });
    expect(rejected.approval).toMatchObject({ status: 'rejected', execution: 'none' });
    node.db.prepare('UPDATE approvals SET expires_at = ? WHERE id = ?').run(Date.now() - 1, pending[1]!.id);
    const all = await call('approvals.list', { status: 'all' });
    expect(all.map((x: ApprovalView) => x.status).sort()).toEqual(['expired', 'rejected']);
    expect((await callError('approvals.approve', { id: pending[1]!.id })).message).toMatch(/already expired/);
    expect((await call('wallet.balance', { agent: a.id })).balanceSats).toBe(50_000);
    expect(node.db.prepare("SELECT COUNT(*) FROM outbox WHERE kind = 'pay_invoice'").pluck().get()).toBe(0);
  });

  it('approving an edited amount below a fixed invoice amount never pays', async () => {
    const a = await spawn('alpha', { autonomy: 'supervised' });
    const invoice = await operatorInvoice(500);
    model.enqueue({ toolCalls: [{ name: 'pay_invoice', arguments: { invoice, reason: 'x' } }] }, { content: 'asked' });
    await call('agents.tick', { agent: a.id, message: 'pay' });
    const [p] = await call('approvals.list', {});
    const d = await call('approvals.approve', { id: p!.id, amountSats: 300 });
    expect(d.approval).toMatchObject({ execution: 'failed', editedAmountSats: 300 });
    expect(JSON.stringify(d.approval.outcome)).toMatch(/more than the 300 sats approved/);
    expect((await call('wallet.balance', { agent: a.id })).balanceSats).toBe(50_000);
  });

  it('refuses spends beyond the daily limit', async () => {
    const a = await spawn('alpha', { autonomy: 'fully_autonomous', dailyLimitSats: 1000 });
    const small = await operatorInvoice(800);
    const big = await operatorInvoice(300);
    model.enqueue(
      { toolCalls: [{ name: 'pay_invoice', arguments: { invoice: small, reason: 'a' } }] },
      { toolCalls: [{ name: 'pay_invoice', arguments: { invoice: big, reason: 'b' } }] },
      { content: 'done' },
    );
    await call('agents.tick', { agent: a.id, message: 'spend' });
    const second = JSON.parse((model.requests[2]!.messages.filter((m) => m.role === 'tool').at(-1) as { content: string }).content) as { ok: boolean; error: string };
    expect(second.ok).toBe(false);
    expect(second.error).toMatch(/daily sats limit/);
    expect((await call('wallet.balance', { agent: a.id })).balanceSats).toBe(50_000 - 800);
    const st = await call('agents.status', { agent: a.id });
    expect(st.budgetStatus).toEqual({ kind: 'warning', sessionPct: 80, dailyPct: 80 });
  });

  it('moves agents through the funding lifecycle and wakes a hibernating agent on incoming funds', async () => {
    const a = await call('agents.spawn', { name: 'poor', autonomy: 'fully_autonomous' });
    expect(a.lifecycle).toBe('spawning');
    await call('agents.fund', { agent: 'poor', amountSats: 50 }); // below the hibernation threshold (100)
    expect((await call('agents.status', { agent: 'poor' })).lifecycle).toBe('hibernating');
    // A heartbeat does not wake a hibernating agent.
    expect(await node.engine.run(a.id, { kind: 'heartbeat', dueAt: Date.now() })).toBeNull();
    // Incoming funds do: the payment trigger is queued and the state improves.
    const inv = await call('wallet.invoice', { agent: 'poor', amountSats: 5000 });
    await call('wallet.pay', { invoice: inv.bolt11 });
    await node.incoming.checkNow();
    expect((await call('agents.status', { agent: 'poor' })).lifecycle).toBe('active');
    expect(node.triggers.next(a.id)).toMatchObject({ kind: 'payment' });
    await call('agents.stop', { agent: 'poor' });
    expect((await call('agents.status', { agent: 'poor' })).lifecycle).toBe('dormant');
    expect((await call('agents.start', { agent: 'poor' })).lifecycle).toBe('active');
    await call('agents.kill', { agent: 'poor' });
    expect((await callError('agents.start', { agent: 'poor' })).code).toBe('AGENT_NOT_RUNNABLE');
  });

  it('dies at zero balance, stays dead on its own, and is revived only by the operator', async () => {
    const a = await call('agents.spawn', { name: 'spender', autonomy: 'fully_autonomous', bootstrapSats: 150 });
    expect(a.lifecycle).toBe('active');
    await node.runtime.tickNow(a.id, node.triggers.next(a.id)!);
    const invoice = await operatorInvoice(150);
    model.enqueue({ toolCalls: [{ name: 'pay_invoice', arguments: { invoice, reason: 'everything' } }] }, { content: 'spent it all' });
    await call('agents.tick', { agent: a.id, message: 'spend it all' });
    const dead = await call('agents.status', { agent: a.id });
    expect(dead).toMatchObject({ lifecycle: 'dead', balanceSats: 0 });
    expect((await callError('agents.tick', { agent: a.id, message: 'wake up' })).code).toBe('AGENT_NOT_RUNNABLE');
    expect((await callError('agents.start', { agent: a.id })).message).toMatch(/no sats/);
    await call('agents.fund', { agent: a.id, amountSats: 1000 });
    expect((await call('agents.status', { agent: a.id })).lifecycle).toBe('dead'); // funds alone do not revive it
    // Revived with 1000 sats against an observed burn of 150/day: under 7 days of runway.
    expect((await call('agents.start', { agent: a.id })).lifecycle).toBe('low_balance');
    await call('agents.fund', { agent: a.id, amountSats: 1000 });
    expect((await call('agents.status', { agent: a.id })).lifecycle).toBe('active');
  });

  it('validates every input with a typed error', async () => {
    expect(await callError('agents.fund', { agent: 'nobody', amountSats: 5 })).toMatchObject({ code: 'NOT_FOUND' });
    expect(await callError('agents.fund', { agent: 'x', amountSats: 1.5 })).toMatchObject({ code: 'BAD_INPUT' });
    expect(await callError('wallet.pay', { invoice: 'lnbc1garbage' })).toMatchObject({ code: 'INVOICE_INVALID' });
    expect(await callError('nope' as ProcedureName, {})).toMatchObject({ code: 'BAD_INPUT' });
    expect(await callError('backends.add', { name: 'x', url: 'not a url', model: 'm' })).toMatchObject({ code: 'BAD_INPUT' });
  });
});

describe('scheduler', () => {
  it('runs each missed heartbeat once after downtime, and ticks agents concurrently within the pool', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await spawn(`hb${i}`)).id);
    // The machine was off for five hours: every heartbeat came due many times over.
    node.db.prepare('UPDATE alarms SET due_at = ?').run(Date.now() - 5 * 3600_000);
    const finished = new Set<string>();
    const allDone = new Promise<void>((resolve) => {
      node.events.on('tick.finished', (e) => {
        finished.add(e.agentId);
        if (ids.every((id) => finished.has(id))) resolve();
      });
    });
    node.runtime.start();
    await allDone;
    const due = node.db.prepare('SELECT MIN(due_at) FROM alarms').pluck().get() as number;
    expect(due).toBeGreaterThan(Date.now() + 800_000); // nothing else can come due now
    for (const id of ids) {
      expect(node.db.prepare("SELECT COUNT(*) FROM ticks WHERE agent_id = ? AND trigger_kind = 'heartbeat'").pluck().get(id)).toBe(1);
    }

    // Messages to all six at once: they tick in parallel, never more than the pool allows.
    let running = 0;
    let peak = 0;
    const offStart = node.events.on('tick.started', () => { running++; peak = Math.max(peak, running); });
    const done = new Set<string>();
    const allTicked = new Promise<void>((resolve) => {
      node.events.on('tick.finished', (e) => {
        if (e.summary !== 'slow work') return;
        running--;
        done.add(e.agentId);
        if (done.size === ids.length) resolve();
      });
    });
    model.setDefaultResponse({ delayMs: 300, content: 'slow work' });
    for (const id of ids) {
      node.triggers.deliverMessage(id, { kind: 'operator', ref: 'operator' }, 'work', `work:${id}`);
      node.triggers.notify(id);
    }
    await allTicked;
    offStart();
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(4);
  });
});

describe('budgets', () => {
  it('refuses model calls beyond the daily call budget, before calling', async () => {
    const a = await spawn('alpha');
    // One call went to perceiving the funding; two more are allowed today.
    await call('agents.configure', { agent: a.id, budget: { modelCallsPerDay: 3 } });
    model.enqueue({ toolCalls: [{ name: 'remember', arguments: { content: 'one' } }] }, { toolCalls: [{ name: 'remember', arguments: { content: 'two' } }] });
    const t = await call('agents.tick', { agent: a.id, message: 'go' });
    expect(t.status).toBe('error');
    expect(t.error).toMatch(/model calls per day used \(3\/3\)/);
    expect(model.requests.length).toBe(2);
  });

  it('refuses a model call whose estimated cost exceeds the sats budget', async () => {
    await call('backends.add', { name: 'pricey', url: model.url, model: 'scripted-model', costInSatsPer1k: 1000, costOutSatsPer1k: 1000 });
    const a = await spawn('alpha', { dailyLimitSats: 500 });
    await call('agents.route', { agent: a.id, backend: 'pricey' });
    const t = await call('agents.tick', { agent: a.id, message: 'think expensively' });
    expect(t.status).toBe('error');
    expect(t.error).toMatch(/model call refused: daily sats limit would be exceeded/);
    expect(model.requests.length).toBe(0);
  });

  it('records the cost of every call as spend', async () => {
    await call('backends.add', { name: 'priced', url: model.url, model: 'scripted-model', costInSatsPer1k: 2, costOutSatsPer1k: 3 });
    const a = await spawn('alpha');
    await call('agents.route', { agent: a.id, backend: 'priced' });
    model.enqueue({ content: 'cheap thought' });
    const t = await call('agents.tick', { agent: a.id, message: 'think' });
    expect(t.costSats).toBeGreaterThan(0);
    expect((await call('agents.status', { agent: a.id })).usage.dailySats).toBe(t.costSats);
    const spend = (await call('receipts.list', { agent: a.id })).find((r) => r.kind === 'spend');
    expect(spend?.body).toMatchObject({ data: { kind: 'model_call', backend: 'priced', cost_sats: t.costSats } });
    expect(await call('receipts.verify', {})).toMatchObject({ invalid: [] });

    await call('backends.setEnabled', { name: 'priced', enabled: false });
    const off = await call('agents.tick', { agent: a.id, message: 'think again' });
    expect(off.status).toBe('error');
    expect(off.error).toMatch(/backend "priced" is disabled/);
    expect(model.requests.length).toBe(1);
  });

  it('refuses memory beyond the storage budget', async () => {
    const a = await spawn('alpha');
    await call('agents.configure', { agent: a.id, budget: { storageBytes: 20 } });
    model.enqueue({ toolCalls: [{ name: 'remember', arguments: { content: 'x'.repeat(15) } }, { name: 'remember', arguments: { content: 'y'.repeat(15) } }] }, { content: 'ok' });
    await call('agents.tick', { agent: a.id, message: 'remember' });
    const results = model.requests[1]!.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse((m as { content: string }).content) as { ok: boolean; error?: string });
    expect(results[0]!.ok).toBe(true);
    expect(results[1]).toMatchObject({ ok: false, error: expect.stringMatching(/storage budget full/) });
  });

  it('skips ticks once the daily compute budget is used', async () => {
    const a = await spawn('alpha');
    await call('agents.configure', { agent: a.id, budget: { dailyComputeSeconds: 5 } });
    node.db.prepare("UPDATE ticks SET duration_ms = 6000 WHERE agent_id = ?").run(a.id);
    const t = await call('agents.tick', { agent: a.id, message: 'more' });
    expect(t.status).toBe('skipped');
    expect(t.summary).toMatch(/daily compute budget used/);
    expect(model.requests.length).toBe(0);
  });

  it('enforces the session limit and starts a new session when the agent is started again', async () => {
    const a = await spawn('alpha', { autonomy: 'fully_autonomous', budget: { sessionSats: 100 } });
    const first = await operatorInvoice(60);
    const second = await operatorInvoice(80);
    const lastToolResult = () => JSON.parse((model.requests.at(-1)!.messages.filter((m) => m.role === 'tool').at(-1) as { content: string }).content) as { ok: boolean; error?: string };
    model.enqueue({ toolCalls: [{ name: 'pay_invoice', arguments: { invoice: first, reason: 'x' } }] }, { content: 'a' });
    await call('agents.tick', { agent: a.id, message: 'pay first' });
    model.enqueue({ toolCalls: [{ name: 'pay_invoice', arguments: { invoice: second, reason: 'y' } }] }, { content: 'b' });
    await call('agents.tick', { agent: a.id, message: 'pay second' });
    expect(lastToolResult()).toMatchObject({ ok: false, error: expect.stringMatching(/session sats limit/) });
    await call('agents.stop', { agent: a.id });
    await call('agents.start', { agent: a.id });
    model.enqueue({ toolCalls: [{ name: 'pay_invoice', arguments: { invoice: second, reason: 'y' } }] }, { content: 'c' });
    await call('agents.tick', { agent: a.id, message: 'pay second again' });
    expect(lastToolResult()).toMatchObject({ ok: true, amountSats: 80 });
    expect((await call('wallet.balance', { agent: a.id })).balanceSats).toBe(50_000 - 140);
  });
});
