// npm run bench:relay
//
// The embedded relay on loopback, against a raw `ws` echo server measured in the same run with
// the same frames:
// 1. Round-trip latency, p50/p95: an EVENT published on one connection until the subscriber on
//    another connection receives it; N sequential (each waits for the previous one's OK too).
// 2. Ingest rate: signed events published as fast as OKs come back, pipelined with a bounded
//    number in flight. Includes what a relay must do per event: Schnorr verification and an
//    SQLite commit.
// 3. Baseline: the echo server's round trip (send → echo on one connection) and pipelined
//    messages/s, then the ratios relay/echo.
// Events are signed before any timing. Counts: BENCH_ROUND_TRIPS, BENCH_INGEST, BENCH_IN_FLIGHT.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventUtils } from '@nostr-relay/common';
import { finalizeEvent, generateSecretKey, getPublicKey, type Event } from 'nostr-tools/pure';
import WebSocket, { WebSocketServer } from 'ws';
import { EmbeddedRelay } from '../src-main/core/nostr/relay/embedded-relay.js';

const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 2_000);
const INGEST = Number(process.env.BENCH_INGEST ?? 3_000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64);
/** Each phase stops early (and says so) past this; the whole run is cut off at four times it. */
const PHASE_BUDGET_MS = 60_000;
const CONTENT_BYTES = 256;

const hardStop = setTimeout(() => {
  console.error(`bench-relay: exceeded ${(4 * PHASE_BUDGET_MS) / 1000} s, aborting`);
  process.exit(1);
}, 4 * PHASE_BUDGET_MS);
hardStop.unref();

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function ms(value: number): string {
  return `${value.toFixed(3)} ms`;
}

function rate(value: number, unit: string): string {
  return `${Math.round(value).toLocaleString('en-US')} ${unit}/s`;
}

/** A client connection that hands every parsed message to the current listener. */
class Wire {
  private listener: (message: unknown[]) => void = () => undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.listener(JSON.parse(String(data)) as unknown[]));
  }

  static open(url: string): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      socket.once('open', () => resolve(new Wire(socket)));
      socket.once('error', reject);
    });
  }

  listen(listener: (message: unknown[]) => void): void {
    this.listener = listener;
  }

  send(frame: string): void {
    this.socket.send(frame);
  }

  close(): void {
    this.socket.close();
  }
}

function signEvents(count: number, secretKey: Uint8Array, label: string): Event[] {
  const filler = 'x'.repeat(CONTENT_BYTES);
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) =>
    finalizeEvent({ kind: 1, created_at: now, tags: [['t', label]], content: `${label} ${i} ${filler}` }, secretKey),
  );
}

/** Sequential round trips: `send(i)` starts one, the returned promise ends it. */
async function roundTrips(count: number, once: (i: number) => Promise<void>): Promise<{ sorted: number[]; completed: number }> {
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count && performance.now() - started < PHASE_BUDGET_MS; i++) {
    const t0 = performance.now();
    await once(i);
    samples.push(performance.now() - t0);
  }
  return { sorted: samples.sort((a, b) => a - b), completed: samples.length };
}

/**
 * Pipelined sends with at most `inFlight` unanswered; `completes` is called per reply and says
 * whether it completes one message. Returns completed messages per second.
 */
function pipeline(wire: Wire, frames: string[], inFlight: number, completes: (message: unknown[]) => boolean): Promise<{ perSecond: number; completed: number }> {
  return new Promise((resolve) => {
    let sent = 0;
    let done = 0;
    const started = performance.now();
    const finish = (): void => resolve({ perSecond: done / ((performance.now() - started) / 1000), completed: done });
    const refill = (): void => {
      const overBudget = performance.now() - started > PHASE_BUDGET_MS;
      while (!overBudget && sent < frames.length && sent - done < inFlight) wire.send(frames[sent++]!);
      if (done === sent && (overBudget || sent === frames.length)) finish();
    };
    wire.listen((message) => {
      if (!completes(message)) return;
      done += 1;
      refill();
    });
    refill();
  });
}

