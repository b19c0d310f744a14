/**
 * The durable record of exec approvals (table `exec_approvals`, migration 6): one row per request,
 * written when it is made and updated once when it ends. Call the writes inside
 * `store.transaction()`, or `store.commitSync()` for an ending a command may run because of.
 */
import type { ExecApprovalDecision, ExecApprovalEntry, ExecApprovalRecord, ExecApprovalRequest } from '@switchboard/protocol';
import type { Database, Statement } from 'better-sqlite3';

/** How an approval ended. */
export type ApprovalEnding = 'decided' | 'expired' | 'cancelled';

/** Exec approval requests and how they ended. */
export interface ExecApprovalRepository {
  /** Records a new pending request. */
  insert(entry: ExecApprovalEntry): void;
  /** Records how a request ended; false when it had already ended (first answer wins) or is unknown. */
  end(id: string, decision: ExecApprovalDecision, ending: ApprovalEnding, resolvedBy: string, at: number): boolean;
  /** Ends every open request as `deny` / `expired` by `resolvedBy`; returns how many. */
  closeOpen(resolvedBy: string, at: number): number;
  /** One record, or undefined. */
  get(id: string): ExecApprovalRecord | undefined;
  /** The newest `limit` records, newest first. */
  recent(limit: number): ExecApprovalRecord[];
  /** Drops the oldest ended records beyond `keep` records in all; returns how many. */
  prune(keep: number): number;
}

interface ApprovalRow {
  id: string;
  node_id: string;
  request: string;
  created_at: number;
  expires_at: number;
  decision: string | null;
  ending: string | null;
  resolved_by: string | null;
  resolved_at: number | null;
}

function toRecord(r: ApprovalRow): ExecApprovalRecord {
  return {
    id: r.id,
    request: JSON.parse(r.request) as ExecApprovalRequest,
    createdAtMs: r.created_at,
    expiresAtMs: r.expires_at,
    decision: r.decision as ExecApprovalDecision | null,
    ending: r.ending as ApprovalEnding | null,
    ...(r.resolved_by ? { resolvedBy: r.resolved_by } : {}),
    ...(r.resolved_at !== null ? { resolvedAtMs: r.resolved_at } : {}),
  };
}

/** {@link ExecApprovalRepository} on the store's SQLite database. */
export class SqliteExecApprovalRepository implements ExecApprovalRepository {
  private readonly s: Record<string, Statement>;

  constructor(db: Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insert: p('INSERT INTO exec_approvals (id, node_id, request, created_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
      end: p('UPDATE exec_approvals SET decision = ?, ending = ?, resolved_by = ?, resolved_at = ? WHERE id = ? AND decision IS NULL'),
      closeOpen: p("UPDATE exec_approvals SET decision = 'deny', ending = 'expired', resolved_by = ?, resolved_at = ? WHERE decision IS NULL"),
      recent: p('SELECT * FROM exec_approvals ORDER BY created_at DESC, rowid DESC LIMIT ?'),
      get: p('SELECT * FROM exec_approvals WHERE id = ?'),
      count: p('SELECT count(*) AS n FROM exec_approvals'),
      prune: p(`DELETE FROM exec_approvals WHERE decision IS NOT NULL AND rowid IN
        (SELECT rowid FROM exec_approvals WHERE decision IS NOT NULL ORDER BY created_at ASC, rowid ASC LIMIT ?)`),
    };
  }

  insert(entry: ExecApprovalEntry): void {
    this.s.insert.run(entry.id, entry.request.nodeId, JSON.stringify(entry.request), entry.createdAtMs, entry.expiresAtMs);
  }

  end(id: string, decision: ExecApprovalDecision, ending: ApprovalEnding, resolvedBy: string, at: number): boolean {
    return this.s.end.run(decision, ending, resolvedBy, at, id).changes === 1;
  }

  closeOpen(resolvedBy: string, at: number): number {
    return this.s.closeOpen.run(resolvedBy, at).changes;
  }

  get(id: string): ExecApprovalRecord | undefined {
    const row = this.s.get.get(id) as ApprovalRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  recent(limit: number): ExecApprovalRecord[] {
    return (this.s.recent.all(limit) as ApprovalRow[]).map(toRecord);
  }

  prune(keep: number): number {
    const { n } = this.s.count.get() as { n: number };
    const excess = n - keep;
    return excess > 0 ? this.s.prune.run(excess).changes : 0;
  }
}
