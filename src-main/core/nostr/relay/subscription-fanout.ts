import type { BroadcastPlugin, Event, Filter } from '@nostr-relay/common';
import { MessageType } from '@nostr-relay/common';
import { matchFilters, type Filter as NostrFilter } from 'nostr-tools/filter';
import type { RelayConnection } from './relay-connection.js';

/**
 * Delivers a new event to every open subscription it matches. It replaces the library's own
 * fan-out (it never calls `next`): that one matches only ids, authors, kinds, since and until
 * and ignores tag filters, so a subscriber to `{"#p": [me]}` would receive every event of the
 * kind. nostr-tools' matcher checks the whole NIP-01 filter.
 */
export class SubscriptionFanout implements BroadcastPlugin {
  constructor(private readonly connections: () => Iterable<RelayConnection>) {}

  async broadcast(event: Event): Promise<void> {
    this.deliver(event);
  }

  /** Synchronous fan-out, also used for events the library does not broadcast (NIP-09 requests). */
  deliver(event: Event): void {
    let serializedEvent: string | null = null;
    for (const connection of this.connections()) {
      const subscriptions = connection.context?.subscriptions;
      if (!subscriptions || subscriptions.size === 0) continue;
      subscriptions.forEach((filters: Filter[], subscriptionId: string) => {
        if (!matchFilters(filters as NostrFilter[], event)) return;
        serializedEvent ??= JSON.stringify(event);
        connection.sendLive(`[${JSON.stringify(MessageType.EVENT)},${JSON.stringify(subscriptionId)},${serializedEvent}]`);
      });
    }
  }
}