async function benchRelay(roundTripEvents: Event[], ingestEvents: Event[], pubkey: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-bench-relay-'));
  // The per-connection event rate limit (50/s by default) is lifted: this measures the relay, not its throttle.
  const relay = new EmbeddedRelay({ dbFile: path.join(dir, 'relay.sqlite'), limits: { maxEventsPerSecondPerConnection: 1_000_000 } });
  const { url } = await relay.start();
  try {
    const subscriber = await Wire.open(url);
    const publisher = await Wire.open(url);
    await new Promise<void>((resolve) => {
      subscriber.listen((m) => m[0] === 'EOSE' && resolve());
      subscriber.send(JSON.stringify(['REQ', 'round-trip', { kinds: [1], authors: [pubkey] }]));
    });

    const frames = roundTripEvents.map((e) => JSON.stringify(['EVENT', e]));
    const latency = await roundTrips(frames.length, (i) => {
      const id = roundTripEvents[i]!.id;
      const received = new Promise<void>((resolve) => subscriber.listen((m) => m[0] === 'EVENT' && (m[2] as Event).id === id && resolve()));
      const ok = new Promise<void>((resolve, reject) =>
        publisher.listen((m) => {
          if (m[0] !== 'OK' || m[1] !== id) return;
          if (m[2] === true) resolve();
          else reject(new Error(`relay refused a round-trip event: ${String(m[3])}`));
        }),
      );
      publisher.send(frames[i]!);
      return Promise.all([received, ok]).then(() => undefined);
    });

    const ingester = await Wire.open(url);
    let refused = 0;
    const ingest = await pipeline(ingester, ingestEvents.map((e) => JSON.stringify(['EVENT', e])), IN_FLIGHT, (m) => {
      if (m[0] !== 'OK') return false;
      if (m[2] !== true) refused += 1;
      return true;
    });
    for (const wire of [subscriber, publisher, ingester]) wire.close();
    return { latency, ingest, refused, frameBytes: Buffer.byteLength(frames[0]!), stats: relay.stats() };
  } finally {
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchEcho(frames: string[], ingestFrames: string[]) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const address = server.address();
  const url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  try {
    const client = await Wire.open(url);
    const latency = await roundTrips(frames.length, (i) => {
      const echoed = new Promise<void>((resolve) => client.listen(() => resolve()));
      client.send(frames[i]!);
      return echoed;
    });
    const throughput = await pipeline(client, ingestFrames, IN_FLIGHT, () => true);
    client.close();
    return { latency, throughput };
  } finally {
    for (const ws of server.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The relay library's own signature check, alone: the floor under its per-event cost. */
function verificationMs(events: Event[]): number {
  const sample = events.slice(0, 200);
  const started = performance.now();
  for (const event of sample) if (!EventUtils.isSigValid(event)) throw new Error('bench event failed verification');
  return (performance.now() - started) / sample.length;
}

async function main(): Promise<void> {
  const signingStarted = performance.now();
  const roundTripKey = generateSecretKey();
  const roundTripEvents = signEvents(ROUND_TRIPS, roundTripKey, 'round-trip');
  const ingestEvents = signEvents(INGEST, generateSecretKey(), 'ingest');
  const signingSeconds = (performance.now() - signingStarted) / 1000;

  const verifyMs = verificationMs(ingestEvents);
  const relayResult = await benchRelay(roundTripEvents, ingestEvents, getPublicKey(roundTripKey));
  const echo = await benchEcho(
    roundTripEvents.map((e) => JSON.stringify(['EVENT', e])),
    ingestEvents.map((e) => JSON.stringify(['EVENT', e])),
  );

  const r = relayResult.latency.sorted;
  const e = echo.latency.sorted;
  const truncated = (done: number, wanted: number): string => (done < wanted ? ` (stopped at ${done} of ${wanted}: phase budget)` : '');
  console.log(`bench-relay: loopback, ${ROUND_TRIPS} round trips, ${INGEST} ingest events, ${IN_FLIGHT} in flight, EVENT frame ≈ ${relayResult.frameBytes} bytes`);
  console.log(`  pre-signed ${ROUND_TRIPS + INGEST} events in ${signingSeconds.toFixed(1)} s (not timed)`);
  console.log('relay (@nostr-relay/core + SQLite, this module)');
  console.log(`  round trip, publish on A → EVENT on B:  p50 ${ms(pct(r, 50))}  p95 ${ms(pct(r, 95))}${truncated(relayResult.latency.completed, ROUND_TRIPS)}`);
  console.log(
    `  ingest, pipelined until OK:             ${rate(relayResult.ingest.perSecond, 'events')}` +
      ` (${relayResult.refused} refused)${truncated(relayResult.ingest.completed, INGEST)}`,
  );
  console.log('baseline (raw ws echo server, same frames)');
  console.log(`  round trip, send → echo:               p50 ${ms(pct(e, 50))}  p95 ${ms(pct(e, 95))}`);
  console.log(`  pipelined echo:                        ${rate(echo.throughput.perSecond, 'messages')}`);
  console.log('ratios (relay / echo)');
  console.log(`  round trip p50 ${(pct(r, 50) / pct(e, 50)).toFixed(1)}×, p95 ${(pct(r, 95) / pct(e, 95)).toFixed(1)}×`);
  console.log(`  ingest rate ${(relayResult.ingest.perSecond / echo.throughput.perSecond).toFixed(3)}× the echo rate`);
  console.log(
    `  context: the library's Schnorr verification alone takes ${ms(verifyMs)} per event here` +
      ` (a ceiling of ${rate(1000 / verifyMs, 'events')} on one core before any storage)`,
  );
  console.log(`  relay stats: ${JSON.stringify(relayResult.stats)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
