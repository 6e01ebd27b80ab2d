import { HDKey } from '@scure/bip32';
import { pbkdf2Sync } from 'node:crypto';
import { generateMnemonic, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { getPublicKey, nip19 } from 'nostr-tools';
import { AppError } from '../errors.js';

/** A new 12-word BIP-39 mnemonic (128 bits of entropy). */
export function newMnemonic(): string {
  return generateMnemonic(wordlist, 128);
}

/** Normalizes whitespace and case, and refuses anything that is not a valid English BIP-39 phrase. */
export function normalizeMnemonic(input: string): string {
  const words = input.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const phrase = words.join(' ');
  if (![12, 15, 18, 21, 24].includes(words.length) || !validateMnemonic(phrase, wordlist)) {
    throw new AppError('BAD_INPUT', `not a valid BIP-39 mnemonic (${words.length} words; checksum or word list mismatch)`);
  }
  return phrase;
}

/**
 * The BIP-39 seed: PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic". Node's native PBKDF2
 * gives the same bytes as the pure-JS one in a fraction of the time, which every process
 * start pays once.
 */
export function seedFromMnemonic(mnemonic: string, passphrase = ''): Uint8Array {
  return new Uint8Array(pbkdf2Sync(Buffer.from(mnemonic.normalize('NFKD'), 'utf8'), Buffer.from(`mnemonic${passphrase}`.normalize('NFKD'), 'utf8'), 2048, 64, 'sha512'));
}

/** NIP-06 path for a Nostr account: the operator is account 0, agent n is account n+1. */
export function nostrPath(account: number): string {
  return `m/44'/1237'/${account}'/0/0`;
}

export function agentAccount(agentIndex: number): number {
  return agentIndex + 1;
}

/**
 * Devnet wallet node key for a wallet account: a separate branch of the same seed, so a
 * wallet key never equals a Nostr key. Account 0 is the operator wallet, n+1 agent n.
 */
export function devnetWalletPath(account: number): string {
  return `m/86'/1'/${account}'/0/0`;
}

export function deriveSecretKey(seed: Uint8Array, pathStr: string): Uint8Array {
  const key = HDKey.fromMasterSeed(seed).derive(pathStr).privateKey;
  if (!key) throw new Error(`no private key at ${pathStr}`);
  return key;
}

export function publicKeyHex(secretKey: Uint8Array): string {
  return getPublicKey(secretKey);
}

export function npub(pubkeyHex: string): string {
  return nip19.npubEncode(pubkeyHex);
}

/** Accepts a hex pubkey or an npub and returns hex, or null when it is neither. */
export function parsePubkey(input: string): string | null {
  if (/^[0-9a-f]{64}$/i.test(input)) return input.toLowerCase();
  if (input.startsWith('npub1')) {
    try {
      const decoded = nip19.decode(input);
      if (decoded.type === 'npub') return decoded.data;
    } catch {
      return null;
    }
  }
  return null;
}
