import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHandlers } from '../core/api/handlers.js';
import { toAppError } from '../core/errors.js';
import { OpenAgentsNode } from '../core/node.js';
import { ApiServer, newToken } from './api-server.js';
import { removeDaemonFile, writeDaemonFile } from './daemon-file.js';

export interface DaemonOptions {
  home: string;
  devnetDir: string;
  passphrase?: string | undefined;
  port: number;
  host: string;
  json: boolean;
  relayPort?: number | undefined;
  relayLan?: boolean | undefined;
}

/**
 * `openagents daemon`: the headless face. Starts the node (recovering what a crash left),
 * serves the API, writes daemon.json, prints one ready line, and stops cleanly on
 * SIGINT/SIGTERM.
 */
export async function runDaemon(opts: DaemonOptions): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(opts.json ? JSON.stringify({ event: 'log', ts: Date.now(), message: line }) + '\n' : `[${new Date().toISOString()}] ${line}\n`);
  };
  if (opts.host !== '127.0.0.1' && opts.host !== 'localhost' && opts.host !== '::1') {
    log(`warning: the API is bound to ${opts.host}; anyone who can reach it and holds the token controls this node`);
  }
  if (opts.relayLan) log('warning: the embedded relay is exposed on the LAN (--relay-lan); anyone on the network can read and write its public events');
  const node = new OpenAgentsNode({ home: opts.home, devnetDir: opts.devnetDir, passphrase: opts.passphrase, mode: 'daemon', log, relayPort: opts.relayPort, relayLan: opts.relayLan });
  let recovery;
  try {
    recovery = await node.start();
  } catch (err) {
    await node.stop().catch(() => undefined);
    throw err;
  }
  const token = newToken();
  const tokenFile = path.join(opts.home, 'daemon.token');
  writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  // The console is the renderer built by `npm run build`: out/renderer, reached from the
  // sources (src-main/cli) or from the CLI bundle (out/cli).
  const consoleDir = process.env.OPENAGENTS_CONSOLE_DIR
    || [new URL('../../out/renderer', import.meta.url), new URL('../renderer', import.meta.url)].map((u) => fileURLToPath(u)).find((d) => existsSync(path.join(d, 'index.html')))
    || null;
  const server = new ApiServer({ host: opts.host, port: opts.port, token, handlers: createHandlers(node), events: node.events, log, consoleDir });
  let urls;
  try {
    urls = await server.listen();
  } catch (err) {
    await node.stop();
    throw toAppError(err);
  }
  writeDaemonFile(opts.home, { pid: process.pid, apiUrl: urls.apiUrl, consoleUrl: urls.consoleUrl, tokenFile, home: opts.home, startedAt: node.startedAt, relayUrl: node.nostr.embeddedRelayUrl });

  // Handlers are in place before the ready line, so a signal right after it stops cleanly.
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping`);
      void (async () => {
        await server.close().catch(() => undefined);
        await node.stop().catch((err: unknown) => log(`stop failed: ${String(err)}`));
        removeDaemonFile(opts.home, process.pid);
        if (opts.json) process.stdout.write(JSON.stringify({ event: 'stopped', pid: process.pid }) + '\n');
        resolve();
      })();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });

  const relayUrl = node.nostr.embeddedRelayUrl;
  const ready = { event: 'ready', pid: process.pid, home: opts.home, apiUrl: urls.apiUrl, consoleUrl: urls.consoleUrl, relayUrl, tokenFile, recovery };
  if (opts.json) process.stdout.write(JSON.stringify(ready) + '\n');
  else {
    process.stdout.write(`openagents daemon ready (pid ${process.pid})\n  home     ${opts.home}\n  api      ${urls.apiUrl}\n  console  ${urls.consoleUrl}#token=<see ${tokenFile}>\n${relayUrl ? `  relay    ${relayUrl}\n` : ''}`);
    if (recovery.rolledBack.length || recovery.resumed.length || recovery.effectsCompleted) {
      process.stdout.write(`  recovered after an unclean stop: ${recovery.rolledBack.length} ticks rolled back, ${recovery.resumed.length} resumed, ${recovery.effectsCompleted} pending effects completed\n`);
    }
  }
  await stopped;
}
