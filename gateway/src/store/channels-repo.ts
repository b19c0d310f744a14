/**
 * What the messaging channels persist besides the two ledgers (migration 7): DM pairing requests
 * (code hashes only), paired users, pairing rate limits and lockouts, the last known state of each
 * channel account, and conversation titles. Call the writes inside `store.commit()` or
 * `store.transaction()`.
 */
import type { Database, Statement } from 'better-sqlite3';

/** A pending pairing request; the code itself is never stored, only `sha256(salt + code)`. */
export interface PairingRequestRow {
  id: string;
  platform: string;
  accountId: string;
  userId: string;
  chatId?: string;
  displayName?: string;
  codeHash: string;
  salt: string;
  createdAt: number;
  expiresAt: number;
}

/** A user an operator approved through pairing. */
export interface PairedUserRow {
  platform: string;
  userId: string;
  displayName?: string;
  approvedAt: number;
  approvedBy?: string;
}

/** The last known state of one channel account. */
export interface AccountStateRow {
  platform: string;
  accountId: string;
  state: string;
  detail?: string;
  lastError?: string;
  lastInboundAt?: number;
  lastOutboundAt?: number;
  lastConnectedAt?: number;
  updatedAt: number;
}

/** A titled conversation (one transcript generation of a session key). */
export interface SessionTitleRow {
  sessionId: string;
  sessionKey: string;
  title: string;
  createdAt: number;
}

/** Reads and writes the channels' own tables. */
export interface ChannelStateRepository {
  addPairingRequest(row: PairingRequestRow): void;
  /** Pending, unexpired requests of a platform (all platforms without one), oldest first. */
  pendingPairing(platform: string | undefined, now: number): PairingRequestRow[];
  pairingRequestOf(platform: string, userId: string): PairingRequestRow | undefined;
  deletePairingRequest(id: string): void;
  /** Drops expired requests; returns how many. */
  expirePairing(now: number): number;
  lastPairingRequest(platform: string, userId: string): number | undefined;
  notePairingRequest(platform: string, userId: string, now: number): void;
  lockout(platform: string): { failures: number; lockedUntil?: number };
  setLockout(platform: string, failures: number, lockedUntil: number | undefined): void;
  addPairedUser(row: PairedUserRow): void;
  removePairedUser(platform: string, userId: string): boolean;
  isPaired(platform: string, userId: string): boolean;
  pairedUsers(platform?: string): PairedUserRow[];
  saveAccount(row: AccountStateRow): void;
  accounts(): AccountStateRow[];
  setTitle(row: SessionTitleRow): void;
  titleOf(sessionId: string): string | undefined;
  /** The newest generation of `sessionKey` titled `title` (case-insensitive). */
  findTitled(sessionKey: string, title: string): SessionTitleRow | undefined;
  titled(sessionKey: string, limit: number): SessionTitleRow[];
  /** The delivery enqueued with `idempotencyKey`, if any (a reply is enqueued at most once per key). */
  deliveryByKey(idempotencyKey: string): { id: string; status: string; platformMessageId?: string } | undefined;
  /** Points `sessionKey` at an earlier generation `sessionId` of the same key; ends the current one. */
  repointSession(sessionKey: string, sessionId: string, now: number): boolean;
}

const PAIRING_COLUMNS = 'id, platform, account_id AS accountId, user_id AS userId, chat_id AS chatId, display_name AS displayName, code_hash AS codeHash, salt, created_at AS createdAt, expires_at AS expiresAt';

