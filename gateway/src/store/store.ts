/**
 * The store the rest of the daemon uses. Everything that must survive a crash lives in one SQLite
 * file in the state directory, behind this interface, so a server database could stand behind it
 * later (docs/scale-out.md). Each area is a repository field; adding one is a field here plus a file.
 *
 * Durability: `commit()` is the path for anything a client is told is safe (an accepted request, an
 * appended message, a recorded delivery): it is fsynced before it resolves, and writes queued in
 * the same event-loop turn share one fsync (group commit). `commitSync()` is the same guarantee
 * without waiting for a turn, for a decision the caller acts on at once (an exec approval that lets a
 * command run); it costs an fsync of its own. `transaction()` commits at once without waiting for
 * fsync: it survives a process crash (WAL), not necessarily a power cut.
 *
 * Nothing outside this folder touches the SQLite handle. The exceptions are file-level, not state
 * access: `backup/` copies and verifies the database file itself, and the instance and token locks
 * use SQLite only for an OS lock on files of their own.
 */
import { join } from 'node:path';
import { openDatabase, withDurableCommit, type Database } from './database.js';
import { DeviceStore } from './devices.js';
import type { DeviceRepository } from './devices-repo.js';
import { GroupCommitter, StoreClosedError, type GroupCommitStats } from './group-commit.js';
import { SqliteIdempotencyRepository, type IdempotencyRepository } from './idempotency-repo.js';
import { SqliteSessionRepository, type SessionRepository } from './sessions-repo.js';
import { SqliteTranscriptRepository, type TranscriptRepository } from './transcripts-repo.js';
import { SqliteInboundLedger, type InboundLedger } from './inbound-repo.js';
import { SqliteOutboundLedger, type OutboundLedger } from './outbound-repo.js';
import { SqliteChannelStateRepository, type ChannelStateRepository } from './channels-repo.js';
import { SqliteNodeRecordRepository, type NodeRecordRepository } from './nodes-repo.js';
import { SqliteExecApprovalRepository, type ExecApprovalRepository } from './approvals-repo.js';

/** The database file name inside the state directory. */
export const DATABASE_FILE = 'switchboard.db';

/** What start-up recovery found and closed. */
export interface RecoveryReport {
  partialsClosed: number;
  toolCallsClosed: number;
  deliveriesRequeued: number;
}

/** Everything durable, as repositories plus the two ways to commit. */
export interface Store {
  /** The database file. */
  readonly path: string;
  /** Paired devices, pairing requests and device tokens. */
  readonly devices: DeviceRepository;
  /** The exactly-once ledger of side-effect requests. */
  readonly idempotency: IdempotencyRepository;
  /** The session index. */
  readonly sessions: SessionRepository;
  /** Transcript entries of each session generation. */
  readonly transcripts: TranscriptRepository;
  /** Messages received from channels (record before ack). */
  readonly inbound: InboundLedger;
  /** Deliveries to channels, in order per chat. */
  readonly outbound: OutboundLedger;
  /** Channel pairing, paired users, account state, conversation titles. */
  readonly channels: ChannelStateRepository;
  /** What each paired node last declared, its label, its persisted exec allowlist. */
  readonly nodes: NodeRecordRepository;
  /** Every exec approval and how it ended. */
  readonly approvals: ExecApprovalRepository;
  /**
   * Runs `work` (synchronous repository calls) in one transaction that is on disk (fsynced) when the
   * promise resolves. Rejects with what `work` threw (its writes rolled back) or with the I/O error.
   */
  commit<T>(work: () => T): Promise<T>;
  /**
   * Runs `work` in one transaction that is on disk (fsynced) when this returns, without batching.
   * Throws what `work` threw (its writes rolled back), the I/O error, {@link StoreClosedError} after
   * `close()`, or an error when called inside another transaction (whose commit decides durability).
   */
  commitSync<T>(work: () => T): T;
  /** Runs `work` in one transaction now, without waiting for fsync. */
  transaction<T>(work: () => T): T;
  /** Closes what a crash left open (partial messages, pending tool calls, deliveries mid-send). */
  recover(now: number): RecoveryReport;
  /** Group-commit figures. */
  readonly commitStats: GroupCommitStats;
  /** Flushes queued commits and closes the database. Idempotent. */
  close(): void;
}

/** The store on one SQLite file (WAL), opened and migrated by the constructor. */
export class SqliteStore implements Store {
  /** The SQLite handle: for the repositories of this folder and tests; the rest of the gateway uses {@link Store}. */
  readonly db: Database;
  readonly devices: DeviceRepository;
  readonly idempotency: IdempotencyRepository;
  readonly sessions: SessionRepository;
  readonly transcripts: TranscriptRepository;
  readonly inbound: InboundLedger;
  readonly outbound: OutboundLedger;
  readonly channels: ChannelStateRepository;
  readonly nodes: NodeRecordRepository;
  readonly approvals: ExecApprovalRepository;
  private readonly committer: GroupCommitter;
  private closed = false;

  constructor(readonly path: string) {
    this.db = openDatabase(path);
    this.devices = new DeviceStore(this.db);
    this.committer = new GroupCommitter(this.db);
    this.idempotency = new SqliteIdempotencyRepository(this.db);
    this.sessions = new SqliteSessionRepository(this.db);
    this.transcripts = new SqliteTranscriptRepository(this.db);
    this.inbound = new SqliteInboundLedger(this.db);
    this.outbound = new SqliteOutboundLedger(this.db);
    this.channels = new SqliteChannelStateRepository(this.db);
    this.nodes = new SqliteNodeRecordRepository(this.db);
    this.approvals = new SqliteExecApprovalRepository(this.db);
  }

  /** Opens the store file of a state directory. */
  static openInStateDir(stateDir: string): SqliteStore {
    return new SqliteStore(join(stateDir, DATABASE_FILE));
  }

  get commitStats(): GroupCommitStats {
    return this.committer.stats;
  }

  commit<T>(work: () => T): Promise<T> {
    return this.committer.commit(work);
  }

  commitSync<T>(work: () => T): T {
    if (this.closed) throw new StoreClosedError();
    if (this.db.inTransaction) {
      // synchronous=FULL set inside an open transaction would be reset before that transaction
      // commits, silently leaving it unsynced: refuse instead.
      throw new Error('commitSync() was called inside another transaction; call it on its own, or put the work in the enclosing commit()');
    }
    return withDurableCommit(this.db, work);
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  recover(now: number): RecoveryReport {
    return this.db.transaction(() => ({
      ...this.transcripts.repairInterrupted(now),
      deliveriesRequeued: this.outbound.recover(now),
    }))();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.committer.close();
    this.db.close();
  }
}
