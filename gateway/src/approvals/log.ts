/**
 * The durable record of exec approvals (table `exec_approvals`, migration 6). A request is written
 * when it is made and updated when it ends; a decision that lets a command run is committed with
 * fsync before the command is sent to the node. Rows left open by a previous process (the gateway
 * stopped while they waited) are closed as expired at start-up. The record is bounded: beyond
 * `maxRecords`, the oldest ended rows are dropped.
 */
import type { ExecApprovalDecision, ExecApprovalEntry, ExecApprovalRecord, ExecApprovalRequest } from '@switchboard/protocol';
import { withDurableCommit, type Database } from '../store/database.js';
import type { Statement } from 'better-sqlite3';

/** How an approval ended. */
export type ApprovalEnding = 'decided' | 'expired' | 'cancelled';

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

/** Prune the record every this many inserts. */
const PRUNE_EVERY = 100;

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

/** The approval record over the store's database. */
export class ApprovalLog {
  private readonly s: Record<string, Statement>;
  private inserts = 0;

  constructor(private readonly db: Database, private readonly maxRecords: number) {
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

  /** Records a new pending request. */
  opened(entry: ExecApprovalEntry): void {
    this.s.insert.run(entry.id, entry.request.nodeId, JSON.stringify(entry.request), entry.createdAtMs, entry.expiresAtMs);
    if (++this.inserts % PRUNE_EVERY === 0) this.prune();
  }

  /**
   * Records how a request ended, fsynced before it returns (a command may run because of it).
   * Returns false when the row was already ended (first answer wins).
   */
  ended(id: string, decision: ExecApprovalDecision, ending: ApprovalEnding, resolvedBy: string, at = Date.now()): boolean {
    return withDurableCommit(this.db, () => this.s.end.run(decision, ending, resolvedBy, at, id).changes === 1);
  }

  /** Closes rows a previous process left open (deny, expired); returns how many. */
  closeLeftovers(at = Date.now()): number {
    return this.s.closeOpen.run('gateway restart', at).changes;
  }

  /** One record, or undefined. */
  get(id: string): ExecApprovalRecord | undefined {
    const row = this.s.get.get(id) as ApprovalRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** The newest `limit` records, newest first. */
  recent(limit: number): ExecApprovalRecord[] {
    return (this.s.recent.all(limit) as ApprovalRow[]).map(toRecord);
  }

  /** Drops the oldest ended rows beyond `maxRecords`. */
  prune(): number {
    const { n } = this.s.count.get() as { n: number };
    const excess = n - this.maxRecords;
    return excess > 0 ? this.s.prune.run(excess).changes : 0;
  }
}
