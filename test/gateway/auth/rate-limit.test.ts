// The failed-auth limiter's table: IPv6 counted per /64 (IPv4-mapped as IPv4), and a bounded table
// that never forgets a lockout to make room — when it is full of lockouts, new addresses are limited.
import { describe, expect, it } from 'vitest';
import { AuthRateLimiter, limiterKey, MAX_TRACKED_ADDRESSES } from '../../../gateway/src/auth/rate-limit.js';

const policy = { maxAttempts: 2, windowMs: 60_000, lockoutMs: 300_000 };

/** Fails `address` until it is locked out (maxAttempts + 1 failures). */
function lockOut(limiter: AuthRateLimiter, address: string, now: number): void {
  for (let i = 0; i <= policy.maxAttempts; i++) limiter.recordFailure(address, now);
}

describe('limiterKey', () => {
  it('keys IPv6 by /64, IPv4-mapped IPv6 as IPv4, IPv4 as it is', () => {
    expect(limiterKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(limiterKey('2001:0DB8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(limiterKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(limiterKey('::1')).toBe('0:0:0:0::/64');
    expect(limiterKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(limiterKey('64:ff9b:1:2::1.2.3.4')).toBe('64:ff9b:1:2::/64');
    expect(limiterKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(limiterKey('198.51.100.7')).toBe('198.51.100.7');
    expect(limiterKey('unknown')).toBe('unknown');
  });
});

describe('AuthRateLimiter', () => {
  it('locks out a whole /64: rotating addresses inside it buys no fresh attempts', () => {
    const limiter = new AuthRateLimiter(policy);
    expect(limiter.recordFailure('2001:db8:1:2::1', 0)).toBe(0);
    expect(limiter.recordFailure('2001:db8:1:2::2', 0)).toBe(0);
    expect(limiter.recordFailure('2001:db8:1:2:aaaa::3', 0)).toBe(policy.lockoutMs);
    expect(limiter.retryAfter('2001:db8:1:2:ffff:ffff:ffff:ffff', 1_000)).toBe(policy.lockoutMs - 1_000);
    expect(limiter.retryAfter('2001:db8:1:3::1', 1_000)).toBe(0);
    expect(limiter.retryAfter('::ffff:10.0.0.1', 0)).toBe(0);
    lockOut(limiter, '10.0.0.1', 0);
    expect(limiter.retryAfter('::ffff:10.0.0.1', 0)).toBe(policy.lockoutMs);
  });

  it('never evicts a locked-out address to make room; evicts the least recently failed unlocked one', () => {
    const limiter = new AuthRateLimiter(policy, 3);
    lockOut(limiter, '10.0.0.1', 0);
    limiter.recordFailure('10.0.0.2', 0);
    limiter.recordFailure('10.0.0.3', 1);
    limiter.recordFailure('10.0.0.2', 2); // 10.0.0.3 is now the least recently failed unlocked entry
    expect(limiter.recordFailure('10.0.0.4', 3)).toBe(0);
    expect(limiter.size).toBe(3);
    expect(limiter.retryAfter('10.0.0.1', 3)).toBe(policy.lockoutMs - 3);
    // 10.0.0.2 is still remembered (one more failure locks it), 10.0.0.3 was the one dropped.
    expect(limiter.recordFailure('10.0.0.2', 4)).toBe(policy.lockoutMs);
  });

  it('treats new addresses as limited while every tracked address is locked out, until the first lockout ends', () => {
    const limiter = new AuthRateLimiter(policy, 2);
    lockOut(limiter, '10.0.0.1', 0);
    lockOut(limiter, '10.0.0.2', 10);
    expect(limiter.retryAfter('10.0.0.9', 20)).toBe(0);
    expect(limiter.recordFailure('10.0.0.9', 20)).toBe(policy.lockoutMs - 20);
    expect(limiter.retryAfter('10.0.0.9', 20)).toBe(policy.lockoutMs - 20);
    expect(limiter.retryAfter('10.0.0.1', 20)).toBe(policy.lockoutMs - 20);
    expect(limiter.size).toBe(2);
    // The first lockout ended: its slot is free again, and the other lockout still holds.
    expect(limiter.retryAfter('10.0.0.9', policy.lockoutMs)).toBe(0);
    expect(limiter.recordFailure('10.0.0.9', policy.lockoutMs)).toBe(0);
    expect(limiter.retryAfter('10.0.0.2', policy.lockoutMs)).toBe(10);
  });

  it('keeps at most 10,000 addresses by default', () => {
    const limiter = new AuthRateLimiter(policy);
    for (let i = 0; i < MAX_TRACKED_ADDRESSES + 50; i++) limiter.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 0);
    expect(limiter.size).toBe(MAX_TRACKED_ADDRESSES);
  });
});
