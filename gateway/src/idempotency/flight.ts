/**
 * One side-effect request running in this daemon: the promise of its (first) answer, which retries
 * with the same key join instead of running the effect again, and — for two-answer methods — who
 * is waiting for the final answer.
 */
import type { LedgerId } from '../store/idempotency-repo.js';

/** Sends the final answer to one requester (the original or a retry on another connection). */
export type FinalSink = (payload: unknown) => void;

/** At most this many requesters wait on one flight's final answer (retries beyond it get only the ack). */
const MAX_FINAL_SINKS = 32;

/** A side-effect request in progress, keyed like its ledger entry. */
export class Flight {
  /** Settles with the first answer. Set right after construction. */
  answer!: Promise<unknown>;
  /** The first answer, once known (retries then get it without waiting). */
  answered: { value: unknown } | undefined;
  private readonly sinks: FinalSink[] = [];
  private finalValue: { value: unknown } | undefined;

  constructor(readonly id: LedgerId, readonly paramsHash: string) {}

  /** The map key of a ledger id. */
  static keyOf(id: LedgerId): string {
    return `${id.scope}\u0000${id.method}\u0000${id.key}`;
  }

  get key(): string {
    return Flight.keyOf(this.id);
  }

  /** Registers a requester for the final answer; delivers at once if it already came. */
  onFinal(sink: FinalSink): void {
    if (this.finalValue) {
      const { value } = this.finalValue;
      // After the first answer went out: the dispatcher sends it in a microtask once our promise resolves.
      setImmediate(() => sink(value));
      return;
    }
    if (this.sinks.length < MAX_FINAL_SINKS) this.sinks.push(sink);
  }

  /** Hands the final answer to every registered requester. */
  deliverFinal(value: unknown): void {
    this.finalValue = { value };
    for (const sink of this.sinks.splice(0)) sink(value);
  }
}
