import path from 'node:path';
import type { Db } from '../store/db.js';
import { AppError } from '../errors.js';
import type { Network } from '../config.js';
import type { Agent, AgentStore } from '../runtime/agents.js';
import type { TriggerQueue } from '../runtime/triggers.js';
import { AgentMirror } from './agent-mirror.js';
import { Channels } from './channels.js';
import { InboundRouter } from './inbound.js';
import { NostrMessenger } from './messenger.js';
import { NostrOutbox, Publisher } from './nostr-outbox.js';
import { RelayPool, type RelayStatus } from './relay-pool.js';
import { EmbeddedRelay } from './relay/embedded-relay.js';

/** Public relays used on regtest and mainnet until the operator chooses others. */
export const DEFAULT_PUBLIC_RELAYS = ['wss://relay.damus.io', 'wss://nos.lol', 'wss://relay.primal.net'];
export const EMBEDDED = 'embedded';

export interface NostrServiceOptions {
  home: string;
  /** Run the embedded relay (daemon and desktop on devnet). */
  embeddedRelay: boolean;
  relayPort?: number | undefined;
  /** Bind the embedded relay on every interface instead of 127.0.0.1. */
  relayLan?: boolean | undefined;
  log: (line: string) => void;
}

export interface NostrKeys {
  agentSecretKey: (agent: Agent) => Uint8Array;
  operatorSecretKey: () => Uint8Array;
  operatorPubkey: () => string;
}

/**
 * Everything Nostr for one home: the embedded relay (devnet), the relay pool, the durable
 * publishing queue, the NIP-SA mirror of every agent, inbound DMs/mentions/zaps, and
 * outbound messages. The queue is written even when no relay runs (a CLI without the
 * daemon); the daemon publishes it.
 */
export class NostrService {
  readonly outbox: NostrOutbox;
  readonly pool: RelayPool;
  readonly publisher: Publisher;
  readonly mirror: AgentMirror;
  readonly messenger: NostrMessenger;
  readonly inbound: InboundRouter;
  readonly channels: Channels;
  private relay: EmbeddedRelay | null = null;
  private running = false;

  constructor(
    private readonly db: Db,
    private readonly agents: AgentStore,
    triggers: TriggerQueue,
    private readonly keys: NostrKeys,
    private readonly network: () => Network,
    modelName: (agent: Agent) => string,
    private readonly opts: NostrServiceOptions,
  ) {
    this.outbox = new NostrOutbox(db);
    this.pool = new RelayPool(opts.log);
    this.publisher = new Publisher(db, this.outbox, this.pool, (signer) => this.secretKeyFor(signer), opts.log);
    this.mirror = new AgentMirror(db, this.outbox, keys, () => this.pool.urls()[0] ?? '', modelName);
    this.messenger = new NostrMessenger(db, this.outbox, keys.agentSecretKey);
    this.inbound = new InboundRouter(db, this.pool, agents, triggers, keys, opts.log);
    this.channels = new Channels(db, this.outbox, this.pool, agents, keys.agentSecretKey, () => this.running);
  }

  private secretKeyFor(signer: string): Uint8Array {
    if (signer === 'operator') return this.keys.operatorSecretKey();
    const agent = this.agents.get(signer);
    if (!agent) throw new Error(`no agent ${signer} to sign with`);
    return this.keys.agentSecretKey(agent);
  }

  /** True while relays are in use: messages then travel over Nostr. */
  get active(): boolean {
    return this.running;
  }

  get embeddedRelayUrl(): string | null {
    return this.relay?.url ?? null;
  }

  /** The configured relay list of the current network ('embedded' stands for the local relay). */
  configuredRelays(): string[] {
    const network = this.network();
    const rows = this.db.prepare('SELECT url FROM relays WHERE network = ? ORDER BY added_at').pluck().all(network) as string[];
    if (rows.length) return rows;
    return network === 'devnet' ? [EMBEDDED] : DEFAULT_PUBLIC_RELAYS;
  }

  private resolved(): string[] {
    return this.configuredRelays().flatMap((u) => (u === EMBEDDED ? (this.relay ? [this.relay.url] : []) : [u]));
  }

  addRelay(url: string): string[] {
    if (url !== EMBEDDED && !/^wss?:\/\/[^\s]+$/.test(url)) throw new AppError('BAD_INPUT', `not a relay URL: "${url}" (ws://… or wss://…, or "embedded")`);
    const current = this.configuredRelays();
    if (current.includes(url)) throw new AppError('CONFLICT', `${url} is already in the relay list`);
    this.db.transaction(() => {
      this.materializeDefaults(current);
      this.db.prepare('INSERT INTO relays (network, url, added_at) VALUES (?, ?, ?)').run(this.network(), url, Date.now());
    })();
    if (this.running) this.pool.setRelays(this.resolved());
    return this.configuredRelays();
  }

  /** The first explicit change turns the default list into rows, so later edits apply to it. */
  private materializeDefaults(current: string[]): void {
    if (this.db.prepare('SELECT 1 FROM relays WHERE network = ?').get(this.network())) return;
    current.forEach((u, i) => this.db.prepare('INSERT INTO relays (network, url, added_at) VALUES (?, ?, ?)').run(this.network(), u, i));
  }

  removeRelay(url: string): string[] {
    const current = this.configuredRelays();
    if (!current.includes(url)) throw new AppError('NOT_FOUND', `${url} is not in the relay list`);
    if (current.length === 1) throw new AppError('CONFLICT', 'cannot remove the last relay; add another first');
    this.db.transaction(() => {
      this.materializeDefaults(current);
      this.db.prepare('DELETE FROM relays WHERE network = ? AND url = ?').run(this.network(), url);
    })();
    if (this.running) this.pool.setRelays(this.resolved());
    return this.configuredRelays();
  }

  status(): { configured: string[]; relays: RelayStatus[]; embeddedRelay: string | null; pendingEvents: number } {
    return { configured: this.configuredRelays(), relays: this.pool.status(), embeddedRelay: this.embeddedRelayUrl, pendingEvents: this.outbox.pendingCount() };
  }

  /** Starts the embedded relay (on the port this home keeps), connects the pool, publishes and listens. */
  async start(): Promise<void> {
    if (this.opts.embeddedRelay && this.network() === 'devnet') {
      const stored = this.db.prepare("SELECT value FROM meta WHERE key = 'relay_port'").pluck().get() as string | undefined;
      const port = this.opts.relayPort ?? (stored ? Number(stored) : 0);
      this.relay = new EmbeddedRelay({
        dbFile: path.join(this.opts.home, 'relay.sqlite'),
        host: this.opts.relayLan ? '0.0.0.0' : '127.0.0.1',
        port,
        info: { name: 'openagents embedded relay', description: 'The local relay of an OpenAgents home (devnet).', pubkey: this.keys.operatorPubkey() },
        log: this.opts.log,
      });
      const { port: actual } = await this.relay.start();
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('relay_port', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(actual));
    }
    this.running = true;
    this.pool.setRelays(this.resolved());
    this.publisher.start();
    this.inbound.refresh();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.publisher.stop();
    this.inbound.stop();
    this.pool.close();
    await this.relay?.stop();
    this.relay = null;
  }
}
