/**
 * Exactly once for side-effect methods, across reconnects and restarts. The dispatcher calls
 * {@link IdempotencyLedger.invoker} for every request; for methods the table marks `sideEffect`:
 *
 * 1. Same (scope, method, key) already running here → join it (same answer, effect not repeated).
 * 2. Recorded → replay: the recorded answer, or the recorded non-retryable error. A request a
 *    restart cut off is rerun only if its method's policy says its effect is atomic with its answer;
 *    otherwise it answers IDEMPOTENCY_OUTCOME_UNKNOWN, forever the same.
 * 3. New → record `accepted` durably (fsync) *before* the handler runs; run it; record the answer
 *    durably *before* responding (in the same transaction as the handler's own writes when it uses
 *    `ctx.commit`). A retryable error releases the key; other errors are recorded and replayed.
 * Two-answer methods (`agent`): the ack is recorded as `acked`; `ctx.sendFinal` records the final
 * durably, then sends it to the original requester and to any retry that joined meanwhile.
 *
 * Entries expire `ttlMs` after they finish (running work never expires) and are swept in the
 * background; above `maxEntries` the oldest finished ones go first.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, type MethodSpec } from '@switchboard/protocol';
import type { MethodContext } from '../context.js';
import type { Log } from '../log.js';
import type { Invoker } from '../server/dispatcher.js';
import type { Store } from '../store/store.js';
import type { LedgerEntry, LedgerId } from '../store/idempotency-repo.js';
import { Flight } from './flight.js';
import { idempotencyPolicies, type IdempotencyPolicy } from './policies.js';
import { idempotencyScope, paramsFingerprint } from './scope.js';

/** How the ledger keeps entries (see config/limits.ts for the defaults). */
export interface LedgerOptions {
  /** How long a finished entry is kept (default 24 h). */
  ttlMs: number;
  /** Most entries kept (default 100,000). */
  maxEntries: number;
  /** Background sweep interval (default 60 s). */
  sweepIntervalMs: number;
  log: Log;
  policies?: Partial<Record<string, IdempotencyPolicy>>;
  now?: () => number;
}

/** Rows deleted per sweep step, so a sweep never holds the database for long. */
const SWEEP_BATCH = 5_000;
const RERUN = Symbol('rerun');

