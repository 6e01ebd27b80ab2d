// Bundles the CLI and daemon (src-main/cli/main.ts and the core it uses) into one ESM file,
// packages left external, so `openagents` starts without transpiling TypeScript on the fly.
// bin/openagents.js uses the bundle while it is newer than every source file.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
await build({
  // The inference process is its own entry: the core forks it (engine-client.ts finds it beside itself).
  entryPoints: { main: path.join(root, 'src-main/cli/main.ts'), 'engine-host': path.join(root, 'src-main/core/inference/engine-host.ts') },
  outdir: path.join(root, 'out/cli'),
  outExtension: { '.js': '.mjs' },
  // Chunks keep the core out of commands that only talk to the daemon.
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies are bundled too (resolving hundreds of package files is most of a cold
  // start); native addons and what loads them stay external.
  external: ['better-sqlite3', 'node-llama-cpp', 'secp256k1', 'bufferutil', 'utf-8-validate', 'tsx', 'esbuild', 'electron', 'playwright-core'],
  // Bundled CommonJS code calls require() for Node built-ins.
  banner: { js: "import { createRequire as __oaCreateRequire } from 'node:module'; const require = __oaCreateRequire(import.meta.url);" },
  sourcemap: true,
  logLevel: 'warning',
});
