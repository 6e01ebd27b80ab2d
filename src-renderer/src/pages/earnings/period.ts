/** The start (local midnight, in ms) of a period of `days` local days that ends today. */
export function sinceForDays(days: number, now: Date = new Date()): number {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  d.setDate(d.getDate() - (days - 1));
  return d.getTime();
}
