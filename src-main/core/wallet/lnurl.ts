import { bech32 } from '@scure/base';
import { AppError } from '../errors.js';
import { decodeInvoice } from './devnet/invoice-codec.js';

/**
 * Paying a Lightning address (LUD-16 over LUD-06 pay requests): name@domain →
 * GET <scheme>://domain/.well-known/lnurlp/name → pay request → GET callback?amount=msats →
 * a BOLT11 invoice, checked to carry exactly that amount. HTTPS is required, except for
 * loopback and .onion domains (LUD-16 allows plain HTTP for onion services; loopback is a
 * service on this machine).
 */
export interface PayRequestInfo { callback: string; minSendable: number; maxSendable: number; metadata: string }

const ADDRESS = /^([a-z0-9\-_.+]+)@([a-z0-9.-]+(?::\d{1,5})?|\[[0-9a-f:]+\](?::\d{1,5})?)$/i;
const TIMEOUT_MS = 10_000;

export function lightningAddressUrl(address: string): string {
  const m = ADDRESS.exec(address.trim());
  if (!m) throw new AppError('BAD_INPUT', `"${address}" is not a Lightning address (name@domain)`);
  const [, name, domain] = m as unknown as [string, string, string];
  const host = domain.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const plain = host === 'localhost' || host === '127.0.0.1' || host === '::1' || host.endsWith('.onion');
  return `${plain ? 'http' : 'https'}://${domain}/.well-known/lnurlp/${encodeURIComponent(name.toLowerCase())}`;
}

/** A LUD-01 `lnurl1…` (bech32) as its URL; https, or http for loopback and .onion hosts. */
export function lnurlToUrl(lnurl: string): string {
  let url: URL;
  try {
    const { prefix, words } = bech32.decode(lnurl.trim().toLowerCase() as `${string}1${string}`, 2000);
    if (prefix !== 'lnurl') throw new Error(`prefix ${prefix}`);
    url = new URL(new TextDecoder().decode(bech32.fromWords(words)));
  } catch (err) {
    throw new AppError('BAD_INPUT', `not an LNURL: ${(err as Error).message}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const plainOk = host === 'localhost' || host === '127.0.0.1' || host === '::1' || host.endsWith('.onion');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && plainOk)) throw new AppError('BAD_INPUT', `an LNURL must use https, not ${url.protocol}`);
  return url.toString();
}

/** The pay-request URL of a Lightning address (name@domain) or an LNURL (lnurl1…). */
function payRequestUrl(target: string): string {
  return /^lnurl1/i.test(target.trim()) ? lnurlToUrl(target) : lightningAddressUrl(target);
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error', headers: { accept: 'application/json' } });
  } catch (err) {
    throw new AppError('NETWORK_UNREACHABLE', `cannot reach ${new URL(url).host}: ${(err as Error).message}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new AppError('BACKEND_ERROR', `${new URL(url).host} answered ${res.status} without JSON`);
  }
  if (!body || typeof body !== 'object') throw new AppError('BACKEND_ERROR', `${new URL(url).host} answered with no object`);
  const obj = body as Record<string, unknown>;
  if (obj.status === 'ERROR') throw new AppError('BACKEND_ERROR', `${new URL(url).host}: ${String(obj.reason ?? 'error')}`);
  if (!res.ok) throw new AppError('BACKEND_ERROR', `${new URL(url).host} answered ${res.status}`);
  return obj;
}

export async function fetchPayRequest(address: string): Promise<PayRequestInfo> {
  const url = payRequestUrl(address);
  const r = await getJson(url);
  if (r.tag !== 'payRequest' || typeof r.callback !== 'string' || typeof r.minSendable !== 'number' || typeof r.maxSendable !== 'number') {
    throw new AppError('BACKEND_ERROR', `${address} is not a Lightning address pay request`);
  }
  const cb = new URL(r.callback);
  if (cb.protocol !== new URL(url).protocol) throw new AppError('BACKEND_ERROR', `${address}: the callback changes scheme`);
  return { callback: r.callback, minSendable: r.minSendable, maxSendable: r.maxSendable, metadata: typeof r.metadata === 'string' ? r.metadata : '' };
}

/** An invoice for exactly `amountMsats` from the address's service. */
export async function invoiceFromAddress(address: string, amountMsats: number, comment?: string): Promise<string> {
  const info = await fetchPayRequest(address);
  if (amountMsats < info.minSendable || amountMsats > info.maxSendable) {
    throw new AppError('BAD_INPUT', `${address} accepts ${info.minSendable}–${info.maxSendable} msats, not ${amountMsats}`);
  }
  const cb = new URL(info.callback);
  cb.searchParams.set('amount', String(amountMsats));
  if (comment) cb.searchParams.set('comment', comment.slice(0, 140));
  const r = await getJson(cb.toString());
  if (typeof r.pr !== 'string') throw new AppError('BACKEND_ERROR', `${address} returned no invoice`);
  const inv = decodeInvoice(r.pr);
  if (inv.amountSats === null || inv.amountSats * 1000 !== amountMsats) {
    throw new AppError('BACKEND_ERROR', `${address} returned an invoice for ${inv.amountSats ?? 'any'} sats instead of ${amountMsats / 1000}`);
  }
  return r.pr;
}
