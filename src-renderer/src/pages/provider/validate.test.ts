import { describe, expect, it } from 'vitest';
import type { ProviderSettingsView } from '../../../../src-main/core/api/contract';
import { npubOf, shortKey } from '../../components/keys';
import { sinceForDays } from '../earnings/period';
import { fullJobPrice } from './format';
import { formFromSettings, validateSettings } from './validate';

const HEX = 'a'.repeat(64);

const SETTINGS: ProviderSettingsView = {
  model: 'tiny', minPriceSats: 10, pricePer1kSats: 10, maxTokens: 512, maxConcurrent: 2, paymentTimeoutSeconds: 300,
  allow: [], deny: [HEX], maxInFlightPerRequester: 2, maxJobsPerRequesterPerHour: 60, hours: null, onlyWhenIdle: false,
  idleMinutes: 5, maxOtherCpuPercent: 50, pauseOnBattery: true, threads: null, gpuLayers: 8, resumeAtStart: false, agentsFirst: true,
};

describe('provider settings form', () => {
  it('round-trips the stored settings into a patch (blank caps = auto, any time = null hours)', () => {
    const { errors, patch } = validateSettings(formFromSettings(SETTINGS));
    expect(errors).toEqual({});
    const { model: _model, ...rest } = SETTINGS;
    expect(patch).toEqual(rest);
  });

  it('names each invalid field and sends nothing', () => {
    const f = formFromSettings(SETTINGS);
    f.numbers.maxTokens = '40000';
    f.numbers.minPriceSats = '-1';
    f.auto.threads = '0';
    f.anyTime = false;
    f.hoursStart = '25:00';
    f.allow = `${HEX}\nnot-a-key`;
    const { errors, patch } = validateSettings(f);
    expect(patch).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(['allow', 'hoursStart', 'maxTokens', 'minPriceSats', 'threads']);
    expect(errors.allow).toMatch(/Line 2/);
  });

  it('accepts an hours window and npub lines', () => {
    const f = formFromSettings(SETTINGS);
    f.anyTime = false;
    f.hoursStart = '22:00';
    f.hoursEnd = '07:00';
    f.allow = `\n${npubOf(HEX)}\n\n`;
    const { patch } = validateSettings(f);
    expect(patch?.hours).toEqual({ start: '22:00', end: '07:00' });
    expect(patch?.allow).toEqual([npubOf(HEX)]);
  });
});

describe('display helpers', () => {
  it('prices a full job like the core (minimum + per-1k rate, rounded up)', () => {
    expect(fullJobPrice(10, 10, 512)).toBe(16);
    expect(fullJobPrice(0, 3, 1000)).toBe(3);
  });

  it('shortens keys as npubs', () => {
    expect(npubOf(HEX)).toMatch(/^npub1[02-9ac-hj-np-z]{58}$/);
    expect(shortKey(HEX)).toMatch(/^npub1.{7}….{6}$/);
    expect(npubOf('not hex')).toBe('not hex');
  });

  it('starts a period at local midnight, today included', () => {
    const now = new Date(2025, 2, 10, 15, 30);
    expect(sinceForDays(1, now)).toBe(new Date(2025, 2, 10).getTime());
    expect(sinceForDays(7, now)).toBe(new Date(2025, 2, 4).getTime());
    expect(sinceForDays(30, now)).toBe(new Date(2025, 1, 9).getTime());
  });
});
