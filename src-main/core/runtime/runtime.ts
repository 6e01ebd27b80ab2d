import type { Db } from '../store/db.js';
import { AppError, toAppError } from '../errors.js';
import type { TickView } from '../api/contract.js';
import type { AgentStore } from './agents.js';
import type { ApprovalQueue } from './approvals.js';
import { pidAlive } from './leases.js';
import type { Outbox } from './outbox.js';
import type { TickEngine } from './tick-engine.js';
import type { Trigger, TriggerQueue } from './triggers.js';

export interface RuntimeOptions {
  /** Ticks that may run at once across all agents (one per agent always). */
  concurrency: number;
  /** Longest the scheduler sleeps between checks, so a machine waking from sleep catches up soon. */
  maxSleepMs: number;
  log: (line: string) => void;
}

export interface RecoveryReport { rolledBack: string[]; resumed: string[]; effectsCompleted: number }

/**
 * Runs ticks: one at a time per agent, up to `concurrency` agents at once. Heartbeats are
 * alarm rows; after a restart or a sleep every alarm that came due runs once, in due order,
 * through the same bounded pool, so there is no stampede.
 */
export class Runtime {
  private readonly running = new Map<string, Promise<TickView | null>>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private pumping = false;
  private repump = false;
  private readonly dueAlarms;
  private readonly nextAlarm;
  private readonly deferAlarm;

  constructor(
    private readonly db: Db,
    private readonly engine: TickEngine,
    private readonly agents: AgentStore,
    private readonly triggers: TriggerQueue,
    private readonly approvals: ApprovalQueue,
    private readonly outbox: Outbox,
    private readonly opts: RuntimeOptions,
    private readonly ownerId: string,
  ) {
    this.dueAlarms = db.prepare('SELECT agent_id, due_at FROM alarms WHERE due_at <= ? ORDER BY due_at LIMIT ?');
    this.nextAlarm = db.prepare('SELECT MIN(due_at) FROM alarms').pluck();
    this.deferAlarm = db.prepare('UPDATE alarms SET due_at = ? WHERE agent_id = ? AND due_at = ?');
    triggers.onEnqueued(() => this.kick());
  }

