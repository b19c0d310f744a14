/**
 * The token bucket behind every send and event rate limit of the daemon: at most `burst` tokens,
 * refilled continuously at `ratePerSecond`. Buckets are plain records, so each owner keeps them
 * where its state lives (the channel limiter in a bounded map, a node's event budget on its session).
 */

/** One bucket's settings. */
export interface BucketSpec {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Most tokens held (the burst). */
  burst: number;
}

/** A bucket's state: tokens held as of `at` (ms, the owner's clock). */
export interface Bucket {
  tokens: number;
  at: number;
}

/** Tops `b` up for the time since it was last refilled (never above the burst); returns it. */
export function refill(b: Bucket, spec: BucketSpec, now: number): Bucket {
  b.tokens = Math.min(spec.burst, b.tokens + ((now - b.at) / 1000) * spec.ratePerSecond);
  b.at = now;
  return b;
}

/** Milliseconds until a just-refilled `b` holds one token; 0 when it holds one now. */
export function waitForToken(b: Bucket, spec: BucketSpec): number {
  return b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) / spec.ratePerSecond) * 1000);
}

/** Refills `b` and takes one token; false (nothing taken) when it has none. */
export function takeToken(b: Bucket, spec: BucketSpec, now: number): boolean {
  if (refill(b, spec, now).tokens < 1) return false;
  b.tokens -= 1;
  return true;
}
