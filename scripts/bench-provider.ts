// npm run bench:provider
//
// One run, one model (the generated tiny model), the same engine settings on both sides,
// direct and paid generations interleaved so both see the same load:
// 1. tokens/s of a paid NIP-90 job, measured by the customer from the 7000 "processing"
//    feedback to the 6050 result, ÷ tokens/s of direct node-llama-cpp generation (target ≥ 0.95);
// 2. the job's non-inference overhead: request → result minus the generation, with the
//    payment on loopback (targets p50 ≤ 100 ms, p95 ≤ 250 ms).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Event } from 'nostr-tools';
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure';
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay';
import WebSocket from 'ws';
import type { JobView, ProviderStatusView } from '../src-main/core/api/contract.js';
import { InferenceEngine } from '../src-main/core/inference/engine.js';
import { writeTinyGguf } from '../src-main/core/inference/tiny-gguf.js';
import { Kind } from '../src-main/core/nostr/kinds.js';
import { DevnetNetwork } from '../src-main/core/wallet/devnet/devnet-network.js';
import { cliJson, startDaemon, testEnv } from '../test/support/harness.js';

useWebSocketImplementation(WebSocket);
const JOBS = Number(process.env.BENCH_JOBS ?? 60);
// Jobs of the provider's default size (512 tokens). The tokens/s ratio is about generation
// throughput; the fixed per-job costs are the overhead figure. With very short jobs the two
// event hops inside the window (processing, result: Schnorr signing ≈ 5 ms, relay and client
// verification ≈ 3 ms each on a 2-core VM) would weigh in the ratio too: BENCH_TOKENS=64 shows it.
const TOKENS = Number(process.env.BENCH_TOKENS ?? 512);

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const t = testEnv();
const file = path.join(path.dirname(t.home), 'tiny.gguf');
writeTinyGguf(file, { seed: 21 });

// Direct generation, same file and settings as the provider's engine (one thread for this size).
// GPU 'auto', as the node's engine uses (on a machine without a GPU both run on the CPU).
const engine = new InferenceEngine();
await engine.load(file);
await engine.generate({ prompt: 'warm up', maxTokens: 8 });
const direct: number[] = [];

await cliJson(t, ['init']);
await cliJson(t, ['models', 'import', file, '--name', 'tiny']);
const daemon = await startDaemon(t);
const provider = await cliJson<ProviderStatusView>(t, ['provider', 'online', '--model', 'tiny', '--min-price-sats', '1', '--price-per-1k-sats', '1', '--max-tokens', String(TOKENS)]);
// One customer sends every job: lift the per-requester hourly limit (60 by default).
await cliJson(t, ['provider', 'set', 'max-jobs-per-requester-per-hour', '100000']);
const relay = await Relay.connect(daemon.ready.relayUrl!);
const net = new DevnetNetwork(t.devnetDir);
const wallet = net.openWallet(new Uint8Array(randomBytes(32)), 'bench customer');
net.faucet(wallet.nodePubkey, 1_000_000);
const sk = generateSecretKey();

const paidRates: number[] = [];
/** paid ÷ direct of the same iteration: pairs cancel the machine's drifting speed. */
const pairRatios: number[] = [];
const overhead: number[] = [];
const toInvoice: number[] = [];
const toProcessing: number[] = [];
const toResult: number[] = [];
try {
  for (let i = 0; i < JOBS + 1; i++) {
    const req = finalizeEvent({ kind: Kind.TextGenerationRequest, created_at: Math.floor(Date.now() / 1000), tags: [['i', `Say something ${i}`, 'text'], ['param', 'max_tokens', String(TOKENS)], ['bid', '10000000'], ['p', provider.pubkey]], content: '' }, sk);
    const marks: Record<string, number> = {};
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`job ${i} did not finish`)), 30_000);
      const sub = relay.subscribe([{ kinds: [Kind.JobFeedback, Kind.TextGenerationResult], '#e': [req.id] }], {
        onevent: (e: Event) => {
          const st = e.tags.find((x) => x[0] === 'status')?.[1];
          if (st === 'payment-required') {
            marks.invoice = performance.now();
            const bolt11 = e.tags.find((x) => x[0] === 'amount')![2]!;
            void wallet.payInvoice({ bolt11, maxFeeSats: 0, idempotencyKey: `bench:${req.id}` });
          } else if (st === 'processing') marks.processing = performance.now();
          else if (e.kind === Kind.TextGenerationResult) {
            marks.result = performance.now();
            clearTimeout(timer);
            sub.close();
            resolve();
          }
        },
      });
    });
    // Direct generation of the same prompt right before each job, so both see the same machine load.
    const d = await engine.generate({ prompt: `Say something ${i}`, maxTokens: TOKENS });
    if (i > 0) direct.push(d.tokensPerSecond);
    marks.request = performance.now();
    await relay.publish(req);
    await done;
    if (i === 0) continue; // warm-up
    const jobs = await cliJson<JobView[]>(t, ['provider', 'jobs', '--limit', '1']);
    const tokens = jobs[0]!.outputTokens ?? 0;
    const gen = marks.result! - marks.processing!;
    paidRates.push((tokens * 1000) / gen);
    pairRatios.push((tokens * 1000) / gen / direct[direct.length - 1]!);
    // Everything but the generation: admission, invoice, payment detection, feedback and result events.
    // The same prompt's direct generation just before, scaled to the job's token count.
    const directMs = (tokens * d.durationMs) / Math.max(1, d.tokens);
    overhead.push(marks.result! - marks.request! - directMs);
    toInvoice.push(marks.invoice! - marks.request!);
    toProcessing.push(marks.processing! - marks.invoice!);
    toResult.push(marks.result! - marks.processing!);
  }
} finally {
  relay.close();
  net.close();
  await engine.close();
  await daemon.stop();
}

const ratio = pct(paidRates, 50) / pct(direct, 50);
console.log(`tokens/s: paid NIP-90 job (processing → result) median ${pct(paidRates, 50).toFixed(0)} vs direct node-llama-cpp median ${pct(direct, 50).toFixed(0)} → ratio ${ratio.toFixed(2)} (target ≥ 0.95); median of per-iteration ratios ${pct(pairRatios, 50).toFixed(2)}`);
console.log(`non-inference overhead per job (request → result minus generation, payment on loopback): p50 ${pct(overhead, 50).toFixed(0)} ms, p95 ${pct(overhead, 95).toFixed(0)} ms (targets ≤ 100 / ≤ 250 ms); ${JOBS} jobs of ${TOKENS} tokens`);
console.log(`  stages (p50): request → payment-required ${pct(toInvoice, 50).toFixed(0)} ms; invoice → paid and processing ${pct(toProcessing, 50).toFixed(0)} ms; processing → result ${pct(toResult, 50).toFixed(0)} ms`);
