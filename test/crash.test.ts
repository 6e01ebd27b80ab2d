import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSummary } from '../src-main/core/api/contract.js';
import { createHandlers, dispatch } from '../src-main/core/api/handlers.js';
import { DaemonClient } from '../src-main/cli/client.js';
import { readDaemonFile } from '../src-main/cli/daemon-file.js';
import { OpenAgentsNode } from '../src-main/core/node.js';
import { DevnetNetwork } from '../src-main/core/wallet/devnet/devnet-network.js';
import { cliJson, startDaemon, testEnv } from './support/harness.js';
import { ScriptedModelServer } from './support/scripted-model-server.js';

// Kills the daemon with SIGKILL again and again while agents tick and pay, then proves from
// the files on disk: committed state intact, every invoice paid at most once, every payment
// the ledger settled is in the home's book, the ledger conserved, receipts valid.

const ROUNDS = 6;
const AGENTS = ['a1', 'a2', 'a3'];
const PRICE = 7;

let model: ScriptedModelServer;
let merchantNet: DevnetNetwork;
const issued: string[] = [];

beforeAll(async () => {
  model = await ScriptedModelServer.start();
});
afterAll(async () => {
  merchantNet?.close();
  await model.close();
});

describe('crash safety', () => {
  it('survives repeated SIGKILL during ticks and payments without losing or repeating anything', async () => {
    const t = testEnv();
    merchantNet = new DevnetNetwork(t.devnetDir);
    const merchant = merchantNet.openWallet(new Uint8Array(randomBytes(32)), 'merchant');
    // Every tick starts with a fresh merchant invoice to pay, then a note, then a summary.
    model.onRequest(async (body) => {
      const last = body.messages.at(-1);
      if (last?.role === 'user') {
        const inv = await merchant.createInvoice({ amountSats: PRICE, memo: 'crash test' });
        issued.push(inv.paymentHash);
        return { delayMs: 20, toolCalls: [{ name: 'pay_invoice', arguments: { invoice: inv.bolt11, reason: 'crash test' } }, { name: 'remember', arguments: { content: `paid ${inv.paymentHash.slice(0, 8)}` } }] };
      }
      return { delayMs: 10, content: 'paid and noted' };
    });

    await cliJson(t, ['init']);
    await cliJson(t, ['wallet', 'faucet', '1000000']);
    await cliJson(t, ['backend', 'add', 'scripted', '--url', model.url, '--model', 'scripted-model']);
    for (const name of AGENTS) {
      await cliJson<AgentSummary>(t, ['agent', 'spawn', '--name', name, '--bootstrap-sats', '100000', '--autonomy', 'full', '--daily-limit', '1000000']);
    }

    let recovered = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const d = await startDaemon(t);
      recovered += d.ready.recovery.rolledBack.length + d.ready.recovery.resumed.length;
      const client = await DaemonClient.open(readDaemonFile(t.home)!);
      let stop = false;
      const loops = AGENTS.map(async (name) => {
        while (!stop) {
          const r = await client.call('agents.tick', { agent: name, message: `round ${round}` });
          if (!r.ok) break;
        }
      });
      await new Promise((r) => setTimeout(r, 400 + Math.floor(Math.random() * 900)));
      await d.kill();
      stop = true;
      await Promise.allSettled(loops);
      await client.close();
    }
    const last = await startDaemon(t);
    recovered += last.ready.recovery.rolledBack.length + last.ready.recovery.resumed.length;
    expect(await last.stop()).toBe(0);
    expect(recovered).toBeGreaterThan(0);

    // Inspect what is on disk.
    const node = new OpenAgentsNode({ home: t.home, devnetDir: t.devnetDir, mode: 'direct' });
    try {
      const api = createHandlers(node);
      const ledger = merchantNet.ledger;
      expect(ledger.checkConservation()).toMatchObject({ ok: true });
      expect(node.db.prepare("SELECT COUNT(*) FROM ticks WHERE status = 'running'").pluck().get()).toBe(0);
      expect(node.db.prepare("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").pluck().get()).toBe(0);

      let paidTotal = 0;
      for (const hash of issued) {
        const status = await merchant.paymentStatus(hash);
        const booked = node.db.prepare("SELECT COUNT(*) FROM payments WHERE direction = 'out' AND payment_hash = ? AND status = 'succeeded'").pluck().get(hash) as number;
        const spends = node.db.prepare("SELECT COUNT(*) FROM spends WHERE kind = 'payment' AND ref IN (SELECT idempotency_key FROM payments WHERE payment_hash = ?)").pluck().get(hash) as number;
        if (status.state === 'succeeded') {
          paidTotal += PRICE;
          expect(booked, `ledger-settled ${hash} must be in the home's book exactly once`).toBe(1);
          expect(spends).toBe(1);
        } else {
          expect(booked).toBe(0);
        }
      }
      expect(paidTotal).toBeGreaterThan(0);
      expect(await merchant.balance()).toBe(paidTotal);
      let agentsTotal = 0;
      for (const name of AGENTS) {
        const r = await dispatch(api, 'wallet.balance', { agent: name });
        if (!r.ok) throw new Error(r.error.message);
        agentsTotal += (r.value as { balanceSats: number }).balanceSats;
      }
      expect(agentsTotal).toBe(AGENTS.length * 100_000 - paidTotal);
      const verify = await dispatch(api, 'receipts.verify', {});
      expect(verify).toMatchObject({ ok: true, value: { invalid: [] } });
      const recoveryNotes = node.db.prepare("SELECT status, recovery FROM ticks WHERE recovery IS NOT NULL").all() as { status: string; recovery: string }[];
      expect(recoveryNotes.length).toBe(recovered);
      for (const n of recoveryNotes) expect(n.recovery).toMatch(n.status === 'rolled_back' ? /rolled back/ : /resumed/);
    } finally {
      await node.stop();
    }
  }, 240_000);
});
