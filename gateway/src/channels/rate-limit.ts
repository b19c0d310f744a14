/**
 * Token buckets that wrap the one send path (user-pain row 16), sized to the platforms' documented
 * limits: one per (platform, account, chat), and where the platform has them (Telegram) one per
 * group chat and one per account (the bot's global limit). A send takes a token from every bucket
 * that applies, all at once or none. Bounded: idle buckets are dropped beyond `maxBuckets`.
 */
import { refill, waitForToken, type Bucket, type BucketSpec } from '../token-bucket.js';
import type { AdapterLimits } from './types.js';

export type { BucketSpec } from '../token-bucket.js';

/** A bucket to take from: its key and settings. */
export type BucketRef = readonly [key: string, spec: BucketSpec];

/**
 * A bucket that lets through at most about `limit` sends in any window of `windowSeconds`: bursts
 * of a quarter of the limit, the rest spread evenly over the window (a limit of 1 may let 2 through
 * at the worst moment).
 */
export function windowBucket(limit: number, windowSeconds: number): BucketSpec {
  const burst = Math.max(1, Math.floor(limit / 4));
  const spread = limit - burst > 0 ? limit - burst : limit;
  return { ratePerSecond: spread / windowSeconds, burst };
}

/** The buckets a send to `chatId` of an account takes from (chat, group, account). */
export function sendBuckets(limits: AdapterLimits, chat: { channel: string; accountId: string; chatId: string }): BucketRef[] {
  const account = `${chat.channel}\u0000${chat.accountId}`;
  const refs: BucketRef[] = [[`${account}\u0000${chat.chatId}`, { ratePerSecond: limits.perChatPerSecond, burst: limits.burst }]];
  if (limits.perGroupPerMinute && limits.isGroupChat?.(chat.chatId)) refs.push([`group\u0000${account}\u0000${chat.chatId}`, windowBucket(limits.perGroupPerMinute, 60)]);
  if (limits.perAccountPerSecond) refs.push([`account\u0000${account}`, windowBucket(limits.perAccountPerSecond, 1)]);
  return refs;
}

/** Token buckets keyed by chat (or group, or account). */
export class ChatRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly maxBuckets = 10_000, private readonly now: () => number = Date.now) {}

  /** Takes one token if there is one; otherwise says how long until there is. */
  take(key: string, spec: BucketSpec): { ok: true } | { ok: false; waitMs: number } {
    return this.takeAll([[key, spec]]);
  }

  /** Takes one token from every bucket if each has one (else none); otherwise the longest wait. */
  takeAll(refs: readonly BucketRef[]): { ok: true } | { ok: false; waitMs: number } {
    const now = this.now();
    const missing = refs.filter(([key]) => !this.buckets.has(key)).length;
    // Make room before touching any bucket, so eviction never drops one this call is using.
    if (missing > 0 && this.buckets.size + missing > this.maxBuckets) this.evict(now, refs[0][1], missing);
    const buckets = refs.map(([key, spec]) => refill(this.bucketOf(key, spec, now), spec, now));
    const waitMs = Math.max(0, ...buckets.map((b, i) => waitForToken(b, refs[i][1])));
    if (waitMs > 0) return { ok: false, waitMs };
    for (const b of buckets) b.tokens -= 1;
    return { ok: true };
  }

  /** Waits for a token (bounded by the signal). */
  acquire(key: string, spec: BucketSpec, signal?: AbortSignal): Promise<void> {
    return this.acquireAll([[key, spec]], signal);
  }

  /** Waits until every bucket has a token, then takes them together (bounded by the signal). */
  async acquireAll(refs: readonly BucketRef[], signal?: AbortSignal): Promise<void> {
    for (;;) {
      const r = this.takeAll(refs);
      if (r.ok) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, r.waitMs);
        const onAbort = () => { clearTimeout(timer); reject(signal!.reason); };
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** The bucket of `key` (created full). */
  private bucketOf(key: string, spec: BucketSpec, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: spec.burst, at: now };
      this.buckets.set(key, b);
    }
    return b;
  }

  private evict(now: number, spec: BucketSpec, room: number): void {
    // Full buckets carry no state worth keeping; drop those first, then the oldest.
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * spec.ratePerSecond >= spec.burst) this.buckets.delete(key);
    }
    while (this.buckets.size > 0 && this.buckets.size + room > this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
