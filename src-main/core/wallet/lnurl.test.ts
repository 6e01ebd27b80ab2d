import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevnetNetwork } from './devnet/devnet-network.js';
import { bech32 } from '@scure/base';
import { fetchPayRequest, invoiceFromAddress, lightningAddressUrl, lnurlToUrl } from './lnurl.js';

// A Lightning-address service on loopback (a test double of a public LNURL server) whose
// invoices come from a real devnet wallet; `skew` makes it return a wrong amount.
let server: http.Server;
let port = 0;
let net: DevnetNetwork;
let skew = 0;

beforeAll(async () => {
  net = new DevnetNetwork(fs.mkdtempSync(path.join(os.tmpdir(), 'oa-lnurl-')));
  const wallet = net.openWallet(new Uint8Array(randomBytes(32)), 'payee');
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/.well-known/lnurlp/alice') {
      res.end(JSON.stringify({ tag: 'payRequest', callback: `http://127.0.0.1:${port}/cb`, minSendable: 1000, maxSendable: 50_000, metadata: '[]' }));
    } else if (url.pathname === '/.well-known/lnurlp/broken') {
      res.end(JSON.stringify({ status: 'ERROR', reason: 'no such user' }));
    } else if (url.pathname === '/cb') {
      void wallet.createInvoice({ amountSats: Number(url.searchParams.get('amount')) / 1000 + skew }).then((inv) => res.end(JSON.stringify({ pr: inv.bolt11 })));
    } else {
      res.statusCode = 404;
      res.end('not json');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.close();
  net.close();
});

describe('Lightning address (LUD-16)', () => {
  it('builds the well-known URL: https, plain http only for loopback and onion', () => {
    expect(lightningAddressUrl('Bob@example.com')).toBe('https://example.com/.well-known/lnurlp/bob');
    expect(lightningAddressUrl('bob@127.0.0.1:8080')).toBe('http://127.0.0.1:8080/.well-known/lnurlp/bob');
    expect(lightningAddressUrl('bob@abc.onion')).toBe('http://abc.onion/.well-known/lnurlp/bob');
    expect(() => lightningAddressUrl('not an address')).toThrow(/not a Lightning address/);
  });

  it('gets an invoice of exactly the amount', async () => {
    expect(await fetchPayRequest(`alice@127.0.0.1:${port}`)).toMatchObject({ minSendable: 1000, maxSendable: 50_000 });
    const pr = await invoiceFromAddress(`alice@127.0.0.1:${port}`, 21_000);
    expect(pr.startsWith('ln')).toBe(true);
  });

  it('takes an LNURL (lud06) too, https only except loopback and onion', async () => {
    const encode = (url: string): string => bech32.encode('lnurl', bech32.toWords(new TextEncoder().encode(url)), 2000);
    const lnurl = encode(`http://127.0.0.1:${port}/.well-known/lnurlp/alice`);
    expect(lnurlToUrl(lnurl.toUpperCase())).toBe(`http://127.0.0.1:${port}/.well-known/lnurlp/alice`);
    expect((await invoiceFromAddress(lnurl, 5000)).startsWith('ln')).toBe(true);
    expect(() => lnurlToUrl(encode('http://example.com/pay'))).toThrow(/must use https/);
    expect(() => lnurlToUrl('lnurl1notvalid')).toThrow(/not an LNURL/);
  });

  it('refuses amounts out of range, a wrong invoice amount, service errors and unreachable hosts', async () => {
    await expect(invoiceFromAddress(`alice@127.0.0.1:${port}`, 100_000)).rejects.toThrow(/accepts 1000–50000 msats/);
    skew = 1;
    await expect(invoiceFromAddress(`alice@127.0.0.1:${port}`, 21_000)).rejects.toThrow(/invoice for 22 sats instead of 21/);
    skew = 0;
    await expect(fetchPayRequest(`broken@127.0.0.1:${port}`)).rejects.toThrow(/no such user/);
    await expect(fetchPayRequest(`nobody@127.0.0.1:${port}`)).rejects.toThrow(/without JSON/);
    await expect(fetchPayRequest('x@127.0.0.1:1')).rejects.toMatchObject({ code: 'NETWORK_UNREACHABLE' });
  });
});
