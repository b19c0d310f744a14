/**
 * Group commit: durable writes queued within one event-loop turn share one transaction and one
 * fsync. better-sqlite3 is synchronous, so while one batch is being fsynced no JavaScript runs and
 * new requests pile up in the socket buffers; the next turn reads them all and they commit together.
 * Under load that turns N fsyncs into one; when idle a write waits only for `setImmediate`.
 *
 * Each queued job runs in its own savepoint: a job that throws is rolled back alone and its promise
 * rejects, the others still commit. If the commit itself fails (disk full, I/O error) every job in
 * the batch rejects and nothing of it is on disk.
 */
import { GatewayError } from '@switchboard/protocol';
import { withDurableCommit, type Database } from './database.js';

/** Raised for writes queued after the store was closed: retryable, nothing was written. */
export class StoreClosedError extends GatewayError {
  constructor() {
    super('UNAVAILABLE', 'the gateway is stopping and its store is closed; nothing was written, retry once it is back', { retryable: true });
    this.name = 'StoreClosedError';
  }
}

interface Job {
  work: () => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** Statistics for benchmarks and status: how well batching works. */
export interface GroupCommitStats {
  batches: number;
  jobs: number;
  largestBatch: number;
}

/** Batches durable transactions: one transaction and one fsync per event-loop turn. */
export class GroupCommitter {
  private queue: Job[] = [];
  private scheduled = false;
  private closed = false;
  readonly stats: GroupCommitStats = { batches: 0, jobs: 0, largestBatch: 0 };

  /** @param maxBatch jobs per transaction at most; the rest go in the next one (default 1000). */
  constructor(private readonly db: Database, private readonly maxBatch = 1000) {}

  /**
   * Queues `work` (synchronous SQL on this database) for the next durable batch. Resolves with its
   * return value once the batch is fsynced; rejects with what `work` threw, or with the commit error.
   */
  commit<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now (the timer calls it; close() too). */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.runBatch(batch);
    }
  }

  /** Commits what is queued and refuses new work. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }

  private runBatch(batch: Job[]): void {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    try {
      withDurableCommit(this.db, () => {
        for (const job of batch) {
          try {
            // A nested better-sqlite3 transaction is a savepoint: a throwing job rolls back alone.
            outcomes.push({ ok: true, value: this.db.transaction(job.work)() });
          } catch (err) {
            outcomes.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      for (const job of batch) job.reject(err);
      return;
    }
    this.stats.batches++;
    this.stats.jobs += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    batch.forEach((job, i) => {
      const o = outcomes[i];
      if (o.ok) job.resolve(o.value);
      else job.reject(o.err);
    });
  }
}
