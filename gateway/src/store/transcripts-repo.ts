/**
 * Transcript entries of one generation (`sessionId`), numbered by `seq` from 1 without gaps.
 *
 * What a streaming agent run persists, so that `kill -9` at any instant leaves a consistent
 * transcript:
 * 1. `append` the user message (durably, with the request's idempotency key) before the run starts;
 * 2. `append` the assistant message with `state: 'partial'` when the first delta arrives, and
 *    `update` it with the accumulated text now and then (checkpoints: a crash loses at most the
 *    text since the last one);
 * 3. `update` it to `final` (or `aborted`/`error`) with its `toolCalls` when the turn ends; each tool
 *    call is then *pending* until a `tool` entry with its `toolCallId` is appended.
 * On start-up, {@link TranscriptRepository.repairInterrupted} marks partial entries `interrupted`
 * and closes every pending tool call with an "interrupted" tool result, so no provider ever sees a
 * tool call without its result (user-pain row 20).
 */
import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { TranscriptRole, TranscriptState } from '@switchboard/protocol';
import type { InboundMessage } from '../agent/prompt.js';

/** Optional facts stored with an entry. */
export interface EntryMeta {
  label?: string;
  stopReason?: string;
  usage?: Record<string, unknown>;
  abort?: { reason: string; at: number };
  isError?: boolean;
  /** On `user` entries: where the message came from (channel, sender, group); untrusted data. */
  origin?: Omit<InboundMessage, 'text'>;
  /** On a failed run's last `assistant` entry: what went wrong. */
  error?: { message: string; kind: string };
}

/** An entry to append. */
export interface NewEntry {
  role: TranscriptRole;
  /** Content blocks, e.g. `[{ type: 'text', text }]`. */
  content: unknown[];
  /** Default `final`. */
  state?: TranscriptState;
  runId?: string;
  /** On `tool` entries: the call this answers (closes it). */
  toolCallId?: string;
  /** On `assistant` entries: calls that now wait for a `tool` entry. */
  toolCalls?: Array<{ id: string; name?: string }>;
  meta?: EntryMeta;
  /** The request that created this entry. */
  idempotencyKey?: string;
  /** Who sent that request: the caller's idempotency-ledger scope (absent for channel messages). */
  idempotencyScope?: string;
}

/** A stored entry. */
export interface TranscriptEntry {
  id: string;
  sessionId: string;
  seq: number;
  role: TranscriptRole;
  /** Absent when the entry was larger than the reader's byte limit (see `bytes`). */
  content?: unknown[];
  state: TranscriptState;
  runId?: string;
  toolCallId?: string;
  meta?: EntryMeta;
  idempotencyKey?: string;
  idempotencyScope?: string;
  bytes: number;
  createdAt: number;
  updatedAt: number;
}

/** A checkpoint or the end of a streamed entry. */
export interface EntryUpdate {
  content?: unknown[];
  state?: TranscriptState;
  meta?: EntryMeta;
  toolCalls?: Array<{ id: string; name?: string }>;
}

/** Raised when appending to a generation that does not exist (deleted meanwhile). */
export class TranscriptNotFoundError extends Error {
  constructor(readonly sessionId: string) {
    super(`transcript ${sessionId} does not exist (the session was deleted)`);
    this.name = 'TranscriptNotFoundError';
  }
}

/** Reads and writes transcript entries (see the streaming contract above). */
export interface TranscriptRepository {
  append(sessionId: string, entry: NewEntry, now: number): TranscriptEntry;
  /** Checkpoints or finishes an entry (streaming). */
  update(entryId: string, update: EntryUpdate, now: number): TranscriptEntry;
  get(entryId: string): TranscriptEntry | undefined;
  /**
   * Newest-first page of entries with `seq < beforeSeq` (all when absent). Entries over
   * `maxEntryBytes` come without `content` so huge rows are never loaded.
   */
  page(sessionId: string, options: { beforeSeq?: number; limit: number; maxEntryBytes: number }): TranscriptEntry[];
  count(sessionId: string): number;
  /**
   * The entry of `sessionId` carrying `idempotencyKey` stored for `scope` (no scope: stored without
   * one, as channel messages are), looked up among its newest `window` entries only (a re-submitted
   * message is a recent one; the bound keeps the lookup an index range scan).
   */
  findByIdempotencyKey(sessionId: string, idempotencyKey: string, window: number, scope?: string): TranscriptEntry | undefined;
  /** The entries of one run, oldest first, at most `limit` (indexed by run id). */
  runEntries(runId: string, limit: number): TranscriptEntry[];
  /** Closes what a crash left open; returns what it did. Run once at start-up. */
  repairInterrupted(now: number): { partialsClosed: number; toolCallsClosed: number };
}

