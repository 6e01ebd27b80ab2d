import { randomBytes, scryptSync } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { AppError } from '../errors.js';

const VERIFIER_PLAINTEXT = new TextEncoder().encode('openagents-keystore-v1');
const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;

interface KeystoreFile {
  version: 1;
  kdf: 'scrypt' | 'keyfile' | 'external';
  salt?: string;
  N?: number;
  r?: number;
  p?: number;
  /** The fixed verifier text encrypted under the key: tells a wrong passphrase from corruption. */
  verifier: string;
}

/** Where the desktop keeps the key: the OS keychain (Electron safeStorage) seals it. */
export interface ExternalKeyStore {
  load(): Uint8Array | null;
  save(key: Uint8Array): void;
}

export interface KeystoreOptions {
  /** From $OPENAGENTS_PASSPHRASE; when unset a random key file (0600) in the home is used. */
  readonly passphrase?: string | undefined;
  /** For new homes created by the desktop: keep the random key sealed by the OS keychain. */
  readonly external?: ExternalKeyStore | undefined;
}

/**
 * The at-rest key for every secret of a home. The key comes from a passphrase (scrypt) or a
 * random key file readable only by its owner; the desktop face will hold it in the OS
 * keychain instead. Secrets are sealed with XChaCha20-Poly1305 and a random nonce each.
 */
export class Keystore {
  private constructor(private readonly key: Uint8Array, readonly kdf: KeystoreFile['kdf']) {}

  static exists(home: string): boolean {
    return existsSync(path.join(home, 'keystore.json'));
  }

  static open(home: string, options: KeystoreOptions): Keystore {
    const metaPath = path.join(home, 'keystore.json');
    if (!existsSync(metaPath)) return Keystore.create(home, options);
    let meta: KeystoreFile;
    try {
      meta = JSON.parse(readFileSync(metaPath, 'utf8')) as KeystoreFile;
    } catch (err) {
      throw new AppError('KEYSTORE_CORRUPT', `cannot read ${metaPath}: ${(err as Error).message}`);
    }
    let key: Uint8Array;
    if (meta.kdf === 'scrypt') {
      if (!options.passphrase) {
        throw new AppError('KEYSTORE_LOCKED', 'this home keeps its secrets under a passphrase: set OPENAGENTS_PASSPHRASE');
      }
      key = deriveKey(options.passphrase, Buffer.from(meta.salt ?? '', 'hex'), meta);
    } else if (meta.kdf === 'external') {
      const k = options.external?.load() ?? null;
      if (!k) throw new AppError('KEYSTORE_LOCKED', 'this home keeps its key in the OS keychain of the desktop app; open it there (or talk to the running app/daemon)');
      key = k;
    } else {
      const keyPath = path.join(home, 'keystore.key');
      if (!existsSync(keyPath)) {
        throw new AppError('KEYSTORE_LOCKED', `the key file ${keyPath} is missing; secrets of this home cannot be decrypted`);
      }
      key = new Uint8Array(Buffer.from(readFileSync(keyPath, 'utf8').trim(), 'hex'));
    }
    const store = new Keystore(key, meta.kdf);
    try {
      store.open(Buffer.from(meta.verifier, 'hex'));
    } catch {
      throw new AppError(
        'KEYSTORE_LOCKED',
        meta.kdf === 'scrypt' ? 'wrong passphrase (OPENAGENTS_PASSPHRASE) for this home' : meta.kdf === 'external' ? 'the key in the OS keychain does not match this home' : 'the key file does not match this home',
      );
    }
    return store;
  }

  private static create(home: string, options: KeystoreOptions): Keystore {
    let key: Uint8Array;
    let meta: Omit<KeystoreFile, 'verifier'>;
    if (options.passphrase) {
      const salt = randomBytes(16);
      key = deriveKey(options.passphrase, salt, SCRYPT);
      meta = { version: 1, kdf: 'scrypt', salt: salt.toString('hex'), ...SCRYPT };
    } else if (options.external) {
      key = new Uint8Array(randomBytes(32));
      options.external.save(key);
      meta = { version: 1, kdf: 'external' };
    } else {
      key = new Uint8Array(randomBytes(32));
      const keyPath = path.join(home, 'keystore.key');
      writeFileSync(keyPath, Buffer.from(key).toString('hex'), { mode: 0o600, flag: 'wx' });
      chmodSync(keyPath, 0o600);
      meta = { version: 1, kdf: 'keyfile' };
    }
    const store = new Keystore(key, meta.kdf);
    const file: KeystoreFile = { ...meta, verifier: Buffer.from(store.seal(VERIFIER_PLAINTEXT)).toString('hex') };
    writeFileSync(path.join(home, 'keystore.json'), JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
    return store;
  }

  seal(plaintext: Uint8Array): Uint8Array {
    const nonce = new Uint8Array(randomBytes(24));
    const sealed = xchacha20poly1305(this.key, nonce).encrypt(plaintext);
    const out = new Uint8Array(nonce.length + sealed.length);
    out.set(nonce, 0);
    out.set(sealed, nonce.length);
    return out;
  }

  open(blob: Uint8Array): Uint8Array {
    if (blob.length < 24 + 16) throw new AppError('KEYSTORE_CORRUPT', 'sealed secret is truncated');
    return xchacha20poly1305(this.key, blob.subarray(0, 24)).decrypt(blob.subarray(24));
  }
}

function deriveKey(passphrase: string, salt: Buffer, params: { N?: number; r?: number; p?: number }): Uint8Array {
  const N = params.N ?? SCRYPT.N;
  const r = params.r ?? SCRYPT.r;
  const p = params.p ?? SCRYPT.p;
  return new Uint8Array(scryptSync(passphrase.normalize('NFKC'), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }));
}
