import type { ProviderSettingsPatch, ProviderSettingsView } from '../../../../src-main/core/api/contract';
import { isPubkey } from '../../components/keys';

/** Whole-number settings with the contract's bounds, so the form can say what is wrong before the round trip. */
export const NUMBER_FIELDS = {
  minPriceSats: { label: 'Minimum price (sats)', min: 0, max: 2_100_000_000_000_000, hint: 'The least any job costs.' },
  pricePer1kSats: { label: 'Price per 1,000 tokens (sats)', min: 0, max: 2_100_000_000_000_000, hint: 'Added for each 1,000 tokens a job may produce.' },
  maxTokens: { label: 'Most tokens per job', min: 1, max: 32_768, hint: 'Longer requests are capped at this.' },
  maxConcurrent: { label: 'Jobs at once', min: 1, max: 64, hint: 'Paid jobs running or waiting for the engine; more are refused as busy.' },
  paymentTimeoutSeconds: { label: 'Invoice open for (seconds)', min: 10, max: 86_400, hint: 'An unpaid job expires after this and never runs.' },
  maxInFlightPerRequester: { label: 'Unfinished jobs per requester', min: 1, max: 1000, hint: 'One requester cannot take every slot.' },
  maxJobsPerRequesterPerHour: { label: 'Jobs per requester per hour', min: 1, max: 100_000, hint: 'Requests beyond this are refused.' },
  idleMinutes: { label: 'Idle after (minutes)', min: 1, max: 1440, hint: 'Desktop: minutes without keyboard or mouse.' },
  maxOtherCpuPercent: { label: 'Other programs below (% CPU)', min: 1, max: 100, hint: 'Headless: the machine counts as idle under this.' },
} as const;
export type NumberField = keyof typeof NUMBER_FIELDS;

/** Caps where blank means "chosen automatically" (null in the contract). */
export const AUTO_FIELDS = {
  threads: { label: 'CPU threads', min: 1, max: 256, hint: 'Blank: chosen from the model and the cores.' },
  gpuLayers: { label: 'GPU layers', min: 0, max: 1000, hint: 'Blank: as many as fit.' },
} as const;
export type AutoField = keyof typeof AUTO_FIELDS;

export const FLAG_FIELDS = {
  onlyWhenIdle: { label: 'Only while the machine is idle', hint: 'The desktop watches keyboard and mouse; the daemon watches other programs\u2019 CPU use.' },
  pauseOnBattery: { label: 'Pause on battery', hint: 'Stop taking jobs while unplugged.' },
  agentsFirst: { label: 'My agents first', hint: 'Your own agents go ahead of market jobs waiting for the engine.' },
  resumeAtStart: { label: 'Resume at start', hint: 'Go back online when the app or daemon starts, if it was online when it stopped.' },
} as const;
export type FlagField = keyof typeof FLAG_FIELDS;

export interface SettingsForm {
  numbers: Record<NumberField, string>;
  auto: Record<AutoField, string>;
  flags: Record<FlagField, boolean>;
  anyTime: boolean;
  hoursStart: string;
  hoursEnd: string;
  allow: string;
  deny: string;
}

export type SettingsErrors = Partial<Record<NumberField | AutoField | 'hoursStart' | 'hoursEnd' | 'allow' | 'deny', string>>;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function formFromSettings(s: ProviderSettingsView): SettingsForm {
  const numbers = Object.fromEntries(Object.keys(NUMBER_FIELDS).map((k) => [k, String(s[k as NumberField])])) as Record<NumberField, string>;
  return {
    numbers,
    auto: { threads: s.threads === null ? '' : String(s.threads), gpuLayers: s.gpuLayers === null ? '' : String(s.gpuLayers) },
    flags: { onlyWhenIdle: s.onlyWhenIdle, pauseOnBattery: s.pauseOnBattery, agentsFirst: s.agentsFirst, resumeAtStart: s.resumeAtStart },
    anyTime: s.hours === null,
    hoursStart: s.hours?.start ?? '22:00',
    hoursEnd: s.hours?.end ?? '07:00',
    allow: s.allow.join('\n'),
    deny: s.deny.join('\n'),
  };
}

function whole(text: string, min: number, max: number): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

function range(min: number, max: number): string {
  return `Enter a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}.`;
}

/** Lines of a pubkey list: blank lines dropped; the first line that is not a key is named. */
function keyList(text: string): { keys: string[]; error?: string } {
  const keys = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = keys.findIndex((k) => !isPubkey(k));
  if (bad >= 0) return { keys, error: `Line ${bad + 1} ("${keys[bad]!.slice(0, 24)}") is not an npub or a 64-hex public key.` };
  if (keys.length > 10_000) return { keys, error: 'At most 10,000 keys.' };
  return { keys };
}

/** Checks the whole form; a patch only when every field is valid. */
export function validateSettings(f: SettingsForm): { errors: SettingsErrors; patch: ProviderSettingsPatch | null } {
  const errors: SettingsErrors = {};
  const patch: ProviderSettingsPatch = {};
  for (const [key, spec] of Object.entries(NUMBER_FIELDS) as [NumberField, (typeof NUMBER_FIELDS)[NumberField]][]) {
    const n = whole(f.numbers[key], spec.min, spec.max);
    if (n === null) errors[key] = range(spec.min, spec.max);
    else patch[key] = n;
  }
  for (const [key, spec] of Object.entries(AUTO_FIELDS) as [AutoField, (typeof AUTO_FIELDS)[AutoField]][]) {
    if (f.auto[key].trim() === '') {
      patch[key] = null;
      continue;
    }
    const n = whole(f.auto[key], spec.min, spec.max);
    if (n === null) errors[key] = `${range(spec.min, spec.max)} Leave it blank for automatic.`;
    else patch[key] = n;
  }
  if (f.anyTime) patch.hours = null;
  else {
    if (!HHMM.test(f.hoursStart)) errors.hoursStart = 'HH:MM, 00:00–23:59.';
    if (!HHMM.test(f.hoursEnd)) errors.hoursEnd = 'HH:MM, 00:00–23:59.';
    else if (f.hoursStart === f.hoursEnd) errors.hoursEnd = 'The end must differ from the start (or choose any time).';
    if (!errors.hoursStart && !errors.hoursEnd) patch.hours = { start: f.hoursStart, end: f.hoursEnd };
  }
  const allow = keyList(f.allow);
  const deny = keyList(f.deny);
  if (allow.error) errors.allow = allow.error;
  else patch.allow = allow.keys;
  if (deny.error) errors.deny = deny.error;
  else patch.deny = deny.keys;
  Object.assign(patch, f.flags);
  return { errors, patch: Object.keys(errors).length === 0 ? patch : null };
}
