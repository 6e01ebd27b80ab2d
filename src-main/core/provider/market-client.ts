import type { Event } from 'nostr-tools';
import { decrypt as nip04Decrypt, encrypt as nip04Encrypt } from 'nostr-tools/nip04';
import { finalizeEvent } from 'nostr-tools/pure';
import type { MarketResultView } from '../api/contract.js';
import { AppError, toAppError } from '../errors.js';
import type { EventBus } from '../events.js';
import { parsePubkey } from '../identity/keys.js';
import { Kind } from '../nostr/kinds.js';
import type { RelayPool } from '../nostr/relay-pool.js';
import { decodeInvoice } from '../wallet/devnet/invoice-codec.js';
import { payFromOperator } from '../wallet/operator-payment.js';
import type { PaymentBook } from '../wallet/payments.js';
import type { WalletRegistry } from '../wallet/registry.js';

export interface MarketRequest {
  prompt: string;
  maxSats: number;
  maxTokens?: number | undefined;
  provider?: string | undefined;
  encrypted: boolean;
  timeoutSeconds: number;
}

/**
 * Buying on the NIP-90 market with the operator wallet: posts a 5050 request (NIP-04
 * encrypted to one provider when asked), pays the first `payment-required` invoice whose
 * BOLT11 amount matches its `amount` tag and is within `maxSats` (once: idempotency key per
 * request), and returns the 6050 result of the provider that was paid.
 */
export async function requestJob(
  deps: { pool: RelayPool; secretKey: Uint8Array; wallets: WalletRegistry; payments: PaymentBook; events: EventBus },
  req: MarketRequest,
): Promise<MarketResultView> {
  const provider = req.provider ? parsePubkey(req.provider) : null;
  if (req.provider && !provider) throw new AppError('BAD_INPUT', `provider: "${req.provider}" is not an npub or a 64-hex public key`);
  if (req.encrypted && !provider) throw new AppError('BAD_INPUT', 'an encrypted request needs --provider (it is encrypted to that provider)');
  if (!deps.pool.connectedCount()) throw new AppError('NETWORK_UNREACHABLE', 'no relay connected: see `openagents relays list`');

  const inner: string[][] = [['i', req.prompt, 'text'], ...(req.maxTokens ? [['param', 'max_tokens', String(req.maxTokens)]] : [])];
  const outer: string[][] = [['output', 'text/plain'], ['bid', String(req.maxSats * 1000)], ['relays', ...deps.pool.urls()], ...(provider ? [['p', provider]] : [])];
  const request = finalizeEvent({
    kind: Kind.TextGenerationRequest,
    created_at: Math.floor(Date.now() / 1000),
    tags: req.encrypted && provider ? [...outer, ['encrypted']] : [...inner, ...outer],
    content: req.encrypted && provider ? nip04Encrypt(deps.secretKey, provider, JSON.stringify(inner)) : '',
  }, deps.secretKey);

  const feedback: { status: string; detail: string }[] = [];
  let paidTo: string | null = null;
  let paidSats = 0;
  let paying = false;
  return new Promise<MarketResultView>((resolve, reject) => {
    let off: () => void = () => undefined;
    const finish = (err: Error | null, value?: MarketResultView): void => {
      clearTimeout(timer);
      off();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new AppError('TIMEOUT', paidTo
      ? `paid ${paidSats} sats but no result within ${req.timeoutSeconds} s; the provider may still deliver (job ${request.id})`
      : `no provider answered within ${req.timeoutSeconds} s (job ${request.id})`)), req.timeoutSeconds * 1000);
    const onEvent = (e: Event): void => {
      if (provider && e.pubkey !== provider) return;
      if (paidTo && e.pubkey !== paidTo) return;
      if (e.kind === Kind.JobFeedback) {
        const status = e.tags.find((t) => t[0] === 'status');
        feedback.push({ status: status?.[1] ?? '', detail: status?.[2] ?? '' });
        if (status?.[1] === 'payment-required' && !paidTo && !paying) void pay(e);
        else if (status?.[1] === 'error' && (paidTo === e.pubkey || provider)) finish(new AppError('BACKEND_ERROR', `the provider refused or failed the job: ${status[2] || 'no reason given'}`));
      } else if (e.kind === Kind.TextGenerationResult) {
        if (!paidTo && e.tags.some((t) => t[0] === 'amount' && Number(t[1]) > 0)) return; // a paid result we did not pay for
        let text = e.content;
        if (e.tags.some((t) => t[0] === 'encrypted')) {
          try {
            text = nip04Decrypt(deps.secretKey, e.pubkey, e.content);
          } catch (err) {
            return finish(new AppError('BACKEND_ERROR', `cannot decrypt the result: ${(err as Error).message}`));
          }
        }
        finish(null, { jobId: request.id, provider: e.pubkey, paidSats, text, feedback });
      }
    };
    const pay = async (e: Event): Promise<void> => {
      const amount = e.tags.find((t) => t[0] === 'amount');
      const msats = Number(amount?.[1]);
      const bolt11 = amount?.[2];
      if (!bolt11 || !Number.isInteger(msats)) return;
      paying = true;
      try {
        const inv = decodeInvoice(bolt11);
        if (inv.amountSats === null || inv.amountSats * 1000 !== msats) throw new AppError('INVOICE_INVALID', `the invoice is for ${inv.amountSats ?? 'any'} sats, not the ${msats / 1000} asked`);
        if (inv.amountSats > req.maxSats) throw new AppError('BUDGET_EXCEEDED', `the provider asks ${inv.amountSats} sats, more than --max-sats ${req.maxSats}`);
        const result = await payFromOperator(deps, bolt11, { maxFeeSats: Math.max(1, Math.ceil(inv.amountSats / 100)), idempotencyKey: `nip90:${request.id}`, memo: `NIP-90 job ${request.id.slice(0, 12)}` });
        paidTo = e.pubkey;
        paidSats = result.amountSats;
      } catch (err) {
        paying = false;
        if (provider) finish(toAppError(err));
      }
    };
    off = deps.pool.subscribe([{ kinds: [Kind.JobFeedback, Kind.TextGenerationResult], '#e': [request.id] }], onEvent);
    void deps.pool.publish(request).then((results) => {
      if (!results.some((r) => r.ok)) finish(new AppError('NETWORK_UNREACHABLE', `no relay took the request: ${results.map((r) => `${r.url}: ${r.message}`).join('; ')}`));
    }, (err: unknown) => finish(toAppError(err)));
  });
}
