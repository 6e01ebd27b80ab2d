// Electron's own install script downloads its binary and fails the whole install where
// that download is impossible (offline machines, closed networks). package.json blocks
// that script (allowScripts) and this one runs it instead, tolerating failure: without
// the binary, `npm start` serves the console from the daemon in a browser.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function electronDir() {
  try {
    return path.dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
}

const dir = electronDir();
if (!dir) {
  process.exit(0); // production install without devDependencies
}
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.log('openagents: ELECTRON_SKIP_BINARY_DOWNLOAD is set; the desktop window is unavailable, `npm start` will open the web console.');
  process.exit(0);
}
const installer = path.join(dir, 'install.js');
if (!existsSync(installer)) process.exit(0);
const result = spawnSync(process.execPath, [installer], {
  cwd: dir,
  stdio: ['ignore', 'pipe', 'pipe'],
  timeout: 5 * 60 * 1000,
  encoding: 'utf8',
});
if (result.status === 0) {
  console.log('openagents: Electron binary ready.');
} else {
  const reason = (result.stderr || result.stdout || String(result.error ?? '')).split('\n').find((l) => l.trim()) ?? 'unknown error';
  console.warn(`openagents: the Electron binary could not be downloaded (${reason.trim()}).`);
  console.warn('openagents: install continues; `npm start` will serve the console from the daemon in your browser instead.');
}
process.exit(0);
