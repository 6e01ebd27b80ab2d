// npm run model:tiny -- OUT.gguf [--seed N]
//
// Writes a tiny random llama-architecture GGUF model (~0.5 MB) for tests and local runs of the
// inference engine without downloading a model. Same seed, same bytes. Run it with 1 thread.
import { statSync } from 'node:fs';
import path from 'node:path';
import { writeTinyGguf } from '../src-main/core/inference/tiny-gguf.js';

const USAGE = 'usage: node --import tsx scripts/model-tiny.ts OUT.gguf [--seed N]';

function fail(message: string): never {
  console.error(`model-tiny: ${message}`);
  console.error(USAGE);
  process.exit(1);
}

function parseArgs(argv: readonly string[]): { out: string; seed: number | undefined } {
  let out: string | undefined;
  let seed: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--seed' || arg.startsWith('--seed=')) {
      const raw = arg === '--seed' ? argv[++i] : arg.slice('--seed='.length);
      if (raw === undefined || !/^-?\d+$/.test(raw)) fail(`--seed needs an integer, got ${raw ?? 'nothing'}`);
      seed = Number(raw);
    } else if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith('-')) {
      fail(`unknown option ${arg}`);
    } else if (out === undefined) {
      out = arg;
    } else {
      fail(`unexpected argument ${arg}`);
    }
  }
  if (out === undefined) fail('missing OUT path');
  return { out, seed };
}

const { out, seed } = parseArgs(process.argv.slice(2));
const file = path.resolve(out);
try {
  writeTinyGguf(file, seed === undefined ? {} : { seed });
} catch (err) {
  fail(`cannot write ${file}: ${err instanceof Error ? err.message : String(err)}`);
}
console.log(`${file} ${statSync(file).size} bytes`);
