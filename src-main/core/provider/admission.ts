import type { Event } from 'nostr-tools';
import { decrypt as nip04Decrypt } from 'nostr-tools/nip04';
import type { ProviderSettings } from './settings.js';

export const MAX_PROMPT_CHARS = 20_000;

/** The price of a job: the minimum plus the per-1k-token rate on the tokens it may produce (integer sats, rounded up). */
export function jobPriceSats(s: Pick<ProviderSettings, 'minPriceSats' | 'pricePer1kSats'>, maxTokens: number): number {
  return s.minPriceSats + Math.ceil((maxTokens * s.pricePer1kSats) / 1000);
}

/** What a kind 5050 request asks for, as this provider would sell it. */
export interface JobTerms {
  prompt: string;
  /** The requested max_tokens, capped by the provider's limit. */
  maxTokens: number;
  bidMsats: number | null;
  priceSats: number;
  /** Unix seconds, or null without an `expiration` tag. */
  expiration: number | null;
}

/**
 * The request's tags, with a NIP-04 `encrypted` request's hidden tags (a JSON tag list in the
 * content, encrypted to this provider) decrypted and appended. Throws when they cannot be read.
 */
export function requestTags(e: Event, encrypted: boolean, secretKey: () => Uint8Array): string[][] {
  if (!encrypted) return e.tags;
  const inner = JSON.parse(nip04Decrypt(secretKey(), e.pubkey, e.content)) as unknown;
  if (!Array.isArray(inner) || !inner.every((t) => Array.isArray(t) && t.every((x) => typeof x === 'string'))) throw new Error('not a tag list');
  return [...e.tags, ...(inner as string[][])];
}

export function readTerms(tags: string[][], s: Pick<ProviderSettings, 'maxTokens' | 'minPriceSats' | 'pricePer1kSats'>): JobTerms {
  const input = tags.find((t) => t[0] === 'i' && (t[2] === 'text' || t[2] === 'prompt'));
  const param = (name: string): string | undefined => tags.find((t) => t[0] === 'param' && t[1] === name)?.[2];
  const requested = Number(param('max_tokens') ?? s.maxTokens);
  const maxTokens = Number.isInteger(requested) && requested > 0 ? Math.min(requested, s.maxTokens) : s.maxTokens;
  const bidTag = tags.find((t) => t[0] === 'bid')?.[1];
  const expiration = Number(tags.find((t) => t[0] === 'expiration')?.[1] ?? NaN);
  return {
    prompt: input?.[1] ?? '',
    maxTokens,
    bidMsats: bidTag !== undefined && /^\d+$/.test(bidTag) ? Number(bidTag) : null,
    priceSats: jobPriceSats(s, maxTokens),
    expiration: Number.isFinite(expiration) ? expiration : null,
  };
}

/** The requester rules: deny list first, then the allow list when there is one. */
export function requesterRefusal(pubkey: string, s: Pick<ProviderSettings, 'allow' | 'deny'>): string | null {
  if (s.deny.includes(pubkey)) return 'this provider does not serve you';
  if (s.allow.length && !s.allow.includes(pubkey)) return 'this provider serves only its allow list';
  return null;
}

/** Why these terms cannot be sold, or null: a text input, its size, expiry and the bid. */
export function termsRefusal(t: JobTerms, nowMs: number): string | null {
  if (!t.prompt) return 'no text input (an "i" tag of type text)';
  if (t.prompt.length > MAX_PROMPT_CHARS) return `prompt longer than ${MAX_PROMPT_CHARS} characters`;
  if (t.expiration !== null && t.expiration * 1000 < nowMs) return 'request expired';
  if (t.bidMsats !== null && t.bidMsats < t.priceSats * 1000) return `bid ${t.bidMsats} msats is below the price of ${t.priceSats * 1000} msats`;
  return null;
}
