import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Event } from 'nostr-tools';
import { decrypt as nip04Decrypt, encrypt as nip04Encrypt } from 'nostr-tools/nip04';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EarningsView, JobView, MarketResultView, ProviderStatusView } from '../src-main/core/api/contract.js';
import { writeTinyGguf } from '../src-main/core/inference/tiny-gguf.js';
import { Kind } from '../src-main/core/nostr/kinds.js';
import { DevnetNetwork } from '../src-main/core/wallet/devnet/devnet-network.js';
import type { DevnetWallet } from '../src-main/core/wallet/devnet/devnet-wallet.js';
import { cli, cliJson, startDaemon, testEnv, type DaemonHandle, type TestEnv } from './support/harness.js';

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

function jobRequest(prompt: string, bidMsats: number, opts: { sk?: Uint8Array; maxTokens?: number; encrypted?: boolean } = {}): Event {
  const sk = opts.sk ?? customerSk;
  const inner = [['i', prompt, 'text'], ['param', 'max_tokens', String(opts.maxTokens ?? 16)]];
  const outer = [['output', 'text/plain'], ['bid', String(bidMsats)], ['p', provider.pubkey]];
  return finalizeEvent({
    kind: Kind.TextGenerationRequest,
    created_at: Math.floor(Date.now() / 1000),
    tags: opts.encrypted ? [...outer, ['encrypted']] : [...inner, ...outer],
    content: opts.encrypted ? nip04Encrypt(sk, provider.pubkey, JSON.stringify(inner)) : '',
  }, sk);
}

const detail = (e: Event): string => e.tags.find((x) => x[0] === 'status')?.[2] ?? '';

/** Publishes a request and returns its first feedback with one of these statuses. */
async function ask(req: Event, statuses = ['payment-required', 'error']): Promise<Event> {
  const fb = next({ kinds: [Kind.JobFeedback], '#e': [req.id] }, (e) => statuses.includes(status(e) ?? ''));
  await relay.publish(req);
  return fb;
}

function customerWallet(sats: number): DevnetWallet {
  const w = net.openWallet(new Uint8Array(randomBytes(32)), 'customer');
  net.faucet(w.nodePubkey, sats);
  return w;
}

/**
 * A Lightning-address service for a customer (a test double of a public LNURL server) that
 * issues real devnet invoices of the customer's wallet.
 */
