import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSummary, ApprovalDecision, ApprovalView, SystemStatus, TickView } from '../src-main/core/api/contract.js';
import { cli, cliJson, startDaemon, testEnv, type TestEnv } from './support/harness.js';
import { ScriptedModelServer } from './support/scripted-model-server.js';

// The CLI and the daemon as real processes on a temp home, the model played by the scripted
// OpenAI-compatible server (a test double).

let model: ScriptedModelServer;
beforeAll(async () => {
  model = await ScriptedModelServer.start({ apiKey: 'sk-test-secret-key-0123456789' });
});
afterAll(async () => {
  await model.close();
});

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe('openagents CLI without a daemon', () => {
  let t: TestEnv;
  let mnemonic = '';

  beforeAll(() => {
    t = testEnv({ extra: { OA_TEST_KEY: 'sk-test-secret-key-0123456789' } });
  });

  it('init shows the mnemonic once; --json never prints it', async () => {
    const r = await cli(t, ['init']);
    expect(r.code).toBe(0);
    const words = r.stdout.split('\n').map((l) => l.trim()).find((l) => /^([a-z]+ ){11}[a-z]+$/.test(l));
    expect(words).toBeDefined();
    mnemonic = words!;
    const again = await cli(t, ['init', '--json']);
    expect(again.code).not.toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, error: { code: 'ALREADY_INITIALIZED' } });
    const other = testEnv();
    const mfile = path.join(path.dirname(other.home), 'phrase.txt');
    writeFileSync(mfile, mnemonic + '\n');
    const restored = await cliJson<{ npub: string; imported: boolean; mnemonic?: string }>(other, ['init', '--import-mnemonic-file', mfile]);
    expect(restored.imported).toBe(true);
    expect(restored.mnemonic).toBeUndefined();
    expect((await cliJson<{ npub: string }>(t, ['identity', 'status'])).npub).toBe(restored.npub);
    expect((await cli(t, ['identity', 'export-mnemonic'])).stdout.trim()).toBe(mnemonic);
  });

  it('rejects bad input with a clear message and a non-zero exit', async () => {
    const bad = await cli(t, ['agent', 'fund', 'nobody', 'ten']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/sats must be a whole number/);
    const missing = await cli(t, ['agent', 'status', 'nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no agent named or identified by "nobody"/);
    const unsetKey = await cli(t, ['backend', 'add', 'x', '--url', model.url, '--model', 'm', '--api-key-env', 'OA_UNSET_VAR']);
    expect(unsetKey.code).toBe(1);
    expect(unsetKey.stderr).toMatch(/OA_UNSET_VAR is not set/);
  });

  it('funds, spawns and ticks an agent that thinks through the backend', async () => {
    expect((await cliJson<{ balanceSats: number; label: string }>(t, ['wallet', 'faucet', '200000'])).label).toMatch(/not real money/);
    await cliJson(t, ['backend', 'add', 'scripted', '--url', model.url, '--model', 'scripted-model', '--api-key-env', 'OA_TEST_KEY', '--cost-in', '1', '--cost-out', '2']);
    const a = await cliJson<AgentSummary>(t, ['agent', 'spawn', '--name', 'scout', '--bootstrap-sats', '20000', '--autonomy', 'semi', '--heartbeat', '600', '--daily-limit', '5000']);
    expect(a).toMatchObject({ name: 'scout', lifecycle: 'active', balanceSats: 20000, heartbeatSeconds: 600 });
    model.enqueue({ toolCalls: [{ name: 'remember', arguments: { content: 'cli tick' } }] }, { content: 'remembered' });
    const tick = await cliJson<TickView>(t, ['agent', 'tick', 'scout', '--message', 'note this']);
    expect(tick).toMatchObject({ status: 'success', summary: 'remembered', modelCalls: 2 });
    expect(tick.costSats).toBeGreaterThan(0);
    const history = await cliJson<{ direction: string; amountSats: number; kind: string }[]>(t, ['wallet', 'history']);
    expect(history.map((h) => [h.direction, h.amountSats, h.kind])).toEqual(expect.arrayContaining([['out', 20000, 'payment'], ['in', 200000, 'faucet']]));
    expect((await cli(t, ['agent', 'list'])).stdout).toMatch(/scout .*20,000 sats[\s\S]*not real money/);
    const human = await cli(t, ['agent', 'status', 'scout']);
    expect(human.stdout).toMatch(/cli tick/);
    expect(human.stdout).toMatch(/not real money/);
  });

  it('refuses a second process ticking the same agent', async () => {
    model.enqueue({ delayMs: 4000, content: 'slow' });
    const slow = cli(t, ['agent', 'tick', 'scout', '--message', 'slow one']);
    await model.waitForRequests(model.requests.length + 1, 20_000);
    const second = await cli(t, ['agent', 'tick', 'scout', '--message', 'concurrent', '--json']);
    expect(second.code).toBe(1);
    expect(JSON.parse(second.stdout).error.code).toBe('AGENT_BUSY');
    expect((await slow).code).toBe(0);
  });

  it('keeps secrets out of every file in the home', async () => {
    const key = 'sk-test-secret-key-0123456789';
    for (const f of filesUnder(t.home)) {
      const bytes = readFileSync(f);
      expect(bytes.includes(Buffer.from(mnemonic)), f).toBe(false);
      expect(bytes.includes(Buffer.from(mnemonic.split(' ').slice(0, 4).join(' '))), f).toBe(false);
      expect(bytes.includes(Buffer.from(key)), f).toBe(false);
    }
  });
});

