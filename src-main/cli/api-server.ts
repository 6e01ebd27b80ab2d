import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RequestFrame } from '../core/api/contract.js';
import { dispatch, type Handlers } from '../core/api/handlers.js';
import type { EventBus } from '../core/events.js';
import { consolePage } from './console-page.js';

export interface ApiServerOptions {
  host: string;
  port: number;
  token: string;
  handlers: Handlers;
  events: EventBus;
  log: (line: string) => void;
  /** The built renderer (out/renderer); without it the daemon serves a small status page. */
  consoleDir?: string | null;
}

const SESSION_COOKIE = 'oa_session';
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon',
};

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

function tokenMatches(given: string | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function tokenOf(req: http.IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const url = new URL(req.url ?? '/', 'http://localhost');
  return url.searchParams.get('token');
}

function cookieOf(req: http.IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

/**
 * The daemon's API: the typed contract over WebSocket (`/api/ws`) plus the console page,
 * on 127.0.0.1 by default. Every WebSocket and API request needs the token.
 */
export class ApiServer {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly sessions = new Set<string>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly opts: ApiServerOptions) {
    this.http = http.createServer((req, res) => this.onHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/api/ws' || !this.authorized(req)) {
        socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
  }

  async listen(): Promise<{ port: number; apiUrl: string; consoleUrl: string }> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const { port } = this.http.address() as AddressInfo;
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    this.unsubscribe = this.opts.events.onAny((event, data) => {
      const frame = JSON.stringify({ event, data });
      for (const ws of this.sockets) if (ws.readyState === ws.OPEN) ws.send(frame);
    });
    return { port, apiUrl: `ws://${host}:${port}/api/ws`, consoleUrl: `http://${host}:${port}/` };
  }

  /** The token (header or query) or a session cookie obtained with it. */
  private authorized(req: http.IncomingMessage): boolean {
    if (tokenMatches(tokenOf(req), this.opts.token)) return true;
    const session = cookieOf(req, SESSION_COOKIE);
    return session !== null && this.sessions.has(session);
  }

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/api/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
      return;
    }
    if (url.pathname === '/api/session') {
      this.startSession(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed');
      return;
    }
    this.serveConsole(url.pathname, res);
  }

  /** POST {token}: exchanges the printed token for an HttpOnly session cookie. */
  private startSession(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('POST the token');
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk;
      if (body.length > 4096) req.destroy();
    });
    req.on('end', () => {
      let token: unknown;
      try {
        token = (JSON.parse(body) as { token?: unknown }).token;
      } catch {
        token = undefined;
      }
      if (typeof token !== 'string' || !tokenMatches(token, this.opts.token)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: { code: 'UNAUTHORIZED', message: 'wrong or missing token: open the link the daemon printed' } }));
        return;
      }
      const session = randomBytes(32).toString('hex');
      this.sessions.add(session);
      res.writeHead(200, {
        'content-type': 'application/json',
        'set-cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
      }).end(JSON.stringify({ ok: true }));
    });
  }

  private serveConsole(pathname: string, res: http.ServerResponse): void {
    const security = {
      'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    };
    const dir = this.opts.consoleDir;
    if (!dir || !existsSync(path.join(dir, 'index.html'))) {
      if (pathname === '/' || pathname === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...security, 'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:" }).end(consolePage());
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      }
      return;
    }
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
    const file = path.resolve(dir, rel);
    if (!file.startsWith(path.resolve(dir) + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const type = MIME[path.extname(file)] ?? 'application/octet-stream';
    const cache = rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, { 'content-type': type, 'cache-control': cache, ...security }).end(readFileSync(file));
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (raw) => {
      let frame: RequestFrame;
      try {
        frame = JSON.parse(String(raw)) as RequestFrame;
      } catch {
        ws.send(JSON.stringify({ id: null, result: { ok: false, error: { code: 'BAD_INPUT', message: 'frame is not JSON' } } }));
        return;
      }
      if (typeof frame !== 'object' || frame === null || typeof frame.id !== 'number' || typeof frame.proc !== 'string') {
        ws.send(JSON.stringify({ id: (frame as { id?: unknown })?.id ?? null, result: { ok: false, error: { code: 'BAD_INPUT', message: 'frame needs a numeric id and a proc name' } } }));
        return;
      }
      void dispatch(this.opts.handlers, frame.proc, frame.input).then((result) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: frame.id, result }));
      });
    });
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    for (const ws of this.sockets) ws.close(1001, 'daemon stopping');
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
  }
}
