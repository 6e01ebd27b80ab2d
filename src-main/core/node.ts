import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openDatabase, type Db } from './store/db.js';
import { AppError } from './errors.js';
import { EventBus } from './events.js';
import type { Network } from './config.js';
import { Keystore, type ExternalKeyStore } from './identity/keystore.js';
import { SecretStore } from './identity/secrets.js';
import { IdentityService } from './identity/identity.js';
import type { BackendFactory } from './compute/router.js';
import { BackendRouter, CostTracker } from './compute/router.js';
import { OpenAiCompatibleBackend } from './compute/openai-backend.js';
import { PaymentBook } from './wallet/payments.js';
import { WalletRegistry } from './wallet/registry.js';
import { DevnetNetwork } from './wallet/devnet/devnet-network.js';
import { AgentStore } from './runtime/agents.js';
import { BudgetMeter } from './runtime/budget.js';
import { MoneyGate } from './runtime/money-gate.js';
import { ReceiptLog } from './runtime/receipts.js';
import { TriggerQueue } from './runtime/triggers.js';
import { Outbox } from './runtime/outbox.js';
import { ApprovalQueue } from './runtime/approvals.js';
import { LifecycleManager } from './runtime/lifecycle-manager.js';
import { HOME_LEASE, Leases } from './runtime/leases.js';
import { TickEngine } from './runtime/tick-engine.js';
import { Runtime, type RecoveryReport } from './runtime/runtime.js';
import { IncomingWatcher } from './wallet/incoming-watcher.js';
import { publicKeyHex } from './identity/keys.js';
import { NostrService } from './nostr/service.js';
import { EngineClient } from './inference/engine-client.js';
import { ModelStore } from './inference/models.js';
import { LocalBackend } from './inference/local-backend.js';
import { LocalOpenAiServer } from './inference/openai-server.js';
import { headlessSignals, type MachineSignals } from './provider/governor.js';
import { ProviderService } from './provider/provider.js';
import { chmodSync, writeFileSync } from 'node:fs';
import type { Agent } from './runtime/agents.js';

export type NodeMode = 'daemon' | 'direct' | 'electron';

export interface NodeOptions {
  home: string;
  devnetDir: string;
  passphrase?: string | undefined;
  /** The desktop's OS-keychain key store for new homes (see Keystore). */
  externalKey?: ExternalKeyStore | undefined;
  mode: NodeMode;
  log?: (line: string) => void;
  /** Replaces how model backends are built (tests use it to count calls; the default speaks HTTP). */
  backendFactory?: BackendFactory;
  concurrency?: number;
  /** How often incoming invoices are checked for settlement. */
  incomingPollMs?: number;
  /** Speak Nostr (relay pool, embedded relay on devnet). Default: daemon and electron yes, direct no. */
  nostr?: boolean;
  relayPort?: number | undefined;
  relayLan?: boolean | undefined;
  /** What the provider's governor reads about the machine (the desktop supplies idle time and power). */
  machineSignals?: MachineSignals;
  /** How often the provider's governor re-checks its state and limits. */
  governorMs?: number;
}

/**
 * The composition root: given a home directory it builds every service once and wires
 * them together. The Electron face, the daemon, the CLI's direct mode and the tests all
 * start the core through this class.
 */
