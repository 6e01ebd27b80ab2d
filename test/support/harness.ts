import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/openagents.js');

export interface TestEnv {
  home: string;
  devnetDir: string;
  env: NodeJS.ProcessEnv;
}

/** A fresh home and (unless shared) devnet ledger directory for one test. */
export function testEnv(opts: { devnetDir?: string; extra?: NodeJS.ProcessEnv } = {}): TestEnv {
  const base = mkdtempSync(path.join(os.tmpdir(), 'oa-test-'));
  const home = path.join(base, 'home');
  const devnetDir = opts.devnetDir ?? path.join(base, 'devnet');
  const env: NodeJS.ProcessEnv = { ...process.env, OPENAGENTS_HOME: home, OPENAGENTS_DEVNET_DIR: devnetDir, ...opts.extra };
  delete env.OPENAGENTS_PASSPHRASE;
  if (opts.extra?.OPENAGENTS_PASSPHRASE) env.OPENAGENTS_PASSPHRASE = opts.extra.OPENAGENTS_PASSPHRASE;
  return { home, devnetDir, env };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `openagents ARGS` as a real process. */
export function cli(t: TestEnv, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...t.env, ...opts.env }, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`openagents ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Runs a --json command that must succeed and returns its parsed output. */
export async function cliJson<T = unknown>(t: TestEnv, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<T> {
  const r = await cli(t, [...args, '--json'], opts);
  if (r.code !== 0) throw new Error(`openagents ${args.join(' ')} failed (${r.code}): ${r.stdout}${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as T;
}

export interface DaemonHandle {
  proc: ChildProcessWithoutNullStreams;
  ready: { pid: number; apiUrl: string; consoleUrl: string; relayUrl: string | null; tokenFile: string; recovery: { rolledBack: string[]; resumed: string[]; effectsCompleted: number } };
  stderr: () => string;
  stop: () => Promise<number | null>;
  kill: () => Promise<void>;
}

/** Starts `openagents daemon --json` and waits for its ready line (an app event, not a sleep). */
export function startDaemon(t: TestEnv, args: string[] = []): Promise<DaemonHandle> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'daemon', '--json', ...args], { env: t.env, cwd: ROOT });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`daemon did not become ready\n${out}\n${err}`));
    }, 30_000);
    let isReady = false;
    proc.stderr.on('data', (d: Buffer) => (err += d));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (!isReady) reject(new Error(`daemon exited (${code}) before ready\n${out}\n${err}`));
    });
    proc.stdout.on('data', (d: Buffer) => {
      out += d;
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const msg = JSON.parse(line) as { event?: string };
          if (msg.event === 'ready') {
            if (isReady) return;
            isReady = true;
            clearTimeout(timer);
            resolve({
              proc,
              ready: msg as DaemonHandle['ready'],
              stderr: () => err,
              stop: async () => {
                proc.kill('SIGTERM');
                return exited;
              },
              kill: async () => {
                proc.kill('SIGKILL');
                await exited;
              },
            });
            return;
          }
        } catch {
          // partial line
        }
      }
    });
  });
}
