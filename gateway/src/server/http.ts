/**
 * Plain HTTP on the gateway port: `/healthz` (the process answers), `/readyz` (the daemon is ready;
 * areas add their readiness, e.g. channels), and static routes areas register (the WebChat).
 * Nothing here ever carries a secret.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A route handler; returns false to fall through to the next one. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** Readiness of one part of the daemon. */
export interface ReadinessReport {
  ready: boolean;
  [key: string]: unknown;
}

export class HttpRoutes {
  private readonly routes: HttpRoute[] = [];
  private readonly readiness = new Map<string, () => ReadinessReport>();

  constructor(private readonly isReady: () => boolean) {}

  /** Adds a route tried after the built-in ones, in registration order. */
  add(route: HttpRoute): void {
    this.routes.push(route);
  }

  /** Adds a named readiness check reported by /readyz. */
  addReadiness(name: string, check: () => ReadinessReport): void {
    this.readiness.set(name, check);
  }

  /** The request listener for node:http. */
  readonly handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz') return sendJson(res, 200, { ok: true, ts: Date.now() });
      if (path === '/readyz') return this.ready(res);
      for (const route of this.routes) if (await route(req, res)) return;
      sendJson(res, 404, { ok: false, error: 'not found' });
    } catch {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal error' });
      else res.destroy();
    }
  };

  private ready(res: ServerResponse): void {
    const checks: Record<string, ReadinessReport> = {};
    let ready = this.isReady();
    for (const [name, check] of this.readiness) {
      try {
        checks[name] = check();
      } catch {
        checks[name] = { ready: false, error: 'check failed' };
      }
      if (!checks[name].ready) ready = false;
    }
    sendJson(res, ready ? 200 : 503, { ready, checks });
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
