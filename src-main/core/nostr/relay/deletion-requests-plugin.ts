import type {
  BeforeHandleEventPlugin,
  BeforeHandleEventResult,
  ClientContext,
  Event,
  HandleMessagePlugin,
  HandleMessageResult,
  IncomingMessage,
} from '@nostr-relay/common';
import { createOutgoingOkMessage, EventUtils, MessageType } from '@nostr-relay/common';
import type { NostrRelay } from '@nostr-relay/core';
import type { EventRepositorySqlite } from '@nostr-relay/event-repository-sqlite';
import { Kind } from '../kinds.js';

/**
 * NIP-09 on top of the library. The library already deletes the events a kind 5 request
 * names (`e` ids and `a` coordinates, only those of the request's own author); it neither
 * keeps the request nor passes it to subscribers, and a deleted event sent again would be
 * stored again. This plugin adds those three:
 *  - the request is stored and delivered to subscribers (a NIP-90 provider learns of a
 *    cancelled job only from the request itself; NIP-09 says relays keep serving requests);
 *  - an event whose author already asked to delete it is refused (`blocked:`), so a client's
 *    retry or another relay's copy cannot bring it back. For `a` deletions only versions
 *    created at or before the request are refused; a later version is a new event.
 */
export class DeletionRequestsPlugin implements HandleMessagePlugin, BeforeHandleEventPlugin {
  constructor(
    private readonly relay: NostrRelay,
    private readonly repository: EventRepositorySqlite,
    private readonly deliver: (event: Event) => void,
  ) {}

  async handleMessage(ctx: ClientContext, message: IncomingMessage, next: () => Promise<HandleMessageResult>): Promise<HandleMessageResult> {
    if (message[0] !== MessageType.EVENT || message[1].kind !== Kind.Deletion) return next();
    const request = message[1];
    // The library verifies the request and deletes what it names; the OK is sent only after
    // the request itself is stored, so a client that reads it back right away finds it.
    const result = await this.relay.handleEvent(request);
    if (result.success && !result.message?.startsWith('duplicate:')) {
      const { isDuplicate } = await this.repository.upsert(request);
      if (!isDuplicate) this.deliver(request);
    }
    ctx.sendMessage(createOutgoingOkMessage(request.id, result.success, result.message));
    return { messageType: MessageType.EVENT, ...result };
  }

  async beforeHandleEvent(event: Event): Promise<BeforeHandleEventResult> {
    if (event.kind === Kind.Deletion) return { canHandle: true };
    if (await this.deletedByAuthor(event)) {
      return { canHandle: false, message: 'blocked: the author has deleted this event (NIP-09)' };
    }
    return { canHandle: true };
  }

  private async deletedByAuthor(event: Event): Promise<boolean> {
    const requests = { kinds: [Kind.Deletion], authors: [event.pubkey], limit: 1 };
    if (await this.repository.findOne({ ...requests, '#e': [event.id] })) return true;
    const d = EventUtils.extractDTagValue(event);
    if (d === null) return false;
    const coordinate = `${event.kind}:${event.pubkey}:${d}`;
    return (await this.repository.findOne({ ...requests, '#a': [coordinate], since: event.created_at })) !== null;
  }
}
