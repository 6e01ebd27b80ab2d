import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSummary, MarketResultView, ProviderStatusView } from '../src-main/core/api/contract.js';
import { writeTinyGguf } from '../src-main/core/inference/tiny-gguf.js';
import { cli, cliJson, startDaemon, testEnv, type TestEnv } from '../test/support/harness.js';
import { ScriptedModelServer } from '../test/support/scripted-model-server.js';
import { CHROMIUM, launchBrowser, openConsole, screenshot, startConsole, type ConsoleSession } from './support.js';

// The web console in Debian's Chromium against a real daemon on its own temp home; the
// model is the scripted OpenAI-compatible server (a test double). Waits are on what the
// page shows (Playwright auto-waiting), never fixed sleeps.

const haveChromium = existsSync(CHROMIUM);
let browser: Browser;
let model: ScriptedModelServer;
let t: TestEnv;
let session: ConsoleSession;
let page: Page;
const invoices: Record<string, string> = {};

beforeAll(async () => {
  if (!haveChromium) return;
  model = await ScriptedModelServer.start();
  // "pay <label>" makes the agent try to pay the invoice the test prepared under that label.
  model.onRequest((body) => {
    const last = body.messages.at(-1);
    if (last?.role === 'tool') return { content: 'asked the operator' };
    const m = /pay (\w+)/.exec(String(last?.content ?? ''));
    const invoice = m ? invoices[m[1]!] : undefined;
    return invoice ? { toolCalls: [{ name: 'pay_invoice', arguments: { invoice, reason: `buy ${m![1]}` } }] } : undefined;
  });
  browser = await launchBrowser();
  t = testEnv();
  session = await startConsole(t);
}, 120_000);

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await session?.daemon.stop();
  await model?.close();
});

