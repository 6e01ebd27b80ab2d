import { bech32, hex } from '@scure/base';

/** A Nostr public key as the operator knows it: npub for 64-hex keys, anything else unchanged. */
export function npubOf(pubkey: string): string {
  if (!/^[0-9a-f]{64}$/.test(pubkey)) return pubkey;
  return bech32.encode('npub', bech32.toWords(hex.decode(pubkey)));
}

/** npub1abcd…wxyz: enough to tell requesters apart in a table; the full key goes in a title. */
export function shortKey(pubkey: string): string {
  const npub = npubOf(pubkey);
  return npub.length > 24 ? `${npub.slice(0, 12)}…${npub.slice(-6)}` : npub;
}

/** One npub or 64-hex key per line, as the core accepts them in allow and deny lists. */
export function isPubkey(text: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(text) || /^npub1[02-9ac-hj-np-z]{58}$/.test(text);
}