/** The exactly-once ledger; `invoker` is the dispatcher seam. Start with `start()`, stop with `close()`. */
export class IdempotencyLedger {
  /** Identifies this daemon run; entries accepted by another run were cut off by a restart. */
  readonly bootId = randomUUID();
  private readonly flights = new Map<string, Flight>();
  private readonly policies: Partial<Record<string, IdempotencyPolicy>>;
  private readonly now: () => number;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: Store, private readonly options: LedgerOptions) {
    this.policies = options.policies ?? idempotencyPolicies;
    this.now = options.now ?? Date.now;
  }

  /** Marks work cut off by the previous run, trims to the cap and starts the sweeper. */
  start(): { interrupted: number } {
    const now = this.now();
    const interrupted = this.store.transaction(() => this.store.idempotency.interruptStale(this.bootId, now, now + this.options.ttlMs));
    this.count = this.store.idempotency.count();
    this.sweep();
    this.timer = setInterval(() => this.sweep(), this.options.sweepIntervalMs);
    this.timer.unref();
    return { interrupted };
  }

  /** Stops the sweeper. Running requests finish normally. Idempotent. */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Entries in the ledger (approximate between sweeps). */
  get size(): number {
    return this.count;
  }

  /** Deletes expired entries, then the oldest finished ones above the cap. Returns how many went. */
  sweep(): number {
    const removed = this.store.transaction(() => this.store.idempotency.sweep(this.now(), SWEEP_BATCH)
      + this.store.idempotency.trim(this.options.maxEntries, SWEEP_BATCH));
    this.count = Math.max(0, this.count - removed);
    return removed;
  }

  /** The dispatcher seam: side-effect methods go through the ledger, the rest straight through. */
  readonly invoker: Invoker = (ctx, spec, params, run) => {
    if (!spec.sideEffect) return run(ctx);
    try {
      return this.invoke(ctx, spec, params as Record<string, unknown>, run);
    } catch (err) {
      return Promise.reject(err);
    }
  };

  private invoke(ctx: MethodContext, spec: MethodSpec, params: Record<string, unknown>, run: (ctx: MethodContext) => unknown): Promise<unknown> {
    const id: LedgerId = { scope: idempotencyScope(ctx.caller), method: ctx.method, key: String(params.idempotencyKey) };
    const hash = paramsFingerprint(params);
    const policy = this.policies[ctx.method] ?? {};
    const live = this.flights.get(Flight.keyOf(id));
    if (live) {
      checkSameParams(live.paramsHash, hash, id);
      if (spec.final) live.onFinal((p) => ctx.sendFinal(p as never));
      if (!live.answered && policy.inFlight) return Promise.resolve(policy.inFlight(params));
      return live.answered ? Promise.resolve(live.answered.value) : live.answer;
    }
    const recorded = this.store.idempotency.get(id);
    let replaceStale = false;
    if (recorded) {
      checkSameParams(recorded.paramsHash, hash, id);
      const replayed = this.replay(recorded, ctx, spec, policy);
      if (replayed !== RERUN) return replayed;
      replaceStale = true;
    }
    return this.execute(ctx, spec, id, hash, run, replaceStale);
  }

  /** Answers a retry from the recorded entry, or says the request must run again. */
  private replay(entry: LedgerEntry, ctx: MethodContext, spec: MethodSpec, policy: IdempotencyPolicy): Promise<unknown> | typeof RERUN {
    switch (entry.state) {
      case 'completed':
        if (spec.final && entry.final !== undefined) setImmediate(() => ctx.sendFinal(entry.final as never));
        return Promise.resolve(policy.replay ? policy.replay(entry.result, ctx) : entry.result);
      case 'failed':
        return Promise.reject(GatewayError.fromShape(entry.error!));
      default: {
        // accepted/acked without a live flight, or interrupted: a restart cut it off.
        if (policy.interrupted === 'rerun') return RERUN;
        const unknown = outcomeUnknown(entry);
        if (spec.final && entry.result !== undefined) {
          setImmediate(() => ctx.sendFinal({ status: 'error', error: unknown.toShape() } as never));
          return Promise.resolve(entry.result);
        }
        return Promise.reject(unknown);
      }
    }
  }

  private execute(ctx: MethodContext, spec: MethodSpec, id: LedgerId, hash: string, run: (ctx: MethodContext) => unknown, replaceStale: boolean): Promise<unknown> {
    const flight = new Flight(id, hash);
    this.flights.set(flight.key, flight);
    if (spec.final) flight.onFinal((p) => ctx.sendFinal(p as never));
    flight.answer = this.runFlight(flight, ctx, spec, run, replaceStale);
    // Joiners await flight.answer; the dispatcher handles the rejection of the original.
    flight.answer.catch(() => undefined);
    return flight.answer;
  }

  private async runFlight(flight: Flight, ctx: MethodContext, spec: MethodSpec, run: (ctx: MethodContext) => unknown, replaceStale: boolean): Promise<unknown> {
    const repo = this.store.idempotency;
    const id = flight.id;
    try {
      await this.store.commit(() => {
        if (replaceStale) repo.release(id);
        else this.reserveSlot();
        repo.accept(id, flight.paramsHash, this.bootId, this.now());
      });
      if (!replaceStale) this.count++;
    } catch (err) {
      this.flights.delete(flight.key);
      throw acceptError(err);
    }
    const answerState = spec.final ? 'acked' as const : 'completed' as const;
    const expiry = () => (spec.final ? undefined : this.now() + this.options.ttlMs);
    let committed: { value: unknown } | undefined;
    const ledgerCtx: MethodContext = {
      ...ctx,
      commit: <T>(effect: () => T): Promise<T> => {
        if (committed) return Promise.reject(new Error(`${ctx.method}: ctx.commit called twice; commit the whole effect at once`));
        committed = { value: undefined };
        return this.store.commit(() => {
          const value = effect();
          repo.answer(id, value, answerState, this.now(), expiry());
          return value;
        }).then((value) => {
          committed = { value };
          return value;
        }, (err) => {
          committed = undefined;
          throw err;
        });
      },
      sendFinal: (payload) => this.recordFinal(flight, payload),
    };
    let result: unknown;
    try {
      result = await run(ledgerCtx);
    } catch (err) {
      throw await this.recordFailure(flight, err, committed !== undefined, ctx.log);
    }
    if (committed) result = committed.value;
    else await this.store.commit(() => repo.answer(id, result, answerState, this.now(), expiry()));
    flight.answered = { value: result };
    if (!spec.final) this.flights.delete(flight.key);
    return result;
  }

  /** Records the final answer of a two-answer method, then delivers it. */
  private recordFinal(flight: Flight, payload: unknown): void {
    const now = this.now();
    this.store.commit(() => this.store.idempotency.finish(flight.id, payload, now, now + this.options.ttlMs))
      .catch((err) => this.options.log.error({ err, method: flight.id.method }, 'could not record the final answer in the idempotency ledger'))
      .finally(() => {
        this.flights.delete(flight.key);
        flight.deliverFinal(payload);
      });
  }

  /** Turns a handler error into the error every requester gets, and records or releases the key. */
  private async recordFailure(flight: Flight, err: unknown, committed: boolean, log: Log): Promise<GatewayError> {
    const error = err instanceof GatewayError ? err : internalError(err, flight.id.method, log);
    try {
      if (committed) return error;
      const now = this.now();
      if (error.retryable) {
        await this.store.commit(() => this.store.idempotency.release(flight.id));
        this.count = Math.max(0, this.count - 1);
      } else {
        await this.store.commit(() => this.store.idempotency.fail(flight.id, error.toShape(), now, now + this.options.ttlMs));
      }
    } catch (recordErr) {
      log.error({ err: recordErr, method: flight.id.method }, 'could not record a failed request in the idempotency ledger');
    } finally {
      this.flights.delete(flight.key);
    }
    return error;
  }

  /** Called inside the accept transaction: makes room or refuses when the cap is reached. */
  private reserveSlot(): void {
    if (this.count < this.options.maxEntries) return;
    const repo = this.store.idempotency;
    this.count -= repo.sweep(this.now(), SWEEP_BATCH) + repo.trim(this.options.maxEntries - 1, SWEEP_BATCH);
    if (this.count >= this.options.maxEntries) throw new LedgerFullError();
  }
}

