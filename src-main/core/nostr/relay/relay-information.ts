import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { SUBSCRIPTION_ID_MAX_LENGTH, type RelayLimits } from './limits.js';

export interface RelayInfoOptions {
  name?: string;
  description?: string;
  pubkey?: string;
  contact?: string;
}

/** NIP-11 relay information document. */
export interface RelayInformationDocument {
  name: string;
  description: string;
  pubkey?: string;
  contact?: string;
  supported_nips: number[];
  software: string;
  version: string;
  limitation: {
    max_message_length: number;
    max_subscriptions: number;
    max_filters: number;
    max_limit: number;
    default_limit: number;
    max_subid_length: number;
    max_event_tags: number;
    max_content_length: number;
    min_pow_difficulty: number;
    auth_required: boolean;
    payment_required: boolean;
    restricted_writes: boolean;
  };
}

/** Events a filter without `limit` returns; the repository caps any `limit` at ten times this. */
export const DEFAULT_FILTER_LIMIT = 100;
/** Tags per event the validator accepts (its default). */
export const MAX_EVENT_TAGS = 2000;

const SOFTWARE = 'https://github.com/CodyTseng/nostr-relay';
const SOFTWARE_VERSION = (createRequire(import.meta.url)('@nostr-relay/core/package.json') as { version: string }).version;

export function relayInformation(info: RelayInfoOptions | undefined, limits: RelayLimits): RelayInformationDocument {
  return {
    name: info?.name ?? 'OpenAgents embedded relay',
    description: info?.description ?? 'The Nostr relay embedded in an OpenAgents node.',
    ...(info?.pubkey ? { pubkey: info.pubkey } : {}),
    ...(info?.contact ? { contact: info.contact } : {}),
    supported_nips: [1, 9, 11],
    software: SOFTWARE,
    version: SOFTWARE_VERSION,
    limitation: {
      max_message_length: limits.maxMessageBytes,
      max_subscriptions: limits.maxSubscriptionsPerConnection,
      max_filters: limits.maxFiltersPerSubscription,
      max_limit: DEFAULT_FILTER_LIMIT * 10,
      default_limit: DEFAULT_FILTER_LIMIT,
      max_subid_length: SUBSCRIPTION_ID_MAX_LENGTH,
      max_event_tags: MAX_EVENT_TAGS,
      max_content_length: limits.maxMessageBytes,
      min_pow_difficulty: 0,
      auth_required: false,
      payment_required: false,
      restricted_writes: false,
    },
  };
}

/** Browsers fetch NIP-11 cross-origin; every answer carries these. */
const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
};

/**
 * Plain HTTP on the relay's port: the NIP-11 document for `Accept: application/nostr+json`,
 * a one-line page at `/` for people who open the address in a browser, 404 otherwise.
 */
export function serveRelayHttp(req: IncomingMessage, res: ServerResponse, document: RelayInformationDocument): void {
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') {
    res.writeHead(204, CORS_HEADERS).end();
    return;
  }
  const path = (req.url ?? '/').split('?')[0];
  if ((method !== 'GET' && method !== 'HEAD') || path !== '/') {
    res.writeHead(404, { ...CORS_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
    return;
  }
  if ((req.headers.accept ?? '').includes('application/nostr+json')) {
    res.writeHead(200, { ...CORS_HEADERS, 'Content-Type': 'application/nostr+json' }).end(JSON.stringify(document));
    return;
  }
  res
    .writeHead(200, { ...CORS_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' })
    .end(`${document.name}: a Nostr relay. Connect with a Nostr client over WebSocket at this address.\n`);
}
