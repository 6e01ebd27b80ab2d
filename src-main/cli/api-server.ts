import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
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
}

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

/**
 * The daemon's API: the typed contract over WebSocket (`/api/ws`) plus the console page,
 * on 127.0.0.1 by default. Every WebSocket and API request needs the token.
 */
export class ApiServer {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly opts: ApiServerOptions) {
    this.http = http.createServer((req, res) => this.onHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/api/ws' || !tokenMatches(tokenOf(req), opts.token)) {
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

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/api/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
      return;
    }
    if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html')) {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-inline'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      }).end(consolePage());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
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
