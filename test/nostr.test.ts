import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Event } from 'nostr-tools';
import { decrypt as nip04Decrypt, encrypt as nip04Encrypt } from 'nostr-tools/nip04';
import { unwrapEvent, wrapEvent } from 'nostr-tools/nip17';
import { decrypt as nip44Decrypt, getConversationKey } from 'nostr-tools/nip44';
import { privateKeyFromSeedWords } from 'nostr-tools/nip06';
import { nip19 } from 'nostr-tools';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSummary, RelaysView, TickView } from '../src-main/core/api/contract.js';
import { EmbeddedRelay } from '../src-main/core/nostr/relay/embedded-relay.js';
import { Kind } from '../src-main/core/nostr/kinds.js';
import { cli, cliJson, startDaemon, testEnv, type DaemonHandle, type TestEnv } from './support/harness.js';
import { ScriptedModelServer } from './support/scripted-model-server.js';

useWebSocketImplementation(WebSocket);

// Agents on Nostr through the real daemon and its embedded relay. The outside client is
// nostr-tools in this test process with a key of its own; the model is the scripted
// OpenAI-compatible server (a test double).

let model: ScriptedModelServer;
let t: TestEnv;
let daemon: DaemonHandle;
let agent: AgentSummary;
let agentSk: Uint8Array;
const outsiderSk = generateSecretKey();
const outsiderPk = getPublicKey(outsiderSk);
const outsiderNpub = nip19.npubEncode(outsiderPk);

/** Resolves with the first event matching the filter (waits on the relay, no sleeps). */
function nextEvent(relay: Relay, filter: Parameters<Relay['subscribe']>[0][number], timeoutMs = 20_000): Promise<Event> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.close(); reject(new Error(`no event matching ${JSON.stringify(filter)} within ${timeoutMs} ms`)); }, timeoutMs);
    const sub = relay.subscribe([filter], {
      onevent: (e) => {
        clearTimeout(timer);
        sub.close();
        resolve(e);
      },
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  model = await ScriptedModelServer.start();
  // The agent answers any outside message with "pong: <text>" through send_message.
  model.onRequest((body) => {
    const last = body.messages.at(-1);
    if (last?.role === 'tool') {
      const prev = [...body.messages].reverse().find((m) => m.role === 'assistant') as { tool_calls?: { function: { name: string } }[] } | undefined;
      return prev?.tool_calls?.some((c) => c.function.name === 'send_message') ? { content: 'replied' } : undefined;
    }
    if (last?.role !== 'user') return undefined;
    const m = /Message from (npub1[0-9a-z]+)[^:]*: (.*)$/m.exec(String(last.content));
    if (!m) return undefined;
    return { toolCalls: [{ name: 'send_message', arguments: { to: m[1]!, content: `pong: ${m[2]}` } }] };
  });
  t = testEnv();
  await cliJson(t, ['init']);
  const mnemonic = (await cli(t, ['identity', 'export-mnemonic'])).stdout.trim();
  await cliJson(t, ['wallet', 'faucet', '100000']);
  await cliJson(t, ['backend', 'add', 'scripted', '--url', model.url, '--model', 'scripted-model']);
  daemon = await startDaemon(t);
  agent = await cliJson<AgentSummary>(t, ['agent', 'spawn', '--name', 'echo', '--bootstrap-sats', '5000', '--autonomy', 'full']);
  agentSk = privateKeyFromSeedWords(mnemonic, undefined, 1);
  expect(getPublicKey(agentSk)).toBe(agent.pubkey);
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  await model?.close();
});

