// `npm start`: the desktop window when Electron can start here, otherwise the daemon with
// the console in a browser window — and it says which, and why.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronViteBin } from './electron-vite-bin.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    const p = require('electron'); // the package exports the binary's path
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

function hasDisplay() {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

const binary = electronBinary();
const headless = process.env.OPENAGENTS_HEADLESS === '1';
if (binary && hasDisplay() && !headless) {
  const build = spawnSync(process.execPath, [electronViteBin(), 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const child = spawn(binary, [path.join(root, 'out/main/main.js')], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!existsSync(path.join(root, 'out/renderer/index.html')) || !existsSync(path.join(root, 'out/cli/main.mjs'))) {
    console.log('openagents: building the console (first start; about 15 s)…');
    const build = spawnSync(process.execPath, [electronViteBin(), 'build'], { cwd: root, stdio: 'inherit' });
    const cliBuild = build.status === 0 ? spawnSync(process.execPath, [path.join(root, 'scripts/build-cli.mjs')], { cwd: root, stdio: 'inherit' }) : build;
    if (cliBuild.status !== 0) console.warn('openagents: the build failed; the daemon will serve a minimal status page instead of the console.');
  }
  const why = headless
    ? 'OPENAGENTS_HEADLESS=1 is set'
    : !binary
      ? 'the Electron binary is not installed (it could not be downloaded during npm install)'
      : 'there is no display to open a desktop window on';
  console.log(`openagents: starting the headless daemon instead of the desktop window: ${why}.`);
  const daemon = spawn(process.execPath, [path.join(root, 'bin/openagents.js'), 'daemon', '--json', ...process.argv.slice(2)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let buffered = '';
  daemon.stdout.on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let msg;
      try { msg = JSON.parse(line); } catch { console.log(line); continue; }
      if (msg.event === 'ready') {
        const token = readFileSync(msg.tokenFile, 'utf8').trim();
        const link = `${msg.consoleUrl}#token=${token}`;
        console.log(`openagents: daemon ready (pid ${msg.pid}), home ${msg.home}`);
        console.log(`openagents: console at ${link}`);
        console.log('openagents: press Ctrl+C to stop.');
        if (hasDisplay()) openBrowser(link);
      } else if (msg.event === 'stopped') {
        console.log('openagents: daemon stopped.');
      }
    }
  });
  const forward = (sig) => daemon.kill(sig);
  process.on('SIGINT', () => forward('SIGINT'));
  process.on('SIGTERM', () => forward('SIGTERM'));
  daemon.on('exit', (code) => process.exit(code ?? 0));
}

function openBrowser(url) {
  const candidates = process.platform === 'darwin' ? [['open', [url]]]
    : process.platform === 'win32' ? [['cmd', ['/c', 'start', '', url]]]
    : [['xdg-open', [url]], ['chromium', [`--app=${url}`]]];
  for (const [cmd, args] of candidates) {
    const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
    if (r.status === 0) {
      spawn(cmd, args, { detached: true, stdio: 'ignore' }).unref();
      return;
    }
  }
  console.log(`openagents: open the link above in a browser (no opener found on this ${os.type()} machine).`);
}
