/**
 * Durable state at start-up and shutdown: repair what a crash left open, mark requests a restart
 * cut off, start the idempotency ledger's sweeper, make sure the main session exists.
 */
import type { Log } from './log.js';
import type { Limits } from './config/limits.js';
import type { RecoveryReport, Store } from './store/store.js';
import { IdempotencyLedger } from './idempotency/ledger.js';
import { DEFAULT_AGENT_ID, MAIN_SESSION_KEY } from './sessions/keys.js';

/** The durable-state services of a running daemon. */
export interface DurableState {
  readonly ledger: IdempotencyLedger;
  /** What start-up recovery closed. */
  readonly recovery: RecoveryReport & { interruptedRequests: number };
  /** Stops background work. Idempotent. */
  close(): void;
}

/** Recovers the store, starts the idempotency ledger and ensures the main session; call once at start-up. */
export function startDurableState(store: Store, limits: Limits, log: Log): DurableState {
  const now = Date.now();
  const recovery = store.recover(now);
  const ledger = new IdempotencyLedger(store, {
    ttlMs: limits.idempotencyTtlMs,
    maxEntries: limits.maxIdempotencyEntries,
    sweepIntervalMs: limits.idempotencySweepIntervalMs,
    log: log.child({ ns: 'gateway:idempotency' }),
  });
  const { interrupted } = ledger.start();
  store.transaction(() => store.sessions.ensure(MAIN_SESSION_KEY, DEFAULT_AGENT_ID, now));
  const report = { ...recovery, interruptedRequests: interrupted };
  if (Object.values(report).some((n) => n > 0)) {
    log.child({ ns: 'gateway:store' }).warn(report, 'recovered state left open by an earlier crash');
  }
  return { ledger, recovery: report, close: () => ledger.close() };
}