class LedgerFullError extends Error {}

function checkSameParams(recorded: string, now: string, id: LedgerId): void {
  if (recorded === now) return;
  throw new GatewayError('INVALID_REQUEST', `idempotencyKey "${id.key}" was already used for a different ${id.method} request; use a new key for new params`, {
    details: { code: 'IDEMPOTENCY_KEY_REUSED' },
  });
}

function outcomeUnknown(entry: LedgerEntry): GatewayError {
  return new GatewayError('UNAVAILABLE', `the gateway restarted while this ${entry.method} request was running, so whether it took effect is unknown; check the result and, if needed, send it again with a new idempotencyKey`, {
    retryable: false,
    details: { code: 'IDEMPOTENCY_OUTCOME_UNKNOWN', acceptedAt: entry.acceptedAt },
  });
}

function acceptError(err: unknown): GatewayError {
  if (err instanceof LedgerFullError) {
    return new GatewayError('UNAVAILABLE', 'the idempotency ledger is full of requests still running; retry shortly', {
      retryAfterMs: 1000,
      details: { code: 'IDEMPOTENCY_LEDGER_FULL' },
    });
  }
  return new GatewayError('UNAVAILABLE', `the request could not be recorded before running it (${err instanceof Error ? err.message : String(err)}); nothing was done, retry with the same idempotencyKey`, { cause: err });
}

function internalError(err: unknown, method: string, log: Log): GatewayError {
  const ref = randomUUID().slice(0, 8);
  log.error({ err, method, ref }, 'handler failed');
  return new GatewayError('INTERNAL_ERROR', `internal error while handling ${method} (ref ${ref})`, { details: { ref } });
}