export class OpenAgentsNode {
  readonly db: Db;
  readonly events = new EventBus();
  readonly keystore: Keystore;
  readonly secrets: SecretStore;
  readonly identity: IdentityService;
  readonly agents: AgentStore;
  readonly meter: BudgetMeter;
  readonly gate: MoneyGate;
  readonly router: BackendRouter;
  readonly costs: CostTracker;
  readonly payments: PaymentBook;
  readonly wallets: WalletRegistry;
  readonly devnet: DevnetNetwork;
  readonly receipts: ReceiptLog;
  readonly triggers: TriggerQueue;
  readonly outbox: Outbox;
  readonly approvals: ApprovalQueue;
  readonly lifecycle: LifecycleManager;
  readonly leases: Leases;
  readonly engine: TickEngine;
  readonly runtime: Runtime;
  readonly incoming: IncomingWatcher;
  readonly nostr: NostrService;
  /** node-llama-cpp is loaded only when a model is inspected or run. */
  /** The local inference engine, in its own process (a native crash cannot take this one down). */
  readonly inference: EngineClient;
  readonly models: ModelStore;
  private localApi: LocalOpenAiServer | null = null;
  readonly provider: ProviderService;
  readonly startedAt = Date.now();
  private readonly signers = new Map<string, { pubkey: string; secretKey: Uint8Array }>();
  private started = false;

  constructor(readonly options: NodeOptions) {
    const log = options.log ?? (() => undefined);
    this.inference = new EngineClient({ log });
    mkdirSync(options.home, { recursive: true, mode: 0o700 });
    this.db = openDatabase(path.join(options.home, 'openagents.sqlite'));
    this.models = new ModelStore(this.db, path.join(options.home, 'models'), (file) => this.inference.inspect(file));
    this.keystore = Keystore.open(options.home, { passphrase: options.passphrase, external: options.externalKey });
    this.secrets = new SecretStore(this.db, this.keystore);
    this.identity = new IdentityService(this.db, this.secrets);
    this.agents = new AgentStore(this.db);
    this.meter = new BudgetMeter(this.db);
    this.gate = new MoneyGate(this.meter);
    this.costs = new CostTracker(this.db);
    this.router = new BackendRouter(this.db, this.secrets, options.backendFactory ?? ((c, apiKey) => (c.kind === 'local'
      ? new LocalBackend(c.name, c.model, this.inference, this.models)
      : new OpenAiCompatibleBackend({ name: c.name, url: c.url, model: c.model, apiKey }))));
    this.payments = new PaymentBook(this.db);
    this.devnet = new DevnetNetwork(options.devnetDir);
    this.wallets = new WalletRegistry(this.db, this.identity, () => this.network(), (account, key, label) => {
      if (this.network() !== 'devnet') {
        throw new AppError('NETWORK_UNREACHABLE', `the ${this.network()} wallet (Spark) is not available in this build; this home can only use devnet`);
      }
      return this.devnet.openWallet(key, label);
    });
    this.receipts = new ReceiptLog(this.db, (agentId) => this.signer(agentId));
    this.triggers = new TriggerQueue(this.db);
    const agentKey = (agent: Agent): Uint8Array => this.signer(agent.id).secretKey;
    this.nostr = new NostrService(this.db, this.agents, this.triggers, {
      agentSecretKey: agentKey,
      operatorSecretKey: () => this.signer(null).secretKey,
      // Stored with the identity: no key derivation needed just to name the operator.
      operatorPubkey: () => this.identity.requireInitialized().pubkey,
    }, () => this.network(), (agent) => {
      const route = agent.backend ? this.router.get(agent.backend) : this.router.list().find((b) => b.isDefault);
      return route?.model ?? 'unknown';
    }, { home: options.home, embeddedRelay: true, relayPort: options.relayPort, relayLan: options.relayLan, log });
    this.outbox = new Outbox({
      db: this.db, agents: this.agents, wallets: this.wallets, payments: this.payments, gate: this.gate,
      decodeInvoice: (b) => this.devnet.decodeInvoice(b), receipts: this.receipts, triggers: this.triggers, events: this.events,
      messenger: () => (this.nostr.active ? { send: (from, to, content) => this.nostr.messenger.send(from, to, content), flush: () => this.nostr.outbox.kick() } : null),
    });
    this.approvals = new ApprovalQueue(this.db, this.outbox, this.receipts, this.triggers, this.events);
    this.approvals.onDecision = (agentId, approvalId, decision, reason) => {
      const agent = this.agents.get(agentId);
      if (agent) this.nostr.mirror.approvalDecided(agent, { id: approvalId, decision, reason });
    };
    this.lifecycle = new LifecycleManager(this.agents, this.wallets, this.meter, this.events);
    this.leases = new Leases(this.db, `${options.mode}:${process.pid}`);
    this.engine = new TickEngine({
      db: this.db, agents: this.agents, triggers: this.triggers, approvals: this.approvals, outbox: this.outbox, gate: this.gate,
      meter: this.meter, router: this.router, costs: this.costs, wallets: this.wallets, payments: this.payments, receipts: this.receipts,
      lifecycle: this.lifecycle, leases: this.leases, events: this.events, decodeInvoice: (b) => this.devnet.decodeInvoice(b),
      perAgentLease: options.mode === 'direct',
      mirror: { agent: this.nostr.mirror, flush: () => this.nostr.outbox.kick() },
      channels: this.nostr.channels,
    });
    this.runtime = new Runtime(this.db, this.engine, this.agents, this.triggers, this.approvals, this.outbox, {
      concurrency: options.concurrency ?? 4,
      maxSleepMs: 30_000,
      log,
    }, this.leases.owner);
    this.provider = new ProviderService(this.db, this.nostr, this.inference, this.models, this.wallets, this.payments, this.events,
      { pubkey: () => this.identity.requireInitialized().pubkey, secretKey: () => this.signer(null).secretKey },
      options.machineSignals ?? headlessSignals(), log, { governorMs: options.governorMs });
    this.inference.onCrash = (reason) => this.provider.engineStopped(reason);
    this.incoming = new IncomingWatcher(this.db, this.wallets, this.payments, this.events, {
      // Open invoices are few, so checking them often is cheap; a provider waits on it.
      pollMs: options.incomingPollMs ?? 100,
      changes: (onChange) => this.devnet.watchChanges(onChange),
      onAgentPayment: (agentId, paymentHash, amountSats) => {
        this.triggers.enqueue(agentId, 'payment', `payment:${paymentHash}`, { amount_sats: amountSats });
        this.triggers.notify(agentId);
        void this.lifecycle.reevaluate(agentId).catch((err: unknown) => log(`lifecycle check failed: ${String(err)}`));
      },
      log,
    });
  }