  /**
   * Ticks that were in flight when the process died: with no committed step they are rolled
   * back (trigger and perception returned, to run again once); with committed steps their
   * pending effects are completed and the tick is closed as resumed.
   */
  async recover(): Promise<RecoveryReport> {
    const report: RecoveryReport = { rolledBack: [], resumed: [], effectsCompleted: 0 };
    const inFlight = this.db.prepare("SELECT id, agent_id, trigger_id, started_at, owner FROM ticks WHERE status = 'running'").all() as { id: string; agent_id: string; trigger_id: number | null; started_at: number; owner: string }[];
    for (const t of inFlight) {
      if (this.running.has(t.agent_id)) continue;
      // A tick owned by another live process (a CLI ticking directly) is not interrupted.
      const ownerPid = Number(t.owner.split(':').pop());
      if (t.owner !== this.ownerId && Number.isInteger(ownerPid) && ownerPid !== process.pid && pidAlive(ownerPid)) continue;
      const committedSteps = this.db.prepare("SELECT COUNT(*) FROM trajectory WHERE tick_id = ? AND type != 'perceive'").pluck().get(t.id) as number;
      const now = Date.now();
      if (committedSteps === 0) {
        this.db.transaction(() => {
          this.db.prepare("UPDATE ticks SET status = 'rolled_back', phase = 'done', finished_at = ?, recovery = ? WHERE id = ?")
            .run(now, 'rolled back: the process stopped before any step committed; its trigger will run again', t.id);
          if (t.trigger_id !== null) this.db.prepare("UPDATE triggers SET status = 'pending', tick_id = NULL WHERE id = ?").run(t.trigger_id);
          this.db.prepare('UPDATE messages SET seen_tick_id = NULL WHERE seen_tick_id = ?').run(t.id);
          this.db.prepare('UPDATE approvals SET seen_tick_id = NULL WHERE seen_tick_id = ?').run(t.id);
        }).immediate();
        report.rolledBack.push(t.id);
      } else {
        const completed = await this.outbox.drain({ tickId: t.id });
        report.effectsCompleted += completed;
        const finished = Date.now();
        this.db.transaction(() => {
          this.db.prepare("UPDATE ticks SET status = 'resumed', phase = 'done', finished_at = ?, duration_ms = ?, recovery = ? WHERE id = ?")
            .run(finished, finished - t.started_at, `resumed after the process stopped: ${committedSteps} committed steps kept, ${completed} pending effects completed`, t.id);
          const agent = this.agents.get(t.agent_id);
          if (agent) this.engine.scheduleHeartbeat(agent, finished);
        }).immediate();
        report.resumed.push(t.id);
      }
    }
    // Effects of approvals decided just before a crash.
    report.effectsCompleted += await this.outbox.drain();
    return report;
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const all = Promise.allSettled([...this.running.values()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  isTicking(agentId: string): boolean {
    return this.running.has(agentId);
  }

  /** Wakes the scheduler now (a trigger arrived, the machine resumed from sleep). */
  kick(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pump(), 0);
  }

  /**
   * Runs this trigger's tick now (waiting for a tick already running for the agent) and
   * resolves with its result. Used by `agent tick` and the API.
   */
  async tickNow(agentId: string, trigger: Trigger): Promise<TickView> {
    for (;;) {
      const current = this.running.get(agentId);
      if (!current) break;
      await current.catch(() => undefined);
    }
    const fresh = this.triggers.get(trigger.id);
    if (fresh && fresh.status === 'consumed' && fresh.tickId) {
      const done = this.engine.getTick(fresh.tickId);
      if (done) return done;
    }
    if (!fresh || fresh.status !== 'pending') throw new AppError('CONFLICT', `trigger ${trigger.key} already ran`);
    const result = await this.launch(agentId, fresh);
    if (!result) {
      const agent = this.agents.get(agentId);
      throw new AppError('AGENT_NOT_RUNNABLE', `agent ${agent?.name ?? agentId} is ${agent?.lifecycle ?? 'gone'} and cannot tick now`);
    }
    return result;
  }

  private launch(agentId: string, trigger: Trigger | { kind: 'heartbeat'; dueAt: number }): Promise<TickView | null> {
    const p = this.engine.run(agentId, trigger).finally(() => {
      this.running.delete(agentId);
      for (const w of this.waiters.get(agentId) ?? []) w();
      this.waiters.delete(agentId);
      this.kick();
    });
    this.running.set(agentId, p);
    p.catch((err) => {
      const e = toAppError(err);
      if (e.code !== 'AGENT_BUSY') this.opts.log(`tick for ${agentId} failed: ${e.code}: ${e.message}`);
    });
    return p;
  }

  private async pump(): Promise<void> {
    if (this.stopped) return;
    if (this.pumping) {
      this.repump = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.repump = false;
        this.approvals.expireDue();
        let free = this.opts.concurrency - this.running.size;
        if (free > 0) {
          for (const agentId of this.triggers.agentsWaiting(free + this.running.size)) {
            if (free <= 0) break;
            if (this.running.has(agentId)) continue;
            const t = this.triggers.next(agentId);
            if (!t) continue;
            this.launch(agentId, t);
            free--;
          }
        }
        if (free > 0) {
          const now = Date.now();
          for (const a of this.dueAlarms.all(now, free + this.running.size) as { agent_id: string; due_at: number }[]) {
            if (this.running.has(a.agent_id)) {
              this.deferAlarm.run(now + 60_000, a.agent_id, a.due_at); // its running tick reschedules it
              continue;
            }
            if (free <= 0) break;
            // Push the alarm out while the tick runs; the tick's SCHEDULE phase sets the real next time.
            this.deferAlarm.run(now + 60_000, a.agent_id, a.due_at);
            this.launch(a.agent_id, { kind: 'heartbeat', dueAt: a.due_at });
            free--;
          }
        }
      } while (this.repump && !this.stopped);
    } catch (err) {
      this.opts.log(`scheduler error: ${toAppError(err).message}`);
    } finally {
      this.pumping = false;
    }
    if (!this.stopped) {
      const next = this.nextAlarm.get() as number | null;
      const wait = next === null ? this.opts.maxSleepMs : Math.max(0, Math.min(this.opts.maxSleepMs, next - Date.now()));
      if (this.timer) clearTimeout(this.timer);
      // When every slot is busy, a finishing tick kicks the pump; the timer is only the fallback.
      this.timer = setTimeout(() => void this.pump(), this.running.size >= this.opts.concurrency ? this.opts.maxSleepMs : wait);
    }
  }
}
