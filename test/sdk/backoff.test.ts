// The SDK's default reconnect backoff (clients/sdk/src/backoff.ts): 1 s doubling to 30 s, ±20 % jitter.
// Client tests override it to stay fast, so the defaults are pinned here.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '@switchboard/sdk';

describe('default backoff', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is 1 s doubling to 30 s with ±20 % jitter', () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 1_000, maxMs: 30_000, jitter: 0.2 });
  });

  it('without jitter: 1, 2, 4, 8, 16, 30, 30 s, and still 30 s after many attempts', () => {
    const policy = { ...DEFAULT_BACKOFF, jitter: 0 };
    expect(Array.from({ length: 7 }, (_, attempt) => backoffDelay(policy, attempt))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(backoffDelay(policy, 1_000)).toBe(30_000);
  });

  it('with the default jitter: the extremes are exactly 80 % and 120 % of the base', () => {
    const random = vi.spyOn(Math, 'random');
    random.mockReturnValue(0);
    expect([0, 1, 5].map((a) => backoffDelay(DEFAULT_BACKOFF, a))).toEqual([800, 1_600, 24_000]);
    random.mockReturnValue(1 - Number.EPSILON);
    expect([0, 1, 5].map((a) => backoffDelay(DEFAULT_BACKOFF, a))).toEqual([1_200, 2_400, 36_000]);
  });

  it('with the default jitter: every delay stays within ±20 % and the delays spread out', () => {
    const bases = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    bases.forEach((base, attempt) => {
      const samples = Array.from({ length: 200 }, () => backoffDelay(DEFAULT_BACKOFF, attempt));
      for (const d of samples) {
        expect(d).toBeGreaterThanOrEqual(base * 0.8);
        expect(d).toBeLessThanOrEqual(base * 1.2);
      }
      // Jitter is real: 200 draws are not all the same value.
      expect(new Set(samples).size).toBeGreaterThan(1);
    });
  });
});
