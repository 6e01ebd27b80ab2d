import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { privateKeyFromSeedWords } from 'nostr-tools/nip06';
import { openDatabase } from '../store/db.js';
import { IdentityService } from './identity.js';
import { Keystore } from './keystore.js';
import { SecretStore } from './secrets.js';
import { agentAccount, deriveSecretKey, nostrPath, publicKeyHex, seedFromMnemonic } from './keys.js';

function tempHome(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'oa-id-'));
}

function open(home: string, passphrase?: string) {
  const db = openDatabase(path.join(home, 'openagents.sqlite'));
  const keystore = Keystore.open(home, { passphrase });
  return { db, identity: new IdentityService(db, new SecretStore(db, keystore)) };
}

function allBytes(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).map((f) => readFileSync(path.join(dir, f))));
}

const KNOWN = 'leader monkey parrot ring guide accident before fence cannon height naive bean';

describe('identity', () => {
  it('derives NIP-06 keys: operator at account 0, agent n at account n+1', () => {
    const seed = seedFromMnemonic(KNOWN);
    // Vector from NIP-06.
    expect(publicKeyHex(deriveSecretKey(seed, nostrPath(0)))).toBe('17162c921dc4d2518f9a101db33695df1afb56ab82f5ff3e5da6eec3ca5cd917');
    expect(publicKeyHex(deriveSecretKey(seed, nostrPath(agentAccount(2))))).toBe(publicKeyHex(privateKeyFromSeedWords(KNOWN, undefined, 3)));
  });

  it('creates a 12-word identity, refuses a second, and restores the same keys from the phrase', () => {
    const home = tempHome();
    const { db, identity } = open(home);
    const created = identity.init({ network: 'devnet' });
    expect(created.mnemonic.split(' ')).toHaveLength(12);
    expect(() => identity.init({ network: 'devnet' })).toThrow(/already has an identity/);
    db.close();

    const other = tempHome();
    const restored = open(other).identity.init({ network: 'devnet', importMnemonic: `  ${created.mnemonic.toUpperCase()}  ` });
    expect(restored.pubkey).toBe(created.pubkey);
    expect(() => open(tempHome()).identity.init({ network: 'devnet', importMnemonic: 'not a phrase at all' })).toThrow(/not a valid BIP-39/);
  });

  it('never writes the mnemonic in plaintext; the key file is 0600', () => {
    const home = tempHome();
    const { db, identity } = open(home);
    const { mnemonic } = identity.init({ network: 'devnet' });
    db.close();
    expect(allBytes(home).includes(Buffer.from(mnemonic))).toBe(false);
    expect(allBytes(home).includes(Buffer.from(mnemonic.split(' ').slice(0, 3).join(' ')))).toBe(false);
    expect(statSync(path.join(home, 'keystore.key')).mode & 0o777).toBe(0o600);
    expect(open(home).identity.exportMnemonic()).toBe(mnemonic);
  });

  it('uses the passphrase when set and says clearly when it is missing or wrong', () => {
    const home = tempHome();
    const { db, identity } = open(home, 'correct horse');
    const { mnemonic } = identity.init({ network: 'devnet' });
    db.close();
    expect(() => Keystore.open(home, {})).toThrow(/set OPENAGENTS_PASSPHRASE/);
    expect(() => Keystore.open(home, { passphrase: 'wrong' })).toThrow(/wrong passphrase/);
    expect(open(home, 'correct horse').identity.exportMnemonic()).toBe(mnemonic);
  });
});

describe('keystore in the OS keychain', () => {
  it('keeps a new home’s key with the external store and refuses to open without it', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'oa-ext-'));
    let sealed: Uint8Array | null = null;
    const external = { load: () => sealed, save: (k: Uint8Array) => { sealed = new Uint8Array(k); } };
    const first = Keystore.open(home, { external });
    const blob = first.seal(new TextEncoder().encode('secret'));
    expect(sealed).not.toBeNull();
    expect(readdirSync(home)).not.toContain('keystore.key');
    expect(new TextDecoder().decode(Keystore.open(home, { external }).open(blob))).toBe('secret');
    expect(() => Keystore.open(home, {})).toThrow(/OS keychain/);
  });
});

describe('seed', () => {
  it('matches the BIP-39 reference implementation', async () => {
    const { mnemonicToSeedSync } = await import('@scure/bip39');
    expect(Buffer.from(seedFromMnemonic(KNOWN)).toString('hex')).toBe(Buffer.from(mnemonicToSeedSync(KNOWN)).toString('hex'));
    expect(Buffer.from(seedFromMnemonic(KNOWN, 'pass')).toString('hex')).toBe(Buffer.from(mnemonicToSeedSync(KNOWN, 'pass')).toString('hex'));
  });
});
