import http from 'node:http';
import type { Duplex } from 'node:stream';
import Database from 'better-sqlite3';
import type { Logger } from '@nostr-relay/common';
import { createOutgoingNoticeMessage, createOutgoingOkMessage, MessageType } from '@nostr-relay/common';
import { NostrRelay } from '@nostr-relay/core';
import { EventRepositorySqlite } from '@nostr-relay/event-repository-sqlite';
import { Validator } from '@nostr-relay/validator';
import WebSocket, { WebSocketServer } from 'ws';
import { AppError, toAppError } from '../../errors.js';
import { ConnectionLimitsPlugin } from './connection-limits-plugin.js';
import { DeletionRequestsPlugin } from './deletion-requests-plugin.js';
import { HARD_FRAME_MULTIPLIER, resolveRelayLimits, SUBSCRIPTION_ID_MAX_LENGTH, type RelayLimits } from './limits.js';
import { readClientMessage } from './message-intake.js';
import { EventRateBudget, RelayConnection } from './relay-connection.js';
import {
  DEFAULT_FILTER_LIMIT,
  MAX_EVENT_TAGS,
  relayInformation,
  serveRelayHttp,
  type RelayInfoOptions,
  type RelayInformationDocument,
} from './relay-information.js';
import { SubscriptionFanout } from './subscription-fanout.js';

export type { RelayLimits } from './limits.js';
export { DEFAULT_RELAY_LIMITS } from './limits.js';

export interface EmbeddedRelayOptions {
  /** SQLite file; events persist across restarts. */
  dbFile: string;
  /** Default '127.0.0.1'; the LAN option passes '0.0.0.0'. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  limits?: Partial<RelayLimits>;
  info?: RelayInfoOptions;
  log?: (line: string) => void;
}

export interface RelayStats {
  connections: number;
  /** EVENT messages received, well-formed or not. */
  eventsReceived: number;
  /** Of those, the ones refused (OK false, or a NOTICE when the frame had no readable event id). */
  eventsRejected: number;
}

/** A connection that answers no ping for this long is dropped (its slot counts toward maxConnections). */
const HEARTBEAT_MS = 30_000;
/** How long stop() lets clients take the close handshake before cutting them off. */
const CLOSE_GRACE_MS = 1_000;

interface Running {
  url: string;
  port: number;
  server: http.Server;
  sockets: WebSocketServer;
  relay: NostrRelay;
  repository: EventRepositorySqlite;
  validator: Validator;
  connections: Set<RelayConnection>;
  heartbeat: NodeJS.Timeout;
  closing: boolean;
}

/**
 * The Nostr relay of one machine: @nostr-relay/core (NIP-01 handling) over its SQLite event
 * repository, behind a `ws` WebSocket server that shares its port with NIP-11 over HTTP.
 * What the library lacks is added through its plugin hooks (per-connection limits, a fan-out
 * that honours tag filters, NIP-09 request storage) and an intake step that answers
 * malformed frames before they reach it.
 */
export class EmbeddedRelay {
  private readonly limits: RelayLimits;
  private readonly document: RelayInformationDocument;
  private readonly log: (line: string) => void;
  private running: Running | null = null;
  private starting: Promise<{ url: string; port: number }> | null = null;
  private stopping: Promise<void> | null = null;
  private eventsReceived = 0;
  private eventsRejected = 0;

  constructor(private readonly opts: EmbeddedRelayOptions) {
    this.limits = resolveRelayLimits(opts.limits);
    this.document = relayInformation(opts.info, this.limits);
    this.log = opts.log ?? (() => undefined);
  }

  /** ws://host:port; for a wildcard host the loopback address, which always reaches it. */
  get url(): string {
    if (!this.running) throw new AppError('NOT_INITIALIZED', 'the relay is not running; call start() first');
    return this.running.url;
  }

