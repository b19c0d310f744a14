/**
 * Exec approvals: a `system.run` that is not on its node's allowlist waits here for an operator.
 *
 *   request() ──exec.approval.requested──▶ operators (operator.approvals)
 *      │  resolve(id, allow-once | allow-always | deny)  → decided
 *      │  no decision within the timeout                 → deny (expired)
 *      │  the caller stops waiting (abort, shutdown)     → deny (cancelled)
 *      └─ every ending is recorded (fsynced) and announced with exec.approval.resolved.
 *
 * First answer wins; repeating the same decision is answered `ok` (a retried click), a different
 * one is `APPROVAL_NOT_FOUND`. Pending requests are bounded.
 */
import { randomUUID } from 'node:crypto';
import {
  GatewayError,
  type ExecApprovalDecision, type ExecApprovalEntry, type ExecApprovalRecord, type ExecApprovalRequest,
} from '@switchboard/protocol';
import type { Log } from '../log.js';
import type { Broadcaster } from '../server/broadcaster.js';
import type { ApprovalEnding, ApprovalLog } from './log.js';

/** How a request ended. */
export interface ApprovalOutcome {
  id: string;
  decision: ExecApprovalDecision;
  ending: ApprovalEnding;
  resolvedBy: string;
}

interface Pending {
  entry: ExecApprovalEntry;
  timer: NodeJS.Timeout;
  done(outcome: ApprovalOutcome): void;
}

/** What the service needs. */
export interface ExecApprovalsDeps {
  log: ApprovalLog;
  broadcaster: Pick<Broadcaster, 'broadcast'>;
  logger: Log;
  timeoutMs: number;
  maxPending: number;
}

/** Decided ids remembered for idempotent repeats of a resolve. */
const RECENT_DECISIONS = 256;

/** The exec approval service of one daemon. */
export class ExecApprovals {
  private readonly pending = new Map<string, Pending>();
  private readonly recent = new Map<string, ExecApprovalDecision>();
  private closed = false;

  constructor(private readonly deps: ExecApprovalsDeps) {}

  /** Closes requests a previous process left open (they count as expired, deny). */
  start(): void {
    const closed = this.deps.log.closeLeftovers();
    if (closed > 0) this.deps.logger.warn({ closed }, 'exec approvals left open by the previous run were closed as expired (deny)');
  }

  /** How many requests wait for a decision. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Asks the operators; resolves when the request ends (never rejects after it was announced).
   * Throws UNAVAILABLE when too many requests already wait.
   */
  request(request: ExecApprovalRequest, options: { signal?: AbortSignal; onOpened?: (entry: ExecApprovalEntry) => void } = {}, now = Date.now()): Promise<ApprovalOutcome> {
    const { signal, onOpened } = options;
    if (this.closed) throw new GatewayError('UNAVAILABLE', 'the gateway is shutting down; the command was not run');
    if (this.pending.size >= this.deps.maxPending) {
      throw new GatewayError('UNAVAILABLE', `${this.pending.size} exec approvals already wait for a decision; decide some (\`switchboard approvals list\`) and try again`, {
        details: { code: 'NODE_INVOKES_FULL', pendingApprovals: this.pending.size },
      });
    }
    const entry: ExecApprovalEntry = { id: randomUUID(), approvalKind: 'exec', request, createdAtMs: now, expiresAtMs: now + this.deps.timeoutMs };
    this.deps.log.opened(entry);
    return new Promise<ApprovalOutcome>((resolve) => {
      const timer = setTimeout(() => this.finish(entry.id, 'deny', 'expired', 'timeout'), this.deps.timeoutMs);
      timer.unref?.();
      const onAbort = () => this.finish(entry.id, 'deny', 'cancelled', 'caller');
      this.pending.set(entry.id, {
        entry,
        timer,
        done: (outcome) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      });
      this.deps.logger.info({ approvalId: entry.id, nodeId: request.nodeId, by: request.requestedBy }, 'exec approval requested');
      this.deps.broadcaster.broadcast('exec.approval.requested', entry);
      onOpened?.(entry);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** An operator's decision. Throws APPROVAL_NOT_FOUND for an unknown id or a conflicting repeat. */
  resolve(id: string, decision: ExecApprovalDecision, resolvedBy: string): void {
    if (this.pending.has(id)) {
      this.finish(id, decision, 'decided', resolvedBy);
      return;
    }
    const earlier = this.recent.get(id) ?? this.deps.log.get(id)?.decision;
    if (earlier === decision) return;
    throw new GatewayError('APPROVAL_NOT_FOUND', earlier
      ? `approval ${id} was already resolved (${earlier}); see \`switchboard approvals list --history\``
      : `unknown approval id ${id}: it expired, was decided, or never existed; see \`switchboard approvals list\``, {
      details: { id, ...(earlier ? { decision: earlier } : {}) },
    });
  }

  /** Pending requests, oldest first. */
  list(): ExecApprovalEntry[] {
    return [...this.pending.values()].map((p) => p.entry).sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  /** The durable record, newest first. */
  history(limit: number): ExecApprovalRecord[] {
    return this.deps.log.recent(limit);
  }

  /** Ends every pending request as cancelled (deny) and refuses new ones. Idempotent. */
  close(): void {
    this.closed = true;
    for (const id of [...this.pending.keys()]) this.finish(id, 'deny', 'cancelled', 'gateway stopping');
  }

  private finish(id: string, decision: ExecApprovalDecision, ending: ApprovalEnding, resolvedBy: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    let outcome: ApprovalOutcome = { id, decision, ending, resolvedBy };
    try {
      this.deps.log.ended(id, decision, ending, resolvedBy);
    } catch (err) {
      // A decision that could not be recorded must not let a command run.
      this.deps.logger.error({ err, approvalId: id }, 'could not record an exec approval decision; treating it as deny');
      outcome = { id, decision: 'deny', ending, resolvedBy };
    }
    this.remember(id, outcome.decision);
    this.deps.logger.info({ approvalId: id, decision: outcome.decision, ending, by: resolvedBy }, 'exec approval ended');
    this.deps.broadcaster.broadcast('exec.approval.resolved', {
      id, decision: outcome.decision, ending, resolvedBy, ts: Date.now(), request: p.entry.request,
    });
    p.done(outcome);
  }

  private remember(id: string, decision: ExecApprovalDecision): void {
    this.recent.set(id, decision);
    if (this.recent.size > RECENT_DECISIONS) this.recent.delete(this.recent.keys().next().value as string);
  }
}
