import type { ProviderSettingKey, ProviderSettingsPatch } from '../core/api/contract.js';

type Kind = 'int' | 'int-or-auto' | 'bool' | 'pubkeys' | 'hours' | 'text';

/** How `openagents provider set KEY VALUE` reads each setting (every key of the contract). */
export const PROVIDER_SETTING_KINDS: Record<ProviderSettingKey, Kind> = {
  model: 'text',
  minPriceSats: 'int',
  pricePer1kSats: 'int',
  maxTokens: 'int',
  maxConcurrent: 'int',
  paymentTimeoutSeconds: 'int',
  allow: 'pubkeys',
  deny: 'pubkeys',
  maxInFlightPerRequester: 'int',
  maxJobsPerRequesterPerHour: 'int',
  hours: 'hours',
  onlyWhenIdle: 'bool',
  idleMinutes: 'int',
  maxOtherCpuPercent: 'int',
  pauseOnBattery: 'bool',
  threads: 'int-or-auto',
  gpuLayers: 'int-or-auto',
  resumeAtStart: 'bool',
  agentsFirst: 'bool',
};

const HINT: Record<Kind, string> = {
  int: 'a whole number',
  'int-or-auto': 'a whole number or "auto"',
  bool: 'on or off',
  pubkeys: 'npubs or hex keys separated by commas, or "none"',
  hours: 'HH:MM-HH:MM (local time) or "any"',
  text: 'a name',
};

/** max-concurrent, max_concurrent and maxConcurrent all name the same key. */
function keyOf(input: string): ProviderSettingKey | null {
  const camel = input.trim().replace(/[-_]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const found = (Object.keys(PROVIDER_SETTING_KINDS) as ProviderSettingKey[]).find((k) => k.toLowerCase() === camel.toLowerCase());
  return found ?? null;
}

/** A patch of one setting, or an error message naming what is accepted. */
export function parseProviderSetting(rawKey: string, raw: string): { patch: ProviderSettingsPatch } | { error: string } {
  const key = keyOf(rawKey);
  if (!key) return { error: `unknown setting "${rawKey}"; settings: ${Object.keys(PROVIDER_SETTING_KINDS).join(', ')}` };
  const kind = PROVIDER_SETTING_KINDS[key];
  const v = raw.trim();
  const bad = { error: `${key} takes ${HINT[kind]}, not "${raw}"` };
  let value: unknown;
  switch (kind) {
    case 'int':
      if (!/^\d+$/.test(v)) return bad;
      value = Number(v);
      break;
    case 'int-or-auto':
      if (v === 'auto') value = null;
      else if (/^\d+$/.test(v)) value = Number(v);
      else return bad;
      break;
    case 'bool': {
      const on = ['on', 'true', 'yes', '1'].includes(v.toLowerCase());
      const off = ['off', 'false', 'no', '0'].includes(v.toLowerCase());
      if (!on && !off) return bad;
      value = on;
      break;
    }
    case 'pubkeys':
      value = v === 'none' || v === '' ? [] : v.split(/[\s,]+/).filter(Boolean);
      break;
    case 'hours': {
      if (['any', 'off', 'always'].includes(v.toLowerCase())) {
        value = null;
        break;
      }
      const m = /^(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})$/.exec(v);
      if (!m) return bad;
      value = { start: m[1], end: m[2] };
      break;
    }
    case 'text':
      value = v;
      break;
  }
  return { patch: { [key]: value } as ProviderSettingsPatch };
}
