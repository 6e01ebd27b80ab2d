/** A whole, non-negative number typed by the operator; null when it is not one. */
export function parseWhole(text: string): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/** The contract's backend name rule, checked before the round trip so the field can say what is wrong. */
export const BACKEND_NAME = /^[A-Za-z0-9_.-]+$/;

export function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text.trim());
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The core accepts ws://, wss:// or the word "embedded" for this home's own relay. */
export function isRelayUrl(text: string): boolean {
  const t = text.trim();
  return t === 'embedded' || /^wss?:\/\/[^\s]+$/.test(t);
}
