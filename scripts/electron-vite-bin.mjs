// Where electron-vite's CLI is: the package does not export its bin/ path, so it is found
// beside its package.json (which it does export).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

export function electronViteBin() {
  return path.join(path.dirname(require.resolve('electron-vite/package.json')), 'bin/electron-vite.js');
}
