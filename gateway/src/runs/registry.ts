/**
 * The runs this gateway knows: waiting, running, and recently ended (for `wait`, retries and
 * `agent.wait`). Ended runs are forgotten after `finishedRunTtlMs` or beyond `finishedRuns`,
 * whichever comes first; waiting and running ones are never dropped.
 */
import type { RunLimits } from '../config/limits.js';
import type { RunInfo, RunOutcome, RunState } from './types.js';

/** One known run. */
export interface TrackedRun {
  readonly runId: string;
  readonly sessionKey: string;
  readonly sessionId: string;
  state: RunState;
  outcome?: RunOutcome;
  /** Resolves when the run ends (also when it is aborted before it started). */
  readonly done: Promise<RunOutcome>;
  /** The next event number of this run. */
  seq: number;
  endedAt?: number;
}

/** Known runs by id, with bounded memory of ended ones. */
export class RunRegistry {
  private readonly runs = new Map<string, TrackedRun & { resolve(outcome: RunOutcome): void }>();
  /** Ended run ids, oldest first. */
  private readonly ended: string[] = [];

  constructor(private readonly limits: Pick<RunLimits, 'finishedRuns' | 'finishedRunTtlMs'>) {}

  /** Registers a run that is about to wait or start. */
  add(runId: string, sessionKey: string, sessionId: string): TrackedRun {
    let resolve!: (outcome: RunOutcome) => void;
    const done = new Promise<RunOutcome>((r) => { resolve = r; });
    const tracked = { runId, sessionKey, sessionId, state: 'queued' as RunState, done, seq: 0, resolve };
    this.runs.set(runId, tracked);
    return tracked;
  }

  /** The run, if known. */
  get(runId: string): TrackedRun | undefined {
    return this.runs.get(runId);
  }

  /** Whether the run is known (waiting, running, or ended recently). */
  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** Forgets a run that was registered but never stored (its transaction failed). */
  drop(runId: string): void {
    this.runs.delete(runId);
  }

  /** Records how a run ended and wakes its waiters. Idempotent. */
  end(runId: string, outcome: RunOutcome): void {
    const tracked = this.runs.get(runId);
    if (!tracked || tracked.state === 'ended') return;
    tracked.state = 'ended';
    tracked.outcome = outcome;
    tracked.endedAt = Date.now();
    this.ended.push(runId);
    tracked.resolve(outcome);
    this.prune(tracked.endedAt);
  }

  /** A snapshot for status and tests. */
  info(runId: string): RunInfo | undefined {
    const t = this.runs.get(runId);
    return t && { runId: t.runId, sessionKey: t.sessionKey, state: t.state, ...(t.outcome ? { outcome: t.outcome } : {}) };
  }

  private prune(now: number): void {
    while (this.ended.length > 0) {
      const oldest = this.runs.get(this.ended[0]);
      const expired = oldest?.endedAt !== undefined && now - oldest.endedAt > this.limits.finishedRunTtlMs;
      if (oldest && !expired && this.ended.length <= this.limits.finishedRuns) break;
      this.runs.delete(this.ended.shift()!);
    }
  }
}