  network(): Network {
    return this.identity.requireInitialized().network;
  }

  /** The key that signs an agent's receipts (the operator key for operator-only receipts). */
  signer(agentId: string | null): { pubkey: string; secretKey: Uint8Array } {
    const cacheKey = agentId ?? '';
    let s = this.signers.get(cacheKey);
    if (!s) {
      let secretKey: Uint8Array;
      if (agentId === null) secretKey = this.identity.operatorSecretKey();
      else {
        const agent = this.agents.get(agentId);
        if (!agent) throw new AppError('NOT_FOUND', `agent ${agentId} is gone`);
        secretKey = this.identity.agentSecretKey(agent.keyIndex);
      }
      s = { pubkey: publicKeyHex(secretKey), secretKey };
      this.signers.set(cacheKey, s);
    }
    return s;
  }

  /** The pubkey a receipt of this agent must carry. */
  expectedSigner(agentId: string | null): string | null {
    if (agentId === null) return this.identity.status().pubkey;
    return this.agents.get(agentId)?.pubkey ?? null;
  }

  /**
   * Starts the runtime: takes the home lease (daemon, electron), recovers ticks interrupted
   * by a crash, finishes pending effects, then runs the scheduler and the payment watcher.
   */
  async start(): Promise<RecoveryReport> {
    if (this.started) throw new Error('node already started');
    this.db.transaction(() => this.leases.acquire(HOME_LEASE, `the home ${this.options.home}`)).immediate();
    this.started = true;
    const report = this.identity.status().initialized ? await this.runtime.recover() : { rolledBack: [], resumed: [], effectsCompleted: 0 };
    this.runtime.start();
    // The provider watches payments before the watcher reports any (an invoice paid while down).
    if (this.nostrWanted() && this.identity.status().initialized) this.provider.start();
    this.incoming.start();
    await this.startNostr();
    if (this.options.mode !== 'direct' && this.localApiSettings().enabled) await this.startLocalApi();
    // Selling resumes at start only if the operator asked for it and left the provider online.
    if (this.nostr.active) await this.provider.resume();
    return report;
  }