describe('openagents daemon', () => {
  it('serves the API with a token, runs CLI commands through it and stops cleanly', async () => {
    const t = testEnv();
    await cliJson(t, ['init']);
    await cliJson(t, ['wallet', 'faucet', '100000']);
    await cliJson(t, ['backend', 'add', 'scripted', '--url', model.url, '--model', 'scripted-model']);
    const d = await startDaemon(t);
    try {
      const info = JSON.parse(readFileSync(path.join(t.home, 'daemon.json'), 'utf8')) as { pid: number; apiUrl: string; tokenFile: string };
      expect(info.pid).toBe(d.ready.pid);
      expect(info.apiUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/api\/ws$/);
      expect(statSync(info.tokenFile).mode & 0o777).toBe(0o600);

      // Without the token the API refuses.
      const refused = await new Promise<string>((resolve) => {
        const ws = new WebSocket(info.apiUrl);
        ws.on('open', () => resolve('open'));
        ws.on('error', (e) => resolve(e.message));
      });
      expect(refused).toMatch(/401/);

      const st = await cliJson<SystemStatus>(t, ['status']);
      expect(st).toMatchObject({ mode: 'daemon', pid: d.ready.pid });

      // The model server needs the key, which this backend lacks: the tick fails clearly.
      await cliJson(t, ['agent', 'spawn', '--name', 'sup', '--bootstrap-sats', '10000', '--autonomy', 'supervised']);
      const failing = await cliJson<TickView>(t, ['agent', 'tick', 'sup', '--message', 'hi']);
      expect(failing.status).toBe('error');
      expect(failing.error).toMatch(/API key/);

      await cliJson(t, ['backend', 'add', 'keyed', '--url', model.url, '--model', 'scripted-model', '--api-key-env', 'OA_KEY'], { env: { OA_KEY: 'sk-test-secret-key-0123456789' } });
      await cliJson(t, ['agent', 'route', 'sup', 'keyed']);
      const invoice = (await cliJson<{ bolt11: string }>(t, ['wallet', 'invoice', '1234', '--memo', 'for sup'])).bolt11;
      model.enqueue({ toolCalls: [{ name: 'pay_invoice', arguments: { invoice, reason: 'supervised spend' } }] }, { content: 'asked' });
      const tick = await cliJson<TickView>(t, ['agent', 'tick', 'sup', '--message', 'pay']);
      expect(tick.status).toBe('success');
      const [pending] = await cliJson<ApprovalView[]>(t, ['approvals', 'list']);
      expect(pending).toMatchObject({ amountSats: 1234, status: 'pending' });
      const decision = await cliJson<ApprovalDecision>(t, ['approvals', 'approve', pending!.id]);
      expect(decision.executed).toBe(true);
      expect(decision.approval.execution).toBe('executed');
      expect((await cliJson<{ balanceSats: number }>(t, ['wallet', 'balance', '--agent', 'sup'])).balanceSats).toBe(10000 - 1234);
      expect((await cliJson<{ invalid: unknown[] }>(t, ['receipts', 'verify'])).invalid).toEqual([]);
    } finally {
      const code = await d.stop();
      expect(code).toBe(0);
    }
    expect(existsSync(path.join(t.home, 'daemon.json'))).toBe(false);
    // With the daemon gone, the CLI works on the home directly again.
    expect((await cliJson<SystemStatus>(t, ['status'])).mode).toBe('direct');
  });

  it('refuses a second daemon on the same home, and keeps the relay port across restarts', async () => {
    const t = testEnv();
    await cliJson(t, ['init']);
    const d = await startDaemon(t);
    const relayUrl = d.ready.relayUrl;
    expect(relayUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    try {
      await expect(startDaemon(t)).rejects.toThrow(/in use by another process/);
    } finally {
      await d.stop();
    }
    const again = await startDaemon(t);
    try {
      expect(again.ready.relayUrl).toBe(relayUrl);
      expect(JSON.parse(readFileSync(path.join(t.home, 'daemon.json'), 'utf8')).relayUrl).toBe(relayUrl);
    } finally {
      await again.stop();
    }
  });
});