  async start(): Promise<{ url: string; port: number }> {
    if (this.stopping) await this.stopping;
    if (this.running) return { url: this.running.url, port: this.running.port };
    this.starting ??= this.open().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  /** Closes every client (1001), the listener and the database; safe to call more than once. */
  async stop(): Promise<void> {
    if (this.starting) await this.starting.catch(() => undefined);
    const run = this.running;
    if (!run) return;
    this.stopping ??= this.close(run).finally(() => {
      this.running = null;
      this.stopping = null;
    });
    return this.stopping;
  }

  stats(): RelayStats {
    return {
      connections: this.running?.connections.size ?? 0,
      eventsReceived: this.eventsReceived,
      eventsRejected: this.eventsRejected,
    };
  }

  private async open(): Promise<{ url: string; port: number }> {
    const host = this.opts.host ?? '127.0.0.1';
    const requestedPort = this.opts.port ?? 0;
    const repository = openRepository(this.opts.dbFile);
    try {
      await repository.init();
    } catch (err) {
      await repository.destroy().catch(() => undefined);
      throw new AppError('INTERNAL', `cannot prepare relay database ${this.opts.dbFile}: ${toAppError(err).message}`);
    }

    const connections = new Set<RelayConnection>();
    const fanout = new SubscriptionFanout(() => connections);
    const relay = new NostrRelay(repository, {
      logger: this.libraryLogger(),
      maxSubscriptionsPerClient: this.limits.maxSubscriptionsPerConnection,
      // Both caches trade correctness for speed a single-machine relay does not need: the
      // filter cache serves results up to 1 s stale (a replaced or deleted event reappears),
      // and the event cache remembers a verdict per id for 10 min, so a forged copy of an
      // event (right id, bad signature) sent first would get the genuine one refused.
      filterResultCacheTtl: 0,
      eventHandlingResultCacheTtl: 0,
    });
    relay.register(new ConnectionLimitsPlugin(this.limits));
    relay.register(new DeletionRequestsPlugin(relay, repository, (event) => fanout.deliver(event)));
    relay.register(fanout);

    const validator = new Validator({
      maxContentLength: this.limits.maxMessageBytes,
      // NIP-90 carries prompts in `i` tags and whole requests in a result's `request` tag: a
      // tag value is bounded by the message size, not by the library's 1 KiB default.
      maxTagValueLength: this.limits.maxMessageBytes,
      maxSubscriptionIdLength: SUBSCRIPTION_ID_MAX_LENGTH,
      maxNumberOfTags: MAX_EVENT_TAGS,
    });
    const server = http.createServer((req, res) => serveRelayHttp(req, res, this.document));
    const sockets = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxMessageBytes * HARD_FRAME_MULTIPLIER });

