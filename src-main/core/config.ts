import os from 'node:os';
import path from 'node:path';

export type Network = 'devnet' | 'regtest' | 'mainnet';
export const NETWORKS: readonly Network[] = ['devnet', 'regtest', 'mainnet'];

/** Where a home lives: $OPENAGENTS_HOME, default ~/.openagents. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.OPENAGENTS_HOME || path.join(os.homedir(), '.openagents'));
}

/** The devnet ledger shared by every home on the machine: $OPENAGENTS_DEVNET_DIR, default ~/.openagents-devnet. */
export function defaultDevnetDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.OPENAGENTS_DEVNET_DIR || path.join(os.homedir(), '.openagents-devnet'));
}

export const DEVNET_LABEL = 'devnet sats — not real money';
