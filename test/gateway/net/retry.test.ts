// The shared retry helper: classification, Retry-After honoured in full, backoff, give-up, abort.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  backoffDelay, classifyFailure, parseRetryAfter, retry, RetryLaterError, sleep,
} from '../../../gateway/src/net/retry.js';

const httpError = (status: number, extra: Record<string, unknown> = {}) => Object.assign(new Error(`HTTP ${status}`), { status, ...extra });

describe('parseRetryAfter', () => {
  it('reads delay-seconds, numbers and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1_500);
    expect(parseRetryAfter(3, now)).toBe(3_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:02:00 GMT', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });

  it('returns undefined for nothing or garbage', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-5')).toBeUndefined();
    expect(parseRetryAfter(Number.NaN)).toBeUndefined();
  });
});

describe('classifyFailure', () => {
  it('retries 408, 425, 429 and 5xx, and not 400, 401, 403, 404, 422', () => {
    for (const s of [408, 425, 429, 500, 502, 503, 504]) expect(classifyFailure(httpError(s)).retryable, `status ${s}`).toBe(true);
    for (const s of [400, 401, 403, 404, 422]) expect(classifyFailure(httpError(s)).retryable, `status ${s}`).toBe(false);
    expect(classifyFailure(httpError(503))).toMatchObject({ status: 503, reason: 'status:503' });
  });

  it('retries network errors, also wrapped the way fetch wraps them', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(classifyFailure(refused)).toMatchObject({ retryable: true, reason: 'network:ECONNREFUSED' });
    const wrapped = new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    expect(classifyFailure(wrapped)).toMatchObject({ retryable: true, reason: 'network:UND_ERR_SOCKET' });
  });

  it('never retries aborts or unknown errors, and lets an error declare itself', () => {
    expect(classifyFailure(new DOMException('stop', 'AbortError')).retryable).toBe(false);
    expect(classifyFailure(new Error('a bug')).retryable).toBe(false);
    expect(classifyFailure('a string').retryable).toBe(false);
    expect(classifyFailure(httpError(500, { retryable: false })).retryable).toBe(false);
    expect(classifyFailure(Object.assign(new Error('x'), { retryable: true })).retryable).toBe(true);
  });

  it('reads the server wait from Retry-After headers, retry_after fields and retryAfterMs', () => {
    expect(classifyFailure(httpError(429, { headers: new Headers({ 'retry-after': '7' }) })).retryAfterMs).toBe(7_000);
    expect(classifyFailure(httpError(429, { headers: { 'retry-after': '8' } })).retryAfterMs).toBe(8_000);
    // Telegram: { error_code: 429, parameters: { retry_after: 6775 } }
    expect(classifyFailure({ error_code: 429, parameters: { retry_after: 6775 } })).toMatchObject({ retryable: true, retryAfterMs: 6_775_000 });
    // Discord: body { retry_after: 1.25 }
    expect(classifyFailure(httpError(429, { retry_after: 1.25 })).retryAfterMs).toBe(1_250);
    expect(classifyFailure(httpError(429, { retryAfterMs: 42 })).retryAfterMs).toBe(42);
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt with half fixed, half random, capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 100, 10_000, () => 0))).toEqual([50, 100, 200, 400]);
    expect([1, 2, 3].map((n) => backoffDelay(n, 100, 10_000, () => 0.999999))).toEqual([100, 200, 400]);
    expect(backoffDelay(20, 100, 1_000, () => 0.5)).toBe(750);
  });
});

describe('retry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns the first success and passes the attempt number', async () => {
    const seen: number[] = [];
    const value = await retry(async (n) => {
      seen.push(n);
      if (n < 3) throw httpError(503);
      return 'ok';
    }, { baseDelayMs: 1 });
    expect(value).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('rethrows a non-retryable error after one attempt', async () => {
    const attempt = vi.fn(async () => {
      throw httpError(401);
    });
    await expect(retry(attempt, { baseDelayMs: 1 })).rejects.toMatchObject({ status: 401 });
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('rethrows the last error when attempts run out', async () => {
    let n = 0;
    await expect(retry(async () => {
      n++;
      throw httpError(500, { message: `fail ${n}` });
    }, { maxAttempts: 4, baseDelayMs: 1 })).rejects.toMatchObject({ message: 'fail 4' });
    expect(n).toBe(4);
  });

  it('backs off exponentially between attempts and reports each wait', async () => {
    const waits: number[] = [];
    await expect(retry(async () => {
      throw httpError(502);
    }, { maxAttempts: 4, baseDelayMs: 4, maxDelayMs: 10, random: () => 0, onRetry: ({ delayMs }) => waits.push(delayMs) })).rejects.toBeDefined();
    expect(waits).toEqual([2, 4, 5]);
  });

  it('honours a Retry-After in full, longer than maxDelayMs: no attempt before it passes', async () => {
    vi.useFakeTimers();
    const attempt = vi.fn(async (n: number) => {
      if (n === 1) throw httpError(429, { headers: new Headers({ 'retry-after': '120' }) });
      return 'sent';
    });
    const done = retry(attempt, { maxDelayMs: 1_000, maxWaitMs: 600_000 });
    await vi.advanceTimersByTimeAsync(119_999);
    expect(attempt).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(done).resolves.toBe('sent');
    expect(attempt).toHaveBeenCalledTimes(2);
  });

  it('gives up at once with RetryLaterError when the server wait exceeds maxWaitMs, reporting it unclamped', async () => {
    const cause = httpError(429, { parameters: { retry_after: 6775 }, error_code: 429 });
    const attempt = vi.fn(async () => {
      throw cause;
    });
    const error = await retry(attempt, { maxWaitMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(error).toMatchObject({ retryAfterMs: 6_775_000, attempts: 1, cause });
    expect((error as Error).message).toMatch(/6775 s/);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('stops waiting as soon as the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    const attempt = vi.fn(async () => {
      throw httpError(503, { retryAfterMs: 10_000 });
    });
    const started = Date.now();
    const done = retry(attempt, { signal: controller.signal, maxWaitMs: 60_000 });
    setTimeout(() => controller.abort(new Error('user stopped')), 20);
    await expect(done).rejects.toThrow('user stopped');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('makes no attempt when the signal is already aborted, and a failing attempt under abort is not retried', async () => {
    const attempt = vi.fn(async () => 'x');
    await expect(retry(attempt, { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone');
    expect(attempt).not.toHaveBeenCalled();
    const controller = new AbortController();
    const failing = vi.fn(async () => {
      controller.abort(new Error('during'));
      throw httpError(500);
    });
    await expect(retry(failing, { signal: controller.signal })).rejects.toThrow('during');
    expect(failing).toHaveBeenCalledTimes(1);
  });

  it('uses a caller-given classifier', async () => {
    const attempt = vi.fn(async (n: number) => {
      if (n === 1) throw new Error('flaky library error');
      return n;
    });
    await expect(retry(attempt, { baseDelayMs: 1, classify: () => ({ retryable: true, reason: 'custom' }) })).resolves.toBe(2);
  });
});

describe('sleep', () => {
  it('resolves after the time, or rejects on abort', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    const controller = new AbortController();
    const p = sleep(10_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
  });
});
