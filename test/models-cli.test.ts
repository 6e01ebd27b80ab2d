import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelView } from '../src-main/core/api/contract.js';
import { cli, cliJson, ROOT, testEnv } from './support/harness.js';

describe('openagents models', () => {
  it('generates the tiny model, imports it, pulls it over HTTP with progress, and removes it', async () => {
    const t = testEnv();
    const file = path.join(path.dirname(t.home), 'tiny.gguf');
    const gen = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/model-tiny.ts'), file], { cwd: ROOT, encoding: 'utf8' });
    expect(gen.status).toBe(0);
    expect(existsSync(file)).toBe(true);

    const imported = await cliJson<ModelView>(t, ['models', 'import', file, '--name', 'tiny']);
    expect(imported).toMatchObject({ name: 'tiny', architecture: 'llama', owned: false });
    const bad = await cli(t, ['models', 'import', path.join(ROOT, 'package.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a readable GGUF/);

    const bytes = readFileSync(file);
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': bytes.length });
      res.end(bytes);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tiny-pulled.gguf`;
      const pulled = await cli(t, ['models', 'pull', url]);
      expect(pulled.code).toBe(0);
      expect(pulled.stderr).toMatch(/MB of .* MB \(100%\)/);
      const list = await cliJson<ModelView[]>(t, ['models', 'list']);
      expect(list.map((m) => m.name)).toEqual(['tiny', 'tiny-pulled']);
      const removed = await cliJson<{ deletedFile: boolean }>(t, ['models', 'remove', 'tiny-pulled']);
      expect(removed.deletedFile).toBe(true);
      expect(existsSync(list[1]!.path)).toBe(false);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
