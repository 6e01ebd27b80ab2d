import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, startDaemon, type DaemonHandle, type TestEnv } from '../test/support/harness.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');

/** Debian's Chromium, headless, with the flags this sandbox needs (no sandbox as root, no background networking). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface ConsoleSession {
  daemon: DaemonHandle;
  url: string;
  token: string;
}

/** Starts a daemon on the test's home and returns the console link with its token. */
export async function startConsole(t: TestEnv): Promise<ConsoleSession> {
  const daemon = await startDaemon(t);
  const token = readFileSync(daemon.ready.tokenFile, 'utf8').trim();
  return { daemon, url: daemon.ready.consoleUrl, token };
}

export async function openConsole(browser: Browser, s: ConsoleSession): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${s.url}#token=${s.token}`);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
