/**
 * Failed-authentication limiter, per source address — loopback included, because a browser page
 * on this machine reaches the gateway from 127.0.0.1 too ("ClawJacked"). After `maxAttempts`
 * failures within `windowMs` the address is locked out for `lockoutMs`: every connect from it is
 * refused with `AUTH_RATE_LIMITED` and `retryAfterMs`, right credentials included, so guessing
 * cannot continue. A success does not reset the count (a local attacker could otherwise reset it by
 * interleaving the owner's own successful connects); failures simply age out of the window.
 */

/** The limiter's policy (defaults in config/limits.ts: 10 failures per 60 s, then 5 minutes). */
export interface AuthRateLimitPolicy {
  /** Failures tolerated within the window; the next one starts the lockout. */
  maxAttempts: number;
  /** Sliding window for counting failures. */
  windowMs: number;
  /** How long an address stays locked out. */
  lockoutMs: number;
}

/** Addresses tracked at most; beyond it the stalest entries are dropped (every buffer has a limit). */
const MAX_TRACKED_ADDRESSES = 10_000;

interface Entry {
  /** Failure times within the window, oldest first; never longer than maxAttempts. */
  failures: number[];
  lockedUntil: number;
}

/** Counts failed authentications per address and locks out addresses that fail too often. Bounded. */
export class AuthRateLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly policy: AuthRateLimitPolicy) {}

  /** Milliseconds until `address` may try again, or 0 when it is not locked out. */
  retryAfter(address: string, now = Date.now()): number {
    const entry = this.entries.get(address);
    if (!entry || entry.lockedUntil <= now) return 0;
    return entry.lockedUntil - now;
  }

  /**
   * Records one failed attempt. Returns the lockout length when this failure started a lockout
   * (the address had already failed `maxAttempts` times within the window), else 0.
   */
  recordFailure(address: string, now = Date.now()): number {
    let entry = this.entries.get(address);
    if (!entry) {
      this.makeRoom(now);
      entry = { failures: [], lockedUntil: 0 };
      this.entries.set(address, entry);
    }
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

  /** Drops entries with nothing left to remember; if still full, drops the oldest-inserted ones. */
  private makeRoom(now: number): void {
    if (this.entries.size < MAX_TRACKED_ADDRESSES) return;
    const cutoff = now - this.policy.windowMs;
    for (const [address, entry] of this.entries) {
      if (entry.lockedUntil <= now && (entry.failures.at(-1) ?? 0) <= cutoff) this.entries.delete(address);
    }
    for (const address of this.entries.keys()) {
      if (this.entries.size < MAX_TRACKED_ADDRESSES) break;
      this.entries.delete(address);
    }
  }
}
