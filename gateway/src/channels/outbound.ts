/**
 * The one outbound send path (user-pain rows 8, 9, 16, 24). Every reply goes through the outbound
 * ledger: written before it is sent (fsynced), sent in order per chat by one pump per chat, cut to
 * the platform's limit, paced by token buckets (per chat; per group and per account where the
 * platform has such limits), retried through net/retry.ts with
 * `retry_after` honoured in full (a wait longer than a few seconds parks the delivery in the ledger
 * until then), and when it finally fails the sender gets a visible notice and operators an alert.
 * Deliveries left pending by a restart are resumed by the timer.
 *
 * Payloads: `text` (a new message) and `edit` (replace the text of a message sent earlier: its id,
 * or the ledger key of the delivery that sent it). A delivery's idempotency key makes an enqueue
 * happen at most once (a replayed inbound message never enqueues its reply twice).
 */
import { RetryLaterError, backoffDelay, classifyFailure, retry, type FailureClass } from '../net/retry.js';
import type { Log } from '../log.js';
import type { Store } from '../store/store.js';
import type { ChatAddress, Delivery } from '../store/outbound-repo.js';
import { chunkText } from './chunk.js';
import { ChatRateLimiter, sendBuckets } from './rate-limit.js';
import { AdapterUnavailableError, type ChannelAdapter } from './types.js';

/** What a delivery carries. */
export type DeliveryPayload =
  | { kind: 'text'; text: string; threadId?: string; replyTo?: string; purpose?: DeliveryPurpose }
  | { kind: 'edit'; text: string; threadId?: string; messageId?: string; targetKey?: string; purpose?: DeliveryPurpose };

/** Why a delivery exists: its failure notice is not sent for a notice (no loops). */
export type DeliveryPurpose = 'reply' | 'stream' | 'command' | 'notice' | 'tool' | 'send' | 'pairing';

/** An operator alert: a delivery failed for good. */
export interface DeliveryAlert {
  channel: string;
  accountId: string;
  chatId: string;
  deliveryId: string;
  error: string;
  attempts: number;
}

/** Tuning; every field has a default. */
export interface OutboundOptions {
  /** Attempts (claims) before a delivery fails for good. Default 8. */
  maxAttempts: number;
  /** Backoff of retries without a server wait: base and cap (ms). */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Longest server wait slept through inside one attempt; longer waits park the delivery. Default 5 s. */
  inlineWaitMs: number;
  /** How long a claim lasts before another pump may take the delivery again. Default 60 s. */
  leaseMs: number;
  /** Interval of the timer that resumes due deliveries. Default 500 ms. */
  pollMs: number;
  /** A send attempt's time limit. Default 30 s. */
  sendTimeoutMs: number;
}

export const DEFAULT_OUTBOUND_OPTIONS: OutboundOptions = {
  maxAttempts: 8, retryBaseMs: 1_000, retryMaxMs: 300_000, inlineWaitMs: 5_000, leaseMs: 60_000, pollMs: 500, sendTimeoutMs: 30_000,
};

/** What the outbound path needs from the channel service. */
export interface OutboundHooks {
  /** The adapter of an account, if it is connected now. */
  adapter(channel: string, accountId: string): ChannelAdapter | undefined;
  /** The adapter of an account whatever its state (for its limits). */
  adapterAny(channel: string, accountId: string): ChannelAdapter | undefined;
  sent(delivery: Delivery, platformMessageId: string): void;
  alert(alert: DeliveryAlert): void;
}

const chatKey = (c: ChatAddress) => `${c.channel}\u0000${c.accountId}\u0000${c.chatId}`;

/** The outbound ledger's pumps, timer and waiters. */
export class Outbound {
  readonly limiter = new ChatRateLimiter();
  private readonly pumps = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly waiters = new Map<string, Set<(d: Delivery) => void>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private closed = false;

  constructor(private readonly store: Store, private readonly hooks: OutboundHooks, private readonly log: Log, private readonly options: OutboundOptions = DEFAULT_OUTBOUND_OPTIONS) {}

