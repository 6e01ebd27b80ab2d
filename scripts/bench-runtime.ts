// npm run bench:runtime
//
// 1. Durable heartbeat ticks per second (a heartbeat with nothing new: the engine's full
//    path, committed to disk) against raw better-sqlite3 transactions doing the same writes
//    (tick row, agent counters, next alarm) with the same pragmas, measured in the same run.
//    Target: ratio ≥ 0.5.
// 2. Wake latency with 10,000 dormant agents: from a message arriving to the agent's tick
//    having woken and perceived it (the tick.started event), p50/p95, and the process RSS.
//    Targets: p95 ≤ 20 ms, RSS ≤ 300 MB.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHandlers, dispatch } from '../src-main/core/api/handlers.js';
import { openDatabase } from '../src-main/core/store/db.js';
import { OpenAgentsNode } from '../src-main/core/node.js';
import { publicKeyHex } from '../src-main/core/identity/keys.js';
import { DEFAULT_BUDGET } from '../src-main/core/runtime/budget.js';
import { ScriptedModelServer } from '../test/support/scripted-model-server.js';

const TICKS = Number(process.env.BENCH_TICKS ?? 20_000);
const DORMANT = Number(process.env.BENCH_DORMANT ?? 10_000);
const WAKES = Number(process.env.BENCH_WAKES ?? 300);

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'oa-bench-'));
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function must<T>(r: Promise<{ ok: true; value: unknown } | { ok: false; error: { message: string } }>): Promise<T> {
  const v = await r;
  if (!v.ok) throw new Error(v.error.message);
  return v.value as T;
}

/** The same writes as an idle heartbeat tick, straight through better-sqlite3. */
function rawBaseline(n: number): number {
  const db = openDatabase(path.join(tmp(), 'raw.sqlite'));
  db.exec(`INSERT INTO agents (id, name, key_index, pubkey, lifecycle, autonomy, approval_threshold_sats, heartbeat_seconds, max_steps, budget,
    hibernate_threshold_sats, session_started_at, created_at, updated_at) VALUES ('a', 'a', 0, 'pk', 'active', 'supervised', 0, 900, 8, '{}', 0, 0, 0, 0)`);
  const insertTick = db.prepare(`INSERT INTO ticks (id, agent_id, seq, trigger_id, trigger_kind, status, phase, started_at, finished_at, duration_ms, summary, owner)
    VALUES (?, 'a', ?, NULL, 'heartbeat', 'success', 'done', ?, ?, 0, 'nothing new to perceive', 'raw')`);
  const agentTicked = db.prepare('UPDATE agents SET tick_count = tick_count + 1, last_tick_at = ?, consecutive_failures = 0 WHERE id = ?');
  const setAlarm = db.prepare("INSERT INTO alarms (agent_id, due_at, kind) VALUES ('a', ?, 'heartbeat') ON CONFLICT(agent_id) DO UPDATE SET due_at = excluded.due_at");
  const tx = db.transaction((i: number) => {
    const now = Date.now();
    insertTick.run(`a:${i}`, i, now, now);
    agentTicked.run(now, 'a');
    setAlarm.run(now + 900_000);
  });
  const t0 = performance.now();
  for (let i = 1; i <= n; i++) tx.immediate(i);
  const rate = n / ((performance.now() - t0) / 1000);
  db.close();
  return rate;
}

async function heartbeatRate(n: number): Promise<number> {
  const base = tmp();
  const node = new OpenAgentsNode({ home: path.join(base, 'home'), devnetDir: path.join(base, 'devnet'), mode: 'daemon' });
  const api = createHandlers(node);
  await must(dispatch(api, 'identity.init', {}));
  await must(dispatch(api, 'wallet.faucet', { amountSats: 1_000_000 }));
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) ids.push((await must<{ id: string }>(dispatch(api, 'agents.spawn', { name: `hb${i}`, bootstrapSats: 10_000 }))).id);
  for (const id of ids) await node.engine.run(id, { kind: 'heartbeat', dueAt: Date.now() }); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = await node.engine.run(ids[i % ids.length]!, { kind: 'heartbeat', dueAt: Date.now() });
    if (t?.status !== 'success') throw new Error(`heartbeat tick ${i} did not succeed`);
  }
  const rate = n / ((performance.now() - t0) / 1000);
  await node.stop();
  return rate;
}

