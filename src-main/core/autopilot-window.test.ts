import { describe, expect, it } from 'vitest';
import { insideWindow } from './autopilot-window.js';

const at = (h: number, m = 0) => new Date(2026, 10, 23, h, m);

describe('autopilot window', () => {
  it('handles plain and overnight windows, and none', () => {
    expect(insideWindow(null, at(3))).toBe(false);
    expect(insideWindow({ start: '09:00', end: '17:00' }, at(12))).toBe(true);
    expect(insideWindow({ start: '09:00', end: '17:00' }, at(17))).toBe(false);
    expect(insideWindow({ start: '22:00', end: '06:00' }, at(23, 30))).toBe(true);
    expect(insideWindow({ start: '22:00', end: '06:00' }, at(5, 59))).toBe(true);
    expect(insideWindow({ start: '22:00', end: '06:00' }, at(6))).toBe(false);
  });
});