describe.skipIf(!haveChromium)(`web console${haveChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM})`}`, () => {
  it('refuses access without the token', async () => {
    const anon = await browser.newPage();
    await anon.goto(session.url);
    await expect.poll(() => anon.getByTestId('unauthorized').isVisible()).toBe(true);
    const status = await anon.evaluate(async () => (await fetch('/api/session', { method: 'POST', body: JSON.stringify({ token: 'f'.repeat(64) }) })).status);
    expect(status).toBe(401);
    await screenshot(anon, 'no-access');
    await anon.close();
  });

  it('walks through first-run setup: identity with backup check, devnet, backend with a connection test', async () => {
    page = await openConsole(browser, session);
    await page.getByRole('heading', { name: 'Set up OpenAgents' }).waitFor();
    await screenshot(page, 'setup-identity');
    await page.getByRole('button', { name: 'Create identity' }).click();
    await page.getByTestId('mnemonic').locator('li').nth(11).waitFor();
    const words = await page.getByTestId('mnemonic').locator('li').allInnerTexts();
    expect(words).toHaveLength(12);
    await screenshot(page, 'setup-backup');
    await page.getByLabel('Word #3').fill('wrong');
    await page.getByLabel('Word #9').fill(words[8]!);
    await page.getByRole('button', { name: 'I have written it down' }).click();
    await page.getByText('Those words do not match').waitFor();
    await page.getByLabel('Word #3').fill(words[2]!);
    await page.getByRole('button', { name: 'I have written it down' }).click();
    await page.getByLabel('Base URL').fill(model.url);
    await page.getByLabel('Model', { exact: true }).fill('scripted-model');
    await page.getByRole('button', { name: 'Add and test' }).click();
    await page.getByText(/Connected: scripted-model answered in \d+ ms/).waitFor();
    await screenshot(page, 'setup-backend');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('No agents yet').waitFor();
    expect(page.url()).not.toContain('token=');
    await screenshot(page, 'agents-empty');
  });

  it('spawns an agent from the console', async () => {
    await page.goto(`${session.url}#/wallet`);
    await page.getByTestId('faucet-amount').fill('500000');
    await page.getByTestId('faucet-submit').click();
    await expect.poll(async () => page.getByTestId('wallet-balance').innerText()).toContain('500,000');
    await page.goto(`${session.url}#/agents`);
    await page.getByTestId('spawn-open').click();
    await page.getByTestId('spawn-name').fill('buyer');
    await page.getByTestId('spawn-sats').fill('20000');
    await page.getByTestId('spawn-autonomy').selectOption('supervised');
    await page.getByTestId('spawn-submit').click();
    await page.getByTestId('agent-row').filter({ hasText: 'buyer' }).waitFor();
    await expect.poll(async () => page.getByTestId('agent-row').filter({ hasText: 'buyer' }).innerText()).toContain('20,000 sats');
    await screenshot(page, 'agents');
  });

  it('shows an approval live, approves it, and the payment appears in the wallet and the audit', async () => {
    invoices.data = (await cliJson<{ bolt11: string }>(t, ['wallet', 'invoice', '1500', '--memo', 'data set'])).bolt11;
    await page.goto(`${session.url}#/approvals`);
    await page.getByText('Nothing waits for your decision.').waitFor();
    // The agent asks while the page is open: it must appear without a reload.
    const tick = cliJson(t, ['agent', 'tick', 'buyer', '--message', 'pay data']);
    const item = page.getByTestId('approval-item').filter({ hasText: 'buy data' });
    await item.waitFor({ timeout: 20_000 });
    await tick;
    await expect.poll(() => item.innerText()).toMatch(/left/);
    await screenshot(page, 'approvals');
    await item.getByTestId('approve').click();
    await page.getByTestId('decisions').getByText('approved').waitFor();
    const agents = await cliJson<AgentSummary[]>(t, ['agent', 'list']);
    expect(agents.find((a) => a.name === 'buyer')!.balanceSats).toBe(20000 - 1500);

    await page.goto(`${session.url}#/wallet`);
    await expect.poll(async () => page.getByTestId('wallet-history').innerText()).toContain('1,500');
    await screenshot(page, 'wallet');
    await page.goto(`${session.url}#/activity`);
    const paid = page.getByTestId('activity-row').filter({ hasText: 'paid 1500 sats' });
    await paid.waitFor();
    expect(await paid.innerText()).toMatch(/✓/);
    await screenshot(page, 'activity');
  });

  it('rejects a request and the payment never happens', async () => {
    invoices.gold = (await cliJson<{ bolt11: string }>(t, ['wallet', 'invoice', '700'])).bolt11;
    await page.goto(`${session.url}#/approvals`);
    await cliJson(t, ['agent', 'tick', 'buyer', '--message', 'pay gold']);
    const item = page.getByTestId('approval-item').filter({ hasText: 'buy gold' });
    await item.getByTestId('reject').click();
    await page.getByTestId('reject-reason').fill('too expensive');
    await page.getByTestId('reject-confirm').click();
    await page.getByTestId('decisions').getByText('too expensive').waitFor();
    const agents = await cliJson<AgentSummary[]>(t, ['agent', 'list']);
    expect(agents.find((a) => a.name === 'buyer')!.balanceSats).toBe(20000 - 1500);
  });

  it('renders the remaining pages', async () => {
    for (const p of ['budgets', 'settings']) {
      await page.goto(`${session.url}#/${p}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await screenshot(page, p);
    }
    const agentId = (await cliJson<AgentSummary[]>(t, ['agent', 'list']))[0]!.id;
    await page.goto(`${session.url}#/agents/${agentId}`);
    await page.getByTestId('tick-timeline').locator('li').first().locator('button').first().click();
    await page.getByTestId('trajectory').waitFor();
    await screenshot(page, 'agent-detail');
  });

  it('sells compute: imports the tiny model, chooses it, goes online, and shows the earnings', async () => {
    const modelFile = path.join(path.dirname(t.home), 'tiny.gguf');
    writeTinyGguf(modelFile);
    await page.goto(`${session.url}#/provider`);
    const onlineSwitch = page.getByRole('switch', { name: 'Go online' });
    await onlineSwitch.waitFor();
    expect(await onlineSwitch.getAttribute('aria-checked')).toBe('false');
    for (const check of ['model', 'wallet', 'relays']) await page.getByTestId(`provider-check-${check}`).waitFor();
    expect(await page.getByTestId('provider-pill').innerText()).toBe('Offline');

    // Without a model the core refuses, and the page says why.
    await onlineSwitch.click();
    await page.getByRole('alert').filter({ hasText: /model/i }).waitFor();
    expect(await onlineSwitch.getAttribute('aria-checked')).toBe('false');

    // The download folder: shown with its free space; another one can be chosen. No native
    // picker in a browser: the path is typed.
    await expect.poll(() => page.getByTestId('provider-models-folder').innerText()).toContain(path.join(t.home, 'models'));
    expect(await page.getByRole('button', { name: 'Browse…' }).count()).toBe(0);
    const folder = path.join(path.dirname(t.home), 'downloads');
    await page.getByTestId('provider-folder-path').fill(folder);
    await page.getByTestId('provider-folder-submit').click();
    await expect.poll(() => page.getByTestId('provider-models-folder').innerText()).toContain(folder);

    await page.getByTestId('provider-import-path').fill(modelFile);
    await page.getByTestId('provider-import-submit').click();
    const row = page.getByTestId('provider-model-row').filter({ hasText: 'tiny' });
    await row.getByTestId('provider-model-use').click();
    await row.getByText('in use').waitFor();
    await expect.poll(() => page.getByTestId('provider-model').innerText()).toContain('tiny');

    await onlineSwitch.click();
    await expect.poll(() => page.getByTestId('provider-state').innerText(), { timeout: 60_000 }).toBe('Online');
    expect(await onlineSwitch.getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => page.getByTestId('provider-pill').innerText()).toBe('Online');
    for (const check of ['model', 'wallet', 'relays']) await expect.poll(() => page.getByTestId(`provider-check-${check}`).innerText()).toContain('✓');

    // Another home on the same devnet buys a job through the embedded relay; the page shows it without a reload.
    const provider = await cliJson<ProviderStatusView>(t, ['provider', 'status']);
    const buyer = testEnv({ devnetDir: t.devnetDir });
    await cliJson(buyer, ['init']);
    await cliJson(buyer, ['wallet', 'faucet', '500']);
    const buyerDaemon = await startDaemon(buyer);
    try {
      // The console's daemon started before the identity existed, so its relay is known from the provider's status.
      await cliJson(buyer, ['relays', 'add', provider.relays.find((r) => r.connected)!.url]);
      const bought = await cliJson<MarketResultView>(buyer, ['market', 'request', 'Write a word', '--max-sats', '50', '--max-tokens', '16', '--provider', provider.npub, '--timeout', '60']);
      const row = page.getByTestId('provider-job-row').filter({ hasText: 'Write a word' });
      await row.waitFor();
      await expect.poll(() => row.innerText()).toContain('done');
      expect(await row.innerText()).toContain(`${bought.paidSats} sats`);

      // A long job streams into the live panel; the operator cancels it there. The buyer has
      // no Lightning address, so the refund is recorded as owed.
      await cliJson(t, ['provider', 'set', 'max-tokens', '1900']);
      const long = cli(buyer, ['market', 'request', 'Tell a long story', '--max-sats', '100', '--max-tokens', '1900', '--provider', provider.npub, '--timeout', '60']);
      await page.getByTestId('provider-live-job').waitFor({ timeout: 30_000 });
      await expect.poll(async () => Number((await page.getByTestId('provider-live-tokens').innerText()).replace(/\D/g, '')), { timeout: 30_000 }).toBeGreaterThan(0);
      expect(await page.getByTestId('provider-live-text').innerText()).not.toMatch(/^(Waiting for the engine…|Starting…)?$/);
      await page.getByTestId('provider-cancel').click();
      await page.getByTestId('provider-cancel-confirm').click();
      const refused = await long;
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/cancelled by the provider; a refund is owed/);
      const cancelled = page.getByTestId('provider-job-row').filter({ hasText: 'Tell a long story' });
      await expect.poll(() => cancelled.innerText()).toMatch(/cancelled[\s\S]*owed/);
      // Paying it now still fails, and says why.
      await cancelled.getByTestId('provider-refund-retry').click();
      await cancelled.getByRole('alert').filter({ hasText: /no Lightning address/ }).waitFor();
      await cliJson(t, ['provider', 'set', 'max-tokens', '512']);
    } finally {
      await buyerDaemon.stop();
    }
    await screenshot(page, 'provider');

    await page.getByRole('link', { name: /^Earnings/ }).click();
    await page.getByTestId('earnings-totals').waitFor();
    await page.getByTestId('earnings-chart').locator('svg').first().waitFor();
    expect(await page.getByTestId('earnings-jobs').innerText()).toBe('2');
    expect(await page.getByTestId('earnings-by-model').innerText()).toContain('tiny');
    expect(await page.getByTestId('earnings-by-requester').innerText()).toMatch(/npub1/);
    await page.getByTestId('earnings-period').selectOption('7');
    await page.getByRole('heading', { name: 'Last 7 days' }).waitFor();
    await screenshot(page, 'earnings');

    // Offline again from the switch; the pill follows.
    await page.goto(`${session.url}#/provider`);
    await onlineSwitch.click();
    await expect.poll(() => page.getByTestId('provider-pill').innerText(), { timeout: 30_000 }).toBe('Offline');
  }, 180_000);

  it('gives the page no way into Node and no way out to other hosts', async () => {
    const reach = await page.evaluate(async () => {
      const w = window as unknown as Record<string, unknown>;
      let outside = 'reached';
      try {
        await fetch('http://example.invalid/');
      } catch {
        outside = 'blocked';
      }
      return { require: typeof w.require, process: typeof w.process, module: typeof w.module, outside };
    });
    expect(reach).toEqual({ require: 'undefined', process: 'undefined', module: 'undefined', outside: 'blocked' });
  });
});