    try {
      await listen(server, requestedPort, host);
    } catch (err) {
      await relay.destroy();
      await repository.destroy().catch(() => undefined);
      throw listenError(err, host, requestedPort);
    }

    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : requestedPort;
    const run: Running = {
      url: `ws://${connectableHost(host)}:${port}`,
      port,
      server,
      sockets,
      relay,
      repository,
      validator,
      connections,
      heartbeat: setInterval(() => this.beat(run), HEARTBEAT_MS).unref(),
      closing: false,
    };
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.admit(run, req, socket, head));
    this.running = run;
    this.log(`relay: listening on ${host}:${port} (database ${this.opts.dbFile})`);
    return { url: run.url, port };
  }

  private admit(run: Running, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    if (run.closing || run.connections.size >= this.limits.maxConnections) {
      const body = run.closing ? 'relay is shutting down\n' : `relay is at its limit of ${this.limits.maxConnections} connections\n`;
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    run.sockets.handleUpgrade(req, socket, head, (ws) => this.accept(run, ws, req));
  }

  private accept(run: Running, ws: WebSocket, req: http.IncomingMessage): void {
    // Upgrades admitted together can overshoot the count checked at admission.
    if (run.closing || run.connections.size >= this.limits.maxConnections) {
      ws.close(1013, 'relay is at its connection limit; try again later');
      return;
    }
    const remote = req.socket.remoteAddress ?? 'unknown';
    const connection = new RelayConnection(ws, remote, new EventRateBudget(this.limits.maxEventsPerSecondPerConnection), (err) =>
      this.log(`relay: message from ${remote} failed: ${toAppError(err).message}`),
    );
    run.connections.add(connection);
    run.relay.handleConnection(connection, remote);
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const frame = toBuffer(data);
      connection.enqueue(() => this.handleFrame(run, connection, frame, isBinary));
    });
    ws.on('pong', () => {
      connection.alive = true;
    });
    // e.g. a frame over the hard cap: ws closes the connection with 1009 after this.
    ws.on('error', (err) => this.log(`relay: connection from ${remote}: ${err.message}`));
    ws.on('close', () => {
      run.connections.delete(connection);
      run.relay.handleDisconnect(connection);
    });
  }

  private async handleFrame(run: Running, connection: RelayConnection, frame: Buffer, isBinary: boolean): Promise<void> {
    const intake = await readClientMessage(frame, isBinary, run.validator, this.limits);
    if (!intake.accepted) {
      connection.sendMessage(intake.reply);
      if (intake.eventRejected) this.countEvent(false);
      return;
    }
    const message = intake.message;
    try {
      const result = await run.relay.handleMessage(connection, message);
      if (result?.messageType === MessageType.EVENT) this.countEvent(result.success);
    } catch (err) {
      // A failure inside the library (e.g. the disk is full) must not leave the client waiting.
      this.log(`relay: ${message[0]} from ${connection.remoteAddress} failed: ${toAppError(err).message}`);
      if (message[0] === MessageType.EVENT) {
        this.countEvent(false);
        connection.sendMessage(createOutgoingOkMessage(message[1].id, false, 'error: the relay could not store the event'));
      } else {
        connection.sendMessage(createOutgoingNoticeMessage(`error: the relay could not handle this ${message[0]}`));
      }
    }
  }

  private countEvent(accepted: boolean): void {
    this.eventsReceived += 1;
    if (!accepted) this.eventsRejected += 1;
  }

  private beat(run: Running): void {
    for (const connection of run.connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }

  private async close(run: Running): Promise<void> {
    run.closing = true;
    clearInterval(run.heartbeat);
    const connections = [...run.connections];
    const closed = connections.map(
      (c) => new Promise<void>((resolve) => (c.socket.readyState === WebSocket.CLOSED ? resolve() : c.socket.once('close', () => resolve()))),
    );
    for (const c of connections) c.socket.close(1001, 'relay shutting down');
    const serverClosed = new Promise<void>((resolve) => run.server.close(() => resolve()));
    run.server.closeIdleConnections();
    await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
    for (const c of connections) c.socket.terminate();
    run.server.closeAllConnections();
    // Messages already being handled finish before the database closes under them.
    await Promise.all(connections.map((c) => c.drained()));
    await new Promise<void>((resolve) => run.sockets.close(() => resolve()));
    await serverClosed;
    await run.relay.destroy();
    await run.repository.destroy();
    this.log(`relay: stopped (${run.url})`);
  }

  private libraryLogger(): Logger {
    return {
      setLogLevel: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => this.log(`relay: ${message}`),
      error: (message: string) => this.log(`relay: ${message}`),
    };
  }
}

function openRepository(dbFile: string): EventRepositorySqlite {
  let db: Database.Database;
  try {
    db = new Database(dbFile);
  } catch (err) {
    throw new AppError('BAD_INPUT', `cannot open relay database ${dbFile}: ${toAppError(err).message}`);
  }
  db.pragma('journal_mode = WAL');
  // In WAL mode NORMAL still survives a crash of the process; only a power loss can drop the
  // last commits, and it spares an fsync per stored event.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return new EventRepositorySqlite(db, { defaultLimit: DEFAULT_FILTER_LIMIT });
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function listenError(err: unknown, host: string, port: number): AppError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new AppError('CONFLICT', `relay port ${port} on ${host} is already in use; choose another port or stop the program using it`, { host, port });
  }
  if (code === 'EACCES') return new AppError('BAD_INPUT', `not allowed to listen on ${host}:${port}; choose a port above 1023`, { host, port });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new AppError('BAD_INPUT', `relay host ${host} is not an address of this machine`, { host, port });
  }
  return toAppError(err);
}

function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
