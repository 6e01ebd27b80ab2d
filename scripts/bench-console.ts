// npm run bench:console
//
// 1. Daemon start → console interactive: from spawning `openagents daemon` to the console
//    showing its agents page in headless Chromium (target ≤ 1.5 s).
// 2. The approvals queue with 10,000 pending requests: from clicking "Approvals" in the
//    console to the first request on screen, and the React render alone (target ≤ 200 ms).
// Needs `npm run build` (the console) and Debian's Chromium at /usr/bin/chromium.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHandlers, dispatch } from '../src-main/core/api/handlers.js';
import { OpenAgentsNode } from '../src-main/core/node.js';
import { launchBrowser } from '../e2e/support.js';
import { startDaemon, testEnv } from '../test/support/harness.js';

const PENDING = Number(process.env.BENCH_PENDING ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function must(p: ReturnType<typeof dispatch>): Promise<unknown> {
  const r = await p;
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const t = testEnv();
{
  // Fixture: an identity, one agent, and PENDING approval requests written straight to the store.
  const node = new OpenAgentsNode({ home: t.home, devnetDir: t.devnetDir, mode: 'direct' });
  const api = createHandlers(node);
  await must(dispatch(api, 'identity.init', {}));
  const agent = (await must(dispatch(api, 'agents.spawn', { name: 'bench', autonomy: 'supervised' }))) as { id: string };
  const insert = node.db.prepare(`INSERT INTO approvals (id, agent_id, action, description, amount_sats, payload, created_at, expires_at)
    VALUES (?, ?, 'pay_invoice', ?, ?, '{}', ?, ?)`);
  const now = Date.now();
  node.db.transaction(() => {
    for (let i = 0; i < PENDING; i++) insert.run(`apr_${randomBytes(6).toString('hex')}`, agent.id, `Pay ${100 + i} sats: bench request ${i}`, 100 + i, now + i, now + 86_400_000);
  })();
  await node.stop();
}

const browser = await launchBrowser();
const startups: number[] = [];
const queue: number[] = [];
const renders: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const t0 = performance.now();
    const daemon = await startDaemon(t);
    const token = readFileSync(daemon.ready.tokenFile, 'utf8').trim();
    const page = await browser.newPage();
    try {
      await page.goto(`${daemon.ready.consoleUrl}#token=${token}`);
      await page.getByRole('heading', { name: 'Agents' }).waitFor();
      startups.push(performance.now() - t0);

      const t1 = performance.now();
      await page.getByRole('link', { name: /Approvals/ }).click();
      await page.getByTestId('approval-item').first().waitFor();
      queue.push(performance.now() - t1);
      // React render of the already-fetched queue: leave and come back with the data cached.
      await page.getByRole('link', { name: 'Agents' }).click();
      await page.getByRole('heading', { name: 'Agents' }).waitFor();
      const ms = await page.evaluate(async () => {
        const start = performance.now();
        const link = [...document.querySelectorAll('a')].find((a) => a.textContent?.startsWith('Approvals'))!;
        link.click();
        for (;;) {
          if (document.querySelector('[data-testid="approval-item"]')) return performance.now() - start;
          await new Promise((r) => requestAnimationFrame(r));
        }
      });
      renders.push(ms);
    } finally {
      await page.close();
      await daemon.stop();
    }
  }
} finally {
  await browser.close();
}
console.log(`daemon start → console interactive: median ${median(startups).toFixed(0)} ms over ${RUNS} runs (target ≤ 1500 ms); runs ${startups.map((x) => x.toFixed(0)).join(', ')}`);
console.log(`approvals queue with ${PENDING} pending: click → first request visible median ${median(queue).toFixed(0)} ms (fetch + render); render from cache median ${median(renders).toFixed(0)} ms (target ≤ 200 ms)`);
console.log(`(home ${path.basename(t.home)})`);
