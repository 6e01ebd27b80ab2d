/**
 * Autonomy levels (seed 001). Stored and spoken in the API as these ids; the UI says
 * Supervised / SemiAutonomous / FullyAutonomous, the CLI accepts supervised|semi|full and
 * Nostr events say supervised|bounded|autonomous (PROTOCOL.md).
 */
export type Autonomy = 'supervised' | 'semi_autonomous' | 'fully_autonomous';
export const AUTONOMY_LEVELS: readonly Autonomy[] = ['supervised', 'semi_autonomous', 'fully_autonomous'];

export const DEFAULT_APPROVAL_THRESHOLD_SATS = 1000;

const CLI_WORDS: Record<string, Autonomy> = {
  supervised: 'supervised',
  semi: 'semi_autonomous',
  semi_autonomous: 'semi_autonomous',
  semiautonomous: 'semi_autonomous',
  bounded: 'semi_autonomous',
  full: 'fully_autonomous',
  fully_autonomous: 'fully_autonomous',
  fullyautonomous: 'fully_autonomous',
  autonomous: 'fully_autonomous',
};

export function parseAutonomy(word: string): Autonomy | null {
  return CLI_WORDS[word.trim().toLowerCase().replace(/-/g, '_')] ?? null;
}

export function autonomyLabel(level: Autonomy): string {
  return level === 'supervised' ? 'Supervised' : level === 'semi_autonomous' ? 'SemiAutonomous' : 'FullyAutonomous';
}

export function autonomyWire(level: Autonomy): 'supervised' | 'bounded' | 'autonomous' {
  return level === 'supervised' ? 'supervised' : level === 'semi_autonomous' ? 'bounded' : 'autonomous';
}

/** Supervised: every spend; SemiAutonomous: spends above the threshold; FullyAutonomous: none. */
export function requiresApproval(level: Autonomy, amountSats: number, thresholdSats: number): boolean {
  if (level === 'supervised') return true;
  if (level === 'semi_autonomous') return amountSats > thresholdSats;
  return false;
}
