import type { Db } from '../store/db.js';
import { AppError } from '../errors.js';
import type { Network } from '../config.js';
import { HDKey } from '@scure/bip32';
import { agentAccount, deriveSecretKey, devnetWalletPath, newMnemonic, normalizeMnemonic, nostrPath, npub, publicKeyHex, seedFromMnemonic } from './keys.js';
import type { SecretStore } from './secrets.js';

const MNEMONIC_SECRET = 'operator.mnemonic';

export interface IdentityStatus {
  readonly initialized: boolean;
  readonly pubkey: string | null;
  readonly npub: string | null;
  readonly network: Network | null;
}

/**
 * The operator's identity: one mnemonic from which the operator key, every agent key and
 * every devnet wallet key derive. The mnemonic is decrypted once per process and kept only
 * in memory.
 */
export class IdentityService {
  private seed: Uint8Array | null = null;
  private master: HDKey | null = null;

  constructor(private readonly db: Db, private readonly secrets: SecretStore) {}

  status(): IdentityStatus {
    const row = this.db.prepare('SELECT pubkey, network FROM identity WHERE id = 1').get() as { pubkey: string; network: Network } | undefined;
    if (!row) return { initialized: false, pubkey: null, npub: null, network: null };
    return { initialized: true, pubkey: row.pubkey, npub: npub(row.pubkey), network: row.network };
  }

  requireInitialized(): { pubkey: string; network: Network } {
    const s = this.status();
    if (!s.initialized || !s.pubkey || !s.network) {
      throw new AppError('NOT_INITIALIZED', 'no identity in this home yet: run `openagents init`');
    }
    return { pubkey: s.pubkey, network: s.network };
  }

  /** Creates (or restores from `importMnemonic`) the operator identity. Returns the mnemonic for a one-time backup display. */
  init(options: { importMnemonic?: string | undefined; network: Network }): { pubkey: string; npub: string; mnemonic: string; imported: boolean } {
    if (this.status().initialized) {
      throw new AppError('ALREADY_INITIALIZED', 'this home already has an identity; use another OPENAGENTS_HOME to create a new one');
    }
    const mnemonic = options.importMnemonic !== undefined ? normalizeMnemonic(options.importMnemonic) : newMnemonic();
    const seed = seedFromMnemonic(mnemonic);
    const pubkey = publicKeyHex(deriveSecretKey(seed, nostrPath(0)));
    this.db.transaction(() => {
      this.secrets.put(MNEMONIC_SECRET, mnemonic);
      this.db.prepare('INSERT INTO identity (id, pubkey, network, created_at) VALUES (1, ?, ?, ?)').run(pubkey, options.network, Date.now());
    })();
    this.seed = seed;
    return { pubkey, npub: npub(pubkey), mnemonic, imported: options.importMnemonic !== undefined };
  }

  exportMnemonic(): string {
    this.requireInitialized();
    const m = this.secrets.get(MNEMONIC_SECRET);
    if (!m) throw new AppError('KEYSTORE_CORRUPT', 'the mnemonic is missing from the keystore');
    return m;
  }

  private getSeed(): Uint8Array {
    if (!this.seed) this.seed = seedFromMnemonic(this.exportMnemonic());
    return this.seed;
  }

  /** The BIP-32 root, derived from the seed once per process. */
  private root(): HDKey {
    if (!this.master) this.master = HDKey.fromMasterSeed(this.getSeed());
    return this.master;
  }

  private derive(pathStr: string): Uint8Array {
    const key = this.root().derive(pathStr).privateKey;
    if (!key) throw new Error(`no private key at ${pathStr}`);
    return key;
  }

  operatorSecretKey(): Uint8Array {
    return this.derive(nostrPath(0));
  }

  agentSecretKey(agentIndex: number): Uint8Array {
    return this.derive(nostrPath(agentAccount(agentIndex)));
  }

  walletSecretKey(account: number): Uint8Array {
    return this.derive(devnetWalletPath(account));
  }
}
