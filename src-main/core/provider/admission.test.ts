import { encrypt as nip04Encrypt } from 'nostr-tools/nip04';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { jobPriceSats, MAX_PROMPT_CHARS, readTerms, requesterRefusal, requestTags, termsRefusal } from './admission.js';

const price = { minPriceSats: 10, pricePer1kSats: 10, maxTokens: 512 };

describe('job admission', () => {
  it('prices a job as the minimum plus the per-1k rate on the tokens it may produce, rounded up', () => {
    expect(jobPriceSats(price, 16)).toBe(11);
    expect(jobPriceSats(price, 1000)).toBe(20);
    expect(jobPriceSats({ minPriceSats: 0, pricePer1kSats: 0 }, 512)).toBe(0);
  });

  it('reads the terms: text or prompt input, max_tokens capped by the provider, bid and expiration', () => {
    expect(readTerms([['i', 'hi', 'text'], ['param', 'max_tokens', '16'], ['bid', '20000'], ['expiration', '123']], price))
      .toEqual({ prompt: 'hi', maxTokens: 16, bidMsats: 20_000, priceSats: 11, expiration: 123 });
    expect(readTerms([['i', 'hi', 'prompt'], ['param', 'max_tokens', '99999']], price)).toMatchObject({ prompt: 'hi', maxTokens: 512, bidMsats: null, expiration: null });
    expect(readTerms([['i', 'https://x', 'url'], ['param', 'max_tokens', '-3'], ['bid', 'lots']], price)).toMatchObject({ prompt: '', maxTokens: 512, bidMsats: null });
  });

  it('refuses what cannot be sold, in words', () => {
    const ok = readTerms([['i', 'hi', 'text'], ['bid', '100000']], price);
    expect(termsRefusal(ok, Date.now())).toBe(null);
    expect(termsRefusal({ ...ok, prompt: '' }, Date.now())).toMatch(/no text input/);
    expect(termsRefusal({ ...ok, prompt: 'x'.repeat(MAX_PROMPT_CHARS + 1) }, Date.now())).toMatch(/prompt longer than/);
    expect(termsRefusal({ ...ok, expiration: 100 }, 200_000)).toBe('request expired');
    expect(termsRefusal({ ...ok, bidMsats: 1000 }, Date.now())).toMatch(/bid 1000 msats is below the price of 16000 msats/);
  });

  it('applies the deny list before the allow list', () => {
    const rules = { allow: ['a'], deny: ['b'] };
    expect(requesterRefusal('a', rules)).toBe(null);
    expect(requesterRefusal('b', { allow: ['b'], deny: ['b'] })).toMatch(/does not serve you/);
    expect(requesterRefusal('c', rules)).toMatch(/only its allow list/);
    expect(requesterRefusal('c', { allow: [], deny: [] })).toBe(null);
  });

  it('decrypts the hidden tags of a NIP-04 encrypted request, and says when it cannot', () => {
    const provider = generateSecretKey();
    const customer = generateSecretKey();
    const inner = [['i', 'secret', 'text'], ['param', 'max_tokens', '8']];
    const e = finalizeEvent({ kind: 5050, created_at: 1, tags: [['p', getPublicKey(provider)], ['encrypted']], content: nip04Encrypt(customer, getPublicKey(provider), JSON.stringify(inner)) }, customer);
    expect(readTerms(requestTags(e, true, () => provider), price)).toMatchObject({ prompt: 'secret', maxTokens: 8 });
    expect(() => requestTags(e, true, () => generateSecretKey())).toThrow();
    const notTags = finalizeEvent({ kind: 5050, created_at: 1, tags: [['encrypted']], content: nip04Encrypt(customer, getPublicKey(provider), '{"i":"x"}') }, customer);
    expect(() => requestTags(notTags, true, () => provider)).toThrow(/not a tag list/);
    expect(requestTags(e, false, () => provider)).toBe(e.tags);
  });
});
