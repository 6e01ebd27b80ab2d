import type { ProviderSettingsPatch, ProviderSettingsView } from '../api/contract.js';
import { AppError } from '../errors.js';
import { parsePubkey } from '../identity/keys.js';
import type { Db } from '../store/db.js';

/** What the operator chose, plus whether the provider was left online (for "resume selling at start"). */
export type ProviderSettings = ProviderSettingsView & { online: boolean };

export const PROVIDER_DEFAULTS: ProviderSettings = {
  online: false,
  model: null,
  minPriceSats: 10,
  pricePer1kSats: 10,
  maxTokens: 512,
  maxConcurrent: 2,
  paymentTimeoutSeconds: 300,
  allow: [],
  deny: [],
  maxInFlightPerRequester: 2,
  maxJobsPerRequesterPerHour: 60,
  hours: null,
  onlyWhenIdle: false,
  idleMinutes: 5,
  maxOtherCpuPercent: 50,
  pauseOnBattery: true,
  threads: null,
  gpuLayers: null,
  resumeAtStart: false,
  agentsFirst: true,
};

/** Provider settings, kept as one JSON row in `meta`. Pubkey lists are stored as hex. */
export class ProviderSettingsStore {
  constructor(private readonly db: Db) {}

  get(): ProviderSettings {
    const raw = this.db.prepare("SELECT value FROM meta WHERE key = 'provider'").pluck().get() as string | undefined;
    return { ...PROVIDER_DEFAULTS, ...(raw ? (JSON.parse(raw) as Partial<ProviderSettings>) : {}) };
  }

  save(s: ProviderSettings): void {
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('provider', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(JSON.stringify(s));
  }

  /** Applies a validated patch; npubs become hex, unknown keys cannot reach here (zod .strict()). */
  update(patch: ProviderSettingsPatch & { online?: boolean }): ProviderSettings {
    const clean = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<ProviderSettings>;
    if (clean.allow) clean.allow = hexList('allow', clean.allow);
    if (clean.deny) clean.deny = hexList('deny', clean.deny);
    const next = { ...this.get(), ...clean };
    this.save(next);
    return next;
  }
}

function hexList(key: string, list: string[]): string[] {
  const out = new Set<string>();
  for (const item of list) {
    const hex = parsePubkey(item.trim());
    if (!hex) throw new AppError('BAD_INPUT', `${key}: "${item}" is not an npub or a 64-hex public key`);
    out.add(hex);
  }
  return [...out];
}
