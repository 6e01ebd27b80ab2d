import type { Db } from '../store/db.js';
import { AppError } from '../errors.js';

export const HOME_LEASE = '*';

export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Which process may tick which agent. The daemon holds the home lease ('*'); a CLI working
 * on the home directly holds one agent's lease for the length of a tick. A lease whose
 * process has died is free again, so a kill -9 never leaves an agent locked.
 */
export class Leases {
  private readonly select;
  private readonly upsert;
  private readonly remove;

  constructor(private readonly db: Db, readonly owner: string, private readonly pid = process.pid) {
    this.select = db.prepare('SELECT owner, pid FROM leases WHERE agent_id = ?');
    this.upsert = db.prepare('INSERT INTO leases (agent_id, owner, pid, acquired_at) VALUES (?, ?, ?, ?) ON CONFLICT(agent_id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, acquired_at = excluded.acquired_at');
    this.remove = db.prepare('DELETE FROM leases WHERE agent_id = ? AND owner = ?');
  }

  /** The live holder other than this process, if any. */
  otherHolder(agentId: string): { owner: string; pid: number } | null {
    const row = this.select.get(agentId) as { owner: string; pid: number } | undefined;
    if (!row || row.owner === this.owner || !pidAlive(row.pid)) return null;
    return row;
  }

  /** Call inside a write transaction. */
  acquire(agentId: string, what: string): void {
    const home = agentId === HOME_LEASE ? null : this.otherHolder(HOME_LEASE);
    const holder = home ?? this.otherHolder(agentId);
    if (holder) {
      throw new AppError('AGENT_BUSY', `${what} is in use by another process (${holder.owner}, pid ${holder.pid})`, { owner: holder.owner, pid: holder.pid });
    }
    this.upsert.run(agentId, this.owner, this.pid, Date.now());
  }

  release(agentId: string): void {
    this.remove.run(agentId, this.owner);
  }

  releaseAll(): void {
    this.db.prepare('DELETE FROM leases WHERE owner = ?').run(this.owner);
  }
}
