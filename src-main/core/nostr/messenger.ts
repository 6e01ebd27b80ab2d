import { encrypt as nip04Encrypt } from 'nostr-tools/nip04';
import { wrapEvent } from 'nostr-tools/nip17';
import type { Db } from '../store/db.js';
import type { Agent } from '../runtime/agents.js';
import { Kind } from './kinds.js';
import type { NostrOutbox } from './nostr-outbox.js';

/**
 * Agent → anyone messages over Nostr, answering in the scheme the other side last used:
 * NIP-04 for a NIP-04 correspondent, a kind 1 reply for a mention, NIP-17 gift wrap
 * otherwise. Events are queued in the caller's transaction and published after it.
 */
export class NostrMessenger {
  constructor(private readonly db: Db, private readonly outbox: NostrOutbox, private readonly agentSecretKey: (agent: Agent) => Uint8Array) {}

  lastInbound(agentId: string, pubkey: string): { channel: string; refEvent: string | null } | null {
    const row = this.db.prepare("SELECT channel, ref_event FROM messages WHERE to_agent = ? AND from_kind = 'nostr' AND from_ref = ? ORDER BY id DESC LIMIT 1").get(agentId, pubkey) as { channel: string; ref_event: string | null } | undefined;
    return row ? { channel: row.channel, refEvent: row.ref_event } : null;
  }

  /** Queues the message; returns the scheme used and the id of the event that carries it. */
  send(from: Agent, toPubkey: string, content: string): { scheme: 'nip17' | 'nip04' | 'mention'; eventId: string } {
    const sk = this.agentSecretKey(from);
    const last = this.lastInbound(from.id, toPubkey);
    if (last?.channel === 'nip04') {
      const row = this.outbox.enqueue(from.id, from.id, { kind: Kind.EncryptedDirectMessage, created_at: Math.floor(Date.now() / 1000), tags: [['p', toPubkey]], content: nip04Encrypt(sk, toPubkey, content) });
      return { scheme: 'nip04', eventId: `$row:${row}` };
    }
    if (last?.channel === 'mention' && last.refEvent) {
      const row = this.outbox.enqueue(from.id, from.id, { kind: Kind.TextNote, created_at: Math.floor(Date.now() / 1000), tags: [['e', last.refEvent, '', 'reply'], ['p', toPubkey]], content });
      return { scheme: 'mention', eventId: `$row:${row}` };
    }
    const wrap = wrapEvent(sk, { publicKey: toPubkey }, content);
    this.outbox.enqueueSigned(from.id, wrap);
    return { scheme: 'nip17', eventId: wrap.id };
  }
}
