/**
 * The session index: one row per session key, pointing at its current transcript generation
 * (`transcripts`). A reset ends the generation and starts a new one; the old one is kept until the
 * session is deleted. Keys arrive canonical (`agent:<agentId>:<rest>`, see ../sessions/keys.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { QueueMode } from '@switchboard/protocol';

/** One session as stored. */
export interface SessionRecord {
  key: string;
  agentId: string;
  /** The current transcript generation. */
  sessionId: string;
  previousSessionId?: string;
  label?: string;
  displayName?: string;
  channel?: string;
  model?: string;
  thinkingLevel?: string;
  verboseLevel?: string;
  queueMode: QueueMode;
  lastRunId?: string;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  createdAt: number;
  updatedAt: number;
  lastActivityAt?: number;
  /** Entries in the current generation. */
  messageCount: number;
}

/** Settable fields; `null` clears one, `undefined` leaves it. */
export interface SessionPatch {
  label?: string | null;
  displayName?: string | null;
  channel?: string | null;
  model?: string | null;
  thinkingLevel?: string | null;
  verboseLevel?: string | null;
  queueMode?: QueueMode | null;
}

/** Filters and page of `SessionRepository.list`. */
export interface SessionQuery {
  limit: number;
  offset: number;
  agentId?: string;
  label?: string;
  /** Case-insensitive substring of key or label. */
  search?: string;
  updatedSince?: number;
}

/** Reads and writes the session index. */
export interface SessionRepository {
  get(key: string): SessionRecord | undefined;
  /** The session whose current generation is `sessionId`. */
  getBySessionId(sessionId: string): SessionRecord | undefined;
  /** Returns the session, creating it (with a fresh transcript) if missing. */
  ensure(key: string, agentId: string, now: number, patch?: SessionPatch): SessionRecord;
  /** Most recently updated first. */
  list(query: SessionQuery): { rows: SessionRecord[]; total: number };
  /** Applies `patch` to an existing session and bumps `updatedAt`. */
  patch(key: string, patch: SessionPatch, now: number): SessionRecord;
  /**
   * Ends the current generation and starts a new one, unless the current one is still empty
   * (then nothing changes and `rotated` is false).
   */
  reset(key: string, reason: string, now: number): { record: SessionRecord; rotated: boolean };
  /** Removes the row; with `deleteTranscripts` every generation goes too. Returns the generation ids. */
  delete(key: string, deleteTranscripts: boolean): { deleted: boolean; sessionIds: string[] };
  /** Marks activity (a run started or ended, a message arrived). */
  touch(key: string, now: number, runId?: string): void;
  /** Adds token usage to the counters. */
  addUsage(key: string, usage: { input?: number; output?: number; total?: number }): void;
  count(): number;
}

interface Row {
  key: string;
  agent_id: string;
  session_id: string;
  previous_session_id: string | null;
  label: string | null;
  display_name: string | null;
  channel: string | null;
  model: string | null;
  thinking_level: string | null;
  verbose_level: string | null;
  queue_mode: QueueMode;
  last_run_id: string | null;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  created_at: number;
  updated_at: number;
  last_activity_at: number | null;
  entry_count: number;
}

const PATCH_COLUMNS: Record<keyof SessionPatch, string> = {
  label: 'label',
  displayName: 'display_name',
  channel: 'channel',
  model: 'model',
  thinkingLevel: 'thinking_level',
  verboseLevel: 'verbose_level',
  queueMode: 'queue_mode',
};

const SELECT = 'SELECT s.*, t.entry_count FROM sessions s JOIN transcripts t ON t.session_id = s.session_id';

/** The session index in SQLite. */
export class SqliteSessionRepository implements SessionRepository {
  private readonly s: Record<'get' | 'bySessionId' | 'insertTranscript' | 'insertSession' | 'endTranscript' | 'rotate' | 'deleteSession' | 'generations' | 'deleteTranscripts' | 'touch' | 'usage' | 'count', Statement>;

  constructor(private readonly db: Database) {
    this.s = {
      get: db.prepare(`${SELECT} WHERE s.key = ?`),
      bySessionId: db.prepare(`${SELECT} WHERE s.session_id = ?`),
      insertTranscript: db.prepare('INSERT INTO transcripts (session_id, session_key, agent_id, created_at) VALUES (?, ?, ?, ?)'),
      insertSession: db.prepare('INSERT INTO sessions (key, agent_id, session_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)'),
      endTranscript: db.prepare('UPDATE transcripts SET ended_at = ?, end_reason = ? WHERE session_id = ?'),
      rotate: db.prepare('UPDATE sessions SET previous_session_id = session_id, session_id = ?, updated_at = ? WHERE key = ?'),
      deleteSession: db.prepare('DELETE FROM sessions WHERE key = ?'),
      generations: db.prepare('SELECT session_id FROM transcripts WHERE session_key = ? ORDER BY created_at'),
      deleteTranscripts: db.prepare('DELETE FROM transcripts WHERE session_key = ?'),
      touch: db.prepare('UPDATE sessions SET updated_at = ?, last_activity_at = ?, last_run_id = COALESCE(?, last_run_id) WHERE key = ?'),
      usage: db.prepare(`UPDATE sessions SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,
        total_tokens = total_tokens + ? WHERE key = ?`),
      count: db.prepare('SELECT COUNT(*) AS n FROM sessions'),
    };
  }

