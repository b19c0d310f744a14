/**
 * A session's lane: at most one run executing, and the runs waiting behind it. Where a message
 * that arrives goes depends on the session's mode:
 *
 * | mode | session idle | session busy |
 * |---|---|---|
 * | `interrupt` (default) | a run starts | the running run is aborted; the message joins the next waiting run that takes merges (or starts one), so everything that waited is answered in one prompt |
 * | `queue` | a run starts | a run of its own waits at the end |
 * | `collect` | a run starts | joins the last waiting run that takes merges (or starts one): one follow-up for everything that came in meanwhile |
 *
 * Pure bookkeeping; the manager executes runs and keeps the store in step.
 */
import type { QueueMode } from '@switchboard/protocol';
import type { InboundMessage } from '../agent/prompt.js';
import type { Run } from './run.js';

/** A stored message waiting for its run. */
export interface QueuedMessage {
  inbound: InboundMessage;
  /** Its transcript entry. */
  entryId: string;
  /** Set once the transaction that stored it is on disk; a run starts only with committed messages. */
  committed: boolean;
}

/** A run that has not started yet. */
export interface PendingRun {
  runId: string;
  /** `merge` runs take later messages (interrupt, collect); `single` ones answer one message (queue, re-submits). */
  kind: 'merge' | 'single';
  messages: QueuedMessage[];
  timeoutMs?: number;
  model?: string;
}

/** Where a new message goes. */
export interface Placement {
  /** The waiting run it joins, or undefined for a new one of `kind`. */
  join?: PendingRun;
  kind: 'merge' | 'single';
  /** `started`: runs now or next; `queued`: waits behind another run. */
  status: 'started' | 'queued';
  /** The running run must be aborted (interrupt mode). */
  interrupt: boolean;
}

/** One session's runs. */
export class Lane {
  active: Run | undefined;
  readonly pending: PendingRun[] = [];

  constructor(readonly sessionKey: string) {}

  get idle(): boolean {
    return !this.active && this.pending.length === 0;
  }

  /** Messages stored and not yet answered by a started run. */
  get waitingMessages(): number {
    return this.pending.reduce((n, p) => n + p.messages.length, 0);
  }

  /** Decides where a message in `mode` goes (see the module table). */
  place(mode: QueueMode): Placement {
    if (this.idle) return { kind: mode === 'queue' ? 'single' : 'merge', status: 'started', interrupt: false };
    if (mode === 'queue') return { kind: 'single', status: 'queued', interrupt: false };
    const last = this.pending[this.pending.length - 1];
    const join = last?.kind === 'merge' ? last : undefined;
    const position = join ? this.pending.indexOf(join) : this.pending.length;
    const interrupt = mode === 'interrupt' && this.active !== undefined;
    // Interrupt: the message runs as soon as the aborted run has stopped, unless others wait first.
    const runsNext = interrupt ? position === 0 : position === 0 && !this.active;
    return { ...(join ? { join } : {}), kind: 'merge', status: runsNext ? 'started' : 'queued', interrupt };
  }

  /** Takes the next waiting run if all its messages are committed. */
  takeNext(): PendingRun | undefined {
    const next = this.pending[0];
    if (!next || next.messages.some((m) => !m.committed)) return undefined;
    this.pending.shift();
    return next;
  }

  /** Removes a waiting run; returns it if it was there. */
  remove(runId: string): PendingRun | undefined {
    const i = this.pending.findIndex((p) => p.runId === runId);
    return i < 0 ? undefined : this.pending.splice(i, 1)[0];
  }

  /** Run ids of the waiting runs. */
  pendingRunIds(): Set<string> {
    return new Set(this.pending.map((p) => p.runId));
  }
}