  private nostrWanted(): boolean {
    return this.options.nostr ?? this.options.mode !== 'direct';
  }

  /** Where clients read the local API key (0600, like the daemon token). */
  get localApiKeyFile(): string {
    return path.join(this.options.home, 'local-api.key');
  }

  localApiSettings(): { enabled: boolean; port: number } {
    const raw = this.db.prepare("SELECT value FROM meta WHERE key = 'local_api'").pluck().get() as string | undefined;
    return { enabled: false, port: 0, ...(raw ? (JSON.parse(raw) as { enabled: boolean; port: number }) : {}) };
  }

  localApiStatus(): { enabled: boolean; running: boolean; baseUrl: string | null; port: number; keyFile: string } {
    const s = this.localApiSettings();
    return { ...s, running: this.localApi !== null, baseUrl: this.localApi?.baseUrl ?? null, keyFile: this.localApiKeyFile };
  }

  /** Turns the local OpenAI-compatible server on (it runs while the daemon/desktop runs). */
  async setLocalApi(enabled: boolean, port?: number): Promise<void> {
    const current = this.localApiSettings();
    const next = { enabled, port: port ?? current.port };
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('local_api', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(JSON.stringify(next));
    if (!enabled) {
      await this.localApi?.stop();
      this.localApi = null;
      return;
    }
    if (this.started && this.options.mode !== 'direct') await this.startLocalApi();
  }

  private async startLocalApi(): Promise<void> {
    if (this.localApi) return;
    let key = this.secrets.get('local_api.key');
    if (!key) {
      key = LocalOpenAiServer.newKey();
      this.secrets.put('local_api.key', key);
    }
    writeFileSync(this.localApiKeyFile, key + '\n', { mode: 0o600 });
    chmodSync(this.localApiKeyFile, 0o600);
    const server = new LocalOpenAiServer(this.inference, this.models, key);
    const settings = this.localApiSettings();
    await server.start(settings.port);
    if (settings.port === 0) {
      const port = Number(new URL(server.baseUrl!).port);
      this.db.prepare("UPDATE meta SET value = ? WHERE key = 'local_api'").run(JSON.stringify({ enabled: true, port }));
    }
    this.localApi = server;
  }

  /** Starts Nostr once the home has an identity (at start, or right after `init` on a running node). */
  async startNostr(): Promise<void> {
    if (!this.started || !this.nostrWanted() || this.nostr.active || !this.identity.status().initialized) return;
    await this.nostr.start();
  }

  /** Direct mode (a CLI without a daemon): recover what a crash left, but run no scheduler. */
  async recoverDirect(): Promise<RecoveryReport> {
    const holder = this.leases.otherHolder(HOME_LEASE);
    if (holder) throw new AppError('AGENT_BUSY', `a daemon (pid ${holder.pid}) runs this home; talk to it instead`);
    if (!this.identity.status().initialized) return { rolledBack: [], resumed: [], effectsCompleted: 0 };
    return this.runtime.recover();
  }

  async stop(): Promise<void> {
    this.provider.stop();
    await this.nostr.stop();
    await this.localApi?.stop();
    this.localApi = null;
    await this.inference.close();
    this.incoming.stop();
    await this.runtime.stop();
    if (this.started) this.leases.releaseAll();
    this.started = false;
    this.wallets.close();
    this.devnet.close();
    this.db.close();
  }
}
