/**
 * Who is on the other end of a socket, decided from the TCP peer address first. Forwarded headers
 * count only when the peer is a configured trusted proxy; a loopback peer that carries them anyway,
 * or names a non-local Host, is treated as remote.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export interface PeerInfo {
  /** The TCP peer address (IPv4-mapped IPv6 unwrapped). */
  socketAddress: string;
  /** The client address used for limits and logs: the socket address, or the forwarded one from a trusted proxy. */
  clientAddress: string;
  /** The socket peer is a loopback address. */
  socketIsLoopback: boolean;
  /** A direct loopback connection: loopback peer, no forwarding headers, and a local Host header. */
  isLocalDirect: boolean;
  /** The request went through a trusted proxy. */
  viaTrustedProxy: boolean;
  origin?: string;
  host?: string;
  userAgent?: string;
}

/** Strips the `::ffff:` prefix of IPv4-mapped IPv6 addresses. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
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

/** Reads the peer of an HTTP upgrade request. */
export function readPeer(req: IncomingMessage, trustedProxies: readonly string[] = []): PeerInfo {
  const socketAddress = normalizeAddress(req.socket.remoteAddress);
  const socketIsLoopback = isLoopbackAddress(socketAddress);
  const hasForwarding = FORWARD_HEADERS.some((h) => req.headers[h] !== undefined);
  const viaTrustedProxy = hasForwarding && trustedProxies.includes(socketAddress);
  let clientAddress = socketAddress;
  if (viaTrustedProxy) {
    const xff = req.headers['x-forwarded-for'];
    const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
    const realIp = req.headers['x-real-ip'];
    const candidate = normalizeAddress(first || (Array.isArray(realIp) ? realIp[0] : realIp));
    if (candidate && isIP(candidate)) clientAddress = candidate;
  }
  const host = req.headers.host;
  return {
    socketAddress,
    clientAddress,
    socketIsLoopback,
    isLocalDirect: socketIsLoopback && !hasForwarding && isLocalHostHeader(host),
    viaTrustedProxy,
    origin: typeof req.headers.origin === 'string' ? req.headers.origin : undefined,
    host,
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
  };
}