  /** Starts the timer that resumes due deliveries (also those left by a restart). */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.resume(), this.options.pollMs);
    this.timer.unref();
    this.resume();
  }

  /** Stops the pumps and the timer; deliveries stay in the ledger. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.abort.abort(new Error('channels stopping'));
    await Promise.allSettled([...this.pumps.values()]);
  }

  /**
   * Cuts `text` to the chat's platform limit and enqueues one `text` delivery per piece, keyed
   * `${key}:${i}`, unless a delivery with that key exists. Returns the deliveries' ids (existing
   * ones included). Call inside `store.commit()` (or pass none: it commits itself).
   */
  enqueueTextSync(chat: ChatAddress, text: string, key: string, extra: { threadId?: string; replyTo?: string; purpose?: DeliveryPurpose } = {}): string[] {
    const adapter = this.hooks.adapterAny(chat.channel, chat.accountId);
    const limit = adapter?.limits.maxMessageLength ?? 4096;
    const pieces = chunkText(text, limit, adapter?.limits.lengthUnit ?? 'utf16');
    return pieces.map((piece, i) => this.enqueueSync(chat, {
      kind: 'text', text: piece,
      ...(extra.threadId ? { threadId: extra.threadId } : {}),
      ...(extra.replyTo && i === 0 ? { replyTo: extra.replyTo } : {}),
      ...(extra.purpose ? { purpose: extra.purpose } : {}),
    }, `${key}:${i}`));
  }

  /** Enqueues one delivery unless `key` exists; returns its id. Call inside a transaction. */
  enqueueSync(chat: ChatAddress, payload: DeliveryPayload, key: string, now = Date.now()): string {
    const existing = this.store.channels.deliveryByKey(key);
    if (existing) return existing.id;
    return this.store.outbound.enqueue({ ...chat, payload, idempotencyKey: key }, now).id;
  }

  /** Starts the pump of a chat (after a commit that enqueued something). */
  kick(chat: ChatAddress): void {
    if (this.closed) return;
    const k = chatKey(chat);
    if (this.pumps.has(k)) {
      this.again.add(k);
      return;
    }
    const pump = this.pump(chat).catch((err) => this.log.error({ err }, 'outbound pump failed')).finally(() => {
      this.pumps.delete(k);
      if (this.again.delete(k)) this.kick(chat);
    });
    this.pumps.set(k, pump);
  }

  /**
   * Sends text now, through the rate limit and the retry helper but NOT the ledger: only for the
   * pairing-code reply, whose code must never be stored. Best effort; throws when it fails.
   */
  async sendEphemeral(adapter: ChannelAdapter, chat: ChatAddress, text: string, threadId?: string): Promise<string> {
    const fake = { ...chat, id: 'ephemeral' } as Delivery;
    return this.sendOnce(adapter, fake, { kind: 'text', text, ...(threadId ? { threadId } : {}), purpose: 'pairing' });
  }

  /** Resolves with the delivery once it is sent or failed, or undefined after `timeoutMs`. */
  waitFor(id: string, timeoutMs: number): Promise<Delivery | undefined> {
    const now = this.store.outbound.get(id);
    if (!now || now.status === 'sent' || now.status === 'failed') return Promise.resolve(now);
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const done = (d: Delivery | undefined) => {
        clearTimeout(timer);
        set!.delete(onEnd);
        if (set!.size === 0) this.waiters.delete(id);
        resolve(d);
      };
      const onEnd = (d: Delivery) => done(d);
      const timer = setTimeout(() => done(this.store.outbound.get(id)), timeoutMs);
      set.add(onEnd);
    });
  }

  /** Sends due deliveries of chats whose adapter is connected. */
  resume(): void {
    if (this.closed) return;
    let due: ChatAddress[];
    try {
      due = this.store.outbound.dueChats(Date.now(), 200);
    } catch (err) {
      this.log.warn({ err }, 'could not read due deliveries');
      return;
    }
    for (const chat of due) if (this.hooks.adapter(chat.channel, chat.accountId)) this.kick(chat);
  }

  private async pump(chat: ChatAddress): Promise<void> {
    while (!this.closed) {
      // Not connected: leave the deliveries pending (no attempts burnt); resume() picks them up later.
      const adapter = this.hooks.adapter(chat.channel, chat.accountId);
      if (!adapter) return;
      const delivery = this.store.outbound.claimNext(chat, Date.now(), this.options.leaseMs);
      if (!delivery) return;
      await this.attempt(adapter, delivery);
    }
  }

  private async attempt(adapter: ChannelAdapter, d: Delivery): Promise<void> {
    const payload = d.payload as DeliveryPayload;
    try {
      const messageId = await this.sendOnce(adapter, d, payload);
      await this.store.commit(() => this.store.outbound.markSent(d.id, messageId, Date.now()));
      const sent = this.store.outbound.get(d.id)!;
      this.hooks.sent(sent, messageId);
      this.settle(sent);
    } catch (err) {
      if (this.closed) {
        // Stopping: the claim lapses and the delivery is retried after the restart.
        return;
      }
      await this.failed(d, payload, err, adapter);
    }
  }

  /** One attempt through the rate limit and the retry helper; returns the platform message id. */
  private async sendOnce(adapter: ChannelAdapter, d: Delivery, payload: DeliveryPayload): Promise<string> {
    // Waiting for our own buckets is not part of the send's time limit (a group at 20 per minute
    // may wait longer than that); only stopping ends the wait.
    await this.limiter.acquireAll(sendBuckets(adapter.limits, d), this.abort.signal);
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.sendTimeoutMs)]);
    const classify = (error: unknown): FailureClass => adapter.classify?.(error) ?? classifyFailure(error);
    return retry(async () => {
      if (payload.kind === 'edit') {
        const target = payload.messageId ?? (payload.targetKey ? this.store.channels.deliveryByKey(payload.targetKey)?.platformMessageId : undefined);
        if (target) {
          try {
            await adapter.edit(d.chatId, target, payload.text, signal, payload.threadId);
            return target;
          } catch (err) {
            // A message that can no longer be edited (too old, deleted): the text goes out as one
            // new message instead. Rate limits and network errors are retried as usual.
            if (classify(err).retryable) throw err;
            this.log.info({ deliveryId: d.id, err: describe(err) }, 'edit refused; sending the text as a new message');
          }
        }
        // The message to edit was never sent, or cannot be edited: send the text as a new message.
      }
      const sent = await adapter.send({ chatId: d.chatId, text: payload.text, ...(payload.threadId ? { threadId: payload.threadId } : {}), ...(payload.kind === 'text' && payload.replyTo ? { replyToMessageId: payload.replyTo } : {}) }, signal);
      return sent.messageId;
    }, { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2_000, maxWaitMs: this.options.inlineWaitMs, signal, classify });
  }

  private async failed(d: Delivery, payload: DeliveryPayload, err: unknown, adapter: ChannelAdapter): Promise<void> {
    const now = Date.now();
    const failure = err instanceof RetryLaterError ? { retryable: true, retryAfterMs: err.retryAfterMs, reason: 'rate_limited' } : err instanceof AdapterUnavailableError ? { retryable: true, reason: 'unavailable' } : (adapter.classify?.(err) ?? classifyFailure(err));
    const message = describe(err);
    if (failure.retryable && d.attempts < this.options.maxAttempts) {
      // The server's wait is honoured in full; our own backoff applies only when it named none.
      const wait = failure.retryAfterMs ?? backoffDelay(d.attempts, this.options.retryBaseMs, this.options.retryMaxMs);
      await this.store.commit(() => this.store.outbound.markRetry(d.id, message, now + wait, now));
      this.log.info({ deliveryId: d.id, attempts: d.attempts, waitMs: wait, reason: failure.reason }, 'delivery will be retried');
      return;
    }
    await this.store.commit(() => {
      this.store.outbound.markFailed(d.id, message, now);
      // The sender learns that a reply was lost (never for a notice itself: no loops).
      if (payload.purpose !== 'notice' && payload.purpose !== 'pairing') {
        this.enqueueSync(d, { kind: 'text', text: failureNotice(), purpose: 'notice', ...(payload.threadId ? { threadId: payload.threadId } : {}) }, `notice:${d.id}`, now);
      }
    });
    this.log.warn({ deliveryId: d.id, channel: d.channel, attempts: d.attempts, err: message }, 'delivery failed for good');
    this.hooks.alert({ channel: d.channel, accountId: d.accountId, chatId: d.chatId, deliveryId: d.id, error: message, attempts: d.attempts });
    this.settle(this.store.outbound.get(d.id)!);
  }

  private settle(d: Delivery): void {
    const set = this.waiters.get(d.id);
    if (set) for (const w of [...set]) w(d);
  }
}

/** The notice a sender gets when a reply could not be delivered. */
export function failureNotice(): string {
  return '⚠️ I could not deliver my reply to your last message. Please send it again.';
}

function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, 500);
}
