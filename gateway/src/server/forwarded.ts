/**
 * Forwarding headers from trusted proxies: which proxies are trusted (addresses or CIDR ranges), how
 * `X-Forwarded-For` and RFC 7239 `Forwarded` are read, and which hop is the client.
 *
 * Proxies append the address they received the request from, so only the right end of the list is
 * written by proxies we know; everything to the left of the first untrusted hop was written by the
 * client itself. The client is therefore found right to left: skip trusted proxies, take the first
 * address that is not one. Taking the first entry instead would let any client choose its address.
 */
import { BlockList, isIP } from 'node:net';

/** A hop of a forwarding header: an IP address, or undefined for `unknown`, an obfuscated name or garbage. */
export type Hop = string | undefined;

/**
 * An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, any case) as its IPv4 address; anything else
 * unchanged. The one unwrapping of mapped addresses (socket peers, forwarding hops, proxy lists,
 * the failed-auth limiter's keys).
 */
export function unmapIPv4(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Why a trustedProxies entry is not usable, or undefined when it is an address or a CIDR range. */
export function trustedProxyProblem(entry: string): string | undefined {
  const [address, prefix, ...rest] = entry.trim().split('/');
  const family = isIP(address);
  const maxPrefix = family === 4 ? 32 : 128;
  const prefixOk = prefix === undefined || (/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
  if (family !== 0 && prefixOk && rest.length === 0) return undefined;
  return `trustedProxies entry "${entry}" is not an IP address or CIDR range; use an address such as 10.0.0.2 or ::1, `
    + 'or a range such as 10.0.0.0/8 or fd00::/8 (config gateway.trustedProxies, or SWITCHBOARD_TRUSTED_PROXIES comma-separated)';
}

/** The set of proxies whose forwarding headers are believed. Built once from the configured list. */
export class TrustedProxies {
  private readonly blocks = new BlockList();
  /** Number of configured entries (0: no proxy is trusted). */
  readonly size: number;

  /** Throws an Error naming the first entry that is neither an address nor a CIDR range (see {@link trustedProxyProblem}). */
  constructor(entries: readonly string[] = []) {
    for (const entry of entries) {
      const problem = trustedProxyProblem(entry);
      if (problem) throw new Error(problem);
      const [raw, prefix] = entry.trim().split('/');
      const address = unmapIPv4(raw);
      const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      // A mapped IPv4 prefix (::ffff:10.0.0.0/104) counts as its IPv4 prefix.
      const bits = prefix === undefined ? undefined : Number(prefix) - (address !== raw ? 96 : 0);
      if (bits === undefined) this.blocks.addAddress(address, type);
      else this.blocks.addSubnet(address, Math.max(0, bits), type);
    }
    this.size = entries.length;
  }

  /** Whether `address` (IPv4-mapped IPv6 unwrapped) is a trusted proxy. */
  has(address: string): boolean {
    if (this.size === 0) return false;
    const plain = unmapIPv4(address);
    const family = isIP(plain);
    return family !== 0 && this.blocks.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** One node of a forwarding header (`1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]:443`, `2001:db8::1`) as an address. */
export function parseNode(value: string): Hop {
  let node = value.trim();
  if (node.startsWith('[')) {
    const end = node.indexOf(']');
    node = end > 0 ? node.slice(1, end) : '';
  } else if (/^[0-9.]+:[0-9]+$/.test(node)) {
    node = node.slice(0, node.indexOf(':'));
  }
  node = unmapIPv4(node);
  return isIP(node) !== 0 ? node : undefined;
}

/** The hops of an `X-Forwarded-For` header (several header lines are joined, in order). */
export function parseXForwardedFor(header: string | string[] | undefined): Hop[] {
  if (header === undefined) return [];
  return (Array.isArray(header) ? header.join(',') : header).split(',').map(parseNode);
}

/** The `for=` hops of an RFC 7239 `Forwarded` header, one per element; an element without `for` is an unknown hop. */
export function parseForwarded(header: string | string[] | undefined): Hop[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(',') : header;
  return splitOutsideQuotes(text, ',').map((element) => {
    for (const pair of splitOutsideQuotes(element, ';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      return parseNode(unquote(pair.slice(eq + 1).trim()));
    }
    return undefined;
  });
}

/**
 * The client address behind a trusted proxy: walking `hops` right to left from `socketAddress` (a
 * trusted proxy), the first hop that is not a trusted proxy. An unreadable hop stops the walk at the
 * last trusted proxy, because nothing further left can be believed. When every hop is trusted, the
 * leftmost one.
 */
export function clientFromHops(socketAddress: string, hops: readonly Hop[], proxies: TrustedProxies): string {
  let address = socketAddress;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    if (hop === undefined) return address;
    address = hop;
    if (!proxies.has(hop)) return hop;
  }
  return address;
}

/** Splits on `separator` where it is not inside a quoted string (quoted strings may escape with `\`). */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  return value.slice(1, -1).replace(/\\(.)/g, '$1');
}