/** The channels' tables in SQLite. */
export class SqliteChannelStateRepository implements ChannelStateRepository {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: Database) {
    this.s = {
      addRequest: db.prepare(`INSERT INTO channel_pairing_requests (id, platform, account_id, user_id, chat_id, display_name, code_hash, salt, created_at, expires_at)
        VALUES (@id, @platform, @accountId, @userId, @chatId, @displayName, @codeHash, @salt, @createdAt, @expiresAt)
        ON CONFLICT (platform, user_id) DO UPDATE SET id = excluded.id, account_id = excluded.account_id, chat_id = excluded.chat_id,
          display_name = excluded.display_name, code_hash = excluded.code_hash, salt = excluded.salt, created_at = excluded.created_at, expires_at = excluded.expires_at`),
      pending: db.prepare(`SELECT ${PAIRING_COLUMNS} FROM channel_pairing_requests WHERE (@platform IS NULL OR platform = @platform) AND expires_at > @now ORDER BY created_at, id`),
      requestOf: db.prepare(`SELECT ${PAIRING_COLUMNS} FROM channel_pairing_requests WHERE platform = ? AND user_id = ?`),
      deleteRequest: db.prepare('DELETE FROM channel_pairing_requests WHERE id = ?'),
      expire: db.prepare('DELETE FROM channel_pairing_requests WHERE expires_at <= ?'),
      lastRequest: db.prepare('SELECT last_request_at AS at FROM channel_pairing_rate WHERE platform = ? AND user_id = ?'),
      noteRequest: db.prepare(`INSERT INTO channel_pairing_rate (platform, user_id, last_request_at) VALUES (?, ?, ?)
        ON CONFLICT (platform, user_id) DO UPDATE SET last_request_at = excluded.last_request_at`),
      lockout: db.prepare('SELECT failures, locked_until AS lockedUntil FROM channel_pairing_lockouts WHERE platform = ?'),
      setLockout: db.prepare(`INSERT INTO channel_pairing_lockouts (platform, failures, locked_until) VALUES (?, ?, ?)
        ON CONFLICT (platform) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until`),
      addPaired: db.prepare(`INSERT INTO channel_paired_users (platform, user_id, display_name, approved_at, approved_by) VALUES (@platform, @userId, @displayName, @approvedAt, @approvedBy)
        ON CONFLICT (platform, user_id) DO UPDATE SET display_name = excluded.display_name, approved_at = excluded.approved_at, approved_by = excluded.approved_by`),
      removePaired: db.prepare('DELETE FROM channel_paired_users WHERE platform = ? AND user_id = ?'),
      isPaired: db.prepare('SELECT 1 FROM channel_paired_users WHERE platform = ? AND user_id = ?'),
      paired: db.prepare(`SELECT platform, user_id AS userId, display_name AS displayName, approved_at AS approvedAt, approved_by AS approvedBy
        FROM channel_paired_users WHERE (@platform IS NULL OR platform = @platform) ORDER BY platform, approved_at`),
      saveAccount: db.prepare(`INSERT INTO channel_accounts (platform, account_id, state, detail, last_error, last_inbound_at, last_outbound_at, last_connected_at, updated_at)
        VALUES (@platform, @accountId, @state, @detail, @lastError, @lastInboundAt, @lastOutboundAt, @lastConnectedAt, @updatedAt)
        ON CONFLICT (platform, account_id) DO UPDATE SET state = excluded.state, detail = excluded.detail, last_error = excluded.last_error,
          last_inbound_at = excluded.last_inbound_at, last_outbound_at = excluded.last_outbound_at, last_connected_at = excluded.last_connected_at, updated_at = excluded.updated_at`),
      accounts: db.prepare(`SELECT platform, account_id AS accountId, state, detail, last_error AS lastError, last_inbound_at AS lastInboundAt,
        last_outbound_at AS lastOutboundAt, last_connected_at AS lastConnectedAt, updated_at AS updatedAt FROM channel_accounts ORDER BY platform, account_id`),
      setTitle: db.prepare(`INSERT INTO channel_session_titles (session_id, session_key, title, created_at) VALUES (@sessionId, @sessionKey, @title, @createdAt)
        ON CONFLICT (session_id) DO UPDATE SET title = excluded.title`),
      titleOf: db.prepare('SELECT title FROM channel_session_titles WHERE session_id = ?'),
      findTitled: db.prepare(`SELECT session_id AS sessionId, session_key AS sessionKey, title, created_at AS createdAt FROM channel_session_titles
        WHERE session_key = ? AND lower(title) = lower(?) ORDER BY created_at DESC LIMIT 1`),
      titled: db.prepare(`SELECT session_id AS sessionId, session_key AS sessionKey, title, created_at AS createdAt FROM channel_session_titles
        WHERE session_key = ? ORDER BY created_at DESC LIMIT ?`),
      deliveryByKey: db.prepare('SELECT id, status, platform_message_id AS platformMessageId FROM outbound_deliveries WHERE idempotency_key = ? LIMIT 1'),
      generation: db.prepare('SELECT session_id FROM transcripts WHERE session_id = ? AND session_key = ?'),
      current: db.prepare('SELECT session_id FROM sessions WHERE key = ?'),
      endGeneration: db.prepare(`UPDATE transcripts SET ended_at = ?, end_reason = 'resume' WHERE session_id = ?`),
      reopenGeneration: db.prepare('UPDATE transcripts SET ended_at = NULL, end_reason = NULL WHERE session_id = ?'),
      repoint: db.prepare('UPDATE sessions SET previous_session_id = session_id, session_id = ?, updated_at = ? WHERE key = ?'),
    };
  }

  addPairingRequest(row: PairingRequestRow): void {
    this.s.addRequest.run({ ...row, chatId: row.chatId ?? null, displayName: row.displayName ?? null });
  }

  pendingPairing(platform: string | undefined, now: number): PairingRequestRow[] {
    return (this.s.pending.all({ platform: platform ?? null, now }) as PairingRequestRow[]).map(clean);
  }

  pairingRequestOf(platform: string, userId: string): PairingRequestRow | undefined {
    const row = this.s.requestOf.get(platform, userId) as PairingRequestRow | undefined;
    return row && clean(row);
  }

  deletePairingRequest(id: string): void { this.s.deleteRequest.run(id); }
  expirePairing(now: number): number { return this.s.expire.run(now).changes; }

  lastPairingRequest(platform: string, userId: string): number | undefined {
    return (this.s.lastRequest.get(platform, userId) as { at: number } | undefined)?.at;
  }

  notePairingRequest(platform: string, userId: string, now: number): void { this.s.noteRequest.run(platform, userId, now); }

  lockout(platform: string): { failures: number; lockedUntil?: number } {
    const row = this.s.lockout.get(platform) as { failures: number; lockedUntil: number | null } | undefined;
    return row ? { failures: row.failures, ...(row.lockedUntil !== null ? { lockedUntil: row.lockedUntil } : {}) } : { failures: 0 };
  }

  setLockout(platform: string, failures: number, lockedUntil: number | undefined): void {
    this.s.setLockout.run(platform, failures, lockedUntil ?? null);
  }

  addPairedUser(row: PairedUserRow): void {
    this.s.addPaired.run({ ...row, displayName: row.displayName ?? null, approvedBy: row.approvedBy ?? null });
  }

  removePairedUser(platform: string, userId: string): boolean { return this.s.removePaired.run(platform, userId).changes > 0; }
  isPaired(platform: string, userId: string): boolean { return this.s.isPaired.get(platform, userId) !== undefined; }

  pairedUsers(platform?: string): PairedUserRow[] {
    return (this.s.paired.all({ platform: platform ?? null }) as PairedUserRow[]).map(clean);
  }

  saveAccount(row: AccountStateRow): void {
    this.s.saveAccount.run({
      ...row,
      detail: row.detail ?? null,
      lastError: row.lastError ?? null,
      lastInboundAt: row.lastInboundAt ?? null,
      lastOutboundAt: row.lastOutboundAt ?? null,
      lastConnectedAt: row.lastConnectedAt ?? null,
    });
  }

  accounts(): AccountStateRow[] { return (this.s.accounts.all() as AccountStateRow[]).map(clean); }

  setTitle(row: SessionTitleRow): void { this.s.setTitle.run(row); }
  titleOf(sessionId: string): string | undefined { return (this.s.titleOf.get(sessionId) as { title: string } | undefined)?.title; }
  findTitled(sessionKey: string, title: string): SessionTitleRow | undefined { return this.s.findTitled.get(sessionKey, title) as SessionTitleRow | undefined; }
  titled(sessionKey: string, limit: number): SessionTitleRow[] { return this.s.titled.all(sessionKey, limit) as SessionTitleRow[]; }

  deliveryByKey(idempotencyKey: string): { id: string; status: string; platformMessageId?: string } | undefined {
    const row = this.s.deliveryByKey.get(idempotencyKey) as { id: string; status: string; platformMessageId?: string } | undefined;
    return row && clean(row);
  }

  repointSession(sessionKey: string, sessionId: string, now: number): boolean {
    return this.db.transaction(() => {
      if (!this.s.generation.get(sessionId, sessionKey)) return false;
      const current = (this.s.current.get(sessionKey) as { session_id: string } | undefined)?.session_id;
      if (!current || current === sessionId) return current === sessionId;
      this.s.endGeneration.run(now, current);
      this.s.reopenGeneration.run(sessionId);
      this.s.repoint.run(sessionId, now, sessionKey);
      return true;
    })();
  }
}

/** Drops SQL NULLs so optional fields are absent rather than null. */
function clean<T extends object>(row: T): T {
  for (const key of Object.keys(row) as (keyof T)[]) if (row[key] === null) delete row[key];
  return row;
}
