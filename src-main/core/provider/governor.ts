import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProviderSettingsView } from '../api/contract.js';

/**
 * What the governor reads about the machine. The desktop supplies the OS idle time and the
 * power source (Electron's powerMonitor); headless, idleness is other programs' CPU use and
 * the power source comes from /sys/class/power_supply on Linux (unknown elsewhere).
 */
export interface MachineSignals {
  now(): Date;
  /** Seconds since the last keyboard/mouse input; null where there is no desktop. */
  idleSeconds(): number | null;
  /** True on battery, false on mains, null when it cannot be told. */
  onBattery(): boolean | null;
  /** Percent of all cores used by programs other than this one since the last call. */
  otherCpuPercent(): number;
}

/** Why selling should pause now, in words for the operator; empty = go ahead. */
export function pauseReasons(s: Pick<ProviderSettingsView, 'hours' | 'onlyWhenIdle' | 'idleMinutes' | 'maxOtherCpuPercent' | 'pauseOnBattery'>, m: MachineSignals): string[] {
  const reasons: string[] = [];
  if (s.hours && !insideHours(m.now(), s.hours.start, s.hours.end)) reasons.push(`outside selling hours ${s.hours.start}–${s.hours.end}`);
  if (s.pauseOnBattery && m.onBattery() === true) reasons.push('on battery power');
  if (s.onlyWhenIdle) {
    const idle = m.idleSeconds();
    if (idle !== null) {
      if (idle < s.idleMinutes * 60) reasons.push(`the machine is in use (idle ${Math.floor(idle / 60)} of ${s.idleMinutes} min)`);
    } else {
      const other = m.otherCpuPercent();
      if (other > s.maxOtherCpuPercent) reasons.push(`other programs use ${Math.round(other)}% of the CPU (limit ${s.maxOtherCpuPercent}%)`);
    }
  }
  return reasons;
}

/** Local "HH:MM" window; a start after the end crosses midnight; equal bounds mean all day. */
export function insideHours(now: Date, start: string, end: string): boolean {
  const minutes = now.getHours() * 60 + now.getMinutes();
  const toMin = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const a = toMin(start);
  const b = toMin(end);
  if (a === b) return true;
  return a < b ? minutes >= a && minutes < b : minutes >= a || minutes < b;
}

/** Linux power supplies: on battery when a battery exists and no mains adapter is online. */
export function linuxOnBattery(root = '/sys/class/power_supply'): boolean | null {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return null;
  }
  const read = (dir: string, file: string): string | null => {
    try {
      return readFileSync(path.join(root, dir, file), 'utf8').trim();
    } catch {
      return null;
    }
  };
  let battery = false;
  let mainsKnown = false;
  for (const dir of entries) {
    const type = read(dir, 'type');
    if (type === 'Battery') battery = true;
    if (type === 'Mains' || type === 'USB') {
      mainsKnown = true;
      if (read(dir, 'online') === '1') return false;
    }
  }
  if (!battery) return false; // a desktop or server: always on mains
  return mainsKnown ? true : null;
}

/**
 * Other programs' share of the CPU between two calls: all cores' busy time minus this
 * process's own CPU time (inference included), so selling does not pause itself.
 */
export interface CpuSample { busyMs: number; totalMs: number; ownMs: number }

export class CpuSampler {
  private last: CpuSample;

  constructor(private readonly sample: () => CpuSample = CpuSampler.read) {
    this.last = sample();
  }

  /** All cores' busy and total time (os.cpus) and this process's CPU time, in ms. */
  static read(): CpuSample {
    let busy = 0;
    let total = 0;
    for (const c of os.cpus()) {
      const t = c.times;
      busy += t.user + t.nice + t.sys + t.irq;
      total += t.user + t.nice + t.sys + t.irq + t.idle;
    }
    const own = process.cpuUsage();
    return { busyMs: busy, totalMs: total, ownMs: (own.user + own.system) / 1000 };
  }

  otherPercent(): number {
    const now = this.sample();
    const total = now.totalMs - this.last.totalMs;
    const other = now.busyMs - this.last.busyMs - (now.ownMs - this.last.ownMs);
    this.last = now;
    if (total <= 0) return 0;
    return Math.max(0, Math.min(100, (other / total) * 100));
  }
}

/** Headless signals: wall clock, no desktop idle time, Linux power supplies, CPU sampling. */
export function headlessSignals(): MachineSignals {
  const cpu = new CpuSampler();
  return {
    now: () => new Date(),
    idleSeconds: () => null,
    onBattery: () => (process.platform === 'linux' ? linuxOnBattery() : null),
    otherCpuPercent: () => cpu.otherPercent(),
  };
}
