import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcedureName, ProcedureOutputs } from '../src-main/core/api/contract.js';
import { createHandlers, dispatch, type Handlers } from '../src-main/core/api/handlers.js';
import { writeTinyGguf } from '../src-main/core/inference/tiny-gguf.js';
import { OpenAgentsNode } from '../src-main/core/node.js';

// An agent thinking through the local engine on the generated tiny model: no API key, no
// HTTP. The weights are random, so the test checks that the tick runs end to end, not what it says.

let node: OpenAgentsNode;
let api: Handlers;

async function call<P extends ProcedureName>(proc: P, input: unknown): Promise<ProcedureOutputs[P]> {
  const r = await dispatch(api, proc, input);
  if (!r.ok) throw new Error(`${proc}: ${r.error.code}: ${r.error.message}`);
  return r.value as ProcedureOutputs[P];
}

beforeAll(async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'oa-local-'));
  node = new OpenAgentsNode({ home: path.join(base, 'home'), devnetDir: path.join(base, 'devnet'), mode: 'direct' });
  api = createHandlers(node);
  await call('identity.init', {});
  const file = path.join(base, 'tiny.gguf');
  writeTinyGguf(file, { seed: 5 });
  await call('models.import', { path: file, name: 'tiny' });
});

afterAll(async () => {
  await node.stop();
});

describe('local backend', () => {
  it('lets an agent think with the local engine', async () => {
    const b = await call('backends.add', { name: 'on-device', local: 'tiny' });
    expect(b).toMatchObject({ kind: 'local', model: 'tiny', isDefault: true, hasApiKey: false });
    const bad = await dispatch(api, 'backends.add', { name: 'x', local: 'tiny', url: 'http://127.0.0.1:1/v1', model: 'm' });
    expect(bad.ok).toBe(false);
    const missing = await dispatch(api, 'backends.add', { name: 'y', local: 'nope' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const a = await call('agents.spawn', { name: 'thinker', maxSteps: 2 });
    const tick = await call('agents.tick', { agent: a.id, message: 'hello' });
    expect(tick.status).toBe('success');
    expect(tick.modelCalls).toBeGreaterThanOrEqual(1);
    const { steps } = await call('ticks.trajectory', { tickId: tick.id });
    const think = steps.find((s) => s.type === 'think');
    expect(think?.tokensOut).toBeGreaterThan(0);
    expect(tick.error ?? '').not.toMatch(/BACKEND_ERROR/);
  }, 120_000);
});
