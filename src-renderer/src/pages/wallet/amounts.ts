/** A whole, non-negative number of sats typed by the operator; null when it is not one. */
export function parseWholeSats(text: string): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/** Pico-bitcoin per unit of each BOLT11 multiplier; 1 sat is 10,000 pico-bitcoin. */
const PICO_BTC: Record<string, bigint> = { m: 1_000_000_000n, u: 1_000_000n, n: 1_000n, p: 1n };

/**
 * Reads the amount from a BOLT11 human-readable part so the Pay form can ask for an amount
 * only when the invoice has none. The core decodes and checks the invoice in full; this is
 * only a hint, so anything unrecognised returns null and the form stays permissive.
 */
export function invoiceAmountHint(bolt11: string): { amountless: true } | { amountless: false; sats: number } | null {
  const s = bolt11.trim().toLowerCase().replace(/^lightning:/, '');
  const sep = s.lastIndexOf('1');
  if (sep < 0) return null;
  const m = /^ln(bcrt|bc|tbs|tb|sb)(\d+)?([munp])?$/.exec(s.slice(0, sep));
  if (!m) return null;
  const [, , digits, unit] = m;
  if (!digits) return unit ? null : { amountless: true };
  // An amount without a multiplier is whole bitcoin.
  const pico = BigInt(digits) * (unit ? PICO_BTC[unit] ?? 0n : 1_000_000_000_000n);
  return { amountless: false, sats: Number(pico / 10_000n) };
}