interface Row {
  id: string;
  session_id: string;
  seq: number;
  role: TranscriptRole;
  content: string | null;
  state: TranscriptState;
  run_id: string | null;
  tool_call_id: string | null;
  meta: string | null;
  idempotency_key: string | null;
  idempotency_scope: string | null;
  bytes: number;
  created_at: number;
  updated_at: number;
}

/** The text of the tool result that closes a call a crash cut off. */
export const INTERRUPTED_TOOL_RESULT = 'The tool call was interrupted: the gateway stopped before the tool returned a result.';

const COLUMNS = 'id, session_id, seq, role, state, run_id, tool_call_id, meta, idempotency_key, idempotency_scope, bytes, created_at, updated_at';

/** Transcripts in SQLite. */
export class SqliteTranscriptRepository implements TranscriptRepository {
  private readonly s: Record<'next' | 'insert' | 'bump' | 'touch' | 'addPending' | 'closePending' | 'get' | 'update' | 'page' | 'count' | 'partials' | 'pending' | 'dropPending' | 'byKey' | 'byRun', Statement>;

  constructor(private readonly db: Database) {
    this.s = {
      next: db.prepare('SELECT last_seq FROM transcripts WHERE session_id = ?'),
      insert: db.prepare(`INSERT INTO transcript_entries (id, session_id, seq, role, content, state, run_id, tool_call_id, meta, idempotency_key, idempotency_scope, bytes, created_at, updated_at)
        VALUES (@id, @sessionId, @seq, @role, @content, @state, @runId, @toolCallId, @meta, @idempotencyKey, @idempotencyScope, @bytes, @now, @now)`),
      bump: db.prepare('UPDATE transcripts SET last_seq = ?, entry_count = entry_count + 1 WHERE session_id = ?'),
      touch: db.prepare('UPDATE sessions SET updated_at = ?, last_activity_at = ? WHERE session_id = ?'),
      addPending: db.prepare('INSERT OR IGNORE INTO pending_tool_calls (session_id, call_id, entry_id, name, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      closePending: db.prepare('DELETE FROM pending_tool_calls WHERE session_id = ? AND call_id = ?'),
      get: db.prepare(`SELECT ${COLUMNS}, content FROM transcript_entries WHERE id = ?`),
      update: db.prepare('UPDATE transcript_entries SET content = @content, bytes = @bytes, state = @state, meta = @meta, updated_at = @now WHERE id = @id'),
      page: db.prepare(`SELECT ${COLUMNS}, CASE WHEN bytes > @max THEN NULL ELSE content END AS content
        FROM transcript_entries WHERE session_id = @sessionId AND seq < @before ORDER BY seq DESC LIMIT @limit`),
      count: db.prepare('SELECT entry_count AS n FROM transcripts WHERE session_id = ?'),
      partials: db.prepare(`SELECT ${COLUMNS}, content FROM transcript_entries WHERE state = 'partial'`),
      pending: db.prepare('SELECT session_id, call_id, run_id FROM pending_tool_calls ORDER BY created_at'),
      dropPending: db.prepare('DELETE FROM pending_tool_calls WHERE session_id = ? AND call_id = ?'),
      byKey: db.prepare(`SELECT ${COLUMNS}, content FROM transcript_entries
        WHERE session_id = @sessionId AND seq > (SELECT last_seq FROM transcripts WHERE session_id = @sessionId) - @window
          AND idempotency_key = @key AND idempotency_scope IS @scope ORDER BY seq LIMIT 1`),
      byRun: db.prepare(`SELECT ${COLUMNS}, content FROM transcript_entries WHERE run_id = ? ORDER BY seq LIMIT ?`),
    };
  }

  append(sessionId: string, entry: NewEntry, now: number): TranscriptEntry {
    return this.db.transaction(() => {
      const gen = this.s.next.get(sessionId) as { last_seq: number } | undefined;
      if (!gen) throw new TranscriptNotFoundError(sessionId);
      const content = JSON.stringify(entry.content);
      const row = {
        id: randomUUID(),
        sessionId,
        seq: gen.last_seq + 1,
        role: entry.role,
        content,
        state: entry.state ?? 'final',
        runId: entry.runId ?? null,
        toolCallId: entry.toolCallId ?? null,
        meta: entry.meta ? JSON.stringify(entry.meta) : null,
        idempotencyKey: entry.idempotencyKey ?? null,
        idempotencyScope: entry.idempotencyScope ?? null,
        bytes: Buffer.byteLength(content),
        now,
      };
      this.s.insert.run(row);
      this.s.bump.run(row.seq, sessionId);
      this.s.touch.run(now, now, sessionId);
      if (entry.toolCallId) this.s.closePending.run(sessionId, entry.toolCallId);
      for (const call of entry.toolCalls ?? []) this.s.addPending.run(sessionId, call.id, row.id, call.name ?? null, row.runId, now);
      const created: TranscriptEntry = {
        id: row.id, sessionId, seq: row.seq, role: entry.role, content: entry.content, state: row.state,
        bytes: row.bytes, createdAt: now, updatedAt: now,
      };
      if (entry.runId) created.runId = entry.runId;
      if (entry.toolCallId) created.toolCallId = entry.toolCallId;
      if (entry.meta) created.meta = entry.meta;
      if (entry.idempotencyKey) created.idempotencyKey = entry.idempotencyKey;
      if (entry.idempotencyScope) created.idempotencyScope = entry.idempotencyScope;
      return created;
    })();
  }

  update(entryId: string, update: EntryUpdate, now: number): TranscriptEntry {
    return this.db.transaction(() => {
      const current = this.get(entryId);
      if (!current) throw new Error(`transcript entry ${entryId} does not exist`);
      const content = JSON.stringify(update.content ?? current.content ?? []);
      const meta = update.meta ?? current.meta;
      this.s.update.run({
        id: entryId,
        content,
        bytes: Buffer.byteLength(content),
        state: update.state ?? current.state,
        meta: meta ? JSON.stringify(meta) : null,
        now,
      });
      for (const call of update.toolCalls ?? []) this.s.addPending.run(current.sessionId, call.id, entryId, call.name ?? null, current.runId ?? null, now);
      return this.get(entryId)!;
    })();
  }

  get(entryId: string): TranscriptEntry | undefined {
    const row = this.s.get.get(entryId) as Row | undefined;
    return row && toEntry(row);
  }

  page(sessionId: string, options: { beforeSeq?: number; limit: number; maxEntryBytes: number }): TranscriptEntry[] {
    const rows = this.s.page.all({
      sessionId,
      before: options.beforeSeq ?? Number.MAX_SAFE_INTEGER,
      limit: options.limit,
      max: options.maxEntryBytes,
    }) as Row[];
    return rows.map(toEntry);
  }

  count(sessionId: string): number {
    return (this.s.count.get(sessionId) as { n: number } | undefined)?.n ?? 0;
  }

  findByIdempotencyKey(sessionId: string, idempotencyKey: string, window: number, scope?: string): TranscriptEntry | undefined {
    const row = this.s.byKey.get({ sessionId, key: idempotencyKey, window, scope: scope ?? null }) as Row | undefined;
    return row && toEntry(row);
  }

  runEntries(runId: string, limit: number): TranscriptEntry[] {
    return (this.s.byRun.all(runId, limit) as Row[]).map(toEntry);
  }

  repairInterrupted(now: number): { partialsClosed: number; toolCallsClosed: number } {
    return this.db.transaction(() => {
      const abort = { reason: 'gateway-restart', at: now };
      const partials = (this.s.partials.all() as Row[]).map(toEntry);
      for (const p of partials) this.update(p.id, { state: 'interrupted', meta: { ...p.meta, abort } }, now);
      const pending = this.s.pending.all() as { session_id: string; call_id: string; run_id: string | null }[];
      for (const call of pending) {
        this.append(call.session_id, {
          role: 'tool',
          toolCallId: call.call_id,
          runId: call.run_id ?? undefined,
          state: 'interrupted',
          content: [{ type: 'text', text: INTERRUPTED_TOOL_RESULT }],
          meta: { abort, isError: true },
        }, now);
        this.s.dropPending.run(call.session_id, call.call_id);
      }
      return { partialsClosed: partials.length, toolCallsClosed: pending.length };
    })();
  }
}

function toEntry(row: Row): TranscriptEntry {
  const e: TranscriptEntry = {
    id: row.id,
    sessionId: row.session_id,
    seq: row.seq,
    role: row.role,
    state: row.state,
    bytes: row.bytes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.content !== null) e.content = JSON.parse(row.content) as unknown[];
  if (row.run_id !== null) e.runId = row.run_id;
  if (row.tool_call_id !== null) e.toolCallId = row.tool_call_id;
  if (row.meta !== null) e.meta = JSON.parse(row.meta) as EntryMeta;
  if (row.idempotency_key !== null) e.idempotencyKey = row.idempotency_key;
  if (row.idempotency_scope !== null) e.idempotencyScope = row.idempotency_scope;
  return e;
}
