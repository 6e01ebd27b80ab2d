import type { ClientContext, HandleMessagePlugin, HandleMessageResult, IncomingMessage } from '@nostr-relay/common';
import { createOutgoingClosedMessage, createOutgoingOkMessage, MessageType } from '@nostr-relay/common';
import type { RelayLimits } from './limits.js';
import { RelayConnection } from './relay-connection.js';

/**
 * The per-connection limits the library does not enforce, as its message middleware.
 * The library caps subscriptions too, but by silently evicting the oldest one; here a REQ over
 * the cap is refused with CLOSED so the client knows. The event rate is checked before the
 * library verifies signatures, so flooding costs the relay no Schnorr verifications.
 */
export class ConnectionLimitsPlugin implements HandleMessagePlugin {
  constructor(private readonly limits: RelayLimits) {}

  async handleMessage(ctx: ClientContext, message: IncomingMessage, next: () => Promise<HandleMessageResult>): Promise<HandleMessageResult> {
    const connection = ctx.client instanceof RelayConnection ? ctx.client : null;
    if (!connection) return next();
    connection.context = ctx;

    if (message[0] === MessageType.EVENT && !connection.eventBudget.take()) {
      const reason = `rate-limited: more than ${this.limits.maxEventsPerSecondPerConnection} events per second on this connection; slow down`;
      ctx.sendMessage(createOutgoingOkMessage(message[1].id, false, reason));
      return { messageType: MessageType.EVENT, success: false, message: reason };
    }

    if (message[0] === MessageType.REQ) {
      const subscriptionId = message[1];
      const max = this.limits.maxSubscriptionsPerConnection;
      if (!ctx.subscriptions.has(subscriptionId) && ctx.subscriptions.size >= max) {
        ctx.sendMessage(createOutgoingClosedMessage(subscriptionId, `restricted: too many open subscriptions (at most ${max} per connection); CLOSE one first`));
        return { messageType: MessageType.REQ, events: [] };
      }
    }

    return next();
  }
}
