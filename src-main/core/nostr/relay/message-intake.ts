import type { IncomingMessage, OutgoingMessage } from '@nostr-relay/common';
import { createOutgoingClosedMessage, createOutgoingNoticeMessage, createOutgoingOkMessage, MessageType } from '@nostr-relay/common';
import type { Validator } from '@nostr-relay/validator';
import { SUBSCRIPTION_ID_MAX_LENGTH, type RelayLimits } from './limits.js';

/** What the relay does with one client frame: hand it to the library, or answer it here. */
export type Intake =
  | { accepted: true; message: IncomingMessage }
  | { accepted: false; reply: OutgoingMessage; /** the frame was an EVENT now answered with OK false */ eventRejected: boolean };

const CLIENT_VERBS: ReadonlySet<string> = new Set([MessageType.EVENT, MessageType.REQ, MessageType.CLOSE, MessageType.AUTH]);
const EVENT_ID = /^[0-9a-f]{64}$/;
/** Reasons echo parts of the client's message; keep them short. */
const MAX_REASON_CHARS = 300;

/**
 * Turns a raw frame into a validated NIP-01 message, or into the answer a client can act on.
 * Everything the library would otherwise choke on (non-JSON, binary frames, unknown verbs,
 * oversized frames, too many filters, schema errors) stops here, so the library only ever
 * sees messages its validator accepted.
 */
export async function readClientMessage(data: Buffer, isBinary: boolean, validator: Validator, limits: RelayLimits): Promise<Intake> {
  if (isBinary) return refuse(null, 'invalid: binary frames are not accepted; send NIP-01 messages as JSON text frames');

  const parsed = parseJson(data);
  if (data.length > limits.maxMessageBytes) {
    // Parsed anyway (the frame is bounded by the WebSocket layer) to answer an EVENT by its id.
    return refuse(parsed ?? null, `invalid: message is ${data.length} bytes, over the relay's limit of ${limits.maxMessageBytes}`);
  }
  if (parsed === undefined) return refuse(null, 'invalid: message is not valid JSON');
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') {
    return refuse(null, 'invalid: a message is a JSON array whose first element is its type, e.g. ["REQ", <id>, <filter>]');
  }
  const verb = parsed[0];
  if (!CLIENT_VERBS.has(verb)) {
    return refuse(null, `invalid: unknown message type ${JSON.stringify(verb.slice(0, 32))}; expected EVENT, REQ, CLOSE or AUTH`);
  }
  try {
    switch (verb) {
      case MessageType.EVENT:
      case MessageType.AUTH: {
        if (parsed.length !== 2) return refuse(parsed, `invalid: ${verb} carries exactly one event: ["${verb}", <event>]`);
        // The validator would parse a string as JSON; an event on the wire is an object.
        if (!isRecord(parsed[1])) return refuse(parsed, `invalid: the event of ${verb} must be a JSON object`);
        const event = await validator.validateEvent(parsed[1]);
        return { accepted: true, message: [verb, event] };
      }
      case MessageType.REQ: {
        const subscriptionId: unknown = parsed[1];
        if (!isSubscriptionId(subscriptionId)) return refuse(null, SUBSCRIPTION_ID_RULE);
        const filterCount = parsed.length - 2;
        if (filterCount < 1) return refuse(parsed, 'invalid: a REQ needs at least one filter');
        // Counted before the schema runs, so a REQ with thousands of filters costs nothing to refuse.
        if (filterCount > limits.maxFiltersPerSubscription) {
          return refuse(parsed, `invalid: too many filters (${filterCount}); at most ${limits.maxFiltersPerSubscription} per REQ`);
        }
        const filters = await validator.validateFilters(parsed.slice(2));
        return { accepted: true, message: [MessageType.REQ, subscriptionId, ...filters] };
      }
      default: {
        const subscriptionId: unknown = parsed[1];
        if (parsed.length !== 2 || !isSubscriptionId(subscriptionId)) return refuse(null, SUBSCRIPTION_ID_RULE);
        return { accepted: true, message: [MessageType.CLOSE, subscriptionId] };
      }
    }
  } catch (err) {
    // The library's validator words its errors as "invalid: <what> at <where>".
    const reason = err instanceof Error ? err.message : String(err);
    return refuse(parsed, reason.startsWith('invalid') ? reason : `invalid: ${reason}`);
  }
}

const SUBSCRIPTION_ID_RULE = `invalid: REQ and CLOSE take a subscription id, a string of 1 to ${SUBSCRIPTION_ID_MAX_LENGTH} characters`;

function isSubscriptionId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= SUBSCRIPTION_ID_MAX_LENGTH;
}

/**
 * The NIP-01 answer to a refused message: an EVENT with a readable id gets OK false (clients
 * wait for it), a REQ with a subscription id gets CLOSED, anything else a NOTICE.
 */
function refuse(parsed: unknown, reason: string): Intake {
  const text = reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}…` : reason;
  if (Array.isArray(parsed)) {
    const [verb, second] = parsed as unknown[];
    if (verb === MessageType.EVENT) {
      const id = isRecord(second) ? second.id : undefined;
      if (typeof id === 'string' && EVENT_ID.test(id)) {
        return { accepted: false, reply: createOutgoingOkMessage(id, false, text), eventRejected: true };
      }
      return { accepted: false, reply: createOutgoingNoticeMessage(text), eventRejected: true };
    }
    if (verb === MessageType.REQ && isSubscriptionId(second)) {
      return { accepted: false, reply: createOutgoingClosedMessage(second, text), eventRejected: false };
    }
  }
  return { accepted: false, reply: createOutgoingNoticeMessage(text), eventRejected: false };
}

/** The JSON value of the frame, or undefined when it is not JSON. */
function parseJson(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
