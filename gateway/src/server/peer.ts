/**
 * Who is on the other end of a socket, decided from the TCP peer address first. Forwarded headers
 * count only when the peer is a configured trusted proxy (then the client is the first untrusted hop
 * read right to left, see ./forwarded.ts); a loopback peer that carries them anyway, or names a
 * non-local Host, is treated as remote.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { clientFromHops, parseForwarded, parseNode, parseXForwardedFor, TrustedProxies, unmapIPv4 } from './forwarded.js';

export interface PeerInfo {
  /** The TCP peer address (IPv4-mapped IPv6 unwrapped). */
  socketAddress: string;
  /** The client address used for limits and logs: the socket address, or the forwarded one from a trusted proxy. */
  clientAddress: string;
  /** The socket peer is a loopback address. */
  socketIsLoopback: boolean;
  /** The request carries forwarding headers (X-Forwarded-For, Forwarded, X-Real-IP, ...), trusted or not. */
  hasForwarding: boolean;
  /** A direct loopback connection: loopback peer, no forwarding headers, and a local Host header. */
  isLocalDirect: boolean;
  /** The request went through a trusted proxy. */
  viaTrustedProxy: boolean;
  origin?: string;
  host?: string;
  userAgent?: string;
}

/** A socket's peer address with IPv4-mapped IPv6 unwrapped (`unknown` when the socket has none). */
export function normalizeAddress(address: string | undefined): string {
  return address ? unmapIPv4(address) : 'unknown';
}

export function isLoopbackAddress(address: string): boolean {
  if (address === '::1') return true;
  return isIP(address) === 4 && address.startsWith('127.');
}

const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Whether a Host header names this machine's loopback (`localhost`, `127.x.y.z`, `[::1]`, `[::ffff:127.x.y.z]`, any port). */
export function isLocalHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  let name = host.toLowerCase();
  if (name.startsWith('[')) name = name.slice(0, name.indexOf(']') + 1);
  else if (name.includes(':')) name = name.slice(0, name.lastIndexOf(':'));
  if (name.startsWith('[::ffff:')) name = mappedIPv4(name.slice(8, -1));
  return LOCAL_HOSTNAMES.has(name) || (isIP(name) === 4 && name.startsWith('127.'));
}

/** The IPv4 address inside an IPv4-mapped IPv6 tail (`127.0.0.1`, or the hex form `7f00:1`). */
function mappedIPv4(tail: string): string {
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(tail);
  if (!hex) return tail;
  const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

const FORWARD_HEADERS = ['x-forwarded-for', 'x-real-ip', 'forwarded', 'x-forwarded-host', 'x-forwarded-proto'];

const NO_PROXIES = new TrustedProxies();

/** Reads the peer of an HTTP upgrade request; forwarding headers count only from `proxies`. */
export function readPeer(req: IncomingMessage, proxies: TrustedProxies = NO_PROXIES): PeerInfo {
  const socketAddress = normalizeAddress(req.socket.remoteAddress);
  const socketIsLoopback = isLoopbackAddress(socketAddress);
  const hasForwarding = FORWARD_HEADERS.some((h) => req.headers[h] !== undefined);
  const viaTrustedProxy = hasForwarding && proxies.has(socketAddress);
  const clientAddress = viaTrustedProxy ? forwardedClient(req, socketAddress, proxies) : socketAddress;
  const host = req.headers.host;
  return {
    socketAddress,
    clientAddress,
    socketIsLoopback,
    hasForwarding,
    isLocalDirect: socketIsLoopback && !hasForwarding && isLocalHostHeader(host),
    viaTrustedProxy,
    origin: typeof req.headers.origin === 'string' ? req.headers.origin : undefined,
    host,
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
  };
}

/**
 * The client behind a trusted proxy. X-Forwarded-For wins over `Forwarded` because common proxies
 * (nginx, HAProxy, Caddy, Traefik, cloud load balancers) append to it and pass a client's own
 * `Forwarded` through untouched; X-Real-IP (one address, set by the proxy) is the last resort.
 */
function forwardedClient(req: IncomingMessage, socketAddress: string, proxies: TrustedProxies): string {
  const xff = req.headers['x-forwarded-for'];
  if (xff !== undefined) return clientFromHops(socketAddress, parseXForwardedFor(xff), proxies);
  const forwarded = req.headers.forwarded;
  if (forwarded !== undefined) return clientFromHops(socketAddress, parseForwarded(forwarded), proxies);
  const realIp = req.headers['x-real-ip'];
  const hop = parseNode((Array.isArray(realIp) ? realIp[0] : realIp) ?? '');
  return hop ?? socketAddress;
}
