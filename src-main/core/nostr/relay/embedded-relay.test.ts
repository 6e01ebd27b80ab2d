import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent, type Event, type EventTemplate } from 'nostr-tools/pure';
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay';
import { createRxForwardReq, createRxNostr, noopSigner, type EventPacket, type OkPacketAgainstEvent } from 'rx-nostr';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { AppError } from '../../errors.js';
import { Kind } from '../kinds.js';
import { EmbeddedRelay, type EmbeddedRelayOptions } from './embedded-relay.js';
import { RawRelayClient } from './raw-relay-client.js';

useWebSocketImplementation(WebSocket);

const tempDirs: string[] = [];
const relays: EmbeddedRelay[] = [];
const clients: { close(): unknown }[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const relay of relays.splice(0)) await relay.stop();
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDbFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oa-relay-'));
  tempDirs.push(dir);
  return path.join(dir, 'relay.sqlite');
}

async function startRelay(opts: Partial<EmbeddedRelayOptions> = {}): Promise<EmbeddedRelay> {
  const relay = new EmbeddedRelay({ dbFile: tempDbFile(), ...opts });
  relays.push(relay);
  await relay.start();
  return relay;
}

async function rawClient(url: string): Promise<RawRelayClient> {
  const client = await RawRelayClient.connect(url);
  clients.push(client);
  return client;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function sign(secretKey: Uint8Array, template: Partial<EventTemplate> = {}): Event {
  return finalizeEvent({ kind: Kind.TextNote, created_at: nowSeconds(), tags: [], content: '', ...template }, secretKey);
}

function author(): { sk: Uint8Array; pk: string } {
  const sk = generateSecretKey();
  return { sk, pk: getPublicKey(sk) };
}

const ids = (events: { id?: unknown }[]): unknown[] => events.map((e) => e.id);

describe('EmbeddedRelay: NIP-01 with independent clients', () => {
  it('publishes and subscribes through nostr-tools: stored events, EOSE, then live events', async () => {
    const relay = await startRelay();
    const { sk, pk } = author();
    const publisher = await Relay.connect(relay.url);
    const subscriber = await Relay.connect(relay.url);
    clients.push(publisher, subscriber);

    const stored = sign(sk, { content: 'published before the subscription' });
    await expect(publisher.publish(stored)).resolves.toBe('');

    const seen: Event[] = [];
    let eoseAfter = -1;
    await new Promise<void>((resolve) => {
      subscriber.subscribe([{ kinds: [Kind.TextNote], authors: [pk] }], {
        onevent: (event) => seen.push(event),
        oneose: () => {
          eoseAfter = seen.length;
          resolve();
        },
      });
    });
    expect(eoseAfter).toBe(1);
    expect(ids(seen)).toEqual([stored.id]);

    const live = sign(sk, { content: 'published after EOSE' });
    await publisher.publish(live);
    await vi.waitFor(() => expect(ids(seen)).toEqual([stored.id, live.id]));
    expect(relay.stats()).toMatchObject({ connections: 2, eventsReceived: 2, eventsRejected: 0 });
  });

  it('interoperates with rx-nostr: its REQ sees nostr-tools events and its EVENT reaches nostr-tools', async () => {
    const relay = await startRelay();
    const alice = author();
    const bob = author();
    const rxNostr = createRxNostr({
      websocketCtor: WebSocket,
      signer: noopSigner(), // events are signed beforehand with nostr-tools' finalizeEvent
      verifier: async (event) => verifyEvent(event as Event),
      retry: { strategy: 'off' },
    });
    clients.push({ close: () => rxNostr.dispose() });
    rxNostr.setDefaultRelays([relay.url]);

    const eose = new Promise<void>((resolve) => {
      const watch = rxNostr.createAllMessageObservable().subscribe((packet) => {
        if (packet.type === 'EOSE') {
          watch.unsubscribe();
          resolve();
        }
      });
    });
    const received: EventPacket[] = [];
    const req = createRxForwardReq();
    const subscription = rxNostr.use(req).subscribe((packet) => received.push(packet));
    clients.push({ close: () => subscription.unsubscribe() });
    req.emit({ kinds: [Kind.TextNote], authors: [alice.pk, bob.pk] });
    await eose;

    const nostrTools = await Relay.connect(relay.url);
    clients.push(nostrTools);
    const fromAlice = sign(alice.sk, { content: 'from nostr-tools' });
    await nostrTools.publish(fromAlice);
    await vi.waitFor(() => expect(received.map((p) => p.event.id)).toContain(fromAlice.id));

    const fromBob = sign(bob.sk, { content: 'from rx-nostr' });
    const ok = await new Promise<OkPacketAgainstEvent>((resolve, reject) => {
      rxNostr.send(fromBob).subscribe({ next: resolve, error: reject });
    });
    expect(ok).toMatchObject({ eventId: fromBob.id, ok: true });
    await vi.waitFor(() => expect(received.map((p) => p.event.id)).toContain(fromBob.id));

    const seenByNostrTools: Event[] = [];
    await new Promise<void>((resolve) => {
      nostrTools.subscribe([{ ids: [fromBob.id] }], { onevent: (e) => seenByNostrTools.push(e), oneose: resolve });
    });
    expect(ids(seenByNostrTools)).toEqual([fromBob.id]);
  });

  it('keeps only the newest replaceable event (kinds 0, 3, 10000–19999) per author and kind', async () => {
    const relay = await startRelay();
    const client = await rawClient(relay.url);
    const { sk, pk } = author();
    const t = nowSeconds();
    for (const kind of [Kind.Metadata, 3, 10002]) {
      const older = sign(sk, { kind, created_at: t - 10, content: 'older' });
      const newer = sign(sk, { kind, created_at: t, content: 'newer' });
      expect((await client.publish(older)).accepted).toBe(true);
      expect((await client.publish(newer)).accepted).toBe(true);
      // A late copy of the older version does not displace the newer one.
      await client.publish(sign(sk, { kind, created_at: t - 5, content: 'late older' }));
      const { events } = await client.query(`replaceable-${kind}`, [{ kinds: [kind], authors: [pk] }], { close: true });
      expect(ids(events)).toEqual([newer.id]);
    }
  });

  it('keeps the newest addressable event (30000–39999) per author, kind and d tag; other d tags stay', async () => {
    const relay = await startRelay();
    const client = await rawClient(relay.url);
    const agent = author();
    const other = author();
    const t = nowSeconds();
    const profileV1 = sign(agent.sk, { kind: Kind.AgentProfile, created_at: t - 10, tags: [['d', 'profile']], content: 'v1' });
    const profileV2 = sign(agent.sk, { kind: Kind.AgentProfile, created_at: t, tags: [['d', 'profile']], content: 'v2' });
    const otherProfile = sign(other.sk, { kind: Kind.AgentProfile, created_at: t - 20, tags: [['d', 'profile']], content: 'other author' });
    const tick1 = sign(agent.sk, { kind: Kind.TickResult, created_at: t, tags: [['d', 'tick-1']] });
    const tick2 = sign(agent.sk, { kind: Kind.TickResult, created_at: t, tags: [['d', 'tick-2']] });
    for (const event of [profileV1, profileV2, otherProfile, tick1, tick2]) expect((await client.publish(event)).accepted).toBe(true);

    const profiles = await client.query('profiles', [{ kinds: [Kind.AgentProfile] }], { close: true });
    expect(new Set(ids(profiles.events))).toEqual(new Set([profileV2.id, otherProfile.id]));
    const ticks = await client.query('ticks', [{ kinds: [Kind.TickResult], authors: [agent.pk] }], { close: true });
    expect(new Set(ids(ticks.events))).toEqual(new Set([tick1.id, tick2.id]));
  });

  it('broadcasts ephemeral events (20000–29999) to subscribers without storing them', async () => {
    const relay = await startRelay();
    const subscriber = await rawClient(relay.url);
    const publisher = await rawClient(relay.url);
    const { sk, pk } = author();
    await subscriber.query('ephemeral', [{ kinds: [20001], authors: [pk] }]);
    const delivered = subscriber.waitFor((m) => m[0] === 'EVENT' && m[1] === 'ephemeral');
    const ephemeral = sign(sk, { kind: 20001, content: 'typing…' });
    expect((await publisher.publish(ephemeral)).accepted).toBe(true);
    expect((await delivered)[2]).toMatchObject({ id: ephemeral.id });
    const later = await publisher.query('later', [{ kinds: [20001], authors: [pk] }], { close: true });
    expect(later.events).toEqual([]);
  });

  it('delivers a live event only to subscriptions whose tag filters it matches', async () => {
    const relay = await startRelay();
    const subscriber = await rawClient(relay.url);
    const publisher = await rawClient(relay.url);
    const { sk } = author();
    const agent = author();
    await subscriber.query('for-agent', [{ kinds: [Kind.TickRequest], '#p': [agent.pk] }]);
    const notForAgent = sign(sk, { kind: Kind.TickRequest, tags: [['d', 'a'], ['p', author().pk]] });
    const forAgent = sign(sk, { kind: Kind.TickRequest, tags: [['d', 'b'], ['p', agent.pk]] });
    const delivered = subscriber.waitFor((m) => m[0] === 'EVENT');
    await publisher.publish(notForAgent);
    await publisher.publish(forAgent);
    expect((await delivered)[2]).toMatchObject({ id: forAgent.id });
    expect(subscriber.received.filter((m) => m[0] === 'EVENT')).toHaveLength(1);
  });

  it('keeps events across stop and start on the same database file', async () => {
    const dbFile = tempDbFile();
    const { sk, pk } = author();
    const first = new EmbeddedRelay({ dbFile });
    relays.push(first);
    await first.start();
    const note = sign(sk, { content: 'survives a restart' });
    const client = await RawRelayClient.connect(first.url);
    expect((await client.publish(note)).accepted).toBe(true);
    await first.stop();
    expect((await client.closed).code).toBe(1001);

    const second = new EmbeddedRelay({ dbFile });
    relays.push(second);
    await second.start();
    const reader = await rawClient(second.url);
    expect(ids((await reader.query('after-restart', [{ authors: [pk] }])).events)).toEqual([note.id]);

    // The same instance can also be started again after a stop.
    await second.stop();
    await second.start();
    const again = await rawClient(second.url);
    expect(ids((await again.query('after-second-start', [{ authors: [pk] }])).events)).toEqual([note.id]);
  });
});

describe('EmbeddedRelay: verification and limits', () => {
  it('refuses a bad signature and a bad id with OK false and a reason', async () => {
    const relay = await startRelay();
    const client = await rawClient(relay.url);
    const { sk } = author();
    const genuine = sign(sk, { content: 'genuine' });
    const forgedSig = { ...sign(sk, { content: 'forged signature' }), sig: genuine.sig };
    const forgedId = { ...sign(sk, { content: 'original content' }), content: 'tampered content' };

    expect(await client.publish(forgedSig)).toEqual({ accepted: false, reason: 'invalid: signature is wrong' });
    expect(await client.publish(forgedId)).toEqual({ accepted: false, reason: 'invalid: id is wrong' });
    const malformedSig = sign(sk, { content: 'short sig' });
    const shortSig = await client.publish({ ...malformedSig, sig: 'abcd' });
    expect(shortSig.accepted).toBe(false);
    expect(shortSig.reason).toMatch(/^invalid: .*sig/);

    expect((await client.query('nothing-stored', [{ ids: [forgedSig.id, forgedId.id, malformedSig.id] }])).events).toEqual([]);
    expect(relay.stats()).toMatchObject({ eventsReceived: 3, eventsRejected: 3 });

    // A forged copy seen first (right id, wrong signature) must not get the genuine event refused.
    const upcoming = sign(sk, { content: 'published later by its author' });
    expect((await client.publish({ ...upcoming, sig: genuine.sig })).accepted).toBe(false);
    expect(await client.publish(upcoming)).toEqual({ accepted: true, reason: '' });
  });

  it('refuses an oversized event with a reason and the connection stays usable; far larger frames close it (1009)', async () => {
    const relay = await startRelay({ limits: { maxMessageBytes: 16 * 1024 } });
    const client = await rawClient(relay.url);
    const { sk } = author();
    const big = sign(sk, { content: 'x'.repeat(20 * 1024) });
    const verdict = await client.publish(big);
    expect(verdict.accepted).toBe(false);
    expect(verdict.reason).toMatch(/^invalid: message is \d+ bytes, over the relay's limit of 16384/);
    expect((await client.publish(sign(sk, { content: 'small' }))).accepted).toBe(true);

    const huge = await rawClient(relay.url);
    huge.send(JSON.stringify(['EVENT', sign(sk, { content: 'y'.repeat(100 * 1024) })]));
    expect((await huge.closed).code).toBe(1009);
    expect((await client.publish(sign(sk, { content: 'still fine' }))).accepted).toBe(true);
  });

  it('refuses a REQ beyond the open-subscription limit with CLOSED until one is closed', async () => {
    const relay = await startRelay({ limits: { maxSubscriptionsPerConnection: 3 } });
    const client = await rawClient(relay.url);
    for (const id of ['s1', 's2', 's3']) expect((await client.query(id, [{ kinds: [1] }])).closedReason).toBeUndefined();
    const refused = await client.query('s4', [{ kinds: [1] }]);
    expect(refused.closedReason).toMatch(/^restricted: too many open subscriptions \(at most 3/);
    // Re-issuing an open subscription replaces it and is not a new one.
    expect((await client.query('s1', [{ kinds: [7] }])).closedReason).toBeUndefined();
    client.send(['CLOSE', 's2']);
    expect((await client.query('s4', [{ kinds: [1] }])).closedReason).toBeUndefined();
    // Live events reach the open subscriptions only.
    const other = await rawClient(relay.url);
    const { sk } = author();
    const live = client.waitFor((m) => m[0] === 'EVENT' && m[1] === 's4');
    await other.publish(sign(sk));
    await live;
    expect(client.received.filter((m) => m[0] === 'EVENT').map((m) => m[1]).sort()).toEqual(['s3', 's4']);
  });

  it('refuses a REQ with more filters than allowed', async () => {
    const relay = await startRelay({ limits: { maxFiltersPerSubscription: 2 } });
    const client = await rawClient(relay.url);
    const refused = await client.query('many', [{ kinds: [1] }, { kinds: [2] }, { kinds: [3] }]);
    expect(refused.closedReason).toMatch(/^invalid: too many filters \(3\); at most 2/);
    expect((await client.query('few', [{ kinds: [1] }, { kinds: [2] }])).closedReason).toBeUndefined();
  });

  it('rate-limits EVENTs per connection with OK false "rate-limited:"', async () => {
    const relay = await startRelay({ limits: { maxEventsPerSecondPerConnection: 5 } });
    const flooder = await rawClient(relay.url);
    const { sk } = author();
    const events = Array.from({ length: 15 }, (_, i) => sign(sk, { content: `burst ${i}` }));
    const verdicts = await Promise.all(events.map((e) => flooder.publish(e)));
    const refused = verdicts.filter((v) => !v.accepted);
    expect(verdicts.filter((v) => v.accepted).length).toBeGreaterThanOrEqual(5);
    expect(refused.length).toBeGreaterThan(0);
    for (const v of refused) expect(v.reason).toMatch(/^rate-limited: /);

    const calm = await rawClient(relay.url);
    expect((await calm.publish(sign(sk, { content: 'another connection' }))).accepted).toBe(true);
    expect(relay.stats().eventsRejected).toBe(refused.length);
  });

  it('refuses connections over the limit with HTTP 503 and admits again once one leaves', async () => {
    const relay = await startRelay({ limits: { maxConnections: 2 } });
    const first = await rawClient(relay.url);
    await rawClient(relay.url);
    await expect(RawRelayClient.connect(relay.url)).rejects.toThrow(/503/);
    await first.close();
    await vi.waitFor(() => expect(relay.stats().connections).toBe(1));
    await rawClient(relay.url);
  });

  it('answers malformed messages with NOTICE and keeps serving', async () => {
    const relay = await startRelay();
    const client = await rawClient(relay.url);
    const cases: [string | Buffer, RegExp][] = [
      ['{not json', /^invalid: message is not valid JSON/],
      ['{"a":1}', /^invalid: a message is a JSON array/],
      ['["HELLO"]', /^invalid: unknown message type "HELLO"/],
      ['["CLOSE"]', /^invalid: REQ and CLOSE take a subscription id/],
      ['["EVENT", {"id": "nope"}]', /^invalid: .* at "id"/],
      ['["EVENT", "{}"]', /^invalid: the event of EVENT must be a JSON object/],
      [Buffer.from([0, 1, 2, 3]), /^invalid: binary frames are not accepted/],
    ];
    for (const [frame, reason] of cases) {
      const notice = client.waitFor((m) => m[0] === 'NOTICE');
      client.send(frame);
      expect(String((await notice)[1])).toMatch(reason);
    }
    const { sk } = author();
    expect((await client.publish(sign(sk))).accepted).toBe(true);
  });
});

describe('EmbeddedRelay: NIP-09 and NIP-11', () => {
  it('deletes the author’s referenced events (e and a tags), ignores other authors’ requests, keeps the request', async () => {
    const relay = await startRelay();
    const client = await rawClient(relay.url);
    const watcher = await rawClient(relay.url);
    const owner = author();
    const stranger = author();
    const t = nowSeconds();
    const note = sign(owner.sk, { content: 'to be deleted', created_at: t - 5 });
    const kept = sign(owner.sk, { content: 'stays', created_at: t - 5 });
    const profile = sign(owner.sk, { kind: Kind.AgentProfile, tags: [['d', 'profile']], created_at: t - 5 });
    for (const e of [note, kept, profile]) expect((await client.publish(e)).accepted).toBe(true);
    await watcher.query('deletions', [{ kinds: [Kind.Deletion] }]);
    const ownFilter = { authors: [owner.pk], kinds: [Kind.TextNote, Kind.AgentProfile] };
    const before = await client.query('before-delete', [ownFilter], { close: true });
    expect(new Set(ids(before.events))).toEqual(new Set([note.id, kept.id, profile.id]));

    const byStranger = sign(stranger.sk, { kind: Kind.Deletion, tags: [['e', kept.id]] });
    expect((await client.publish(byStranger)).accepted).toBe(true);
    const request = sign(owner.sk, {
      kind: Kind.Deletion,
      tags: [['e', note.id], ['a', `${Kind.AgentProfile}:${owner.pk}:profile`]],
    });
    const announced = watcher.waitFor((m) => m[0] === 'EVENT' && (m[2] as Event).id === request.id);
    expect((await client.publish(request)).accepted).toBe(true);
    await announced;

    // The same filter right after: no result cached from before the deletion is served.
    const remaining = await client.query('after-delete', [ownFilter], { close: true });
    expect(ids(remaining.events)).toEqual([kept.id]);
    const requests = await client.query('requests', [{ kinds: [Kind.Deletion], authors: [owner.pk] }], { close: true });
    expect(ids(requests.events)).toEqual([request.id]);

    // A deleted event cannot come back; a newer version of a deleted address can.
    expect(await client.publish(note)).toEqual({ accepted: false, reason: 'blocked: the author has deleted this event (NIP-09)' });
    expect((await client.publish(profile)).accepted).toBe(false);
    const newerProfile = sign(owner.sk, { kind: Kind.AgentProfile, tags: [['d', 'profile']], created_at: t + 5 });
    expect((await client.publish(newerProfile)).accepted).toBe(true);
  });

  it('serves the NIP-11 document with CORS on the relay port, a short page otherwise', async () => {
    const relay = await startRelay({
      info: { name: 'test nexus', description: 'a relay under test', pubkey: 'ab'.repeat(32), contact: 'ops@example.invalid' },
      limits: { maxSubscriptionsPerConnection: 7 },
    });
    const httpUrl = relay.url.replace(/^ws:/, 'http:');
    const res = await fetch(httpUrl, { headers: { Accept: 'application/nostr+json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-type')).toBe('application/nostr+json');
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      name: 'test nexus',
      description: 'a relay under test',
      pubkey: 'ab'.repeat(32),
      contact: 'ops@example.invalid',
      software: expect.any(String),
      version: expect.any(String),
      limitation: { max_message_length: 128 * 1024, max_subscriptions: 7, max_filters: 10 },
    });
    expect(doc.supported_nips).toEqual(expect.arrayContaining([1, 9, 11]));

    const page = await fetch(httpUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await page.text()).toContain('Nostr relay');
    expect((await fetch(`${httpUrl}/elsewhere`)).status).toBe(404);
    const preflight = await fetch(httpUrl, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('EmbeddedRelay: lifecycle', () => {
  it('reports a taken port as CONFLICT naming the port', async () => {
    const first = await startRelay();
    const port = Number(new URL(first.url).port);
    const second = new EmbeddedRelay({ dbFile: tempDbFile(), port });
    relays.push(second);
    const err = await second.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect((err as AppError).message).toContain(String(port));
    expect(() => second.url).toThrow(AppError);
    await second.stop();
  });

  it('binds the LAN host 0.0.0.0 and is reachable on loopback', async () => {
    const relay = await startRelay({ host: '0.0.0.0' });
    const port = Number(new URL(relay.url).port);
    expect(relay.url).toBe(`ws://127.0.0.1:${port}`);
    const client = await rawClient(`ws://127.0.0.1:${port}`);
    const { sk } = author();
    expect((await client.publish(sign(sk))).accepted).toBe(true);
  });

  it('stops idempotently and closes its clients', async () => {
    const relay = await startRelay();
    const client = await RawRelayClient.connect(relay.url);
    await Promise.all([relay.stop(), relay.stop()]);
    await relay.stop();
    expect((await client.closed).code).toBe(1001);
    expect(relay.stats().connections).toBe(0);
    expect(() => relay.url).toThrow(/not running/);
  });
});
