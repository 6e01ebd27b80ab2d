import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/db.js';
import { InferenceEngine } from './engine.js';
import { ModelStore } from './models.js';
import { writeTinyGguf } from './tiny-gguf.js';

// Downloads are tested against a local HTTP server (no internet here), including a transfer
// cut off halfway that the next pull resumes with a Range request.

const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-models-'));
const tiny = path.join(dir, 'tiny.gguf');
const engine = new InferenceEngine({ gpu: false });
let server: http.Server;
let base = '';
let cutFirstTransfer = false;
const ranges: (string | undefined)[] = [];

beforeAll(async () => {
  writeTinyGguf(tiny, { seed: 7 });
  const bytes = readFileSync(tiny);
  server = http.createServer((req, res) => {
    ranges.push(req.headers.range);
    const m = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const body = bytes.subarray(start);
    res.writeHead(m ? 206 : 200, { 'content-length': body.length, ...(m ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}) });
    if (cutFirstTransfer) {
      cutFirstTransfer = false;
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      setTimeout(() => res.destroy(), 20);
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await engine.close();
});

function store(): ModelStore {
  const home = mkdtempSync(path.join(os.tmpdir(), 'oa-models-home-'));
  return new ModelStore(openDatabase(path.join(home, 'db.sqlite')), path.join(home, 'models'), (f) => engine.inspect(f));
}

describe('model store', () => {
  it('imports a GGUF in place and refuses a file that is not one', async () => {
    const s = store();
    const m = await s.import(tiny);
    expect(m).toMatchObject({ name: 'tiny', architecture: 'llama', owned: false, path: tiny });
    const junk = path.join(dir, 'junk.gguf');
    writeFileSync(junk, 'not a model at all');
    await expect(s.import(junk)).rejects.toThrow(/not a readable GGUF/);
    expect(s.remove('tiny').name).toBe('tiny');
    expect(existsSync(tiny)).toBe(true); // imported files are never deleted
  });

  it('pulls over HTTP with progress and a checksum, and resumes an interrupted transfer', async () => {
    const s = store();
    const digest = createHash('sha256').update(readFileSync(tiny)).digest('hex');
    cutFirstTransfer = true;
    await expect(s.pull(`${base}/models/tiny-chat.gguf`, { sha256: digest })).rejects.toThrow(/resume/);
    const progress: number[] = [];
    ranges.length = 0;
    const m = await s.pull(`${base}/models/tiny-chat.gguf`, { sha256: digest, onProgress: (p) => progress.push(p.receivedBytes) });
    expect(ranges[0]).toMatch(/^bytes=\d+-$/);
    expect(m).toMatchObject({ name: 'tiny-chat', owned: true, sha256: digest, sizeBytes: readFileSync(tiny).length });
    expect(progress.at(-1)).toBe(readFileSync(tiny).length);
    expect(readFileSync(m.path).equals(readFileSync(tiny))).toBe(true);
    s.remove('tiny-chat');
    expect(existsSync(m.path)).toBe(false);
  });

  it('discards a download whose checksum does not match', async () => {
    const s = store();
    await expect(s.pull(`${base}/x.gguf`, { sha256: '0'.repeat(64) })).rejects.toThrow(/checksum mismatch/);
    expect(s.list()).toEqual([]);
  });
});
