/**
 * At most one poller per bot token per host (user-pain row 15): an OS advisory lock on a file
 * named by a hash of the token, taken like the daemon's instance lock (SQLite EXCLUSIVE on an open
 * descriptor, so the kernel drops it however the process dies). Two gateways on one host — or a
 * restarted adapter racing its predecessor in one process — cannot both hold it.
 *
 * The directory is `SWITCHBOARD_LOCK_DIR`, else `<tmpdir>/switchboard-locks-<uid>` (mode 0700).
 * The file name reveals nothing about the token (a truncated SHA-256).
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';

/** Where token locks live. */
export function tokenLockDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SWITCHBOARD_LOCK_DIR || join(tmpdir(), `switchboard-locks-${process.getuid?.() ?? 'user'}`);
}

/** The lock file of one token. */
export function tokenLockPath(platform: string, token: string, dir = tokenLockDir()): string {
  return join(dir, `${platform}-${createHash('sha256').update(token).digest('hex').slice(0, 24)}.lock`);
}

/** A held token lock; `release()` is idempotent. */
export class TokenLock {
  private released = false;

  private constructor(private readonly db: Database, readonly path: string) {}

  /** Takes the lock, or returns undefined when another holder (process or adapter) has it. */
  static tryAcquire(platform: string, token: string, dir = tokenLockDir()): TokenLock | undefined {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
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
