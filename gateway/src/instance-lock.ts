/**
 * One daemon per state directory (user-pain row 23). The lock is an OS advisory lock (fcntl) held
 * through an open file descriptor for the daemon's whole life: SQLite's own locking on
 * `gateway.lock`, kept in an EXCLUSIVE transaction that never commits. The kernel drops the lock
 * when the process dies, however it dies, so there is no stale lock to clean up and no PID that can
 * be reused; a second connection, in this process or another, gets SQLITE_BUSY at once.
 *
 * Who holds it is told by `gateway.lock.json` (pid, process start time, port), written by the owner
 * after it took the lock. It is information only: it is trusted only while that pid is alive with
 * the same start time.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// SQLite here is only the OS lock on `gateway.lock` (no state is stored), so it stays outside the Store.
import BetterSqlite3, { type Database } from 'better-sqlite3';

/** The lock file (held open with an OS lock while a daemon runs). */
export const LOCK_FILE = 'gateway.lock';
/** The owner's details (information only). */
export const LOCK_INFO_FILE = 'gateway.lock.json';

/** What the owner tells about itself. */
export interface LockOwner {
  pid: number;
  /** Linux: the process start time in clock ticks since boot (from /proc), to tell reused PIDs apart. */
  startTime?: string;
  startedAt: number;
  host?: string;
  port?: number;
  version?: string;
}

/** Raised when another live process holds the state directory. */
export class InstanceLockedError extends Error {
  constructor(readonly stateDir: string, readonly owner: LockOwner | undefined) {
    super(describeOwner(stateDir, owner));
    this.name = 'InstanceLockedError';
  }
}

/** The single-instance lock of one state directory, held until `release()`. */
export class InstanceLock {
  private released = false;

  private constructor(private readonly db: Database, readonly stateDir: string, private info: LockOwner) {}

  /**
   * Takes the lock of `stateDir`, or throws {@link InstanceLockedError} naming the owner. An owner
   * that is still starting has not bound its port yet: wait up to `ownerWaitMs` for it, so the
   * message can say where the running daemon listens.
   */
  static acquire(stateDir: string, info: Omit<LockOwner, 'pid' | 'startTime' | 'startedAt'> = {}, ownerWaitMs = 5000): InstanceLock {
    const db = new BetterSqlite3(join(stateDir, LOCK_FILE), { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new InstanceLockedError(stateDir, waitForOwner(stateDir, ownerWaitMs));
      throw err;
    }
    const lock = new InstanceLock(db, stateDir, { pid: process.pid, startTime: processStartTime(process.pid), startedAt: Date.now(), ...info });
    lock.writeInfo();
    return lock;
  }

  /** Adds facts known later (the bound port). */
  update(info: Partial<Omit<LockOwner, 'pid' | 'startTime'>>): void {
    if (this.released) return;
    this.info = { ...this.info, ...info };
    this.writeInfo();
  }

  /** Releases the lock. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      this.db.exec('ROLLBACK');
    } finally {
      this.db.close();
    }
  }

  private writeInfo(): void {
    const path = join(this.stateDir, LOCK_INFO_FILE);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.info) + '\n', { mode: 0o600 });
    renameSync(tmp, path);
  }
}

/** The live owner of `stateDir` according to its info file, if that owner is still running. */
export function readLockOwner(stateDir: string): LockOwner | undefined {
  const path = join(stateDir, LOCK_INFO_FILE);
  if (!existsSync(path)) return undefined;
  let owner: LockOwner;
  try {
    owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(owner.pid) || !isAlive(owner.pid)) return undefined;
  if (owner.startTime !== undefined && processStartTime(owner.pid) !== owner.startTime) return undefined;
  return owner;
}

function waitForOwner(stateDir: string, waitMs: number): LockOwner | undefined {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const owner = readLockOwner(stateDir);
    if (owner?.port !== undefined || Date.now() >= deadline) return owner;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat (start time since boot); undefined where /proc does not exist. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function describeOwner(stateDir: string, owner: LockOwner | undefined): string {
  if (!owner) {
    return `another Switchboard gateway is already running on the state directory ${stateDir}; stop it first, or give this one its own SWITCHBOARD_HOME`;
  }
  const where = owner.port !== undefined ? `, listening on ${owner.host ?? '127.0.0.1'}:${owner.port}` : '';
  return `another Switchboard gateway (pid ${owner.pid}${where}) is already running on the state directory ${stateDir}; stop it first (kill ${owner.pid}), or give this one its own SWITCHBOARD_HOME`;
}
