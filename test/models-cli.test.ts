import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import OpenAI from 'openai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LocalApiView, ModelFolderView, ModelView } from '../src-main/core/api/contract.js';
import { writeTinyGguf } from '../src-main/core/inference/tiny-gguf.js';
import { cli, cliJson, ROOT, startDaemon, testEnv } from './support/harness.js';

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

      // A chosen models folder: pulls land there; a file is not a folder; back to the default.
      const chosen = path.join(path.dirname(t.home), 'my models');
      expect(await cliJson<ModelFolderView>(t, ['models', 'folder', chosen])).toMatchObject({ folder: chosen, isDefault: false });
      const again = await cliJson<ModelView>(t, ['models', 'pull', url, '--name', 'in-folder']);
      expect(again.path).toBe(path.join(chosen, 'in-folder.gguf'));
      const notDir = await cli(t, ['models', 'folder', file]);
      expect(notDir.code).toBe(1);
      expect(notDir.stderr).toMatch(/cannot use .* for models/);
      expect(await cliJson<ModelFolderView>(t, ['models', 'folder', '--default'])).toMatchObject({ folder: path.join(t.home, 'models'), isDefault: true });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses a download that does not fit on the disk before writing it', async () => {
    const t = testEnv();
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(2 ** 50) });
      res.write('GGUF');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const r = await cli(t, ['models', 'pull', `http://127.0.0.1:${(server.address() as AddressInfo).port}/huge.gguf`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/not enough disk space/);
      expect(existsSync(path.join(t.home, 'models', 'huge.gguf.part'))).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('openagents local-api', () => {
  it('serves local models over the OpenAI API from the daemon, with a key, until turned off', async () => {
    const t = testEnv();
    const file = path.join(path.dirname(t.home), 'tiny.gguf');
    writeTinyGguf(file, { seed: 11 });
    await cliJson(t, ['init']);
    await cliJson(t, ['models', 'import', file, '--name', 'tiny']);
    expect((await cliJson<LocalApiView>(t, ['local-api', 'status'])).enabled).toBe(false);
    const d = await startDaemon(t);
    try {
      const on = await cliJson<LocalApiView>(t, ['local-api', 'on']);
      expect(on).toMatchObject({ enabled: true, running: true });
      expect(on.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect(statSync(on.keyFile).mode & 0o777).toBe(0o600);
      const client = new OpenAI({ baseURL: on.baseUrl!, apiKey: readFileSync(on.keyFile, 'utf8').trim(), maxRetries: 0 });
      expect((await client.models.list()).data.map((m) => m.id)).toEqual(['tiny']);
      const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 });
      expect(r.choices[0]!.message.role).toBe('assistant');
      const off = await cliJson<LocalApiView>(t, ['local-api', 'off']);
      expect(off).toMatchObject({ enabled: false, running: false, baseUrl: null });
      await expect(client.models.list()).rejects.toThrow();
    } finally {
      await d.stop();
    }
  }, 120_000);
});