describe('agents on Nostr', () => {
  it('announces the embedded relay in the ready line and daemon.json', () => {
    expect(daemon.ready.relayUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
  });

  it('publishes profile, schedule, goals and encrypted state with their d tags', async () => {
    const relay = await Relay.connect(daemon.ready.relayUrl!);
    try {
      const profile = await nextEvent(relay, { kinds: [Kind.AgentProfile], authors: [agent.pubkey] });
      expect(profile.tags).toEqual(expect.arrayContaining([['d', 'profile'], ['operator', expect.stringMatching(/^[0-9a-f]{64}$/)]]));
      expect(JSON.parse(profile.content)).toMatchObject({ name: 'echo', autonomy_level: 'autonomous', capabilities: expect.arrayContaining(['pay_invoice']) });
      const schedule = await nextEvent(relay, { kinds: [Kind.AgentSchedule], authors: [agent.pubkey] });
      expect(schedule.tags).toEqual(expect.arrayContaining([['d', 'schedule'], ['heartbeat', '900'], ['trigger', 'dm']]));
      const goals = await nextEvent(relay, { kinds: [Kind.AgentGoals], authors: [agent.pubkey] });
      expect(goals.tags).toContainEqual(['d', 'goals']);
      const state = await nextEvent(relay, { kinds: [Kind.AgentState], authors: [agent.pubkey] });
      expect(state.tags).toEqual(expect.arrayContaining([['d', 'state'], ['encrypted'], ['state_version', '1']]));
      expect(() => JSON.parse(state.content)).toThrow();
      const plain = JSON.parse(nip44Decrypt(state.content, getConversationKey(agentSk, agent.pubkey))) as Record<string, unknown>;
      expect(plain).toMatchObject({ wallet_balance: 5000, goals: [], memory: [] });
    } finally {
      relay.close();
    }
  });

  it('ignores DMs from strangers until the operator allows them', async () => {
    const relay = await Relay.connect(daemon.ready.relayUrl!);
    try {
      const before = (await cliJson<TickView[]>(t, ['agent', 'ticks', 'echo'])).length;
      await relay.publish(wrapEvent(outsiderSk, { publicKey: agent.pubkey }, 'let me in'));
      // The operator's own DM is always allowed; its tick proves the stranger's came and went unanswered.
      await cliJson(t, ['agent', 'dm', 'echo', 'operator here']);
      const ticks = await until('the operator DM tick', async () => {
        const list = await cliJson<TickView[]>(t, ['agent', 'ticks', 'echo']);
        return list.length > before && list.every((x) => x.status !== 'running') ? list : null;
      });
      const perceived = JSON.stringify(model.requests.map((r) => r.messages));
      expect(perceived).toContain('operator here');
      expect(perceived).not.toContain('let me in');
      expect(ticks.filter((x) => x.triggerKind === 'dm').length).toBe(1);
    } finally {
      relay.close();
    }
  });

  it('answers an outside NIP-17 DM with a gift-wrapped reply, and a NIP-04 DM with NIP-04', async () => {
    await cliJson(t, ['agent', 'allow', 'echo', outsiderNpub]);
    const relay = await Relay.connect(daemon.ready.relayUrl!);
    try {
      const replyWrap = nextEvent(relay, { kinds: [Kind.GiftWrap], '#p': [outsiderPk] }, 30_000);
      await relay.publish(wrapEvent(outsiderSk, { publicKey: agent.pubkey }, 'ping over nip17'));
      const rumor = unwrapEvent(await replyWrap, outsiderSk);
      expect(rumor.pubkey).toBe(agent.pubkey);
      expect(rumor.content).toBe('pong: ping over nip17');

      const reply04 = nextEvent(relay, { kinds: [Kind.EncryptedDirectMessage], '#p': [outsiderPk], authors: [agent.pubkey] }, 30_000);
      await relay.publish(finalizeEvent({ kind: Kind.EncryptedDirectMessage, created_at: Math.floor(Date.now() / 1000), tags: [['p', agent.pubkey]], content: nip04Encrypt(outsiderSk, agent.pubkey, 'ping over nip04') }, outsiderSk));
      expect(nip04Decrypt(outsiderSk, agent.pubkey, (await reply04).content)).toBe('pong: ping over nip04');
    } finally {
      relay.close();
    }
  });

  it('answers a mention with a kind 1 reply, and wakes on a zap receipt', async () => {
    const relay = await Relay.connect(daemon.ready.relayUrl!);
    try {
      const mention = finalizeEvent({ kind: Kind.TextNote, created_at: Math.floor(Date.now() / 1000), tags: [['p', agent.pubkey]], content: 'hey echo, ping by mention' }, outsiderSk);
      const reply = nextEvent(relay, { kinds: [Kind.TextNote], authors: [agent.pubkey], '#e': [mention.id] }, 30_000);
      await relay.publish(mention);
      const r = await reply;
      expect(r.content).toBe('pong: hey echo, ping by mention');
      expect(r.tags).toEqual(expect.arrayContaining([['e', mention.id, '', 'reply'], ['p', outsiderPk]]));

      const zapRequest = finalizeEvent({ kind: 9734, created_at: Math.floor(Date.now() / 1000), tags: [['p', agent.pubkey], ['amount', '21000']], content: 'great work' }, outsiderSk);
      const receipt = finalizeEvent({ kind: Kind.ZapReceipt, created_at: Math.floor(Date.now() / 1000), tags: [['p', agent.pubkey], ['description', JSON.stringify(zapRequest)]], content: '' }, generateSecretKey());
      const zapReply = nextEvent(relay, { kinds: [Kind.GiftWrap], '#p': [outsiderPk], since: Math.floor(Date.now() / 1000) - 3 * 86_400 - 10 }, 30_000);
      await relay.publish(receipt);
      await until('the zap tick', async () => (await cliJson<TickView[]>(t, ['agent', 'ticks', 'echo'])).find((x) => x.triggerKind === 'zap' && x.status === 'success'));
      expect(JSON.stringify(model.requests.map((q) => q.messages))).toContain('zap of 21 sats: great work');
      await zapReply.catch(() => undefined);
    } finally {
      relay.close();
    }
  });

  it('lets the operator deny a sender again', async () => {
    const denied = await cliJson<{ denied: string[] }>(t, ['agent', 'deny', 'echo', outsiderNpub]);
    expect(denied.denied).toEqual([outsiderNpub]);
    const relay = await Relay.connect(daemon.ready.relayUrl!);
    try {
      await relay.publish(wrapEvent(outsiderSk, { publicKey: agent.pubkey }, 'denied ping'));
      await cliJson(t, ['agent', 'dm', 'echo', 'operator after deny']);
      await until('the operator DM after the deny', async () => JSON.stringify(model.requests.map((q) => q.messages)).includes('operator after deny'));
      expect(JSON.stringify(model.requests.map((q) => q.messages))).not.toContain('denied ping');
    } finally {
      relay.close();
      await cliJson(t, ['agent', 'allow', 'echo', outsiderNpub]);
    }
  });

  it('lets agents of one home coordinate in a NIP-28 channel', async () => {
    await cliJson(t, ['agent', 'spawn', '--name', 'scribe', '--bootstrap-sats', '1000', '--autonomy', 'full']);
    let channelId = '';
    const text = (m: { content?: unknown } | undefined): string => String(m?.content ?? '');
    const off = model.onRequest((body) => {
      const sys = text(body.messages[0]);
      const last = body.messages.at(-1);
      if (sys.includes('You are echo') && last?.role === 'user' && text(last).includes('open a channel')) {
        return { toolCalls: [{ name: 'create_channel', arguments: { name: 'coordination', about: 'echo and scribe' } }] };
      }
      if (sys.includes('You are echo') && last?.role === 'tool' && text(last).includes('channel_id')) {
        channelId = (JSON.parse(text(last)) as { channel_id: string }).channel_id;
        return { toolCalls: [{ name: 'post_to_channel', arguments: { channel_id: channelId, content: 'task: summarize the day' } }] };
      }
      if (sys.includes('You are scribe') && last?.role === 'user' && text(last).includes('read the channel')) {
        return { toolCalls: [{ name: 'read_channel', arguments: { channel_id: channelId } }] };
      }
      return undefined;
    });
    try {
      await cliJson(t, ['agent', 'tick', 'echo', '--message', 'open a channel']);
      expect(channelId).toMatch(/^[0-9a-f]{64}$/);
      const relay = await Relay.connect(daemon.ready.relayUrl!);
      try {
        const created = await nextEvent(relay, { kinds: [Kind.ChannelCreate], ids: [channelId] });
        expect(JSON.parse(created.content)).toMatchObject({ name: 'coordination' });
        const post = await nextEvent(relay, { kinds: [Kind.ChannelMessage], '#e': [channelId] });
        expect(post.pubkey).toBe(agent.pubkey);
      } finally {
        relay.close();
      }
      await cliJson(t, ['agent', 'tick', 'scribe', '--message', 'read the channel']);
      const read = model.requests.filter((r) => text(r.messages[0]).includes('You are scribe')).flatMap((r) => r.messages).filter((m) => m.role === 'tool').map(text);
      const result = JSON.parse(read.at(-1)!) as { ok: boolean; messages: { from: string; content: string }[] };
      expect(result.ok).toBe(true);
      expect(result.messages).toEqual([expect.objectContaining({ from: 'echo', content: 'task: summarize the day' })]);
    } finally {
      off();
    }
  });

  it('mirrors approval requests (39212) and the operator’s decisions (39213)', async () => {
    const guarded = await cliJson<AgentSummary>(t, ['agent', 'spawn', '--name', 'guarded', '--bootstrap-sats', '3000', '--autonomy', 'supervised']);
    const operator = (await cliJson<{ pubkey: string }>(t, ['identity', 'status'])).pubkey;
    const invoice = (await cliJson<{ bolt11: string }>(t, ['wallet', 'invoice', '250'])).bolt11;
    const off = model.onRequest((body) => {
      const last = body.messages.at(-1);
      if (String(body.messages[0]?.content).includes('You are guarded') && last?.role === 'user' && String(last.content).includes('pay please')) {
        return { toolCalls: [{ name: 'pay_invoice', arguments: { invoice, reason: 'mirror test' } }] };
      }
      return undefined;
    });
    try {
      await cliJson(t, ['agent', 'tick', 'guarded', '--message', 'pay please']);
      const [pending] = await cliJson<{ id: string }[]>(t, ['approvals', 'list', '--agent', 'guarded']);
      const relay = await Relay.connect(daemon.ready.relayUrl!);
      try {
        const request = await nextEvent(relay, { kinds: [Kind.GuardianApprovalRequest], authors: [guarded.pubkey], '#d': [pending!.id] });
        expect(request.tags).toEqual(expect.arrayContaining([['p', operator], ['budget_requested', '250'], ['reason', 'mirror test']]));
        await cliJson(t, ['approvals', 'approve', pending!.id, '--reason', 'ok']);
        const decision = await nextEvent(relay, { kinds: [Kind.GuardianApproval], authors: [operator], '#d': [`${pending!.id}:decision`] });
        expect(decision.tags).toEqual(expect.arrayContaining([['p', guarded.pubkey], ['e', request.id], ['decision', 'approved']]));
      } finally {
        relay.close();
      }
    } finally {
      off();
    }
  });

  it('offers nostr publish and query as debug helpers', async () => {
    const published = await cliJson<{ id: string; results: { ok: boolean }[] }>(t, ['nostr', 'publish', '--kind', '1', '--content', 'hello from the operator', '--tag', 't=openagents']);
    expect(published.results.some((r) => r.ok)).toBe(true);
    const found = await cliJson<{ id: string; content: string }[]>(t, ['nostr', 'query', JSON.stringify({ ids: [published.id] })]);
    expect(found).toEqual([expect.objectContaining({ id: published.id, content: 'hello from the operator' })]);
    const bad = await cli(t, ['nostr', 'query', '{not json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/filter is not JSON/);
  });

  it('publishes every tick: request, result, trajectory session and steps, each kept by its own d tag', async () => {
    const relay = await Relay.connect(daemon.ready.relayUrl!);
    try {
      const all = await collect(relay, { kinds: [Kind.TickRequest, Kind.TickResult, Kind.TrajectorySession, Kind.TrajectoryEvent], authors: [agent.pubkey] });
      const reqs = all.filter((e) => e.kind === Kind.TickRequest);
      const results = all.filter((e) => e.kind === Kind.TickResult);
      const sessions = all.filter((e) => e.kind === Kind.TrajectorySession);
      const steps = all.filter((e) => e.kind === Kind.TrajectoryEvent);
      expect(reqs.length).toBeGreaterThanOrEqual(3);
      expect(results.length).toBe(reqs.length);
      expect(sessions.length).toBe(reqs.length);
      const d = (e: Event) => e.tags.find((x) => x[0] === 'd')![1]!;
      expect(new Set(reqs.map(d)).size).toBe(reqs.length);
      expect(new Set(steps.map(d)).size).toBe(steps.length);
      for (const r of results) {
        const tickId = d(r).replace(/:result$/, '');
        const req = reqs.find((q) => d(q) === tickId)!;
        expect(r.tags).toContainEqual(['e', req.id]);
        expect(r.tags.find((x) => x[0] === 'status')![1]).toBe('success');
        expect(nip44Decrypt(r.content, getConversationKey(agentSk, agent.pubkey)).length).toBeGreaterThan(0);
        const session = sessions.find((s) => d(s) === tickId)!;
        const own = steps.filter((s) => s.tags.some((x) => x[0] === 'e' && x[1] === session.id && x[3] === 'root'));
        expect(own.length).toBeGreaterThanOrEqual(2);
        expect(own.map((s) => (JSON.parse(s.content) as { type: string }).type)).toContain('perceive');
      }
      const dmRequest = reqs.find((q) => q.tags.some((x) => x[0] === 'trigger' && x[1] === 'dm'));
      expect(dmRequest?.tags.some((x) => x[0] === 'e')).toBe(true);
    } finally {
      relay.close();
    }
  });

  it('reconnects to a restarted relay and catches up on a DM sent while it was away', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oa-ext-relay-'));
    let external = new EmbeddedRelay({ dbFile: path.join(dir, 'relay.sqlite') });
    const { url, port } = await external.start();
    try {
      const added = await cliJson<RelaysView>(t, ['relays', 'add', url]);
      expect(added.configured).toEqual(['embedded', url]);
      await cliJson(t, ['relays', 'remove', 'embedded']);
      await until('the daemon connected to the external relay', async () => {
        const v = await cliJson<RelaysView>(t, ['relays', 'list']);
        return v.relays.find((r) => r.url.startsWith(url) && r.state === 'connected');
      });
      await external.stop();
      await until('the daemon noticing the relay went away', async () => {
        const v = await cliJson<RelaysView>(t, ['relays', 'list']);
        return v.relays.find((r) => r.url.startsWith(url) && r.state !== 'connected');
      });
      external = new EmbeddedRelay({ dbFile: path.join(dir, 'relay.sqlite'), port });
      await external.start();
      // Published the moment the relay is back, before the daemon has reconnected.
      const client = await Relay.connect(url);
      try {
        const reply = nextEvent(client, { kinds: [Kind.GiftWrap], '#p': [outsiderPk], since: Math.floor(Date.now() / 1000) - 3 * 86_400 - 10 }, 40_000);
        await client.publish(wrapEvent(outsiderSk, { publicKey: agent.pubkey }, 'are you back'));
        const found = await until('the reply to the DM sent during the outage', async () => {
          const events = await collect(client, { kinds: [Kind.GiftWrap], '#p': [outsiderPk] });
          return events.map((e) => unwrapEvent(e, outsiderSk)).find((r) => r.content === 'pong: are you back');
        }, 40_000);
        expect(found.pubkey).toBe(agent.pubkey);
        await reply;
      } finally {
        client.close();
      }
    } finally {
      await cliJson(t, ['relays', 'add', 'embedded']).catch(() => undefined);
      await external.stop();
    }
  });
});

async function collect(relay: Relay, filter: Parameters<Relay['subscribe']>[0][number]): Promise<Event[]> {
  return new Promise((resolve) => {
    const out: Event[] = [];
    const sub = relay.subscribe([filter], {
      onevent: (e) => out.push(e),
      oneose: () => {
        sub.close();
        resolve(out);
      },
    });
  });
}
