/**
 * At most one poller per bot token per host (user-pain row 15): an OS advisory lock on a file
 * named by a hash of the token, taken like the daemon's instance lock (SQLite EXCLUSIVE on an open
 * descriptor, so the kernel drops it however the process dies). Two gateways on one host — or a
 * restarted adapter racing its predecessor in one process — cannot both hold it.
 *
 * The directory is `SWITCHBOARD_LOCK_DIR`, else `<tmpdir>/switchboard-locks-<uid>` (mode 0700).
 * Its name is predictable in a shared temp directory, so another user could create it first (and
 * hold our locks, or plant files in it): it must be a real directory owned by this user and not
 * writable by group or others, or no lock is taken ({@link checkLockDir}).
 * The file name reveals nothing about the token (a truncated SHA-256).
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// SQLite here is only the OS lock on a lock file (no state is stored), so it stays outside the Store.
import BetterSqlite3, { type Database } from 'better-sqlite3';

/** Where token locks live. */
export function tokenLockDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SWITCHBOARD_LOCK_DIR || join(tmpdir(), `switchboard-locks-${process.getuid?.() ?? 'user'}`);
}

/**
 * Throws unless `dir` is a directory (not a symlink) owned by `uid` and not writable by group or
 * others. The message says how to fix it. `uid` undefined (Windows) skips the owner check.
 */
export function checkLockDir(dir: string, uid: number | undefined = process.getuid?.()): void {
  const st = lstatSync(dir);
  const fix = `remove it (rm -rf ${dir}) so the gateway creates its own, or set SWITCHBOARD_LOCK_DIR to a directory only you can write`;
  if (!st.isDirectory()) throw new Error(`the token lock directory ${dir} is not a directory (a symlink or a file); ${fix}`);
  if (uid !== undefined && st.uid !== uid) throw new Error(`the token lock directory ${dir} belongs to another user (uid ${st.uid}, not ${uid}); ${fix}`);
  if ((st.mode & 0o022) !== 0) throw new Error(`the token lock directory ${dir} is writable by other users (mode ${(st.mode & 0o777).toString(8)}); chmod 700 ${dir}, or ${fix}`);
}

/** The lock file of one token. */
export function tokenLockPath(platform: string, token: string, dir = tokenLockDir()): string {
  return join(dir, `${platform}-${createHash('sha256').update(token).digest('hex').slice(0, 24)}.lock`);
}

/** A held token lock; `release()` is idempotent. */
export class TokenLock {
  private released = false;

  private constructor(private readonly db: Database, readonly path: string) {}

  /**
   * Takes the lock, or returns undefined when another holder (process or adapter) has it. Throws
   * when the directory is not private to this user ({@link checkLockDir}).
   */
  static tryAcquire(platform: string, token: string, dir = tokenLockDir()): TokenLock | undefined {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    checkLockDir(dir);
    const path = tokenLockPath(platform, token, dir);
    const db = new BetterSqlite3(path, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return undefined;
      throw err;
    }
    return new TokenLock(db, path);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      this.db.exec('ROLLBACK');
    } finally {
      this.db.close();
    }
  }
}
