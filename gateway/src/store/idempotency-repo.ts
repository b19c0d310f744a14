/**
 * The idempotency ledger's table: one row per (scope, method, idempotencyKey). The rules (when to
 * accept, replay, release, sweep) live in `../idempotency/ledger.ts`; this file only reads and
 * writes rows. Every write here is meant to run inside a durable commit (`store.commit`).
 *
 *   accepted ──answer──▶ completed            one-answer methods
 *   accepted ──answer──▶ acked ──final──▶ completed   two-answer methods (`agent`)
 *   accepted/acked ──error──▶ failed
 *   accepted/acked ──gateway restarted──▶ interrupted
 */
import type { ErrorShape } from '@switchboard/protocol';
import type { Database, Statement } from 'better-sqlite3';

/** Where a request is in its life (see the diagram above). */
export type LedgerState = 'accepted' | 'acked' | 'completed' | 'failed' | 'interrupted';

/** What identifies one request in the ledger. */
export interface LedgerId {
  /** Who asked: role and principal (see docs/protocol.md, "Idempotency"). */
  readonly scope: string;
  readonly method: string;
  readonly key: string;
}

/** One ledger row. */
export interface LedgerEntry extends LedgerId {
  paramsHash: string;
  state: LedgerState;
  /** The daemon run that accepted it; another value means the request was cut off by a restart. */
  bootId: string;
  /** The (first) answer. */
  result?: unknown;
  /** The second answer of a two-answer method. */
  final?: unknown;
  error?: ErrorShape;
  acceptedAt: number;
  updatedAt: number;
  /** When the sweeper may delete it; absent while the work is running. */
  expiresAt?: number;
}

/** Reads and writes ledger rows. */
export interface IdempotencyRepository {
  get(id: LedgerId): LedgerEntry | undefined;
  /** Inserts an `accepted` row; throws if the id exists. */
  accept(id: LedgerId, paramsHash: string, bootId: string, now: number): void;
  /** Records the (first) answer: `completed` for one-answer methods, `acked` while a final is due. */
  answer(id: LedgerId, result: unknown, state: 'acked' | 'completed', now: number, expiresAt: number | undefined): void;
  /** Records the final answer of a two-answer method. */
  finish(id: LedgerId, final: unknown, now: number, expiresAt: number): void;
  fail(id: LedgerId, error: ErrorShape, now: number, expiresAt: number): void;
  /** Forgets the request (it changed nothing and may be retried with the same key). */
  release(id: LedgerId): void;
  /** Marks work accepted by other daemon runs as interrupted; returns how many. */
  interruptStale(bootId: string, now: number, expiresAt: number): number;
  /** Deletes up to `limit` expired rows; returns how many. */
  sweep(now: number, limit: number): number;
  /** Deletes up to `limit` of the oldest finished rows while more than `max` rows exist. */
  trim(max: number, limit: number): number;
  count(): number;
}

interface Row {
  scope: string;
  method: string;
  key: string;
  params_hash: string;
  state: LedgerState;
  boot_id: string;
  result: string | null;
  final: string | null;
  error: string | null;
  accepted_at: number;
  updated_at: number;
  expires_at: number | null;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/** The ledger table in SQLite. */
export class SqliteIdempotencyRepository implements IdempotencyRepository {
  private readonly s: Record<'get' | 'accept' | 'answer' | 'finish' | 'fail' | 'release' | 'interrupt' | 'sweep' | 'trim' | 'count', Statement>;

  constructor(db: Database) {
    const where = 'WHERE scope = @scope AND method = @method AND key = @key';
    this.s = {
      get: db.prepare(`SELECT * FROM idempotency ${where}`),
      accept: db.prepare(`INSERT INTO idempotency (scope, method, key, params_hash, state, boot_id, accepted_at, updated_at)
        VALUES (@scope, @method, @key, @hash, 'accepted', @boot, @now, @now)`),
      answer: db.prepare(`UPDATE idempotency SET state = @state, result = @result, updated_at = @now, expires_at = @expires ${where}`),
      finish: db.prepare(`UPDATE idempotency SET state = 'completed', final = @final, updated_at = @now, expires_at = @expires ${where}`),
      fail: db.prepare(`UPDATE idempotency SET state = 'failed', error = @error, updated_at = @now, expires_at = @expires ${where}`),
      release: db.prepare(`DELETE FROM idempotency ${where}`),
      interrupt: db.prepare(`UPDATE idempotency SET state = 'interrupted', updated_at = @now, expires_at = @expires
        WHERE expires_at IS NULL AND state IN ('accepted', 'acked') AND boot_id <> @boot`),
      sweep: db.prepare('DELETE FROM idempotency WHERE id IN (SELECT id FROM idempotency WHERE expires_at <= @now LIMIT @limit)'),
      trim: db.prepare(`DELETE FROM idempotency WHERE id IN (
        SELECT id FROM idempotency WHERE expires_at IS NOT NULL ORDER BY updated_at LIMIT @limit)`),
      count: db.prepare('SELECT COUNT(*) AS n FROM idempotency'),
    };
  }

  get(id: LedgerId): LedgerEntry | undefined {
    const row = this.s.get.get(id) as Row | undefined;
    return row ? toEntry(row) : undefined;
  }

  accept(id: LedgerId, paramsHash: string, bootId: string, now: number): void {
    this.s.accept.run({ ...id, hash: paramsHash, boot: bootId, now });
  }

  answer(id: LedgerId, result: unknown, state: 'acked' | 'completed', now: number, expiresAt: number | undefined): void {
    this.s.answer.run({ ...id, state, result: json(result), now, expires: expiresAt ?? null });
  }

  finish(id: LedgerId, final: unknown, now: number, expiresAt: number): void {
    this.s.finish.run({ ...id, final: json(final), now, expires: expiresAt });
  }

  fail(id: LedgerId, error: ErrorShape, now: number, expiresAt: number): void {
    this.s.fail.run({ ...id, error: JSON.stringify(error), now, expires: expiresAt });
  }

  release(id: LedgerId): void {
    this.s.release.run(id);
  }

  interruptStale(bootId: string, now: number, expiresAt: number): number {
    return this.s.interrupt.run({ boot: bootId, now, expires: expiresAt }).changes;
  }

  sweep(now: number, limit: number): number {
    return this.s.sweep.run({ now, limit }).changes;
  }

  trim(max: number, limit: number): number {
    const excess = this.count() - max;
    if (excess <= 0) return 0;
    return this.s.trim.run({ limit: Math.min(excess, limit) }).changes;
  }

  count(): number {
    return (this.s.count.get() as { n: number }).n;
  }
}

function toEntry(row: Row): LedgerEntry {
  const entry: LedgerEntry = {
    scope: row.scope,
    method: row.method,
    key: row.key,
    paramsHash: row.params_hash,
    state: row.state,
    bootId: row.boot_id,
    acceptedAt: row.accepted_at,
    updatedAt: row.updated_at,
  };
  if (row.result !== null) entry.result = JSON.parse(row.result);
  if (row.final !== null) entry.final = JSON.parse(row.final);
  if (row.error !== null) entry.error = JSON.parse(row.error) as ErrorShape;
  if (row.expires_at !== null) entry.expiresAt = row.expires_at;
  return entry;
}
