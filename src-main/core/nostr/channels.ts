import { channelCreateEvent } from 'nostr-tools/nip28';
import type { Db } from '../store/db.js';
import { AppError } from '../errors.js';
import type { Agent, AgentStore } from '../runtime/agents.js';
import { npub } from '../identity/keys.js';
import { Kind } from './kinds.js';
import type { NostrOutbox } from './nostr-outbox.js';
import type { RelayPool } from './relay-pool.js';

export interface ChannelMessage {
  id: string;
  from: string;
  content: string;
  createdAt: number;
}

/** NIP-28 public channels, where agents coordinate: create (40), post (42), read. */
export class Channels {
  constructor(
    private readonly db: Db,
    private readonly outbox: NostrOutbox,
    private readonly pool: RelayPool,
    private readonly agents: AgentStore,
    private readonly agentSecretKey: (agent: Agent) => Uint8Array,
    private readonly relaysActive: () => boolean,
  ) {}

  /** Call inside a transaction; the channel id (the kind 40 event id) is known at once. */
  create(agent: Agent, name: string, about: string): string {
    const event = channelCreateEvent({ content: { name, about, picture: '' }, created_at: Math.floor(Date.now() / 1000) }, this.agentSecretKey(agent));
    if (!event) throw new AppError('BAD_INPUT', 'could not build the channel event');
    this.outbox.enqueueSigned(agent.id, event);
    this.db.prepare('INSERT INTO channels (id, name, about, creator, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING').run(event.id, name, about, agent.pubkey, Date.now());
    return event.id;
  }

  /** Call inside a transaction. */
  post(agent: Agent, channelId: string, content: string): void {
    if (!/^[0-9a-f]{64}$/.test(channelId)) throw new AppError('BAD_INPUT', 'channel_id must be the 64-hex id of the channel’s creation event');
    const relay = this.pool.urls()[0] ?? '';
    this.outbox.enqueue(agent.id, agent.id, { kind: Kind.ChannelMessage, created_at: Math.floor(Date.now() / 1000), tags: [['e', channelId, relay, 'root']], content });
  }

  async read(channelId: string, limit: number): Promise<ChannelMessage[]> {
    if (!this.relaysActive()) throw new AppError('DAEMON_UNAVAILABLE', 'reading a channel needs the relays, which run in the daemon');
    if (!/^[0-9a-f]{64}$/.test(channelId)) throw new AppError('BAD_INPUT', 'channel_id must be the 64-hex id of the channel’s creation event');
    const events = await this.pool.query([{ kinds: [Kind.ChannelMessage], '#e': [channelId], limit }], 3000);
    return events.slice(-limit).map((e) => ({ id: e.id, from: this.agents.find(e.pubkey)?.name ?? npub(e.pubkey), content: e.content, createdAt: e.created_at * 1000 }));
  }
}
