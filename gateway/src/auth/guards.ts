/**
 * Upgrade guards: checks that run on the HTTP upgrade request, before a WebSocket exists.
 *
 * - {@link originGuard}: a browser (it sends `Origin`) may only open a socket from the gateway's
 *   own origin or an allowlisted one; anything else gets HTTP 403. Non-browser clients send no
 *   Origin and pass. On a loopback bind "its own origin" must also name this machine (localhost,
 *   a loopback literal, the host name): a page of a rebound DNS name (attacker.example resolving
 *   to 127.0.0.1) is same-origin with itself, never with the gateway.
 * - {@link PreauthBudget}: at most N sockets per source address may be waiting for their
 *   handshake; more get HTTP 429, so a flood from one address cannot starve everyone else.
 */
import type { IncomingMessage } from 'node:http';
import type { Connection } from '../server/connection.js';
import { isLocalHostHeader, type PeerInfo } from '../server/peer.js';
import type { ConnectionHooks, UpgradeGuard } from '../server/ws-server.js';

/** Normalises an origin (`scheme://host[:port]`, default port dropped), or undefined if it is not one. */
export function normalizeOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

function hostOf(req: IncomingMessage, peer: PeerInfo): string | undefined {
  // Behind a trusted proxy the browser addressed the proxy: compare against the host it forwarded.
  const forwarded = peer.viaTrustedProxy ? req.headers['x-forwarded-host'] : undefined;
  const host = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim() || peer.host;
  return host?.toLowerCase();
}

/** Whether `origin` is the origin this request was addressed to (same host and port). */
export function isSameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  const o = normalizeOrigin(origin);
  if (!o) return false;
  const scheme = o.slice(0, o.indexOf(':'));
  return normalizeOrigin(`${scheme}://${host}`) === o;
}

/** What the origin check knows about the daemon's own address. */
export interface OriginGuardOptions {
  /** The daemon listens on loopback only: browsers must address it by a name of this machine (DNS rebinding). */
  loopbackBind?: boolean;
  /** This machine's host names (`os.hostname()`), accepted besides localhost and loopback literals. */
  hostNames?: readonly string[];
}

/** The host name of a Host header value, without port or IPv6 brackets, lowercase. */
function hostName(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  return h.includes(':') ? h.slice(0, h.lastIndexOf(':')) : h;
}

/**
 * Refuses cross-origin browser upgrades (HTTP 403) unless the origin is in `allowedOrigins`; on a
 * loopback bind also same-origin ones whose host is not a name of this machine (DNS rebinding).
 */
export function originGuard(allowedOrigins: readonly string[], options: OriginGuardOptions = {}): UpgradeGuard {
  const allowed = new Set(allowedOrigins.map((o) => (o === 'null' ? 'null' : normalizeOrigin(o))).filter(Boolean));
  const names = new Set((options.hostNames ?? []).map((n) => n.toLowerCase()).filter(Boolean));
  const isThisMachine = (host: string) => isLocalHostHeader(host) || names.has(hostName(host));
  return (req, peer) => {
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    if (allowed.has(origin === 'null' ? 'null' : normalizeOrigin(origin))) return undefined;
    const host = hostOf(req, peer);
    if (isSameOrigin(origin, host)) {
      if (!options.loopbackBind || isThisMachine(host!)) return undefined;
      return {
        status: 403,
        message: `host not allowed: this gateway listens on loopback, so browsers must open it as http://localhost:<port> or http://127.0.0.1:<port>; `
          + `if ${normalizeOrigin(origin)} is really yours (a reverse proxy), add it to allowedOrigins (SWITCHBOARD_ALLOWED_ORIGINS)`,
      };
    }
    return {
      status: 403,
      message: 'origin not allowed: open the page from the gateway\'s own address, or add its origin to allowedOrigins (SWITCHBOARD_ALLOWED_ORIGINS)',
    };
  };
}

/** Caps sockets per address that have not finished their handshake. */
export class PreauthBudget {
  private readonly waiting = new Map<string, number>();
  private readonly counted = new WeakSet<Connection>();

  constructor(readonly maxPerAddress: number) {}

  /** Sockets from `address` currently waiting for their handshake. */
  count(address: string): number {
    return this.waiting.get(address) ?? 0;
  }

  readonly guard: UpgradeGuard = (_req, peer) =>
    this.count(peer.clientAddress) >= this.maxPerAddress
      ? { status: 429, message: `too many unauthenticated connections from ${peer.clientAddress}; finish or close the pending handshakes first` }
      : undefined;

  readonly hooks: ConnectionHooks = {
    accepted: (conn) => {
      this.counted.add(conn);
      this.waiting.set(conn.peer.clientAddress, this.count(conn.peer.clientAddress) + 1);
    },
    opened: (conn) => this.release(conn),
    discarded: (conn) => this.release(conn),
  };

  private release(conn: Connection): void {
    if (!this.counted.delete(conn)) return;
    const address = conn.peer.clientAddress;
    const n = this.count(address) - 1;
    if (n > 0) this.waiting.set(address, n);
    else this.waiting.delete(address);
  }
}
