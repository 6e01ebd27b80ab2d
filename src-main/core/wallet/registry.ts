import type { Db } from '../store/db.js';
import type { Network } from '../config.js';
import type { IdentityService } from '../identity/identity.js';
import { agentAccount } from '../identity/keys.js';
import type { Wallet } from './wallet.js';

export type WalletOpener = (account: number, nodeSecretKey: Uint8Array, label: string) => Wallet;

export interface HomeWallet {
  id: string;
  account: number;
  wallet: Wallet;
}

/**
 * The operator wallet (account 0) and one wallet per agent (agent n: account n+1), all
 * derived from the operator mnemonic; the wallets table records which account each uses.
 */
export class WalletRegistry {
  private readonly open = new Map<string, HomeWallet>();

  constructor(
    private readonly db: Db,
    private readonly identity: IdentityService,
    private readonly network: () => Network,
    private readonly opener: WalletOpener,
  ) {}

  static operatorId = 'operator';
  static agentWalletId(agentId: string): string {
    return `agent:${agentId}`;
  }

  operator(): HomeWallet {
    return this.get(WalletRegistry.operatorId, 'operator', null, 0);
  }

  agent(agent: { id: string; keyIndex: number; name: string }): HomeWallet {
    return this.get(WalletRegistry.agentWalletId(agent.id), `agent ${agent.name}`, agent.id, agentAccount(agent.keyIndex));
  }

  private get(id: string, label: string, agentId: string | null, account: number): HomeWallet {
    const cached = this.open.get(id);
    if (cached) return cached;
    const wallet = this.opener(account, this.identity.walletSecretKey(account), label);
    this.db
      .prepare(`INSERT INTO wallets (id, owner_kind, agent_id, network, account_number, node_pubkey, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO NOTHING`)
      .run(id, agentId ? 'agent' : 'operator', agentId, this.network(), account, wallet.nodePubkey, Date.now());
    const hw = { id, account, wallet };
    this.open.set(id, hw);
    return hw;
  }

  /** Every wallet opened so far (for incoming-payment listeners and shutdown). */
  opened(): HomeWallet[] {
    return [...this.open.values()];
  }

  /** The wallet with this id, opening it if needed (ids as in the wallets table). */
  byId(id: string): HomeWallet | null {
    if (id === WalletRegistry.operatorId) return this.operator();
    const row = this.db.prepare("SELECT a.id, a.key_index, a.name FROM wallets w JOIN agents a ON a.id = w.agent_id WHERE w.id = ?").get(id) as { id: string; key_index: number; name: string } | undefined;
    return row ? this.agent({ id: row.id, keyIndex: row.key_index, name: row.name }) : null;
  }

  close(): void {
    for (const w of this.open.values()) w.wallet.close();
    this.open.clear();
  }
}
