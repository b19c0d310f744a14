/**
 * Opening the SQLite file: WAL journal, foreign keys on, a busy timeout, and the migrations.
 * `synchronous=NORMAL` is enough in WAL mode to survive a process crash (kill -9) at any instant;
 * writes an acknowledgement depends on use {@link withDurableCommit} for fsync on top.
 */
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { migrations, SCHEMA_VERSION, type Migration } from './migrations.js';

export type { Database } from 'better-sqlite3';

/** Raised when the file was written by a newer Switchboard; we refuse to touch it. */
export class SchemaTooNewError extends Error {
  constructor(readonly found: number, readonly supported: number) {
    super(`the state database is at schema version ${found}, but this Switchboard only knows up to ${supported}; upgrade Switchboard or restore a backup`);
    this.name = 'SchemaTooNewError';
  }
}

export interface OpenOptions {
  /** Stop at this schema version (tests of migrations). Default: the latest. */
  targetVersion?: number;
  readonly?: boolean;
}

/** Opens (creating if needed) and migrates the database at `path`. */
export function openDatabase(path: string, options: OpenOptions = {}): Database {
  const db = new BetterSqlite3(path, { readonly: options.readonly ?? false });
  try {
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) migrate(db, options.targetVersion ?? SCHEMA_VERSION);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Applies every migration above the database's version, up to `target`, in version order (the list
 * may be assembled from several area files, so it is sorted here; a duplicate version is a bug).
 */
export function migrate(db: Database, target: number = SCHEMA_VERSION, list: readonly Migration[] = migrations): number {
  const ordered = [...list].sort((a, b) => a.version - b.version);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i].version === ordered[i - 1].version) {
      throw new Error(`two store migrations share version ${ordered[i].version} (${ordered[i - 1].name}, ${ordered[i].name}); renumber one`);
    }
  }
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = ordered[ordered.length - 1]?.version ?? 0;
  if (current > latest) throw new SchemaTooNewError(current, latest);
  for (const m of ordered) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Runs `fn` in a transaction that is fsynced before it returns: for writes a client is about to be
 * told are safe (an accepted request, an acknowledged message). Costs one fsync.
 */
export function withDurableCommit<T>(db: Database, fn: () => T): T {
  db.pragma('synchronous = FULL');
  try {
    return db.transaction(fn)();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
}
