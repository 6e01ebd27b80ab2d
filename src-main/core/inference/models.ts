import { createHash } from 'node:crypto';
import { accessSync, constants, createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Db } from '../store/db.js';
import { AppError } from '../errors.js';

export interface ModelEntry {
  name: string;
  path: string;
  source: string;
  sizeBytes: number;
  sha256: string | null;
  architecture: string;
  owned: boolean;
  addedAt: number;
}

export interface PullProgress {
  receivedBytes: number;
  totalBytes: number | null;
  resumed: boolean;
}

interface Row { name: string; path: string; source: string; size_bytes: number; sha256: string | null; architecture: string; owned: number; added_at: number }
const fromRow = (r: Row): ModelEntry => ({ name: r.name, path: r.path, source: r.source, sizeBytes: r.size_bytes, sha256: r.sha256, architecture: r.architecture, owned: r.owned === 1, addedAt: r.added_at });

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

function nameFrom(file: string): string {
  return path.basename(file).replace(/\.gguf$/i, '').replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 80) || 'model';
}

/**
 * The operator's local models. Imported files stay where they are; pulled ones land in the
 * home's models folder, downloaded to a `.part` file that a later pull resumes with an HTTP
 * Range request, and are checked against a sha256 when one is given. Every file is checked
 * by `inspect` (a GGUF header llama.cpp can load) before it is registered.
 */
export class ModelStore {
  constructor(
    private readonly db: Db,
    /** The home's models folder, used unless the operator chose another. */
    readonly defaultDir: string,
    private readonly inspect: (file: string) => Promise<{ architecture: string }>,
  ) {}

  /** Where pulled models go: the operator's chosen folder, else the home's. */
  get dir(): string {
    return (this.db.prepare("SELECT value FROM meta WHERE key = 'models_dir'").pluck().get() as string | undefined) ?? this.defaultDir;
  }

