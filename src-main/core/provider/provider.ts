import type { Event } from 'nostr-tools';
import { encrypt as nip04Encrypt } from 'nostr-tools/nip04';
import type { LiveJobView, ProviderCheck, ProviderSettingsPatch, ProviderState } from '../api/contract.js';
import type { Db } from '../store/db.js';
import { AppError, toAppError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { LocalEngine } from '../inference/engine-client.js';
import type { ModelStore } from '../inference/models.js';
import { Kind } from '../nostr/kinds.js';
import type { NostrService } from '../nostr/service.js';
import type { PaymentBook } from '../wallet/payments.js';
import type { WalletRegistry } from '../wallet/registry.js';
import { MAX_PROMPT_CHARS, readTerms, requestTags, requesterRefusal, termsRefusal } from './admission.js';
import { pauseReasons, type MachineSignals } from './governor.js';
import { Refunds } from './refunds.js';
import { ProviderSettingsStore, type ProviderSettings } from './settings.js';

export type { ProviderSettings } from './settings.js';

/** Statuses of a job that is not finished: it counts against concurrency and per-requester limits. */
const UNFINISHED = "('payment_required', 'queued', 'processing')";

export interface JobRow {
  id: string; customer: string; status: string; prompt: string; request: string | null; model: string | null; max_tokens: number; bid_msats: number | null;
  price_sats: number; invoice: string | null; payment_hash: string | null; output_tokens: number | null; error: string | null; created_at: number; paid_at: number | null;
  finished_at: number | null; encrypted: number; started_at: number | null; refund_status: 'owed' | 'paid' | 'failed' | null; refund_sats: number | null; refund_detail: string | null;
}

export interface ProviderKeys { pubkey: () => string; secretKey: () => Uint8Array }

interface LiveJob { view: LiveJobView; abort: AbortController; pending: string; pendingTokens: number }

/**
 * Sells local inference on the NIP-90 market (kind 5050): announce (NIP-89 31990) → admit a
 * request (requester rules, limits, dedupe, NIP-04 encrypted requests) → 7000
 * payment-required with a BOLT11 invoice of the operator wallet → wait for that exact
 * invoice to be settled → 7000 processing → generate on the local engine (behind the
 * operator's own agents) → 6050 result + 7000 success. A job that is not paid is never run;
 * a paid job that fails or is cancelled is refunded (or recorded as owed). Every step is
 * written to `jobs` at once.
 *
 * States: offline → connecting (preflight) → online ⇄ paused (governor limits) ⇄ degraded (a
 * relay or the model failed) → offline. Only `online` accepts new jobs.
 */
export class ProviderService {
  readonly store: ProviderSettingsStore;
  private readonly refunds: Refunds;
  private unsubscribe: (() => void) | null = null;
  private offPayment: (() => void) | null = null;
  private timers = new Map<string, NodeJS.Timeout>();
  private governor: NodeJS.Timeout | null = null;
  private flusher: NodeJS.Timeout | null = null;
  private readonly live = new Map<string, LiveJob>();
  private readonly seen = new Set<string>();
  private admitting = 0;
  private interrupted: JobRow[] = [];
  /** The wallet as the last preflight found it; the governor re-checks only the model and relays. */
  private walletCheck: ProviderCheck = { name: 'wallet', ok: false, detail: 'not checked yet' };
  private intent = false;
  private lastLoadAttempt = 0;
  state: ProviderState = 'offline';
  reasons: string[] = [];
  checks: ProviderCheck[] = [];
  lastError: string | null = null;

  constructor(
    private readonly db: Db,
    private readonly nostr: NostrService,
    private readonly engine: LocalEngine,
    private readonly models: ModelStore,
    private readonly wallets: WalletRegistry,
    private readonly payments: PaymentBook,
    private readonly events: EventBus,
    private readonly keys: ProviderKeys,
    private readonly signals: MachineSignals,
    private readonly log: (line: string) => void,
    private readonly opts: { governorMs?: number | undefined } = {},
  ) {
    this.store = new ProviderSettingsStore(db);
    this.refunds = new Refunds(db, nostr.pool, wallets, payments, events, log);
  }

  settings(): ProviderSettings {
    return this.store.get();
  }

  /** Changes settings; while selling, a new model is loaded and the announcement updated. */
  async configure(patch: ProviderSettingsPatch): Promise<ProviderSettings> {
    const before = this.store.get();
    const reload = (patch.model !== undefined && patch.model !== before.model) || (patch.threads !== undefined && patch.threads !== before.threads) || (patch.gpuLayers !== undefined && patch.gpuLayers !== before.gpuLayers);
    if (reload && this.live.size) throw new AppError('CONFLICT', `${this.live.size} job(s) are running on the engine; change the model when they finish`);
    const next = this.store.update(patch);
    this.engine.agentsFirst = next.agentsFirst;
    if (this.intent) {
      if (reload) await this.loadModel(next, true);
      this.announce(this.state === 'online');
      this.evaluate();
    }
    return next;
  }

  /** Preflight (model loads, wallet ready, a relay connected), then announce and listen. */
  async goOnline(patch: ProviderSettingsPatch = {}): Promise<void> {
    if (!this.nostr.active) throw new AppError('DAEMON_UNAVAILABLE', 'selling compute needs the relays, which run in the daemon: start `openagents daemon`');
    const s = this.store.update(patch);
    this.engine.agentsFirst = s.agentsFirst;
    this.setState('connecting', []);
    const checks = await this.preflight(s);
    this.checks = checks;
    const failed = checks.filter((c) => !c.ok);
    if (failed.length) {
      this.lastError = failed.map((c) => `${c.name}: ${c.detail}`).join('; ');
      this.setState(this.intent ? 'degraded' : 'offline', failed.map((c) => c.detail));
      throw new AppError('PREFLIGHT_FAILED', `cannot go online — ${this.lastError}`, { checks });
    }
    this.store.update({ online: true });
    this.intent = true;
    this.lastError = null;
    this.listen();
    this.setState('online', []);
    this.announce(true);
    this.evaluate();
    this.startGovernor();
  }

  private async preflight(s: ProviderSettings): Promise<ProviderCheck[]> {
    const model = await this.loadModel(s, false).then((d): ProviderCheck => ({ name: 'model', ok: true, detail: d }), (err: unknown): ProviderCheck => ({ name: 'model', ok: false, detail: toAppError(err).message }));
    const wallet = await this.checkWallet();
    const relays = await this.nostr.pool.waitConnected(10_000).then(
      (): ProviderCheck => ({ name: 'relays', ok: true, detail: `${this.nostr.pool.connectedCount()} of ${this.nostr.pool.urls().length} relays connected` }),
      (): ProviderCheck => ({ name: 'relays', ok: false, detail: `no relay connected (${this.nostr.pool.urls().join(', ') || 'none configured'})` }),
    );
    return [model, wallet, relays];
  }

  /** Asks the operator wallet for its balance; the answer is kept for the governor's checks. */
  private async checkWallet(): Promise<ProviderCheck> {
    this.walletCheck = await this.wallets.operator().wallet.balance().then(
      (b): ProviderCheck => ({ name: 'wallet', ok: true, detail: `operator wallet ready (${b} sats)` }),
      (err: unknown): ProviderCheck => ({ name: 'wallet', ok: false, detail: toAppError(err).message }),
    );
    return this.walletCheck;
  }

  /** Loads the chosen model with the operator's caps unless it is already loaded that way. */
  private async loadModel(s: ProviderSettings, force: boolean): Promise<string> {
    if (!s.model) throw new AppError('BAD_INPUT', 'choose a model: `openagents provider online --model NAME` (see `openagents models list`)');
    const entry = this.models.require(s.model);
    const loaded = this.engine.loaded();
    if (!force && loaded?.path === entry.path) return `${s.model} loaded (${loaded.note})`;
    this.lastLoadAttempt = Date.now();
    const info = await this.engine.load(entry.path, { threads: s.threads, gpuLayers: s.gpuLayers });
    return `${s.model} loaded (${info.note})`;
  }

  /** The inference process died: degrade now and reload the model at once. */
  engineStopped(reason: string): void {
    this.lastError = reason;
    this.lastLoadAttempt = 0;
    this.evaluate();
  }

  async goOffline(): Promise<void> {
    this.store.update({ online: false });
    this.intent = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    // Jobs still waiting for payment are withdrawn; one paid anyway is refunded. Paid jobs finish.
    this.withdrawUnpaid('the provider went offline');
    if (this.governor) clearInterval(this.governor);
    this.governor = null;
    if (this.nostr.active) this.announce(false);
    this.checks = [];
    this.setState('offline', []);
  }

  /**
   * At start: payments are watched from now on (an invoice paid while the provider is offline
   * still runs its job or is refunded); jobs a crash interrupted are failed and refunded;
   * selling resumes only if the operator enabled "resume selling at start" and left it online.
   */
  async resume(): Promise<void> {
    const s = this.store.get();
    await this.recover(s.online && s.resumeAtStart);
    if (!s.online || !s.resumeAtStart) return;
    try {
      await this.goOnline();
    } catch (err) {
      // The operator wanted to sell: keep trying from the governor, visibly degraded.
      this.intent = true;
      this.lastError = toAppError(err).message;
      this.listen();
      this.setState('degraded', [this.lastError]);
      this.startGovernor();
      this.log(`provider could not go back online: ${this.lastError}`);
    }
  }

  /**
   * Before the node's payment watcher starts: note the paid jobs a crash or stop interrupted
   * (they are failed and refunded once the relays are up, in resume()) and watch payments for
   * good, online or not.
   */
  start(): void {
    this.interrupted = this.db.prepare("SELECT * FROM jobs WHERE status IN ('queued', 'processing')").all() as JobRow[];
    this.watchPayments();
  }

  private watchPayments(): void {
    this.offPayment ??= this.events.on('payment.received', (p) => void this.onPaid(p.paymentHash));
  }

  /** Jobs left unfinished by a crash or a stop: paid ones failed and refunded; unpaid ones re-armed or withdrawn. */
  private async recover(resuming: boolean): Promise<void> {
    const interrupted = this.interrupted.filter((j) => !this.live.has(j.id));
    this.interrupted = [];
    if (resuming) {
      const s = this.store.get();
      for (const j of this.db.prepare("SELECT id, created_at FROM jobs WHERE status = 'payment_required'").all() as { id: string; created_at: number }[]) {
        const left = j.created_at + s.paymentTimeoutSeconds * 1000 - Date.now();
        this.timers.set(j.id, setTimeout(() => this.expire(j.id), Math.max(0, left)).unref());
      }
    } else {
      this.withdrawUnpaid('the provider is offline');
    }
    if (!interrupted.length) return;
    await this.nostr.pool.waitConnected(10_000).catch(() => undefined);
    for (const job of interrupted) {
      const reason = 'the node stopped while the job was running';
      this.db.prepare("UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'processing')").run(reason, Date.now(), job.id);
      const r = await this.refunds.refund(job, reason);
      this.feedback(job, 'error', `${reason}; ${r.status === 'paid' ? `refunded ${r.sats} sats` : 'a refund is owed'}`);
      this.jobEvent(job.id);
      this.log(`job ${job.id.slice(0, 12)} was interrupted: ${r.detail}`);
    }
  }

  private withdrawUnpaid(reason: string): void {
    const open = this.db.prepare("SELECT id, customer FROM jobs WHERE status = 'payment_required'").all() as { id: string; customer: string }[];
    for (const j of open) this.closeUnpaid(j, 'cancelled', reason, `${reason}; do not pay this job's invoice (a payment would be refunded)`);
  }

  stop(): void {
    this.unsubscribe?.();
    this.offPayment?.();
    if (this.governor) clearInterval(this.governor);
    if (this.flusher) clearInterval(this.flusher);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const j of this.live.values()) j.abort.abort(new AppError('TIMEOUT', 'the node is stopping'));
  }

  liveJobs(): LiveJobView[] {
    return [...this.live.values()].map((j) => ({ ...j.view }));
  }

  private listen(): void {
    this.unsubscribe?.();
    const since = Math.floor(Date.now() / 1000) - 60;
    const offRequests = this.nostr.pool.subscribe([{ kinds: [Kind.TextGenerationRequest], since }], (e) => void this.onRequest(e));
    // Cancellation by the requester: a NIP-09 deletion of the request.
    const offDeletions = this.nostr.pool.subscribe([{ kinds: [Kind.Deletion], since }], (e) => this.onDeletion(e));
    this.unsubscribe = () => {
      offRequests();
      offDeletions();
    };
    // Normally watched from start; a home initialised after the node started is watched from here.
    this.watchPayments();
  }

  private startGovernor(): void {
    if (this.governor) clearInterval(this.governor);
    this.governor = setInterval(() => this.evaluate(), this.opts.governorMs ?? 2000);
    this.governor.unref();
  }

  /** The governor: re-checks the model and relays and the operator's limits, and moves the state. */
  private evaluate(): void {
    if (!this.intent) return;
    const s = this.store.get();
    const failed: string[] = [];
    const relays = this.nostr.pool.connectedCount();
    const modelOk = !!s.model && this.engine.loaded()?.path === this.models.get(s.model)?.path;
    if (!relays) failed.push('no relay connected');
    if (!this.walletCheck.ok) {
      failed.push(this.walletCheck.detail);
      void this.checkWallet().then((c) => c.ok && this.evaluate());
    }
    if (!modelOk) {
      failed.push(`model ${s.model ?? '(none)'} is not loaded`);
      if (s.model && Date.now() - this.lastLoadAttempt > 30_000) {
        void this.loadModel(s, true).then(() => this.evaluate(), (err: unknown) => {
          this.lastError = toAppError(err).message;
        });
      }
    }
    this.checks = [
      { name: 'model', ok: modelOk, detail: modelOk ? `${s.model} loaded (${this.engine.loaded()?.note ?? ''})` : `model ${s.model ?? '(none)'} is not loaded${this.lastError ? `: ${this.lastError}` : ''}` },
      this.walletCheck,
      { name: 'relays', ok: relays > 0, detail: `${relays} of ${this.nostr.pool.urls().length} relays connected` },
    ];
    if (failed.length) return this.setState('degraded', failed);
    const limits = pauseReasons(s, this.signals);
    this.setState(limits.length ? 'paused' : 'online', limits);
  }

  private setState(state: ProviderState, reasons: string[]): void {
    const changed = state !== this.state || reasons.join('|') !== this.reasons.join('|');
    const wasOnline = this.state === 'online';
    this.state = state;
    this.reasons = reasons;
    if (!changed) return;
    if (this.intent && wasOnline !== (state === 'online') && (state === 'online' || state === 'paused' || wasOnline)) this.announce(state === 'online');
    this.log(`provider ${state}${reasons.length ? `: ${reasons.join('; ')}` : ''}`);
    this.events.emit('provider.state', { state, reasons, checks: this.checks });
  }

  /** NIP-89 handler announcement; without `k` tags while not taking jobs (presence). */
  private announce(available: boolean): void {
    if (!this.nostr.active) return;
    const s = this.store.get();
    const content = {
      name: 'OpenAgents provider',
      about: 'Local inference sold on the NIP-90 market',
      nip90: { kinds: [Kind.TextGenerationRequest], models: s.model ? [s.model] : [], pricing: { amount: s.pricePer1kSats * 1000, unit: 'msats', per: '1k_tokens' } },
    };
    const tags = [['d', 'openagents-provider'], ...(available ? [['k', String(Kind.TextGenerationRequest)]] : []), ['pricing', String(s.minPriceSats * 1000), 'msats']];
    // NostrOutbox dates each version after the last, so a change of presence is never lost to a tie.
    this.publish(Kind.HandlerAnnouncement, tags, JSON.stringify(content));
  }

  private publish(kind: number, tags: string[][], content: string): void {
    this.db.transaction(() => this.nostr.outbox.enqueue(null, 'operator', { kind, created_at: Math.floor(Date.now() / 1000), tags, content }))();
    this.nostr.outbox.kick();
  }

  private feedback(job: { id: string; customer: string; status?: string; price_sats?: number }, status: string, extra = '', more: string[][] = []): void {
    this.publish(Kind.JobFeedback, [['status', status, extra], ['e', job.id], ['p', job.customer], ...more], '');
  }

  private jobEvent(id: string): void {
    const j = this.db.prepare('SELECT id, status, customer, price_sats FROM jobs WHERE id = ?').get(id) as { id: string; status: string; customer: string; price_sats: number } | undefined;
    if (j) this.events.emit('provider.job', { id: j.id, status: j.status, customer: j.customer, priceSats: j.price_sats });
  }

  private remember(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > 10_000) this.seen.delete(this.seen.values().next().value as string);
    return !this.db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(id);
  }

  private async onRequest(e: Event): Promise<void> {
    if (!this.intent || !this.remember(e.id)) return; // not selling, or seen on another relay
    const me = this.keys.pubkey();
    const target = e.tags.find((t) => t[0] === 'p')?.[1];
    if (target && target !== me) return; // addressed to another provider
    const encrypted = e.tags.some((t) => t[0] === 'encrypted');
    const s = this.store.get();
    const job = { id: e.id, customer: e.pubkey };
    const refuse = (reason: string, fields: { prompt?: string; maxTokens?: number; bid?: number | null; price?: number } = {}): void => {
      this.db.prepare("INSERT OR IGNORE INTO jobs (id, kind, customer, status, prompt, model, max_tokens, bid_msats, price_sats, error, encrypted, created_at, finished_at) VALUES (?, ?, ?, 'refused', ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .run(e.id, e.kind, e.pubkey, fields.prompt ?? '', s.model, fields.maxTokens ?? 0, fields.bid ?? null, fields.price ?? 0, reason, encrypted ? 1 : 0, Date.now(), Date.now());
      this.feedback(job, 'error', reason);
      this.jobEvent(e.id);
    };
    if (this.state !== 'online') {
      // Only a request addressed to this provider deserves an answer while it is not taking jobs.
      if (target === me) refuse(`not taking jobs now: ${this.reasons.join('; ') || this.state}`);
      return;
    }
    if (encrypted && target !== me) return; // encrypted for someone else
    let tags: string[][];
    try {
      tags = requestTags(e, encrypted, this.keys.secretKey);
    } catch (err) {
      return refuse(`cannot decrypt the request: ${(err as Error).message}`);
    }
    const rule = requesterRefusal(e.pubkey, s);
    if (rule) return refuse(rule);
    const terms = readTerms(tags, s);
    const { prompt, maxTokens, bidMsats: bid, priceSats: price } = terms;
    const f = { prompt: encrypted ? '' : prompt.slice(0, MAX_PROMPT_CHARS), maxTokens, bid, price };
    const bad = termsRefusal(terms, Date.now());
    if (bad) return refuse(bad, f);
    const context = this.engine.loaded()?.contextSize;
    if (context) {
      // A prompt the model cannot hold would fail after payment: refuse it before.
      let promptTokens: number;
      try {
        promptTokens = await this.engine.countTokens(prompt);
      } catch (err) {
        return refuse(`cannot take the job: ${toAppError(err).message}`, f);
      }
      if (promptTokens + maxTokens > context) {
        return refuse(`the prompt (${promptTokens} tokens) and up to ${maxTokens} output tokens do not fit the model's context of ${context} tokens`, f);
      }
    }
    const count = (sql: string, ...args: unknown[]): number => this.db.prepare(sql).pluck().get(...args) as number;
    if (count(`SELECT COUNT(*) FROM jobs WHERE customer = ? AND status IN ${UNFINISHED}`, e.pubkey) >= s.maxInFlightPerRequester) {
      return refuse(`you already have ${s.maxInFlightPerRequester} unfinished jobs here; wait for them`, f);
    }
    if (count("SELECT COUNT(*) FROM jobs WHERE customer = ? AND status != 'refused' AND created_at > ?", e.pubkey, Date.now() - 3_600_000) >= s.maxJobsPerRequesterPerHour) {
      return refuse(`rate limit: ${s.maxJobsPerRequesterPerHour} jobs per hour per requester`, f);
    }
    if (count(`SELECT COUNT(*) FROM jobs WHERE status IN ${UNFINISHED}`) + this.admitting >= s.maxConcurrent) {
      return refuse(`busy: ${s.maxConcurrent} jobs at once is this provider's limit; try again shortly`, f);
    }
    this.admitting++;
    try {
      const hw = this.wallets.operator();
      const inv = await hw.wallet.createInvoice({ amountSats: price, memo: `NIP-90 job ${e.id.slice(0, 12)}`, expirySeconds: s.paymentTimeoutSeconds });
      this.db.transaction(() => {
        this.payments.recordInvoice(hw.id, null, inv);
        this.db.prepare("INSERT INTO jobs (id, kind, customer, status, prompt, request, model, max_tokens, bid_msats, price_sats, invoice, payment_hash, encrypted, created_at) VALUES (?, ?, ?, 'payment_required', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .run(e.id, e.kind, e.pubkey, prompt, JSON.stringify(e), s.model, maxTokens, bid, price, inv.bolt11, inv.paymentHash, encrypted ? 1 : 0, Date.now());
      })();
      this.feedback(job, 'payment-required', '', [['amount', String(price * 1000), inv.bolt11]]);
      this.timers.set(e.id, setTimeout(() => this.expire(e.id), s.paymentTimeoutSeconds * 1000).unref());
      this.jobEvent(e.id);
    } catch (err) {
      refuse(`cannot take the job: ${toAppError(err).message}`, f);
    } finally {
      this.admitting--;
    }
  }

  private expire(id: string): void {
    this.closeUnpaid({ id, customer: this.job(id)?.customer ?? '' }, 'expired', 'payment not received in time', 'payment not received in time; nothing was run');
  }

  /** Ends a job still waiting for payment (expired, cancelled, withdrawn) and tells the requester; false if it was no longer waiting. */
  private closeUnpaid(job: { id: string; customer: string }, status: 'expired' | 'cancelled', error: string, told: string): boolean {
    const changed = this.db.prepare("UPDATE jobs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status = 'payment_required'").run(status, error, Date.now(), job.id).changes;
    clearTimeout(this.timers.get(job.id));
    this.timers.delete(job.id);
    if (!changed) return false;
    this.feedback(job, 'error', told);
    this.jobEvent(job.id);
    return true;
  }

  /** Runs only for the exact invoice of a job (money rule 1). */
  private async onPaid(paymentHash: string): Promise<void> {
    const claimed = this.db.prepare("UPDATE jobs SET status = 'queued', paid_at = ? WHERE payment_hash = ? AND status = 'payment_required'").run(Date.now(), paymentHash).changes;
    if (!claimed) {
      // Paid after it expired or was cancelled: the money goes back.
      const late = this.db.prepare("SELECT * FROM jobs WHERE payment_hash = ? AND status IN ('expired', 'cancelled') AND paid_at IS NULL").get(paymentHash) as JobRow | undefined;
      if (late) {
        this.db.prepare('UPDATE jobs SET paid_at = ? WHERE id = ?').run(Date.now(), late.id);
        const r = await this.refunds.refund(late, `paid after the job was ${late.status}`);
        this.feedback(late, 'error', `payment arrived after the job was ${late.status}; ${r.status === 'paid' ? `refunded ${r.sats} sats` : 'a refund is owed'}`);
        this.jobEvent(late.id);
      }
      return;
    }
    const job = this.db.prepare('SELECT * FROM jobs WHERE payment_hash = ?').get(paymentHash) as JobRow;
    clearTimeout(this.timers.get(job.id));
    this.timers.delete(job.id);
    this.feedback(job, 'processing');
    this.jobEvent(job.id);
    await this.run(job);
  }

  private async run(job: JobRow): Promise<void> {
    const abort = new AbortController();
    const live: LiveJob = { view: { id: job.id, customer: job.customer, priceSats: job.price_sats, status: 'queued', tokens: 0, text: '', startedAt: null }, abort, pending: '', pendingTokens: 0 };
    this.live.set(job.id, live);
    this.startFlusher();
    try {
      // Paid while offline, or after a crash of the engine: load the job's model first.
      const entry = this.models.require(job.model ?? '');
      if (this.engine.loaded()?.path !== entry.path) await this.loadModel({ ...this.store.get(), model: job.model }, true);
      const r = await this.engine.generate({
        prompt: job.prompt,
        maxTokens: job.max_tokens,
        priority: 'market',
        signal: abort.signal,
        onToken: (text, chunks = 1) => {
          if (live.view.status === 'queued') {
            live.view.status = 'processing';
            live.view.startedAt = Date.now();
            this.db.prepare("UPDATE jobs SET status = 'processing', started_at = ? WHERE id = ? AND status = 'queued'").run(live.view.startedAt, job.id);
          }
          live.view.text += text;
          live.view.tokens += chunks;
          live.pending += text;
          live.pendingTokens += chunks;
        },
      });
      if (abort.signal.aborted || r.stopReason === 'abort') throw abort.signal.reason instanceof Error ? abort.signal.reason : new AppError('TIMEOUT', 'cancelled');
      const content = job.encrypted ? nip04Encrypt(this.keys.secretKey(), job.customer, r.text) : r.text;
      this.publish(Kind.TextGenerationResult, [
        ...(job.request ? [['request', job.request]] : []),
        ['e', job.id], ...(job.encrypted ? [['encrypted']] : [['i', job.prompt, 'text']]), ['p', job.customer], ['amount', String(job.price_sats * 1000)],
      ], content);
      this.feedback(job, 'success');
      this.db.prepare("UPDATE jobs SET status = 'done', output_tokens = ?, started_at = COALESCE(started_at, ?), finished_at = ? WHERE id = ?").run(r.tokens, live.view.startedAt ?? Date.now(), Date.now(), job.id);
      this.jobEvent(job.id);
    } catch (err) {
      const cancelled = abort.signal.aborted;
      const message = cancelled && abort.signal.reason instanceof AppError ? abort.signal.reason.message : toAppError(err).message;
      this.db.prepare('UPDATE jobs SET status = ?, error = ?, output_tokens = ?, finished_at = ? WHERE id = ?').run(cancelled ? 'cancelled' : 'failed', message, live.view.tokens, Date.now(), job.id);
      const r = await this.refunds.refund(job, cancelled ? message : `generation failed after payment: ${message}`);
      this.feedback(job, 'error', `${message}; ${r.status === 'paid' ? `refunded ${r.sats} sats` : 'a refund is owed'}`);
      this.jobEvent(job.id);
    } finally {
      this.flush(job.id);
      this.live.delete(job.id);
    }
  }

  /** Streams each live job's new text to the console at most every 100 ms. */
  private startFlusher(): void {
    if (this.flusher) return;
    this.flusher = setInterval(() => {
      for (const id of this.live.keys()) this.flush(id);
      if (!this.live.size && this.flusher) {
        clearInterval(this.flusher);
        this.flusher = null;
      }
    }, 100);
    this.flusher.unref();
  }

  private flush(id: string): void {
    const j = this.live.get(id);
    if (!j || !j.pending) return;
    this.events.emit('provider.tokens', { id, text: j.pending, tokens: j.pendingTokens });
    j.pending = '';
    j.pendingTokens = 0;
  }

  /** The operator (or, by a deletion, the requester) stops a job; a paid one is refunded. */
  async cancel(id: string, by: 'operator' | 'requester' = 'operator'): Promise<JobRow> {
    const job = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!job) throw new AppError('NOT_FOUND', `no job ${id}`);
    const reason = `cancelled by the ${by === 'operator' ? 'provider' : 'requester'}`;
    if (job.status === 'payment_required') {
      this.closeUnpaid(job, 'cancelled', reason, `${reason} before payment; nothing to pay`);
    } else if (job.status === 'queued' || job.status === 'processing') {
      const live = this.live.get(id);
      if (live) {
        const done = new Promise<void>((resolve) => {
          const off = this.events.on('provider.job', (j) => {
            if (j.id === id && j.status !== 'queued' && j.status !== 'processing') {
              off();
              resolve();
            }
          });
        });
        live.abort.abort(new AppError('TIMEOUT', reason));
        await done;
      }
    } else if (by === 'operator') {
      throw new AppError('CONFLICT', `job ${id.slice(0, 12)} is already ${job.status}`);
    }
    return this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow;
  }

  /** Tries again to pay a refund that is owed (or whose payment failed). */
  async retryRefund(id: string): Promise<JobRow> {
    const job = this.job(id);
    if (!job) throw new AppError('NOT_FOUND', `no job ${id}`);
    if (job.refund_status === 'paid') throw new AppError('CONFLICT', `job ${id.slice(0, 12)} was already refunded`);
    if (job.refund_status !== 'owed' && job.refund_status !== 'failed') throw new AppError('CONFLICT', `no refund is owed for job ${id.slice(0, 12)}`);
    const r = await this.refunds.refund(job, job.error ?? 'refund owed');
    this.jobEvent(id);
    if (r.status !== 'paid') throw new AppError('PAYMENT_FAILED', r.detail);
    return this.job(id)!;
  }

  private onDeletion(e: Event): void {
    for (const t of e.tags) {
      if (t[0] !== 'e' || !t[1]) continue;
      const job = this.db.prepare('SELECT customer, status FROM jobs WHERE id = ?').get(t[1]) as { customer: string; status: string } | undefined;
      // Only the requester may cancel their own request.
      if (job && job.customer === e.pubkey && ['payment_required', 'queued', 'processing'].includes(job.status)) {
        void this.cancel(t[1], 'requester').catch((err: unknown) => this.log(`cancelling job ${t[1]?.slice(0, 12)} failed: ${toAppError(err).message}`));
      }
    }
  }

  jobs(limit = 100): JobRow[] {
    return this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?').all(limit) as JobRow[];
  }

  job(id: string): JobRow | undefined {
    return this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  }

  /** Sats earned by jobs paid since `since` (local time), all of them proven by their invoice. */
  earnedSats(since = 0): number {
    return this.db.prepare('SELECT COALESCE(SUM(price_sats), 0) FROM jobs WHERE paid_at IS NOT NULL AND paid_at >= ?').pluck().get(since) as number;
  }

  jobsSince(since: number): number {
    return this.db.prepare('SELECT COUNT(*) FROM jobs WHERE paid_at IS NOT NULL AND paid_at >= ?').pluck().get(since) as number;
  }
}
