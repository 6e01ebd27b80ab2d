import type { Event } from 'nostr-tools';
import type { Db } from '../store/db.js';
import { AppError, toAppError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { InferenceEngine } from '../inference/engine.js';
import type { ModelStore } from '../inference/models.js';
import { Kind } from '../nostr/kinds.js';
import type { NostrService } from '../nostr/service.js';
import type { PaymentBook } from '../wallet/payments.js';
import type { WalletRegistry } from '../wallet/registry.js';

export interface ProviderSettings {
  online: boolean;
  model: string | null;
  minPriceSats: number;
  pricePer1kSats: number;
  maxTokens: number;
  paymentTimeoutSeconds: number;
}

export type ProviderState = 'offline' | 'online' | 'degraded';

const DEFAULTS: ProviderSettings = { online: false, model: null, minPriceSats: 10, pricePer1kSats: 10, maxTokens: 512, paymentTimeoutSeconds: 300 };
const MAX_PROMPT_CHARS = 20_000;

export interface JobRow {
  id: string; customer: string; status: string; prompt: string; request: string | null; model: string | null; max_tokens: number; bid_msats: number | null;
  price_sats: number; invoice: string | null; payment_hash: string | null; output_tokens: number | null; error: string | null; created_at: number; paid_at: number | null; finished_at: number | null;
}

/** The price of a job: the minimum plus the per-1k-token rate on the tokens it may produce (integer sats, rounded up). */
export function jobPriceSats(s: Pick<ProviderSettings, 'minPriceSats' | 'pricePer1kSats'>, maxTokens: number): number {
  return s.minPriceSats + Math.ceil((maxTokens * s.pricePer1kSats) / 1000);
}

/**
 * Sells local inference on the NIP-90 market (kind 5050): announce (NIP-89 31990) → admit a
 * request → 7000 payment-required with a BOLT11 invoice of the operator wallet → wait for
 * that exact invoice to be settled → 7000 processing → generate → 6050 result + 7000
 * success. A job that is not paid is never run. Every step is written to `jobs` at once.
 */
export class ProviderService {
  private unsubscribe: (() => void) | null = null;
  private offPayment: (() => void) | null = null;
  private timers = new Map<string, NodeJS.Timeout>();
  state: ProviderState = 'offline';
  lastError: string | null = null;

  constructor(
    private readonly db: Db,
    private readonly nostr: NostrService,
    private readonly engine: InferenceEngine,
    private readonly models: ModelStore,
    private readonly wallets: WalletRegistry,
    private readonly payments: PaymentBook,
    private readonly events: EventBus,
    private readonly operatorPubkey: () => string,
    private readonly log: (line: string) => void,
  ) {}

  settings(): ProviderSettings {
    const raw = this.db.prepare("SELECT value FROM meta WHERE key = 'provider'").pluck().get() as string | undefined;
    return { ...DEFAULTS, ...(raw ? (JSON.parse(raw) as Partial<ProviderSettings>) : {}) };
  }

  private save(s: ProviderSettings): void {
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('provider', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(JSON.stringify(s));
  }

  configure(patch: Partial<Omit<ProviderSettings, 'online'>>): ProviderSettings {
    const next = { ...this.settings(), ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as ProviderSettings;
    this.save(next);
    return next;
  }

  /** Preflight (model loads, wallet ready, a relay connected), then announce and listen. */
  async goOnline(patch: Partial<Omit<ProviderSettings, 'online'>> = {}): Promise<void> {
    const s = this.configure(patch);
    if (!this.nostr.active) throw new AppError('DAEMON_UNAVAILABLE', 'selling compute needs the relays, which run in the daemon: start `openagents daemon`');
    if (!s.model) throw new AppError('BAD_INPUT', 'choose a model: `openagents provider online --model NAME` (see `openagents models list`)');
    const entry = this.models.require(s.model);
    if (this.engine.loaded()?.path !== entry.path) await this.engine.load(entry.path);
    await this.wallets.operator().wallet.balance();
    await this.nostr.pool.waitConnected(10_000);
    this.save({ ...s, online: true });
    this.announce(true);
    this.unsubscribe?.();
    this.unsubscribe = this.nostr.pool.subscribe([{ kinds: [Kind.TextGenerationRequest], since: Math.floor(Date.now() / 1000) - 60 }], (e) => void this.onRequest(e));
    this.offPayment?.();
    this.offPayment = this.events.on('payment.received', (p) => void this.onPaid(p.paymentHash));
    this.state = 'online';
    this.lastError = null;
  }

  async goOffline(): Promise<void> {
    this.save({ ...this.settings(), online: false });
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.offPayment?.();
    this.offPayment = null;
    if (this.nostr.active) this.announce(false);
    this.state = 'offline';
  }

  /** At daemon start: back online only if the operator left it online. */
  async resume(): Promise<void> {
    if (!this.settings().online) return;
    try {
      await this.goOnline();
    } catch (err) {
      this.state = 'degraded';
      this.lastError = toAppError(err).message;
      this.log(`provider could not go back online: ${this.lastError}`);
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.offPayment?.();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** NIP-89 handler announcement; offline it is republished without `k` tags (presence). */
  private announce(online: boolean): void {
    const s = this.settings();
    const content = { name: 'OpenAgents provider', about: 'Local inference sold on the NIP-90 market', nip90: { kinds: [Kind.TextGenerationRequest], models: s.model ? [s.model] : [], pricing: { amount: s.pricePer1kSats * 1000, unit: 'msats', per: '1k_tokens' } } };
    const tags = [['d', 'openagents-provider'], ...(online ? [['k', String(Kind.TextGenerationRequest)]] : []), ['pricing', String(s.minPriceSats * 1000), 'msats']];
    // NostrOutbox dates each version after the last, so going offline is never lost to a tie.
    this.publish(Kind.HandlerAnnouncement, tags, JSON.stringify(content));
  }

  private publish(kind: number, tags: string[][], content: string): void {
    this.db.transaction(() => this.nostr.outbox.enqueue(null, 'operator', { kind, created_at: Math.floor(Date.now() / 1000), tags, content }))();
    this.nostr.outbox.kick();
  }

  private feedback(job: { id: string; customer: string }, status: string, extra = '', more: string[][] = []): void {
    this.publish(Kind.JobFeedback, [['status', status, extra], ['e', job.id], ['p', job.customer], ...more], '');
  }

  private async onRequest(e: Event): Promise<void> {
    if (this.db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(e.id)) return; // seen on another relay
    const target = e.tags.find((t) => t[0] === 'p')?.[1];
    if (target && target !== this.operatorPubkey()) return; // addressed to another provider
    if (e.tags.some((t) => t[0] === 'encrypted')) return; // encrypted requests are not supported yet: ignore rather than guess
    const s = this.settings();
    const input = e.tags.find((t) => t[0] === 'i' && (t[2] === 'text' || t[2] === 'prompt'));
    const param = (name: string): string | undefined => e.tags.find((t) => t[0] === 'param' && t[1] === name)?.[2];
    const requested = Number(param('max_tokens') ?? s.maxTokens);
    const maxTokens = Number.isInteger(requested) && requested > 0 ? Math.min(requested, s.maxTokens) : s.maxTokens;
    const bidTag = e.tags.find((t) => t[0] === 'bid')?.[1];
    const bid = bidTag !== undefined && /^\d+$/.test(bidTag) ? Number(bidTag) : null;
    const price = jobPriceSats(s, maxTokens);
    const job = { id: e.id, customer: e.pubkey };
    const refuse = (reason: string): void => {
      this.db.prepare("INSERT INTO jobs (id, kind, customer, status, prompt, model, max_tokens, bid_msats, price_sats, error, created_at, finished_at) VALUES (?, ?, ?, 'refused', ?, ?, ?, ?, ?, ?, ?, ?)")
        .run(e.id, e.kind, e.pubkey, input?.[1] ?? '', s.model, maxTokens, bid, price, reason, Date.now(), Date.now());
      this.feedback(job, 'error', reason);
    };
    const expiration = Number(e.tags.find((t) => t[0] === 'expiration')?.[1] ?? NaN);
    if (!input || !input[1]) return refuse('no text input (an "i" tag of type text)');
    if (input[1].length > MAX_PROMPT_CHARS) return refuse(`prompt longer than ${MAX_PROMPT_CHARS} characters`);
    if (Number.isFinite(expiration) && expiration * 1000 < Date.now()) return refuse('request expired');
    if (bid !== null && bid < price * 1000) return refuse(`bid ${bid} msats is below the price of ${price * 1000} msats`);
    try {
      const hw = this.wallets.operator();
      const inv = await hw.wallet.createInvoice({ amountSats: price, memo: `NIP-90 job ${e.id.slice(0, 12)}`, expirySeconds: s.paymentTimeoutSeconds });
      this.db.transaction(() => {
        this.payments.recordInvoice(hw.id, null, inv);
        this.db.prepare("INSERT INTO jobs (id, kind, customer, status, prompt, request, model, max_tokens, bid_msats, price_sats, invoice, payment_hash, created_at) VALUES (?, ?, ?, 'payment_required', ?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .run(e.id, e.kind, e.pubkey, input[1], JSON.stringify(e), s.model, maxTokens, bid, price, inv.bolt11, inv.paymentHash, Date.now());
      })();
      this.feedback(job, 'payment-required', '', [['amount', String(price * 1000), inv.bolt11]]);
      this.timers.set(e.id, setTimeout(() => this.expire(e.id), s.paymentTimeoutSeconds * 1000).unref());
    } catch (err) {
      refuse(`cannot take the job: ${toAppError(err).message}`);
    }
  }

  private expire(id: string): void {
    this.timers.delete(id);
    const changed = this.db.prepare("UPDATE jobs SET status = 'expired', error = 'payment not received in time', finished_at = ? WHERE id = ? AND status = 'payment_required'").run(Date.now(), id).changes;
    if (changed) {
      const job = this.db.prepare('SELECT id, customer FROM jobs WHERE id = ?').get(id) as { id: string; customer: string };
      this.feedback(job, 'error', 'payment not received in time; nothing was run');
    }
  }

  /** Runs only for the exact invoice of a job (money rule 1). */
  private async onPaid(paymentHash: string): Promise<void> {
    const claimed = this.db.prepare("UPDATE jobs SET status = 'processing', paid_at = ? WHERE payment_hash = ? AND status = 'payment_required'").run(Date.now(), paymentHash).changes;
    if (!claimed) return;
    const job = this.db.prepare('SELECT * FROM jobs WHERE payment_hash = ?').get(paymentHash) as JobRow;
    clearTimeout(this.timers.get(job.id));
    this.timers.delete(job.id);
    this.feedback(job, 'processing');
    try {
      const r = await this.engine.generate({ prompt: job.prompt, maxTokens: job.max_tokens });
      this.publish(Kind.TextGenerationResult, [
        ...(job.request ? [['request', job.request]] : []),
        ['e', job.id], ['i', job.prompt, 'text'], ['p', job.customer], ['amount', String(job.price_sats * 1000)],
      ], r.text);
      this.feedback(job, 'success');
      this.db.prepare("UPDATE jobs SET status = 'done', output_tokens = ?, finished_at = ? WHERE id = ?").run(r.tokens, Date.now(), job.id);
    } catch (err) {
      const message = toAppError(err).message;
      this.db.prepare("UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE id = ?").run(message, Date.now(), job.id);
      this.feedback(job, 'error', `generation failed after payment: ${message}; a refund is owed`);
    }
  }

  jobs(limit = 100): JobRow[] {
    return this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?').all(limit) as JobRow[];
  }

  /** Sats earned by jobs paid since `since` (local time), all of them proven by their invoice. */
  earnedSats(since = 0): number {
    return this.db.prepare("SELECT COALESCE(SUM(price_sats), 0) FROM jobs WHERE paid_at IS NOT NULL AND paid_at >= ?").pluck().get(since) as number;
  }
}
