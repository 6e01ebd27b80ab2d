// Hostile-client fuzz of the embedded relay: thousands of malformed frames over a few loopback
// connections, then proof that the relay still stores and serves a valid event. The PRNG is
// seeded, so a failure replays with the same frames (signatures aside: Schnorr adds fresh
// randomness, which changes no frame's shape).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { finalizeEvent, getPublicKey, type Event } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedRelay } from '../src-main/core/nostr/relay/embedded-relay.js';
import { RawRelayClient } from '../src-main/core/nostr/relay/raw-relay-client.js';
import { mulberry32 } from '../src-main/core/prng.js';

const SEED = 0x0a9e_2024;
const CONNECTIONS = 4;
const FRAMES_PER_CONNECTION = 1_500;
const MAX_MESSAGE_BYTES = 64 * 1024;


class Fuzzer {
  private readonly random: () => number;
  readonly secretKey: Uint8Array;
  readonly pubkey: string;

  constructor(seed: number) {
    this.random = mulberry32(seed);
    this.secretKey = Uint8Array.from({ length: 32 }, () => 1 + this.int(254));
    this.pubkey = getPublicKey(this.secretKey);
  }

  int(below: number): number {
    return Math.floor(this.random() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  hex(chars: number): string {
    let out = '';
    for (let i = 0; i < chars; i++) out += '0123456789abcdef'[this.int(16)];
    return out;
  }

  text(maxLength: number): string {
    let out = '';
    const length = this.int(maxLength + 1);
    // Any UTF-16 code unit, lone surrogates included (sent as U+FFFD): JSON punctuation,
    // control characters and astral noise are all in range.
    for (let i = 0; i < length; i++) out += String.fromCharCode(this.int(0x10000));
    return out;
  }

  bytes(maxLength: number): Buffer {
    return Buffer.from(Array.from({ length: this.int(maxLength + 1) }, () => this.int(256)));
  }

  signed(overrides: Partial<Event> = {}): Event {
    return finalizeEvent(
      { kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [], content: this.text(40), ...overrides },
      this.secretKey,
    );
  }

  /** A well-formed, validly signed event whose fields are then broken in one way. */
  brokenEvent(base: Event): unknown {
    const e: Record<string, unknown> = { ...base };
    const field = this.pick(['id', 'pubkey', 'created_at', 'kind', 'tags', 'content', 'sig', 'extra', 'missing']);
    const junk: unknown[] = [null, true, -1, 1.5, 2 ** 53, 1e308, '', 'x', this.hex(63), this.hex(64).toUpperCase(), [], {}, [[1, 2]], this.text(20)];
    if (field === 'extra') e[this.text(8)] = this.pick(junk);
    else if (field === 'missing') delete e[this.pick(['id', 'pubkey', 'created_at', 'kind', 'tags', 'content', 'sig'])];
    else if (field === 'tags') e.tags = this.pick([[['e']], [[]], [['p', 'x'.repeat(5000)]], Array.from({ length: 2100 }, () => ['t', 'x']), 'tags', [[1]]]);
    else e[field] = this.pick(junk);
    return e;
  }

  hugeFilter(): Record<string, unknown> {
    switch (this.int(6)) {
      case 0: return { ids: Array.from({ length: 1200 }, () => this.hex(64)) };
      case 1: return { kinds: Array.from({ length: 500 }, (_, i) => i) };
      case 2: return { authors: Array.from({ length: 300 }, () => this.hex(64)), limit: 1e12 };
      case 3: return { '#e': Array.from({ length: 400 }, () => this.hex(64)) };
      case 4: return { since: -5, until: 2 ** 60, limit: -1 };
      default: return { search: 'x'.repeat(400), '#p': [] };
    }
  }

  /** One hostile frame; every family of malformation a client can send under the size cap. */
  frame(signedPool: readonly Event[]): { data: string | Buffer; binary?: boolean } {
    const valid = this.pick(signedPool);
    switch (this.int(16)) {
      case 0: return { data: this.text(200) };
      case 1: return { data: this.bytes(300), binary: true };
      case 2: return { data: JSON.stringify(['EVENT', valid]).slice(0, this.int(300)) };
      case 3: return { data: this.pick(['null', '42', '"EVENT"', '{}', '{"0":"REQ"}', '[]', '[null]', '[1,2,3]', '"\\ud800"', '[[[[[[[[[[]]]]]]]]]]', '['.repeat(5000) + ']'.repeat(5000)]) };
      case 4: return { data: JSON.stringify(this.pick([['EVENT'], ['EVENT', valid, valid], ['REQ'], ['REQ', 'sub'], ['CLOSE'], ['CLOSE', 'a', 'b'], ['AUTH'], ['AUTH', valid, 1]])) };
      case 5: return { data: JSON.stringify(this.pick([['REQ', 123, {}], ['REQ', 's', 'filter'], ['REQ', 's', { kinds: '1' }], ['REQ', 's', { kinds: [-1] }], ['REQ', 's', { limit: 'all' }], ['EVENT', 'event'], ['EVENT', []], ['CLOSE', {}], ['REQ', '', {}], ['REQ', 'x'.repeat(200), {}], ['REQ', 's', null], ['AUTH', 'token']])) };
      case 6: return { data: JSON.stringify(['REQ', `huge-${this.int(1000)}`, this.hugeFilter()]) };
      case 7: return { data: JSON.stringify(['REQ', `many-${this.int(1000)}`, ...Array.from({ length: 11 + this.int(200) }, () => ({ kinds: [1] }))]) };
      case 8: return { data: JSON.stringify([this.pick(['req', 'COUNT', 'NEG-OPEN', 'OK', 'NOTICE', 'EOSE', '', this.text(10)]), 'x', {}]) };
      case 9: return { data: JSON.stringify(['EVENT', this.brokenEvent(valid)]) };
      case 10: return { data: JSON.stringify(['EVENT', { ...valid, sig: this.hex(128) }]) };
      case 11: return { data: JSON.stringify(['EVENT', valid]) };
      case 12: return { data: this.pick(['["REQ","p",{"__proto__":{"polluted":1}}]', '["EVENT",{"__proto__":{"id":"x"}}]', '["REQ","c",{"constructor":{"prototype":{"x":1}}}]']) };
      case 13: return { data: JSON.stringify(['REQ', `sub-${this.int(40)}`, { kinds: [this.int(40000)], limit: this.int(5) }]) };
      case 14: return { data: JSON.stringify(['CLOSE', `sub-${this.int(40)}`]) };
      default: return { data: JSON.stringify(['EVENT', { ...valid, content: 'z'.repeat(MAX_MESSAGE_BYTES + this.int(MAX_MESSAGE_BYTES)) }]) };
    }
  }

  /** Validly signed events that push the relay's own logic: odd deletions, tags, kinds. */
  signedPool(): Event[] {
    const pk = this.pubkey;
    const pool: Event[] = [];
    for (let i = 0; i < 120; i++) {
      const variants: Partial<Event>[] = [
        { kind: 5, tags: [] },
        { kind: 5, tags: [['e', this.hex(64)], ['e', 'zz'], ['a', 'garbage'], ['a', `30000:${pk}`], ['a', `1:${pk}:x`], ['a', `3:${pk}:`], ['a', ':::']] },
        { kind: 5, tags: [['a', `30000:${this.hex(64)}:d`], ['e']] },
        { kind: 30000 + this.int(10000), tags: [['d', this.text(10)]] },
        { kind: 30001, tags: [] },
        { kind: 0, content: '{"name":' },
        { kind: 20000 + this.int(10000) },
        { kind: 22242, tags: [['challenge', 'x'], ['relay', 'not a url']] },
        { kind: 1, tags: [['expiration', '1']] },
        { kind: 1, tags: [['delegation', this.hex(64), 'kind=1&created_at>', this.hex(128)]] },
        { kind: 1, tags: [['', ''], ['e', this.hex(64), 'ws://x', 'root'], [this.text(3), this.text(30)]] },
        { kind: 1, created_at: 0 },
        { kind: 1, created_at: 2 ** 32 },
      ];
      pool.push(this.signed(this.pick(variants)));
    }
    return pool;
  }
}

describe('embedded relay under hostile clients', () => {
  let dir: string;
  let relay: EmbeddedRelay;
  const logLines: string[] = [];
  const crashes: unknown[] = [];
  const recordCrash = (err: unknown): void => {
    crashes.push(err);
  };

  beforeAll(async () => {
    process.on('uncaughtException', recordCrash);
    process.on('unhandledRejection', recordCrash);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oa-relay-fuzz-'));
    relay = new EmbeddedRelay({
      dbFile: path.join(dir, 'relay.sqlite'),
      // The rate limit is lifted so every hostile event reaches verification and storage.
      limits: { maxMessageBytes: MAX_MESSAGE_BYTES, maxEventsPerSecondPerConnection: 1_000_000 },
      log: (line) => logLines.push(line),
    });
    await relay.start();
  });

  afterAll(async () => {
    await relay.stop();
    process.off('uncaughtException', recordCrash);
    process.off('unhandledRejection', recordCrash);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers thousands of malformed frames and keeps storing and serving valid events', async () => {
    const fuzzer = new Fuzzer(SEED);
    const pool = fuzzer.signedPool();
    const started = Date.now();

    const fuzzClients = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawRelayClient.connect(relay.url)));
    for (let i = 0; i < FRAMES_PER_CONNECTION; i++) {
      for (const client of fuzzClients) {
        const { data, binary } = fuzzer.frame(pool);
        client.send(data, { binary: binary ?? false });
      }
    }
    // Each connection is handled in order, so an answer to a last REQ means every frame before
    // it was handled. Most of the wait is Schnorr verification of the well-formed forgeries.
    const ends = await Promise.all(
      fuzzClients.map((c, i) => c.query(`sentinel-${i}`, [{ limit: 0 }], { close: true, timeoutMs: 40_000 }).catch((e: unknown) => e)),
    );
    for (const end of ends) expect(end).not.toBeInstanceOf(Error);

    for (const client of fuzzClients) {
      expect(client.socket.readyState).toBe(client.socket.OPEN);
      expect(client.received.filter((m) => m[0] === 'UNPARSEABLE')).toEqual([]);
      const notices = client.received.filter((m) => m[0] === 'NOTICE');
      expect(notices.length).toBeGreaterThan(FRAMES_PER_CONNECTION / 10);
      for (const [, reason] of notices) expect(reason).toMatch(/^(invalid|error): /);
      for (const ok of client.received.filter((m) => m[0] === 'OK')) {
        expect(ok).toHaveLength(4);
        expect(typeof ok[2]).toBe('boolean');
        if (ok[2] === false) expect(ok[3]).toMatch(/^[a-z-]+: /);
      }
    }
    expect(relay.stats().connections).toBe(CONNECTIONS);
    expect(relay.stats().eventsRejected).toBeGreaterThan(0);

    // Frames that break the WebSocket protocol itself end only their own connection, with the standard code.
    const badUtf8 = await RawRelayClient.connect(relay.url);
    badUtf8.send(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), { binary: false });
    expect((await badUtf8.closed).code).toBe(1007);
    const overCap = await RawRelayClient.connect(relay.url);
    overCap.send(JSON.stringify(['EVENT', fuzzer.signed({ content: 'q'.repeat(MAX_MESSAGE_BYTES * 5) })]));
    expect((await overCap.closed).code).toBe(1009);

    // The relay still accepts a valid event and serves it, live and stored.
    const subscriber = await RawRelayClient.connect(relay.url);
    const publisher = await RawRelayClient.connect(relay.url);
    const probe = fuzzer.signed({ kind: 1, content: 'after the storm' });
    await subscriber.query('after', [{ ids: [probe.id] }]);
    const live = subscriber.waitFor((m) => m[0] === 'EVENT' && m[1] === 'after');
    expect(await publisher.publish(probe)).toEqual({ accepted: true, reason: '' });
    expect((await live)[2]).toEqual(JSON.parse(JSON.stringify(probe)));
    expect((await publisher.query('stored', [{ ids: [probe.id] }])).events).toEqual([JSON.parse(JSON.stringify(probe))]);

    for (const client of [...fuzzClients, subscriber, publisher]) await client.close();
    expect(crashes).toEqual([]);
    // Handler failures are logged as "... failed: ..." and library errors under their service names.
    expect(logLines.filter((l) => /failed|Service/.test(l))).toEqual([]);
    expect(Date.now() - started).toBeLessThan(50_000);
  }, 60_000);
});
