import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuSampler, insideHours, linuxOnBattery, pauseReasons, type MachineSignals } from './governor.js';

const at = (hh: number, mm: number): Date => new Date(2026, 10, 23, hh, mm);
const signals = (over: Partial<MachineSignals> = {}): MachineSignals => ({ now: () => at(12, 0), idleSeconds: () => null, onBattery: () => false, otherCpuPercent: () => 0, ...over });
const limits = { hours: null, onlyWhenIdle: false, idleMinutes: 5, maxOtherCpuPercent: 50, pauseOnBattery: true };

describe('provider governor', () => {
  it('reads selling hours in local time, across midnight too', () => {
    expect(insideHours(at(12, 0), '09:00', '17:00')).toBe(true);
    expect(insideHours(at(17, 0), '09:00', '17:00')).toBe(false);
    expect(insideHours(at(23, 30), '22:00', '07:00')).toBe(true);
    expect(insideHours(at(6, 59), '22:00', '07:00')).toBe(true);
    expect(insideHours(at(12, 0), '22:00', '07:00')).toBe(false);
    expect(insideHours(at(3, 0), '00:00', '00:00')).toBe(true);
  });

  it('gives a reason for each limit that applies, and none when selling may go on', () => {
    expect(pauseReasons(limits, signals())).toEqual([]);
    expect(pauseReasons({ ...limits, hours: { start: '22:00', end: '07:00' } }, signals())).toEqual(['outside selling hours 22:00–07:00']);
    expect(pauseReasons(limits, signals({ onBattery: () => true }))).toEqual(['on battery power']);
    expect(pauseReasons({ ...limits, pauseOnBattery: false }, signals({ onBattery: () => true }))).toEqual([]);
    expect(pauseReasons(limits, signals({ onBattery: () => null }))).toEqual([]);
    // Desktop: keyboard/mouse idle time decides.
    expect(pauseReasons({ ...limits, onlyWhenIdle: true }, signals({ idleSeconds: () => 60 }))[0]).toMatch(/in use \(idle 1 of 5 min\)/);
    expect(pauseReasons({ ...limits, onlyWhenIdle: true }, signals({ idleSeconds: () => 600, otherCpuPercent: () => 99 }))).toEqual([]);
    // Headless: other programs' CPU use decides.
    expect(pauseReasons({ ...limits, onlyWhenIdle: true }, signals({ otherCpuPercent: () => 80 }))[0]).toMatch(/other programs use 80% of the CPU \(limit 50%\)/);
    expect(pauseReasons({ ...limits, onlyWhenIdle: true }, signals({ otherCpuPercent: () => 20 }))).toEqual([]);
  });

  it('tells battery from mains in /sys/class/power_supply', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'oa-power-'));
    const supply = (name: string, files: Record<string, string>): void => {
      mkdirSync(path.join(root, name), { recursive: true });
      for (const [f, v] of Object.entries(files)) writeFileSync(path.join(root, name, f), `${v}\n`);
    };
    expect(linuxOnBattery(path.join(root, 'missing'))).toBe(null);
    expect(linuxOnBattery(root)).toBe(false); // no battery at all: a desktop or server
    supply('BAT0', { type: 'Battery', status: 'Discharging' });
    expect(linuxOnBattery(root)).toBe(null); // a battery, no adapter information
    supply('AC', { type: 'Mains', online: '0' });
    expect(linuxOnBattery(root)).toBe(true);
    writeFileSync(path.join(root, 'AC', 'online'), '1\n');
    expect(linuxOnBattery(root)).toBe(false);
  });

  it("counts other programs' CPU use, not its own", () => {
    const samples = [
      { busyMs: 1000, totalMs: 10_000, ownMs: 0 },
      // 2,000 ms of 4,000 busy, all of it this process (inference): nobody else is using the machine.
      { busyMs: 3000, totalMs: 14_000, ownMs: 2000 },
      // 3,000 ms of 4,000 busy, 1,000 of it ours: others use 50%.
      { busyMs: 6000, totalMs: 18_000, ownMs: 3000 },
    ];
    let i = 0;
    const sampler = new CpuSampler(() => samples[i++]!);
    expect(sampler.otherPercent()).toBe(0);
    expect(sampler.otherPercent()).toBe(50);
    // On this machine: a real reading is a share.
    const real = new CpuSampler();
    const v = real.otherPercent();
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(100);
  });
});
