// Lint rules carry the process boundaries of docs/ARCHITECTURE.md: only the Electron face
// imports 'electron', only src-main imports Node-only packages, and the renderer sees
// nothing of src-main but the API contract.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeOnly = ['better-sqlite3', 'node-llama-cpp', 'ws', 'commander', 'tsx'];

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'dist/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly',
        clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly',
        URL: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly',
        TextEncoder: 'readonly', TextDecoder: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly',
        performance: 'readonly', structuredClone: 'readonly', crypto: 'readonly', window: 'readonly', document: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'Only src-main/electron may import electron; the core runs in plain Node.' }],
        patterns: [{ group: ['**/electron/*', '**/src-renderer/**'], message: 'The core must not depend on a face or the renderer.' }],
      }],
    },
  },
  {
    files: ['src-main/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'Only src-main/electron may import electron; the core runs in plain Node.' }],
        patterns: [{ group: ['**/cli/*', '**/electron/*', '**/src-renderer/**'], message: 'The core must not depend on its faces.' }],
      }],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeOnly, 'electron'].map((name) => ({ name, message: 'The renderer runs in a browser sandbox: no Node-only packages.' })),
        patterns: [
          { group: ['node:*'], message: 'The renderer runs in a browser sandbox: no node: modules.' },
          { regex: 'src-main/(?!core/api/contract(\\.ts|\\.js)?$)', message: 'The renderer imports nothing from src-main but the API contract.' },
        ],
      }],
    },
  },
  {
    files: ['src-preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeOnly.map((name) => ({ name, message: 'The preload exposes the contract only.' })),
        patterns: [{ regex: 'src-main/(?!core/api/contract(\\.ts|\\.js)?$)', message: 'The preload imports nothing from src-main but the API contract.' }],
      }],
    },
  },
);
