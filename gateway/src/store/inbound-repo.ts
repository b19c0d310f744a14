/**
 * The inbound ledger: every message a channel received, keyed by (channel, account, platform
 * message id), so one platform message produces at most one reply — across redeliveries and
 * restarts (user-pain rows 7 and 8).
 *
 * The contract for channel adapters: **record before ack**. Call {@link InboundLedger.record}
 * inside `store.commit()` (durable) and acknowledge the platform only after it resolved; a
 * `duplicate` result means the message was seen before and must not be dispatched again.
 *
 *   received ──dispatch──▶ dispatched ──reply done──▶ done
 *       └───────────────────┴──────────fail──────────▶ failed
 *       └── older than the TTL at replay ────────────▶ expired (tell the sender)
 */
import type { Database, Statement } from 'better-sqlite3';

/** Where an inbound message is in its life (see the diagram above). */
export type InboundStatus = 'received' | 'dispatched' | 'done' | 'failed' | 'expired';

/** A message as a channel adapter records it. */
export interface InboundMessage {
  channel: string;
  accountId: string;
  platformMessageId: string;
  chatId?: string;
  sessionKey?: string;
  /** The normalised message, kept so it can be replayed after a crash. */
  payload?: unknown;
}

/** A recorded message with its status and times. */
export interface InboundRecord extends InboundMessage {
  id: number;
  status: InboundStatus;
  receivedAt: number;
  acknowledgedAt?: number;
  dispatchedAt?: number;
  completedAt?: number;
  lastError?: string;
}

/** Reads and writes the inbound ledger; call the writes inside `store.commit()`. */
export interface InboundLedger {
  /** Records a message unless already known; `duplicate` tells which. */
  record(message: InboundMessage, now: number): { record: InboundRecord; duplicate: boolean };
  get(id: number): InboundRecord | undefined;
  find(channel: string, accountId: string, platformMessageId: string): InboundRecord | undefined;
  markAcknowledged(id: number, now: number): void;
  markDispatched(id: number, now: number): void;
  markDone(id: number, now: number): void;
  markFailed(id: number, error: string, now: number): void;
  /** Messages received or dispatched but not finished, oldest first: replay these after a restart. */
  open(limit: number): InboundRecord[];
  /** Marks open messages received before `before` as expired and returns them (to notify senders). */
  expire(before: number, now: number, limit: number): InboundRecord[];
  /** Deletes finished messages completed before `before`; returns how many. */
  prune(before: number, limit: number): number;
}

interface Row {
  id: number;
  channel: string;
  account_id: string;
  platform_message_id: string;
  chat_id: string | null;
  session_key: string | null;
  payload: string | null;
  status: InboundStatus;
  received_at: number;
  acknowledged_at: number | null;
  dispatched_at: number | null;
  completed_at: number | null;
  last_error: string | null;
}

/** The inbound ledger in SQLite. */
export class SqliteInboundLedger implements InboundLedger {
  private readonly s: Record<'insert' | 'get' | 'find' | 'ack' | 'dispatch' | 'done' | 'fail' | 'open' | 'prune', Statement>;

  constructor(private readonly db: Database) {
    this.s = {
      insert: db.prepare(`INSERT INTO inbound_messages (channel, account_id, platform_message_id, chat_id, session_key, payload, status, received_at)
        VALUES (@channel, @accountId, @platformMessageId, @chatId, @sessionKey, @payload, 'received', @now)
        ON CONFLICT (channel, account_id, platform_message_id) DO NOTHING`),
      get: db.prepare('SELECT * FROM inbound_messages WHERE id = ?'),
      find: db.prepare('SELECT * FROM inbound_messages WHERE channel = ? AND account_id = ? AND platform_message_id = ?'),
      ack: db.prepare('UPDATE inbound_messages SET acknowledged_at = COALESCE(acknowledged_at, ?) WHERE id = ?'),
      dispatch: db.prepare(`UPDATE inbound_messages SET status = 'dispatched', dispatched_at = ? WHERE id = ? AND status = 'received'`),
      done: db.prepare(`UPDATE inbound_messages SET status = 'done', completed_at = ? WHERE id = ? AND status IN ('received', 'dispatched')`),
      fail: db.prepare(`UPDATE inbound_messages SET status = 'failed', last_error = ?, completed_at = ? WHERE id = ? AND status IN ('received', 'dispatched')`),
      open: db.prepare(`SELECT * FROM inbound_messages WHERE status IN ('received', 'dispatched') ORDER BY received_at, id LIMIT ?`),
      prune: db.prepare(`DELETE FROM inbound_messages WHERE id IN (SELECT id FROM inbound_messages
        WHERE status IN ('done', 'failed', 'expired') AND completed_at < ? LIMIT ?)`),
    };
  }

  record(message: InboundMessage, now: number): { record: InboundRecord; duplicate: boolean } {
    const inserted = this.s.insert.run({
      channel: message.channel,
      accountId: message.accountId,
      platformMessageId: message.platformMessageId,
      chatId: message.chatId ?? null,
      sessionKey: message.sessionKey ?? null,
      payload: message.payload === undefined ? null : JSON.stringify(message.payload),
      now,
    }).changes > 0;
    return { record: this.find(message.channel, message.accountId, message.platformMessageId)!, duplicate: !inserted };
  }

  get(id: number): InboundRecord | undefined {
    const row = this.s.get.get(id) as Row | undefined;
    return row && toRecord(row);
  }

  find(channel: string, accountId: string, platformMessageId: string): InboundRecord | undefined {
    const row = this.s.find.get(channel, accountId, platformMessageId) as Row | undefined;
    return row && toRecord(row);
  }

  markAcknowledged(id: number, now: number): void { this.s.ack.run(now, id); }
  markDispatched(id: number, now: number): void { this.s.dispatch.run(now, id); }
  markDone(id: number, now: number): void { this.s.done.run(now, id); }
  markFailed(id: number, error: string, now: number): void { this.s.fail.run(error, now, id); }

  open(limit: number): InboundRecord[] {
    return (this.s.open.all(limit) as Row[]).map(toRecord);
  }

  expire(before: number, now: number, limit: number): InboundRecord[] {
    return this.db.transaction(() => {
      const rows = (this.db.prepare(`SELECT * FROM inbound_messages WHERE status IN ('received', 'dispatched') AND received_at < ?
        ORDER BY received_at LIMIT ?`).all(before, limit) as Row[]).map(toRecord);
      const mark = this.db.prepare(`UPDATE inbound_messages SET status = 'expired', completed_at = ? WHERE id = ?`);
      for (const r of rows) mark.run(now, r.id);
      return rows.map((r) => ({ ...r, status: 'expired' as const, completedAt: now }));
    })();
  }

  prune(before: number, limit: number): number {
    return this.s.prune.run(before, limit).changes;
  }
}

function toRecord(row: Row): InboundRecord {
  const r: InboundRecord = {
    id: row.id,
    channel: row.channel,
    accountId: row.account_id,
    platformMessageId: row.platform_message_id,
    status: row.status,
    receivedAt: row.received_at,
  };
  if (row.chat_id !== null) r.chatId = row.chat_id;
  if (row.session_key !== null) r.sessionKey = row.session_key;
  if (row.payload !== null) r.payload = JSON.parse(row.payload);
  if (row.acknowledged_at !== null) r.acknowledgedAt = row.acknowledged_at;
  if (row.dispatched_at !== null) r.dispatchedAt = row.dispatched_at;
  if (row.completed_at !== null) r.completedAt = row.completed_at;
  if (row.last_error !== null) r.lastError = row.last_error;
  return r;
}