async function lightningAddressService(wallet: DevnetWallet): Promise<{ address: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/.well-known/lnurlp/customer') {
      res.end(JSON.stringify({ tag: 'payRequest', callback: `http://127.0.0.1:${(server.address() as AddressInfo).port}/pay`, minSendable: 1000, maxSendable: 100_000_000, metadata: '[["text/plain","customer"]]' }));
    } else if (url.pathname === '/pay') {
      void wallet.createInvoice({ amountSats: Number(url.searchParams.get('amount')) / 1000, memo: 'refund' }).then((inv) => res.end(JSON.stringify({ pr: inv.bolt11, routes: [] })));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { address: `customer@127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

const set = (key: string, value: string): Promise<ProviderStatusView> => cliJson<ProviderStatusView>(t, ['provider', 'set', key, value]);

/** "HH:MM" of now plus some minutes, local time. */
function clock(offsetMinutes: number): string {
  const d = new Date(Date.now() + offsetMinutes * 60_000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
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
  it('announces itself (NIP-89) and reports online with its preflight checks', async () => {
    expect(provider).toMatchObject({ state: 'online', model: 'tiny', minPriceSats: 10, reasons: [] });
    expect(provider.checks.map((c) => [c.name, c.ok])).toEqual([['model', true], ['wallet', true], ['relays', true]]);
    const ann = await next({ kinds: [Kind.HandlerAnnouncement], authors: [provider.pubkey] });
    expect(ann.tags).toContainEqual(['k', '5050']);
  });

  it('sells a paid job: payment-required invoice, payment, result from the real engine, exact earnings', async () => {
    const wallet = customerWallet(1000);
    const req = jobRequest('Say something', 100_000);
    const fb = await ask(req);
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

  it('refuses an underbid job, never runs an unpaid one, and lets the operator cancel it', async () => {
    const low = jobRequest('cheap please', 1000);
    const r = await ask(low);
    expect(status(r)).toBe('error');
    expect(detail(r)).toMatch(/below the price/);

    // A prompt the model's context cannot hold is refused before anyone pays for it.
    const huge = await ask(jobRequest('word '.repeat(600), 100_000));
    expect(status(huge)).toBe('error');
    expect(detail(huge)).toMatch(/do not fit the model's context of \d+ tokens/);

    const unpaid = jobRequest('will not pay', 100_000);
    expect(status(await ask(unpaid))).toBe('payment-required');
    let jobs = await cliJson<JobView[]>(t, ['provider', 'jobs']);
    expect(jobs.find((j) => j.id === unpaid.id)).toMatchObject({ status: 'payment_required', paidAt: null });
    expect(jobs.find((j) => j.id === low.id)).toMatchObject({ status: 'refused' });
    const results = await new Promise<Event[]>((resolve) => {
      const out: Event[] = [];
      const sub = relay.subscribe([{ kinds: [Kind.TextGenerationResult], '#e': [unpaid.id] }], { onevent: (e) => out.push(e), oneose: () => { sub.close(); resolve(out); } });
    });
    expect(results).toEqual([]);

    const told = next({ kinds: [Kind.JobFeedback], '#e': [unpaid.id] }, (e) => status(e) === 'error');
    expect(await cliJson<JobView>(t, ['provider', 'cancel', unpaid.id])).toMatchObject({ status: 'cancelled', refund: null });
    expect(detail(await told)).toMatch(/cancelled by the provider before payment/);
    jobs = await cliJson<JobView[]>(t, ['provider', 'jobs']);
    expect(jobs.find((j) => j.id === unpaid.id)?.status).toBe('cancelled');
    const again = await cli(t, ['provider', 'cancel', unpaid.id]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already cancelled/);
  });

  it('serves a prompt longer than 1 KiB: the result carries the whole request', async () => {
    const wallet = customerWallet(1000);
    const req = jobRequest(`Summarise: ${'the quick brown fox jumps over the lazy dog. '.repeat(30)}`, 100_000);
    expect(req.tags[0]![1]!.length).toBeGreaterThan(1024);
    const fb = await ask(req);
    expect(status(fb)).toBe('payment-required');
    const result = next({ kinds: [Kind.TextGenerationResult], '#e': [req.id] });
    await wallet.payInvoice({ bolt11: fb.tags.find((x) => x[0] === 'amount')![2]!, maxFeeSats: 0, idempotencyKey: `customer:${req.id}` });
    const r = await result;
    expect(JSON.parse(r.tags.find((x) => x[0] === 'request')![1]!)).toMatchObject({ id: req.id });
  });

  it('serves a NIP-04 encrypted request and encrypts the result; ignores one encrypted for another provider', async () => {
    const wallet = customerWallet(1000);
    const req = jobRequest('a secret prompt', 100_000, { encrypted: true });
    expect(req.tags.some((x) => x[0] === 'i')).toBe(false);
    const fb = await ask(req);
    expect(status(fb)).toBe('payment-required');
    const result = next({ kinds: [Kind.TextGenerationResult], '#e': [req.id] });
    await wallet.payInvoice({ bolt11: fb.tags.find((x) => x[0] === 'amount')![2]!, maxFeeSats: 0, idempotencyKey: `customer:${req.id}` });
    const r = await result;
    expect(r.tags).toContainEqual(['encrypted']);
    expect(r.tags.some((x) => x[0] === 'i')).toBe(false);
    expect(typeof nip04Decrypt(customerSk, provider.pubkey, r.content)).toBe('string');
    const jobs = await cliJson<JobView[]>(t, ['provider', 'jobs']);
    expect(jobs.find((j) => j.id === req.id)).toMatchObject({ status: 'done', encrypted: true, promptPreview: '(encrypted)' });

    const other = getPublicKey(generateSecretKey());
    const elsewhere = finalizeEvent({ kind: Kind.TextGenerationRequest, created_at: Math.floor(Date.now() / 1000), tags: [['p', other], ['encrypted'], ['bid', '100000']], content: nip04Encrypt(customerSk, other, '[["i","x","text"]]') }, customerSk);
    await relay.publish(elsewhere);
    await expect(next({ kinds: [Kind.JobFeedback], '#e': [elsewhere.id] }, () => true, 1500)).rejects.toThrow(/no event/);
  });

  it('applies requester rules: deny list, allow list, in-flight and hourly limits, concurrency', async () => {
    const stranger = generateSecretKey();
    await set('deny', getPublicKey(stranger));
    expect(detail(await ask(jobRequest('hi once', 100_000, { sk: stranger })))).toMatch(/does not serve you/);
    await set('deny', 'none');
    await set('allow', customerPk);
    expect(detail(await ask(jobRequest('hi twice', 100_000, { sk: stranger })))).toMatch(/only its allow list/);
    await set('allow', 'none');

    const busy = generateSecretKey();
    await set('max-in-flight-per-requester', '1');
    expect(status(await ask(jobRequest('one', 100_000, { sk: busy })))).toBe('payment-required');
    expect(detail(await ask(jobRequest('two', 100_000, { sk: busy })))).toMatch(/unfinished jobs/);
    await set('max-in-flight-per-requester', '5');
    await set('max-jobs-per-requester-per-hour', '2');
    expect(status(await ask(jobRequest('three', 100_000, { sk: busy })))).toBe('payment-required');
    expect(detail(await ask(jobRequest('four', 100_000, { sk: busy })))).toMatch(/rate limit: 2 jobs per hour/);
    await set('max-jobs-per-requester-per-hour', '60');
    // Two of `busy`'s jobs await payment; with two at once allowed, a third requester is turned away.
    await set('max-concurrent', '2');
    expect(detail(await ask(jobRequest('five', 100_000, { sk: generateSecretKey() })))).toMatch(/^busy/);
    for (const j of (await cliJson<JobView[]>(t, ['provider', 'jobs'])).filter((x) => x.status === 'payment_required')) await cliJson(t, ['provider', 'cancel', j.id]);
    await set('max-concurrent', '4');
    const bad = await cli(t, ['provider', 'set', 'max-concurrent', 'lots']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/maxConcurrent takes a whole number/);
    const unknown = await cli(t, ['provider', 'set', 'colour', 'blue']);
    expect(unknown.stderr).toMatch(/unknown setting "colour"/);
  });

  it('pauses outside its selling hours (presence without kinds, addressed requests told why) and resumes', async () => {
    const paused = await set('hours', `${clock(120)}-${clock(180)}`);
    expect(paused.state).toBe('paused');
    expect(paused.reasons.join(' ')).toMatch(/outside selling hours/);
    await next({ kinds: [Kind.HandlerAnnouncement], authors: [provider.pubkey] }, (e) => !e.tags.some((x) => x[0] === 'k'));
    expect(detail(await ask(jobRequest('now?', 100_000)))).toMatch(/not taking jobs now: outside selling hours/);
    const open = await set('hours', `${clock(-1)}-${clock(120)}`);
    expect(open.state).toBe('online');
    await next({ kinds: [Kind.HandlerAnnouncement], authors: [provider.pubkey] }, (e) => e.tags.some((x) => x[0] === 'k'));
    expect((await set('hours', 'any')).state).toBe('online');
  });

  it('refunds a paid job the requester cancels, to the Lightning address on their profile', async () => {
    const wallet = customerWallet(1000);
    const lnurl = await lightningAddressService(wallet);
    try {
      await relay.publish(finalizeEvent({ kind: 0, created_at: Math.floor(Date.now() / 1000), tags: [], content: JSON.stringify({ name: 'customer', lud16: lnurl.address }) }, customerSk));
      await set('max-tokens', '1500');
      // 1,500 tokens take the tiny model about two seconds: time to cancel while it runs.
      const req = jobRequest('Tell a long story', 1_000_000, { maxTokens: 1500 });
      const fb = await ask(req);
      const price = Number(fb.tags.find((x) => x[0] === 'amount')![1]) / 1000;
      expect(price).toBe(10 + 15);
      const processing = next({ kinds: [Kind.JobFeedback], '#e': [req.id] }, (e) => status(e) === 'processing');
      const failed = next({ kinds: [Kind.JobFeedback], '#e': [req.id] }, (e) => status(e) === 'error', 30_000);
      await wallet.payInvoice({ bolt11: fb.tags.find((x) => x[0] === 'amount')![2]!, maxFeeSats: 0, idempotencyKey: `customer:${req.id}` });
      expect(await wallet.balance()).toBe(1000 - price);
      await processing;
      await relay.publish(finalizeEvent({ kind: Kind.Deletion, created_at: Math.floor(Date.now() / 1000), tags: [['e', req.id], ['k', '5050']], content: 'never mind' }, customerSk));
      expect(detail(await failed)).toMatch(/cancelled by the requester; refunded 25 sats/);
      expect(await wallet.balance()).toBe(1000);
      const job = (await cliJson<JobView[]>(t, ['provider', 'jobs'])).find((j) => j.id === req.id)!;
      expect(job).toMatchObject({ status: 'cancelled', refund: { status: 'paid', sats: 25 } });
    } finally {
      lnurl.close();
      await set('max-tokens', '32');
    }
  });

  it('records a refund as owed when the requester has no Lightning address', async () => {
    const sk = generateSecretKey();
    const wallet = customerWallet(1000);
    await set('max-tokens', '1500');
    try {
      const req = jobRequest('Another long story', 1_000_000, { sk, maxTokens: 1500 });
      const fb = await ask(req);
      const processing = next({ kinds: [Kind.JobFeedback], '#e': [req.id] }, (e) => status(e) === 'processing');
      const failed = next({ kinds: [Kind.JobFeedback], '#e': [req.id] }, (e) => status(e) === 'error', 30_000);
      await wallet.payInvoice({ bolt11: fb.tags.find((x) => x[0] === 'amount')![2]!, maxFeeSats: 0, idempotencyKey: `customer:${req.id}` });
      await processing;
      await relay.publish(finalizeEvent({ kind: Kind.Deletion, created_at: Math.floor(Date.now() / 1000), tags: [['e', req.id]], content: '' }, sk));
      expect(detail(await failed)).toMatch(/a refund is owed/);
      const job = (await cliJson<JobView[]>(t, ['provider', 'jobs'])).find((j) => j.id === req.id)!;
      expect(job.refund).toMatchObject({ status: 'owed', sats: 25 });
      expect(job.refund?.detail).toMatch(/no Lightning address/);
      expect(await wallet.balance()).toBe(1000 - 25);

      // Once the requester publishes a Lightning address, the operator pays the refund owed.
      const lnurl = await lightningAddressService(wallet);
      try {
        await relay.publish(finalizeEvent({ kind: 0, created_at: Math.floor(Date.now() / 1000), tags: [], content: JSON.stringify({ lud16: lnurl.address }) }, sk));
        expect(await cliJson<JobView>(t, ['provider', 'refund', req.id])).toMatchObject({ refund: { status: 'paid', sats: 25 } });
        expect(await wallet.balance()).toBe(1000);
        const twice = await cli(t, ['provider', 'refund', req.id]);
        expect(twice.code).not.toBe(0);
        expect(twice.stderr).toMatch(/already refunded/);
      } finally {
        lnurl.close();
      }
    } finally {
      await set('max-tokens', '32');
    }
  });

  it('sells to another home: `openagents market request` posts, pays and gets the result; earnings count it', async () => {
    const buyer = testEnv({ devnetDir: t.devnetDir });
    await cliJson(buyer, ['init']);
    await cliJson(buyer, ['wallet', 'faucet', '500']);
    const buyerDaemon = await startDaemon(buyer);
    try {
      await cliJson(buyer, ['relays', 'add', daemon.ready.relayUrl!]);
      // Both homes on both relays: the request reaches the provider twice and is one job.
      await cliJson(t, ['relays', 'add', buyerDaemon.ready.relayUrl!]);
      const before = await cliJson<EarningsView>(t, ['earnings']);
      const r = await cliJson<MarketResultView>(buyer, ['market', 'request', 'Write a word', '--max-sats', '50', '--max-tokens', '16', '--provider', provider.npub, '--timeout', '60']);
      expect(r).toMatchObject({ provider: provider.pubkey, paidSats: 11 });
      expect(r.feedback.map((f) => f.status)).toEqual(expect.arrayContaining(['payment-required', 'processing']));
      expect(r.feedback.filter((f) => f.status === 'payment-required')).toHaveLength(1);
      expect((await cliJson<JobView[]>(t, ['provider', 'jobs'])).filter((j) => j.id === r.jobId)).toHaveLength(1);
      expect(typeof r.text).toBe('string');
      const enc = await cliJson<MarketResultView>(buyer, ['market', 'request', 'Secret word', '--max-sats', '50', '--max-tokens', '16', '--provider', provider.npub, '--encrypted']);
      expect(enc.paidSats).toBe(11);
      const balance = await cliJson<{ balanceSats: number }>(buyer, ['wallet', 'balance']);
      expect(balance.balanceSats).toBe(500 - 22);
      const cheap = await cli(buyer, ['market', 'request', 'too cheap', '--max-sats', '5', '--provider', provider.npub, '--timeout', '20']);
      expect(cheap.code).not.toBe(0);
      expect(cheap.stderr).toMatch(/below the price|more than --max-sats/);

      const after = await cliJson<EarningsView>(t, ['earnings', '--since', '1']);
      expect(after.totalSats).toBe(before.totalSats + 22);
      expect(after.byDay.at(-1)).toMatchObject({ sats: after.totalSats });
      expect(after.byModel).toEqual([{ key: 'tiny', sats: after.totalSats, jobs: after.jobs }]);
      const buyerPk = (await cliJson<{ pubkey: string }>(buyer, ['identity', 'status'])).pubkey;
      expect(after.byRequester.find((b) => b.key === buyerPk)).toMatchObject({ sats: 22, jobs: 2 });
      expect(after.refundedSats).toBe(50);
      expect(after.refundsOwedSats).toBe(0);
      expect(after.netSats).toBe(after.totalSats - 50 - after.agentSpendingSats);
    } finally {
      await cli(t, ['relays', 'remove', buyerDaemon.ready.relayUrl!]);
      await buyerDaemon.stop();
    }
  });

  it('degrades without a relay or when the inference process dies, and recovers by itself', async () => {
    const poll = async (want: (s: ProviderStatusView) => boolean): Promise<ProviderStatusView> => {
      const until = Date.now() + 30_000;
      for (;;) {
        const s = await cliJson<ProviderStatusView>(t, ['provider', 'status']);
        if (want(s)) return s;
        if (Date.now() > until) throw new Error(`provider never reached the state: ${JSON.stringify(s)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    // Only an unreachable relay left: nothing can be sold or announced.
    await cliJson(t, ['relays', 'add', 'ws://127.0.0.1:1']);
    await cliJson(t, ['relays', 'remove', 'embedded']);
    const degraded = await poll((s) => s.state === 'degraded');
    expect(degraded.reasons).toContain('no relay connected');
    expect(degraded.checks.find((c) => c.name === 'relays')?.ok).toBe(false);
    await cliJson(t, ['relays', 'add', 'embedded']);
    await cliJson(t, ['relays', 'remove', 'ws://127.0.0.1:1']);
    await poll((s) => s.state === 'online');

    // A native crash of llama.cpp takes only the inference process: the daemon reloads the model.
    const before = await cliJson<ProviderStatusView>(t, ['provider', 'status']);
    expect(before.engine.pid).toBeGreaterThan(0);
    expect(before.engine.pid).not.toBe(daemon.proc.pid);
    process.kill(before.engine.pid!, 'SIGKILL');
    const after = await poll((s) => s.state === 'online' && s.engine.pid !== null && s.engine.pid !== before.engine.pid && s.engine.loaded !== null);
    expect(after.engine.loaded?.model).toBe('tiny');
    relay.close();
    relay = await Relay.connect(daemon.ready.relayUrl!);
    const wallet = customerWallet(100);
    const req = jobRequest('after the crash', 100_000);
    const fb = await ask(req);
    const result = next({ kinds: [Kind.TextGenerationResult], '#e': [req.id] });
    await wallet.payInvoice({ bolt11: fb.tags.find((x) => x[0] === 'amount')![2]!, maxFeeSats: 0, idempotencyKey: `customer:${req.id}` });
    expect((await result).pubkey).toBe(provider.pubkey);
  });

  it('withdraws unpaid jobs when it goes offline, and refunds an invoice paid anyway', async () => {
    const sk = generateSecretKey();
    const wallet = customerWallet(100);
    const req = jobRequest('pay me later', 100_000, { sk });
    const fb = await ask(req);
    const withdrawn = next({ kinds: [Kind.JobFeedback], '#e': [req.id] }, (e) => status(e) === 'error');
    await cliJson(t, ['provider', 'offline']);
    expect(detail(await withdrawn)).toMatch(/went offline; do not pay/);
    await wallet.payInvoice({ bolt11: fb.tags.find((x) => x[0] === 'amount')![2]!, maxFeeSats: 0, idempotencyKey: `customer:${req.id}` });
    const until = Date.now() + 20_000;
    let job: JobView | undefined;
    while (Date.now() < until) {
      job = (await cliJson<JobView[]>(t, ['provider', 'jobs'])).find((j) => j.id === req.id);
      if (job?.refund) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(job).toMatchObject({ status: 'cancelled', refund: { status: 'owed', sats: 11 } });
    expect(job?.paidAt).not.toBe(null);
    await cliJson(t, ['provider', 'online']);
  });

  it('fails and refunds a paid job a crash interrupted, when the node starts again', async () => {
    const sk = generateSecretKey();
    const wallet = customerWallet(1000);
    await set('max-tokens', '1500');
    const req = jobRequest('A story cut short', 1_000_000, { sk, maxTokens: 1500 });
    const fb = await ask(req);
    const processing = next({ kinds: [Kind.JobFeedback], '#e': [req.id] }, (e) => status(e) === 'processing');
    await wallet.payInvoice({ bolt11: fb.tags.find((x) => x[0] === 'amount')![2]!, maxFeeSats: 0, idempotencyKey: `customer:${req.id}` });
    await processing;
    await daemon.kill();
    daemon = await startDaemon(t);
    relay.close();
    relay = await Relay.connect(daemon.ready.relayUrl!);
    const told = await next({ kinds: [Kind.JobFeedback], '#e': [req.id] }, (e) => status(e) === 'error');
    expect(detail(told)).toMatch(/the node stopped while the job was running; a refund is owed/);
    const job = (await cliJson<JobView[]>(t, ['provider', 'jobs'])).find((j) => j.id === req.id);
    expect(job).toMatchObject({ status: 'failed', refund: { status: 'owed', sats: 25 } });
    await cliJson(t, ['provider', 'online']);
    await set('max-tokens', '32');
  });

  it('keeps the job history across a restart and resumes selling only when asked to', async () => {
    await daemon.stop();
    const jobs = await cliJson<JobView[]>(t, ['provider', 'jobs', '--limit', '200']);
    expect(jobs.filter((j) => j.status === 'done').length).toBeGreaterThanOrEqual(4);
    daemon = await startDaemon(t);
    relay.close();
    relay = await Relay.connect(daemon.ready.relayUrl!);
    expect((await cliJson<ProviderStatusView>(t, ['provider', 'status'])).state).toBe('offline'); // "resume selling at start" is off
    await cliJson(t, ['provider', 'online']);
    await set('resume-at-start', 'on');
    await daemon.stop();
    daemon = await startDaemon(t);
    relay.close();
    relay = await Relay.connect(daemon.ready.relayUrl!);
    expect((await cliJson<ProviderStatusView>(t, ['provider', 'status'])).state).toBe('online');
    await cliJson(t, ['provider', 'offline']);
    const ann = await next({ kinds: [Kind.HandlerAnnouncement], authors: [provider.pubkey] }, (e) => !e.tags.some((x) => x[0] === 'k'));
    expect(ann.tags.some((x) => x[0] === 'k')).toBe(false);
  });
});
