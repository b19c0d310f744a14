/**
 * Per-method idempotency rules. Methods not listed get the defaults: a retry while the first
 * request runs waits for its answer, and a request cut off by a restart answers
 * `IDEMPOTENCY_OUTCOME_UNKNOWN` (its effect may or may not have happened).
 */
import type { CallableMethod } from '@switchboard/protocol';
import type { MethodContext } from '../context.js';

/** How one method behaves on retries. */
export interface IdempotencyPolicy {
  /**
   * What a retry gets when a restart cut the first request off. `rerun` is correct only when the
   * handler's whole effect is committed with `ctx.commit` (atomically with the answer): an
   * interrupted request then provably changed nothing, and running it again is exactly once.
   */
  interrupted?: 'rerun' | 'unknown';
  /**
   * Immediate answer for a retry that arrives while the first request is still running, before it
   * has answered (e.g. `{ runId, status: 'in_flight' }`); by default the retry waits for the answer.
   */
  inFlight?: (params: Record<string, unknown>) => unknown;
  /**
   * Adjusts a recorded answer when a retry replays it (e.g. `chat.send` answers `in_flight` while
   * the run it started is still going). Must return an answer of the method's result schema.
   */
  replay?: (recorded: unknown, ctx: MethodContext) => unknown;
}

/** The per-method policies; add an entry when a side-effect method needs other than the defaults. */
export const idempotencyPolicies: Partial<Record<CallableMethod, IdempotencyPolicy>> = {
  // The transcript append and the ledger answer commit in one transaction.
  'chat.inject': { interrupted: 'rerun' },
  // The stored user message and the ack commit in one transaction; a rerun finds the message by
  // its key (the run manager never stores it twice) and reports or restarts its run.
  'chat.send': { interrupted: 'rerun', replay: (recorded, ctx) => (isLiveRun(recorded, ctx) ? { ...(recorded as object), status: 'in_flight' } : recorded) },
  // The ack and the stored message commit in one transaction; the run does not. A rerun runs the
  // stored message again from the start (runs/intake.ts), or answers IDEMPOTENCY_OUTCOME_UNKNOWN
  // when the cut-off attempt had already called tools, whose effects could repeat.
  agent: { interrupted: 'rerun' },
};

function isLiveRun(recorded: unknown, ctx: MethodContext): boolean {
  const runId = (recorded as { runId?: unknown } | null)?.runId;
  return typeof runId === 'string' && ctx.services.runs.isLive(runId);
}