async function wakeLatency(dormant: number, wakes: number): Promise<{ p50: number; p95: number; max: number; rssMb: number; setupS: number }> {
  const model = await ScriptedModelServer.start({ defaultResponse: { content: 'awake' } });
  const base = tmp();
  const node = new OpenAgentsNode({ home: path.join(base, 'home'), devnetDir: path.join(base, 'devnet'), mode: 'daemon', concurrency: 4 });
  const api = createHandlers(node);
  await must(dispatch(api, 'identity.init', {}));
  await must(dispatch(api, 'backends.add', { name: 'scripted', url: model.url, model: 'scripted-model' }));
  // Fixture: 10,000 agents with their real derived keys, asleep until an hour from now.
  const setupStart = performance.now();
  const insert = node.db.prepare(`INSERT INTO agents (id, name, key_index, pubkey, lifecycle, autonomy, approval_threshold_sats, heartbeat_seconds, max_steps, budget,
    hibernate_threshold_sats, session_started_at, funded, created_at, updated_at) VALUES (?, ?, ?, ?, 'active', 'fully_autonomous', 1000, 3600, 2, ?, 0, ?, 1, ?, ?)`);
  const alarm = node.db.prepare("INSERT INTO alarms (agent_id, due_at, kind) VALUES (?, ?, 'heartbeat')");
  const now = Date.now();
  const budget = JSON.stringify(DEFAULT_BUDGET);
  node.db.transaction(() => {
    for (let i = 0; i < dormant; i++) {
      const id = `ag_b${i}`;
      insert.run(id, `dormant${i}`, i, publicKeyHex(node.identity.agentSecretKey(i)), budget, now, now, now);
      alarm.run(id, now + 3_600_000 + i);
    }
    node.db.prepare('UPDATE identity SET next_agent_index = ?').run(dormant);
  })();
  const setupS = (performance.now() - setupStart) / 1000;
  await node.start();
  const started = new Map<string, number>();
  node.events.on('tick.started', (e) => started.set(e.agentId, performance.now()));
  const finished = new Map<string, () => void>();
  node.events.on('tick.finished', (e) => finished.get(e.agentId)?.());
  const latencies: number[] = [];
  for (let w = 0; w < wakes; w++) {
    const id = `ag_b${Math.floor(Math.random() * dormant)}`;
    if (finished.has(id)) continue;
    const done = new Promise<void>((r) => finished.set(id, r));
    const t0 = performance.now();
    node.triggers.deliverMessage(id, { kind: 'operator', ref: 'operator' }, `wake ${w}`, `bench:${w}`);
    node.triggers.notify(id);
    await done;
    finished.delete(id);
    latencies.push(started.get(id)! - t0);
  }
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  await node.stop();
  await model.close();
  latencies.sort((a, b) => a - b);
  return { p50: pct(latencies, 50), p95: pct(latencies, 95), max: latencies.at(-1)!, rssMb, setupS };
}

const raw = rawBaseline(TICKS);
const ticks = await heartbeatRate(TICKS);
console.log(`durable heartbeat ticks: ${ticks.toFixed(0)}/s; raw better-sqlite3 transactions with the same writes: ${raw.toFixed(0)}/s; ratio ${(ticks / raw).toFixed(2)} (target ≥ 0.5)`);
const wake = await wakeLatency(DORMANT, WAKES);
console.log(`wake latency with ${DORMANT} dormant agents (${WAKES} wakes): p50 ${wake.p50.toFixed(2)} ms, p95 ${wake.p95.toFixed(2)} ms, max ${wake.max.toFixed(2)} ms (target p95 ≤ 20 ms); RSS ${wake.rssMb.toFixed(0)} MB (target ≤ 300 MB); fixture setup ${wake.setupS.toFixed(1)} s`);
