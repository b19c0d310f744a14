/**
 * The outbound ledger: every delivery to a platform chat, written before the send is attempted,
 * numbered per (channel, account, chat) so sends to one chat go out in order, one at a time
 * (user-pain rows 8, 9, 24).
 *
 *   pending ──claimNext──▶ sending ──markSent(platform id)──▶ sent
 *      ▲                      ├──markRetry(error, when)──▶ pending (attempts counted)
 *      │                      └──markFailed(error)─────────▶ failed (the next delivery moves up)
 *      └──── recover() after a crash (a send cut off midway is retried: at-least-once) ─┘
 *
 * A chat's head is its lowest-numbered delivery that is pending or sending; `claimNext` only ever
 * hands out the head, and only when it is due and not already being sent.
 */
import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';

/** Where a delivery is in its life (see the diagram above). */
export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** A delivery to enqueue. */
export interface NewDelivery {
  channel: string;
  accountId: string;
  chatId: string;
  payload: unknown;
  /** The request that produced it (`send`, `chat.send`), for tracing. */
  idempotencyKey?: string;
  /** Not before this time (default: now). */
  notBefore?: number;
}

/** One platform chat: the unit of ordering. */
export interface ChatAddress {
  channel: string;
  accountId: string;
  chatId: string;
}

/** A recorded delivery. */
export interface Delivery extends ChatAddress {
  id: string;
  /** Order within the chat, from 1. */
  seq: number;
  payload: unknown;
  status: DeliveryStatus;
  attempts: number;
  /** When a pending delivery is due, or when a sending one's claim lapses. */
  nextAttemptAt: number;
  platformMessageId?: string;
  lastError?: string;
  idempotencyKey?: string;
  createdAt: number;
  updatedAt: number;
  sentAt?: number;
}

/** Reads and writes the outbound ledger; call the writes inside `store.commit()`. */
export interface OutboundLedger {
  enqueue(delivery: NewDelivery, now: number): Delivery;
  /**
   * Claims the chat's head delivery for sending, if it is due and not claimed: it becomes `sending`
   * for `leaseMs` (after which it can be claimed again) and its attempt count goes up.
   */
  claimNext(chat: ChatAddress, now: number, leaseMs: number): Delivery | undefined;
  markSent(id: string, platformMessageId: string, now: number): void;
  /** The attempt failed but may succeed later: back to pending, due at `nextAttemptAt`. */
  markRetry(id: string, error: string, nextAttemptAt: number, now: number): void;
  /** Gives up on the delivery for good. */
  markFailed(id: string, error: string, now: number): void;
  /** Chats whose head delivery is due now, most overdue first. */
  dueChats(now: number, limit: number): ChatAddress[];
  /** After a crash: deliveries caught in `sending` become pending and due now. Returns how many. */
  recover(now: number): number;
  get(id: string): Delivery | undefined;
  /** Deliveries of one chat in order (newest `limit`). */
  listChat(chat: ChatAddress, limit: number): Delivery[];
  /** Deletes sent or failed deliveries last updated before `before`. */
  prune(before: number, limit: number): number;
}

interface Row {
  id: string;
  channel: string;
  account_id: string;
  chat_id: string;
  seq: number;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  platform_message_id: string | null;
  last_error: string | null;
  idempotency_key: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

const CHAT = 'channel = @channel AND account_id = @accountId AND chat_id = @chatId';

/** The outbound ledger in SQLite. */
export class SqliteOutboundLedger implements OutboundLedger {
  private readonly s: Record<'nextSeq' | 'insert' | 'get' | 'head' | 'claim' | 'sent' | 'retry' | 'failed' | 'due' | 'recover' | 'list' | 'prune', Statement>;

