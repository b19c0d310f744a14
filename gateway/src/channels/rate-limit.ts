/**
 * Token buckets per (platform, account, chat), sized to the platforms' documented limits, that wrap
 * the one send path (user-pain row 16). Bounded: idle buckets are dropped beyond `maxBuckets`.
 */

/** One bucket's settings. */
export interface BucketSpec {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Most tokens held (the burst). */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets keyed by chat. */
export class ChatRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly maxBuckets = 10_000, private readonly now: () => number = Date.now) {}

  /** Takes one token if there is one; otherwise says how long until there is. */
  take(key: string, spec: BucketSpec): { ok: true } | { ok: false; waitMs: number } {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxBuckets) this.evict(now, spec);
      b = { tokens: spec.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(spec.burst, b.tokens + ((now - b.at) / 1000) * spec.ratePerSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, waitMs: Math.ceil(((1 - b.tokens) / spec.ratePerSecond) * 1000) };
  }

  /** Waits for a token (bounded by the signal). */
  async acquire(key: string, spec: BucketSpec, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const r = this.take(key, spec);
      if (r.ok) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, r.waitMs);
        const onAbort = () => { clearTimeout(timer); reject(signal!.reason); };
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  private evict(now: number, spec: BucketSpec): void {
    // Full buckets carry no state worth keeping; drop those first, then the oldest.
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * spec.ratePerSecond >= spec.burst) this.buckets.delete(key);
    }
    while (this.buckets.size >= this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