  /** Chooses the folder for pulled models (created if missing; must be writable); null = the home's. Models already pulled stay where they are. */
  setFolder(folder: string | null): string {
    if (folder === null) {
      this.db.prepare("DELETE FROM meta WHERE key = 'models_dir'").run();
      return this.defaultDir;
    }
    const abs = path.resolve(folder);
    try {
      mkdirSync(abs, { recursive: true });
      accessSync(abs, constants.W_OK);
    } catch (err) {
      throw new AppError('BAD_INPUT', `cannot use ${abs} for models: ${(err as Error).message}`);
    }
    if (!statSync(abs).isDirectory()) throw new AppError('BAD_INPUT', `${abs} is not a folder`);
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('models_dir', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(abs);
    return abs;
  }

  /** Free bytes where pulled models go (null if it cannot be told). */
  freeBytes(): number | null {
    try {
      mkdirSync(this.dir, { recursive: true });
      const s = statfsSync(this.dir);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return null;
    }
  }

  list(): ModelEntry[] {
    return (this.db.prepare('SELECT * FROM models ORDER BY added_at').all() as Row[]).map(fromRow);
  }

  get(name: string): ModelEntry | null {
    const r = this.db.prepare('SELECT * FROM models WHERE name = ?').get(name) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  require(name: string): ModelEntry {
    const m = this.get(name);
    if (!m) throw new AppError('NOT_FOUND', `no model named "${name}"; see \`openagents models list\``);
    if (!existsSync(m.path)) throw new AppError('NOT_FOUND', `the file of model "${name}" is gone: ${m.path}`);
    return m;
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let i = 2; this.get(name); i++) name = `${base}-${i}`;
    return name;
  }

  async import(file: string, opts: { name?: string | undefined } = {}): Promise<ModelEntry> {
    const abs = path.resolve(file);
    if (!existsSync(abs) || !statSync(abs).isFile()) throw new AppError('BAD_INPUT', `no file at ${abs}`);
    const { architecture } = await this.inspect(abs);
    const name = opts.name ?? this.uniqueName(nameFrom(abs));
    if (this.get(name)) throw new AppError('CONFLICT', `a model named "${name}" already exists`);
    this.db.prepare('INSERT INTO models (name, path, source, size_bytes, sha256, architecture, owned, added_at) VALUES (?, ?, ?, ?, NULL, ?, 0, ?)')
      .run(name, abs, `file:${abs}`, statSync(abs).size, architecture, Date.now());
    return this.get(name)!;
  }

  /** Downloads (resuming a previous partial download of the same URL), verifies, registers. */
  async pull(url: string, opts: { name?: string | undefined; sha256?: string | undefined; onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {}): Promise<ModelEntry> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new AppError('BAD_INPUT', `not a URL: ${url}`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new AppError('BAD_INPUT', 'models are pulled over http(s)');
    mkdirSync(this.dir, { recursive: true });
    const base = nameFrom(decodeURIComponent(parsed.pathname.split('/').pop() ?? 'model'));
    const name = opts.name ?? this.uniqueName(base);
    if (this.get(name)) throw new AppError('CONFLICT', `a model named "${name}" already exists`);
    const final = path.join(this.dir, `${name}.gguf`);
    const part = `${final}.part`;
    const have = existsSync(part) ? statSync(part).size : 0;
    let res: Response;
    try {
      res = await fetch(parsed, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal: opts.signal });
    } catch (err) {
      throw new AppError('NETWORK_UNREACHABLE', `cannot download ${parsed.host}: ${(err as Error).message}`);
    }
    const resumed = res.status === 206 && have > 0;
    if (!res.ok) throw new AppError('NETWORK_UNREACHABLE', `download failed: HTTP ${res.status} from ${parsed.host}`);
    if (!res.body) throw new AppError('NETWORK_UNREACHABLE', 'the server sent no body');
    const length = Number(res.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(length) ? length + (resumed ? have : 0) : null;
    const free = this.freeBytes();
    if (Number.isFinite(length) && free !== null && length > free) {
      await res.body.cancel();
      throw new AppError('BAD_INPUT', `not enough disk space in ${this.dir}: the model needs ${length} more bytes, ${free} are free (choose another folder: \`openagents models folder PATH\`)`);
    }
    let received = resumed ? have : 0;
    const out = createWriteStream(part, { flags: resumed ? 'a' : 'w' });
    const body = Readable.fromWeb(res.body as never);
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      opts.onProgress?.({ receivedBytes: received, totalBytes: total, resumed });
    });
    try {
      await pipeline(body, out);
    } catch (err) {
      // The partial file stays for the next pull to resume.
      throw new AppError('NETWORK_UNREACHABLE', `download interrupted at ${received} bytes (run the pull again to resume): ${(err as Error).message}`);
    }
    if (total !== null && received !== total) {
      throw new AppError('NETWORK_UNREACHABLE', `download ended early at ${received} of ${total} bytes (run the pull again to resume)`);
    }
    const digest = await sha256File(part);
    if (opts.sha256 && digest !== opts.sha256.toLowerCase()) {
      rmSync(part, { force: true });
      throw new AppError('BAD_INPUT', `checksum mismatch: expected ${opts.sha256}, got ${digest}; the download was discarded`);
    }
    let architecture: string;
    try {
      ({ architecture } = await this.inspect(part));
    } catch (err) {
      rmSync(part, { force: true });
      throw err;
    }
    renameSync(part, final);
    this.db.prepare('INSERT INTO models (name, path, source, size_bytes, sha256, architecture, owned, added_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)')
      .run(name, final, parsed.toString(), statSync(final).size, digest, architecture, Date.now());
    return this.get(name)!;
  }

  /** Unregisters; deletes the file only if it was pulled into the models folder. */
  remove(name: string): ModelEntry {
    const m = this.get(name);
    if (!m) throw new AppError('NOT_FOUND', `no model named "${name}"`);
    this.db.prepare('DELETE FROM models WHERE name = ?').run(name);
    if (m.owned) rmSync(m.path, { force: true });
    return m;
  }
}
