import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pidAlive } from '../core/runtime/leases.js';

/** What a running daemon writes to $OPENAGENTS_HOME/daemon.json. The token itself lives in tokenFile (0600). */
export interface DaemonInfo {
  pid: number;
  apiUrl: string;
  consoleUrl: string;
  tokenFile: string;
  home: string;
  startedAt: number;
  /** The embedded relay's ws:// URL (devnet), or null. */
  relayUrl: string | null;
}

export function daemonFilePath(home: string): string {
  return path.join(home, 'daemon.json');
}

export function writeDaemonFile(home: string, info: DaemonInfo): void {
  writeFileSync(daemonFilePath(home), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
}

export function removeDaemonFile(home: string, pid: number): void {
  const info = readDaemonFile(home);
  if (info && info.pid === pid) rmSync(daemonFilePath(home), { force: true });
}

export function readDaemonFile(home: string): DaemonInfo | null {
  const file = daemonFilePath(home);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DaemonInfo;
  } catch {
    return null;
  }
}

/** The daemon of this home if its process is alive (a file left by a killed daemon is ignored). */
export function liveDaemon(home: string): DaemonInfo | null {
  const info = readDaemonFile(home);
  return info && pidAlive(info.pid) ? info : null;
}
