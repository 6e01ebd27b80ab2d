/** True when `now` (local time) falls inside the window; a window may wrap past midnight (22:00–06:00). */
export function insideWindow(window: { start: string; end: string } | null, now = new Date()): boolean {
  if (!window) return false;
  const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const t = now.getHours() * 60 + now.getMinutes();
  const s = minutes(window.start);
  const e = minutes(window.end);
  if (s === e) return true;
  return s < e ? t >= s && t < e : t >= s || t < e;
}