  get(key: string): SessionRecord | undefined {
    const row = this.s.get.get(key) as Row | undefined;
    return row && toRecord(row);
  }

  getBySessionId(sessionId: string): SessionRecord | undefined {
    const row = this.s.bySessionId.get(sessionId) as Row | undefined;
    return row && toRecord(row);
  }

  ensure(key: string, agentId: string, now: number, patch?: SessionPatch): SessionRecord {
    return this.db.transaction(() => {
      if (!this.get(key)) {
        const sessionId = randomUUID();
        this.s.insertTranscript.run(sessionId, key, agentId, now);
        this.s.insertSession.run(key, agentId, sessionId, now, now);
      }
      return patch ? this.patch(key, patch, now) : this.get(key)!;
    })();
  }

  list(query: SessionQuery): { rows: SessionRecord[]; total: number } {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: query.limit, offset: query.offset };
    if (query.agentId !== undefined) { where.push('s.agent_id = @agentId'); args.agentId = query.agentId; }
    if (query.label !== undefined) { where.push('s.label = @label'); args.label = query.label; }
    if (query.updatedSince !== undefined) { where.push('s.updated_at >= @since'); args.since = query.updatedSince; }
    if (query.search) {
      // instr() on lower-cased text: no LIKE wildcards to escape in user input.
      where.push('(instr(lower(s.key), @search) > 0 OR instr(lower(COALESCE(s.label, \'\')), @search) > 0)');
      args.search = query.search.toLowerCase();
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.db.prepare(`${SELECT} ${clause} ORDER BY s.updated_at DESC, s.key LIMIT @limit OFFSET @offset`).all(args) as Row[];
    const { n } = this.db.prepare(`SELECT COUNT(*) AS n FROM sessions s ${clause}`).get(args) as { n: number };
    return { rows: rows.map(toRecord), total: n };
  }

  patch(key: string, patch: SessionPatch, now: number): SessionRecord {
    const sets: string[] = ['updated_at = @now'];
    const args: Record<string, unknown> = { key, now };
    for (const [field, column] of Object.entries(PATCH_COLUMNS) as [keyof SessionPatch, string][]) {
      const value = patch[field];
      if (value === undefined) continue;
      // queue_mode is NOT NULL: clearing it restores the default.
      sets.push(`${column} = @${field}`);
      args[field] = value === null && field === 'queueMode' ? 'interrupt' : value;
    }
    const changes = this.db.prepare(`UPDATE sessions SET ${sets.join(', ')} WHERE key = @key`).run(args).changes;
    if (changes === 0) throw new Error(`no session ${key}`);
    return this.get(key)!;
  }

  reset(key: string, reason: string, now: number): { record: SessionRecord; rotated: boolean } {
    return this.db.transaction(() => {
      const current = this.get(key);
      if (!current) throw new Error(`no session ${key}`);
      if (current.messageCount === 0) return { record: current, rotated: false };
      const sessionId = randomUUID();
      this.s.endTranscript.run(now, reason, current.sessionId);
      this.s.insertTranscript.run(sessionId, key, current.agentId, now);
      this.s.rotate.run(sessionId, now, key);
      return { record: this.get(key)!, rotated: true };
    })();
  }

  delete(key: string, deleteTranscripts: boolean): { deleted: boolean; sessionIds: string[] } {
    return this.db.transaction(() => {
      const sessionIds = (this.s.generations.all(key) as { session_id: string }[]).map((r) => r.session_id);
      const deleted = this.s.deleteSession.run(key).changes > 0;
      if (deleteTranscripts) this.s.deleteTranscripts.run(key);
      return { deleted, sessionIds };
    })();
  }

  touch(key: string, now: number, runId?: string): void {
    this.s.touch.run(now, now, runId ?? null, key);
  }

  addUsage(key: string, usage: { input?: number; output?: number; total?: number }): void {
    const input = usage.input ?? 0;
    const output = usage.output ?? 0;
    this.s.usage.run(input, output, usage.total ?? input + output, key);
  }

  count(): number {
    return (this.s.count.get() as { n: number }).n;
  }
}

function toRecord(row: Row): SessionRecord {
  const r: SessionRecord = {
    key: row.key,
    agentId: row.agent_id,
    sessionId: row.session_id,
    queueMode: row.queue_mode,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    totalTokens: row.total_tokens,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    messageCount: row.entry_count,
  };
  if (row.previous_session_id !== null) r.previousSessionId = row.previous_session_id;
  if (row.label !== null) r.label = row.label;
  if (row.display_name !== null) r.displayName = row.display_name;
  if (row.channel !== null) r.channel = row.channel;
  if (row.model !== null) r.model = row.model;
  if (row.thinking_level !== null) r.thinkingLevel = row.thinking_level;
  if (row.verbose_level !== null) r.verboseLevel = row.verbose_level;
  if (row.last_run_id !== null) r.lastRunId = row.last_run_id;
  if (row.last_activity_at !== null) r.lastActivityAt = row.last_activity_at;
  return r;
}
