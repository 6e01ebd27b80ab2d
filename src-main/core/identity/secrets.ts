import type { Db } from '../store/db.js';
import type { Keystore } from './keystore.js';

/** Named secrets sealed by the keystore; the database only ever sees ciphertext. */
export class SecretStore {
  constructor(private readonly db: Db, private readonly keystore: Keystore) {}

  put(name: string, value: string): void {
    const sealed = this.keystore.seal(new TextEncoder().encode(value));
    this.db
      .prepare('INSERT INTO secrets (name, ciphertext, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET ciphertext = excluded.ciphertext')
      .run(name, Buffer.from(sealed), Date.now());
  }

  get(name: string): string | null {
    const row = this.db.prepare('SELECT ciphertext FROM secrets WHERE name = ?').get(name) as { ciphertext: Buffer } | undefined;
    if (!row) return null;
    return new TextDecoder().decode(this.keystore.open(new Uint8Array(row.ciphertext)));
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM secrets WHERE name = ?').run(name);
  }
}
