import type { Event, Filter } from 'nostr-tools';
import { decrypt as nip04Decrypt } from 'nostr-tools/nip04';
import { unwrapEvent } from 'nostr-tools/nip17';
import type { Db } from '../store/db.js';
import type { Agent, AgentStore } from '../runtime/agents.js';
import type { TriggerKind, TriggerQueue } from '../runtime/triggers.js';
import { Kind } from './kinds.js';
import type { RelayPool } from './relay-pool.js';

/** How a message reached an agent; a reply goes back the same way. */
export type MessageChannel = 'local' | 'nip17' | 'nip04' | 'mention' | 'zap' | 'channel';

export interface InboundMessage {
  agent: Agent;
  senderPubkey: string;
  content: string;
  channel: MessageChannel;
  trigger: TriggerKind;
  /** The id that makes the trigger unique (the rumor id for gift wraps). */
  eventId: string;
  extra?: Record<string, unknown>;
}

/** NIP-59 wraps carry timestamps up to two days in the past: catch-up must reach back that far. */
const GIFT_WRAP_SLACK_SECONDS = 3 * 86_400;
const MAX_CONTENT = 20_000;

/**
 * Turns Nostr events addressed to this home's agents into messages and triggers: NIP-17
 * gift-wrapped DMs, legacy NIP-04 DMs, mentions (kind 1 with the agent's `p` tag) and zap
 * receipts. Only senders the agent allows may wake it (default: the operator and the
 * home's own agents).
 */
export class InboundRouter {
  private unsubscribe: (() => void)[] = [];
  private byPubkey = new Map<string, Agent>();

  constructor(
    private readonly db: Db,
    private readonly pool: RelayPool,
    private readonly agents: AgentStore,
    private readonly triggers: TriggerQueue,
    private readonly keys: { agentSecretKey: (agent: Agent) => Uint8Array; operatorPubkey: () => string },
    private readonly log: (line: string) => void,
  ) {}

  /** (Re)subscribes for every live agent; call after agents are spawned or killed. */
  refresh(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    const live = this.agents.list().filter((a) => a.lifecycle !== 'terminated');
    this.byPubkey = new Map(live.map((a) => [a.pubkey, a]));
    if (live.length === 0) return;
    const since = Math.floor(Date.now() / 1000) - 60;
    // Relays limit filter sizes: subscribe in chunks of pubkeys.
    for (let i = 0; i < live.length; i += 500) {
      const p = live.slice(i, i + 500).map((a) => a.pubkey);
      const direct: Filter[] = [{ kinds: [Kind.EncryptedDirectMessage, Kind.TextNote, Kind.ZapReceipt], '#p': p, since }];
      this.unsubscribe.push(this.pool.subscribe(direct, (e) => this.onEvent(e), { catchUpSeconds: 120 }));
      const wraps: Filter[] = [{ kinds: [Kind.GiftWrap], '#p': p, since: since - GIFT_WRAP_SLACK_SECONDS }];
      this.unsubscribe.push(this.pool.subscribe(wraps, (e) => this.onEvent(e), { catchUpSeconds: GIFT_WRAP_SLACK_SECONDS }));
    }
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  /** Handles one event; returns the messages it delivered (for tests and logs). */
  onEvent(event: Event): InboundMessage[] {
    const targets = event.tags.filter((t) => t[0] === 'p' && t[1]).map((t) => this.byPubkey.get(t[1]!)).filter((a): a is Agent => a !== undefined);
    const delivered: InboundMessage[] = [];
    for (const agent of new Set(targets)) {
      let msg: InboundMessage | null = null;
      try {
        msg = this.decode(agent, event);
      } catch (err) {
        this.log(`ignored event ${event.id.slice(0, 12)} for ${agent.name}: ${(err as Error).message}`);
      }
      if (!msg) continue;
      if (!this.allowed(agent, msg.senderPubkey)) {
        this.log(`ignored ${msg.channel} from ${msg.senderPubkey.slice(0, 12)}… to ${agent.name}: sender not allowed`);
        continue;
      }
      const { created } = this.triggers.deliverMessage(agent.id, { kind: 'nostr', ref: msg.senderPubkey }, msg.content.slice(0, MAX_CONTENT), `nostr:${msg.eventId}`, Date.now(), {
        channel: msg.channel, refEvent: msg.eventId, triggerKind: msg.trigger, payload: { event_id: msg.eventId, from: msg.senderPubkey, channel: msg.channel, ...msg.extra },
      });
      if (created) {
        this.triggers.notify(agent.id);
        delivered.push(msg);
      }
    }
    return delivered;
  }

  private decode(agent: Agent, event: Event): InboundMessage | null {
    switch (event.kind) {
      case Kind.GiftWrap: {
        const rumor = unwrapEvent(event, this.keys.agentSecretKey(agent));
        if (rumor.kind !== Kind.PrivateDirectMessage) return null;
        if (rumor.pubkey === agent.pubkey) return null; // our own copy
        return { agent, senderPubkey: rumor.pubkey, content: rumor.content, channel: 'nip17', trigger: 'dm', eventId: rumor.id };
      }
      case Kind.EncryptedDirectMessage:
        if (event.pubkey === agent.pubkey) return null;
        return { agent, senderPubkey: event.pubkey, content: nip04Decrypt(this.keys.agentSecretKey(agent), event.pubkey, event.content), channel: 'nip04', trigger: 'dm', eventId: event.id };
      case Kind.TextNote:
        if (event.pubkey === agent.pubkey) return null;
        return { agent, senderPubkey: event.pubkey, content: event.content, channel: 'mention', trigger: 'mention', eventId: event.id };
      case Kind.ZapReceipt: {
        const description = event.tags.find((t) => t[0] === 'description')?.[1];
        if (!description) return null;
        const request = JSON.parse(description) as { pubkey?: string; content?: string; tags?: string[][] };
        const msats = Number(request.tags?.find((t) => t[0] === 'amount')?.[1] ?? 0);
        if (typeof request.pubkey !== 'string') return null;
        return { agent, senderPubkey: request.pubkey, content: `zap of ${Math.floor(msats / 1000)} sats${request.content ? `: ${request.content}` : ''}`, channel: 'zap', trigger: 'zap', eventId: event.id, extra: { amount_msats: msats } };
      }
      default:
        return null;
    }
  }

  /** Default: the operator and this home's agents; then the agent's allow/deny list or "anyone". */
  allowed(agent: Agent, sender: string): boolean {
    const entry = this.db.prepare('SELECT allowed FROM agent_allow WHERE agent_id = ? AND pubkey = ?').pluck().get(agent.id, sender) as number | undefined;
    if (entry === 0) return false;
    if (entry === 1) return true;
    if (sender === this.keys.operatorPubkey()) return true;
    if (this.byPubkey.has(sender)) return true;
    return (this.db.prepare('SELECT allow_anyone FROM agents WHERE id = ?').pluck().get(agent.id) as number) === 1;
  }
}
