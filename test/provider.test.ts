import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Event } from 'nostr-tools';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView, ProviderStatusView } from '../src-main/core/api/contract.js';
import { writeTinyGguf } from '../src-main/core/inference/tiny-gguf.js';
import { Kind } from '../src-main/core/nostr/kinds.js';
import { DevnetNetwork } from '../src-main/core/wallet/devnet/devnet-network.js';
import { cliJson, startDaemon, testEnv, type DaemonHandle, type TestEnv } from './support/harness.js';

useWebSocketImplementation(WebSocket);

// A real daemon selling the tiny model on its embedded relay; the customer is a raw Nostr
// client (nostr-tools with its own key) paying from its own devnet wallet.

let t: TestEnv;
let daemon: DaemonHandle;
let relay: Relay;
let provider: ProviderStatusView;
let net: DevnetNetwork;
const customerSk = generateSecretKey();
const customerPk = getPublicKey(customerSk);

function next(filter: Parameters<Relay['subscribe']>[0][number], match: (e: Event) => boolean = () => true, timeoutMs = 30_000): Promise<Event> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.close(); reject(new Error(`no event for ${JSON.stringify(filter)}`)); }, timeoutMs);
    const sub = relay.subscribe([filter], {
      onevent: (e) => {
        if (!match(e)) return;
        clearTimeout(timer);
        sub.close();
        resolve(e);
      },
    });
  });
}

function jobRequest(prompt: string, bidMsats: number): Event {
  return finalizeEvent({
    kind: Kind.TextGenerationRequest,
    created_at: Math.floor(Date.now() / 1000),
    tags: [['i', prompt, 'text'], ['param', 'max_tokens', '16'], ['output', 'text/plain'], ['bid', String(bidMsats)], ['p', provider.pubkey]],
    content: '',
  }, customerSk);
}

const status = (e: Event): string | undefined => e.tags.find((x) => x[0] === 'status')?.[1];

beforeAll(async () => {
  t = testEnv();
  const file = path.join(path.dirname(t.home), 'tiny.gguf');
  writeTinyGguf(file, { seed: 21 });
  await cliJson(t, ['init']);
  await cliJson(t, ['models', 'import', file, '--name', 'tiny']);
  daemon = await startDaemon(t);
  provider = await cliJson<ProviderStatusView>(t, ['provider', 'online', '--model', 'tiny', '--min-price-sats', '10', '--price-per-1k-sats', '10', '--max-tokens', '32']);
  relay = await Relay.connect(daemon.ready.relayUrl!);
  net = new DevnetNetwork(t.devnetDir);
}, 120_000);

afterAll(async () => {
  relay?.close();
  net?.close();
  await daemon?.stop();
});

describe('NIP-90 provider', () => {
  it('announces itself (NIP-89) and reports online', async () => {
    expect(provider).toMatchObject({ state: 'online', model: 'tiny', minPriceSats: 10 });
    const ann = await next({ kinds: [Kind.HandlerAnnouncement], authors: [provider.pubkey] });
    expect(ann.tags).toContainEqual(['k', '5050']);
  });

  it('sells a paid job: payment-required invoice, payment, result from the real engine, exact earnings', async () => {
    const wallet = net.openWallet(new Uint8Array(randomBytes(32)), 'customer');
    net.faucet(wallet.nodePubkey, 1000);
    const req = jobRequest('Say something', 100_000);
    const invoiceFeedback = next({ kinds: [Kind.JobFeedback], '#e': [req.id] }, (e) => status(e) === 'payment-required');
    await relay.publish(req);
    const fb = await invoiceFeedback;
    const amount = fb.tags.find((x) => x[0] === 'amount')!;
    expect(amount[1]).toBe('11000'); // 10 + ceil(16 × 10 / 1000) sats, in msats
    const result = next({ kinds: [Kind.TextGenerationResult], '#e': [req.id] });
    const paid = await wallet.payInvoice({ bolt11: amount[2]!, maxFeeSats: 0, idempotencyKey: `customer:${req.id}` });
    expect(paid.amountSats).toBe(11);
    const r = await result;
    expect(r.pubkey).toBe(provider.pubkey);
    expect(r.tags).toEqual(expect.arrayContaining([['p', customerPk], ['amount', '11000']]));
    expect(typeof r.content).toBe('string');
    await next({ kinds: [Kind.JobFeedback], '#e': [req.id] }, (e) => status(e) === 'success');
    expect(await wallet.balance()).toBe(1000 - 11);
    const st = await cliJson<ProviderStatusView>(t, ['provider', 'status']);
    expect(st.earnedTotalSats).toBe(11);
    expect(st.earnedTodaySats).toBe(11);
  });

  it('refuses an underbid job and never runs an unpaid one', async () => {
    const low = jobRequest('cheap please', 1000);
    const refused = next({ kinds: [Kind.JobFeedback], '#e': [low.id] });
    await relay.publish(low);
    const r = await refused;
    expect(status(r)).toBe('error');
    expect(r.tags.find((x) => x[0] === 'status')![2]).toMatch(/below the price/);

    const unpaid = jobRequest('will not pay', 100_000);
    const asked = next({ kinds: [Kind.JobFeedback], '#e': [unpaid.id] }, (e) => status(e) === 'payment-required');
    await relay.publish(unpaid);
    await asked;
    const jobs = await cliJson<JobView[]>(t, ['provider', 'jobs']);
    expect(jobs.find((j) => j.id === unpaid.id)).toMatchObject({ status: 'payment_required', paidAt: null });
    expect(jobs.find((j) => j.id === low.id)).toMatchObject({ status: 'refused' });
    const results = await new Promise<Event[]>((resolve) => {
      const out: Event[] = [];
      const sub = relay.subscribe([{ kinds: [Kind.TextGenerationResult], '#e': [unpaid.id] }], { onevent: (e) => out.push(e), oneose: () => { sub.close(); resolve(out); } });
    });
    expect(results).toEqual([]);
  });

  it('keeps the job history across a restart, and goes offline with a presence announcement', async () => {
    await daemon.stop();
    const jobs = await cliJson<JobView[]>(t, ['provider', 'jobs']);
    expect(jobs.filter((j) => j.status === 'done')).toHaveLength(1);
    daemon = await startDaemon(t);
    relay.close();
    relay = await Relay.connect(daemon.ready.relayUrl!);
    expect((await cliJson<ProviderStatusView>(t, ['provider', 'status'])).state).toBe('online'); // it was left online
    await cliJson(t, ['provider', 'offline']);
    const ann = await next({ kinds: [Kind.HandlerAnnouncement], authors: [provider.pubkey] }, (e) => !e.tags.some((x) => x[0] === 'k'));
    expect(ann.tags.some((x) => x[0] === 'k')).toBe(false);
  });
});
