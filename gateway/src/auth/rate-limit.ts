/**
 * Failed-authentication limiter, per source address — loopback included, because a browser page
 * on this machine reaches the gateway from 127.0.0.1 too ("ClawJacked"). After `maxAttempts`
 * failures within `windowMs` the address is locked out for `lockoutMs`: every connect from it is
 * refused with `AUTH_RATE_LIMITED` and `retryAfterMs`, right credentials included, so guessing
 * cannot continue. A success does not reset the count (a local attacker could otherwise reset it by
 * interleaving the owner's own successful connects); failures simply age out of the window.
 *
 * IPv6 clients are counted per /64 (one subscriber's allocation: rotating through it must not buy
 * fresh attempts); IPv4-mapped IPv6 counts as its IPv4 address. The table is bounded, and an address
 * that is locked out is never evicted to make room: when every tracked address is locked out, new
 * addresses are treated as limited until the first lockout ends (fail closed).
 */
import { isIP } from 'node:net';
import { unmapIPv4 } from '../server/forwarded.js';

/** The limiter's policy (defaults in config/limits.ts: 10 failures per 60 s, then 5 minutes). */
export interface AuthRateLimitPolicy {
  /** Failures tolerated within the window; the next one starts the lockout. */
  maxAttempts: number;
  /** Sliding window for counting failures. */
  windowMs: number;
  /** How long an address stays locked out. */
  lockoutMs: number;
}

/** Addresses tracked at most by default (every buffer has a limit). */
export const MAX_TRACKED_ADDRESSES = 10_000;

interface Entry {
  /** Failure times within the window, oldest first; never longer than maxAttempts. */
  failures: number[];
  lockedUntil: number;
}

/**
 * The key an address is counted under: an IPv6 address by its /64 (`2001:db8:0:1::/64`), an
 * IPv4-mapped IPv6 address as its IPv4 address, anything else as it is.
 */
export function limiterKey(address: string): string {
  const plain = unmapIPv4(address.replace(/%.*$/, '').toLowerCase());
  if (isIP(plain) === 4) return plain;
  if (isIP(plain) !== 6) return address;
  const groups = expandIPv6(plain);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, an IPv4 tail converted), without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const part = (text: string | undefined): string[] => {
    if (!text) return [];
    return text.split(':').flatMap((g) => {
      if (!g.includes('.')) return [g];
      const [a, b, c, d] = g.split('.').map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  };
  const left = part(head);
  const right = part(tail);
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}

/** Counts failed authentications per address and locks out addresses that fail too often. Bounded. */
export class AuthRateLimiter {
  /** Least recently failed first (an entry moves to the end on every failure). */
  private readonly entries = new Map<string, Entry>();
  /** While the table is full of locked-out entries: when the first of those lockouts ends. */
  private saturatedUntil = 0;

  /** `maxTracked`: addresses tracked at most (default {@link MAX_TRACKED_ADDRESSES}). */
  constructor(readonly policy: AuthRateLimitPolicy, readonly maxTracked = MAX_TRACKED_ADDRESSES) {}

  /**
   * Milliseconds until `address` may try again, or 0 when it is not locked out. An address that is
   * not tracked while the table is full of locked-out addresses is limited too (it cannot be counted).
   */
  retryAfter(address: string, now = Date.now()): number {
    const entry = this.entries.get(limiterKey(address));
    if (entry) return Math.max(0, entry.lockedUntil - now);
    return this.entries.size >= this.maxTracked && now < this.saturatedUntil ? this.saturatedUntil - now : 0;
  }

  /**
   * Records one failed attempt. Returns the lockout length when this failure started a lockout
   * (the address had already failed `maxAttempts` times within the window), else 0. When the
   * failure cannot be tracked (every tracked address is locked out), returns the time until a slot
   * frees up: the caller treats the address as limited.
   */
  recordFailure(address: string, now = Date.now()): number {
    const key = limiterKey(address);
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
    } else {
      if (!this.makeRoom(now)) return this.saturatedUntil - now;
      entry = { failures: [], lockedUntil: 0 };
    }
    this.entries.set(key, entry);
    const cutoff = now - this.policy.windowMs;
    while (entry.failures.length > 0 && entry.failures[0] <= cutoff) entry.failures.shift();
    entry.failures.push(now);
    if (entry.failures.length > this.policy.maxAttempts) {
      entry.failures.length = 0;
      entry.lockedUntil = now + this.policy.lockoutMs;
      return this.policy.lockoutMs;
    }
    return 0;
  }

  /** Number of addresses currently tracked. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Makes room for one entry: drops entries with nothing left to remember, then the least recently
   * failed one that is not locked out. Never drops a lockout; returns false when all are locked out.
   */
  private makeRoom(now: number): boolean {
    if (this.entries.size < this.maxTracked) return true;
    if (now < this.saturatedUntil) return false;
    const cutoff = now - this.policy.windowMs;
    for (const [key, entry] of this.entries) {
      if (entry.lockedUntil <= now && (entry.failures.at(-1) ?? 0) <= cutoff) this.entries.delete(key);
    }
    if (this.entries.size < this.maxTracked) return true;
    let firstUnlock = Infinity;
    for (const [key, entry] of this.entries) {
      if (entry.lockedUntil <= now) {
        this.entries.delete(key);
        return true;
      }
      firstUnlock = Math.min(firstUnlock, entry.lockedUntil);
    }
    this.saturatedUntil = firstUnlock;
    return false;
  }
}
