// Bundles the CLI and daemon (src-main/cli/main.ts and the core it uses) into one ESM file,
// packages left external, so `openagents` starts without transpiling TypeScript on the fly.
// bin/openagents.js uses the bundle while it is newer than every source file.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
await build({
  entryPoints: [path.join(root, 'src-main/cli/main.ts')],
  outdir: path.join(root, 'out/cli'),
  outExtension: { '.js': '.mjs' },
  // Chunks keep the core out of commands that only talk to the daemon.
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
