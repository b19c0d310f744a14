/**
 * The durable record of exec approvals, kept in the store (`store.approvals`). A request is written
 * when it is made and updated when it ends; a decision that lets a command run is committed with
 * fsync (`store.commitSync()`) before the command is sent to the node. Rows left open by a previous
 * process (the gateway stopped while they waited) are closed as expired at start-up. The record is
 * bounded: beyond `maxRecords`, the oldest ended rows are dropped.
 */
import type { ExecApprovalDecision, ExecApprovalEntry, ExecApprovalRecord } from '@switchboard/protocol';
import type { Store } from '../store/store.js';
import type { ApprovalEnding } from '../store/approvals-repo.js';

export type { ApprovalEnding } from '../store/approvals-repo.js';

/** Prune the record every this many inserts. */
const PRUNE_EVERY = 100;

/** The approval record over the store. */
export class ApprovalLog {
  private inserts = 0;

  constructor(private readonly store: Store, private readonly maxRecords: number) {}

  /** Records a new pending request. */
  opened(entry: ExecApprovalEntry): void {
    this.store.transaction(() => {
      this.store.approvals.insert(entry);
      if (++this.inserts % PRUNE_EVERY === 0) this.store.approvals.prune(this.maxRecords);
    });
  }

  /**
   * Records how a request ended, fsynced before it returns (a command may run because of it).
   * Returns false when the row was already ended (first answer wins).
   */
  ended(id: string, decision: ExecApprovalDecision, ending: ApprovalEnding, resolvedBy: string, at = Date.now()): boolean {
    return this.store.commitSync(() => this.store.approvals.end(id, decision, ending, resolvedBy, at));
  }

  /** Closes rows a previous process left open (deny, expired); returns how many. */
  closeLeftovers(at = Date.now()): number {
    return this.store.transaction(() => this.store.approvals.closeOpen('gateway restart', at));
  }

  /** One record, or undefined. */
  get(id: string): ExecApprovalRecord | undefined {
    return this.store.approvals.get(id);
  }

  /** The newest `limit` records, newest first. */
  recent(limit: number): ExecApprovalRecord[] {
    return this.store.approvals.recent(limit);
  }

  /** Drops the oldest ended rows beyond `maxRecords`. */
  prune(): number {
    return this.store.transaction(() => this.store.approvals.prune(this.maxRecords));
  }
}