  constructor(private readonly db: Database) {
    this.s = {
      nextSeq: db.prepare(`SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM outbound_deliveries WHERE ${CHAT}`),
      insert: db.prepare(`INSERT INTO outbound_deliveries (id, channel, account_id, chat_id, seq, payload, status, next_attempt_at, idempotency_key, created_at, updated_at)
        VALUES (@id, @channel, @accountId, @chatId, @seq, @payload, 'pending', @due, @idempotencyKey, @now, @now)`),
      get: db.prepare('SELECT * FROM outbound_deliveries WHERE id = ?'),
      head: db.prepare(`SELECT * FROM outbound_deliveries WHERE ${CHAT} AND status IN ('pending', 'sending') ORDER BY seq LIMIT 1`),
      claim: db.prepare(`UPDATE outbound_deliveries SET status = 'sending', attempts = attempts + 1, next_attempt_at = @lease, updated_at = @now WHERE id = @id`),
      sent: db.prepare(`UPDATE outbound_deliveries SET status = 'sent', platform_message_id = ?, sent_at = ?, updated_at = ? WHERE id = ?`),
      retry: db.prepare(`UPDATE outbound_deliveries SET status = 'pending', last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status IN ('pending', 'sending')`),
      failed: db.prepare(`UPDATE outbound_deliveries SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ? AND status IN ('pending', 'sending')`),
      due: db.prepare(`SELECT d.channel, d.account_id, d.chat_id FROM outbound_deliveries d
        JOIN (SELECT channel, account_id, chat_id, MIN(seq) AS seq FROM outbound_deliveries
              WHERE status IN ('pending', 'sending') GROUP BY channel, account_id, chat_id) h
          ON d.channel = h.channel AND d.account_id = h.account_id AND d.chat_id = h.chat_id AND d.seq = h.seq
        WHERE d.next_attempt_at <= @now ORDER BY d.next_attempt_at LIMIT @limit`),
      recover: db.prepare(`UPDATE outbound_deliveries SET status = 'pending', next_attempt_at = @now, updated_at = @now WHERE status = 'sending'`),
      list: db.prepare(`SELECT * FROM (SELECT * FROM outbound_deliveries WHERE ${CHAT} ORDER BY seq DESC LIMIT @limit) ORDER BY seq`),
      prune: db.prepare(`DELETE FROM outbound_deliveries WHERE id IN (SELECT id FROM outbound_deliveries
        WHERE status IN ('sent', 'failed') AND updated_at < ? LIMIT ?)`),
    };
  }

  enqueue(delivery: NewDelivery, now: number): Delivery {
    return this.db.transaction(() => {
      const chat = { channel: delivery.channel, accountId: delivery.accountId, chatId: delivery.chatId };
      const { seq } = this.s.nextSeq.get(chat) as { seq: number };
      const id = randomUUID();
      this.s.insert.run({
        ...chat,
        id,
        seq,
        payload: JSON.stringify(delivery.payload ?? null),
        due: delivery.notBefore ?? now,
        idempotencyKey: delivery.idempotencyKey ?? null,
        now,
      });
      return this.get(id)!;
    })();
  }

  claimNext(chat: ChatAddress, now: number, leaseMs: number): Delivery | undefined {
    return this.db.transaction(() => {
      const head = this.s.head.get(chat) as Row | undefined;
      // The head blocks the chat while it is being sent or waiting for its retry time: order first.
      if (!head || head.next_attempt_at > now) return undefined;
      this.s.claim.run({ id: head.id, lease: now + leaseMs, now });
      return this.get(head.id);
    })();
  }

  markSent(id: string, platformMessageId: string, now: number): void {
    this.s.sent.run(platformMessageId, now, now, id);
  }

  markRetry(id: string, error: string, nextAttemptAt: number, now: number): void {
    this.s.retry.run(error, nextAttemptAt, now, id);
  }

  markFailed(id: string, error: string, now: number): void {
    this.s.failed.run(error, now, id);
  }

  dueChats(now: number, limit: number): ChatAddress[] {
    return (this.s.due.all({ now, limit }) as { channel: string; account_id: string; chat_id: string }[])
      .map((r) => ({ channel: r.channel, accountId: r.account_id, chatId: r.chat_id }));
  }

  recover(now: number): number {
    return this.s.recover.run({ now }).changes;
  }

  get(id: string): Delivery | undefined {
    const row = this.s.get.get(id) as Row | undefined;
    return row && toDelivery(row);
  }

  listChat(chat: ChatAddress, limit: number): Delivery[] {
    return (this.s.list.all({ ...chat, limit }) as Row[]).map(toDelivery);
  }

  prune(before: number, limit: number): number {
    return this.s.prune.run(before, limit).changes;
  }
}

function toDelivery(row: Row): Delivery {
  const d: Delivery = {
    id: row.id,
    channel: row.channel,
    accountId: row.account_id,
    chatId: row.chat_id,
    seq: row.seq,
    payload: JSON.parse(row.payload),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.platform_message_id !== null) d.platformMessageId = row.platform_message_id;
  if (row.last_error !== null) d.lastError = row.last_error;
  if (row.idempotency_key !== null) d.idempotencyKey = row.idempotency_key;
  if (row.sent_at !== null) d.sentAt = row.sent_at;
  return d;
}
