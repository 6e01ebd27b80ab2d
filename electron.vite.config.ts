import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// Entries are named explicitly: the project keeps its own src-main / src-preload /
// src-renderer layout instead of electron-vite's default src/ tree.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      // The inference process is a second entry, forked by the core (engine-client.ts).
      lib: { entry: { main: resolve(__dirname, 'src-main/electron/main.ts'), 'engine-host': resolve(__dirname, 'src-main/core/inference/engine-host.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload must be a single CommonJS bundle: nothing may stay external
      // but electron itself.
      externalizeDeps: false,
      lib: { entry: resolve(__dirname, 'src-preload/index.ts'), formats: ['cjs'] },
      rollupOptions: { output: { entryFileNames: 'index.cjs' } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      minify: true,
      rollupOptions: { input: resolve(__dirname, 'src-renderer/index.html') },
    },
  },
});
