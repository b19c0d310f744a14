/**
 * The store the rest of the daemon uses. Everything that must survive a crash lives in one SQLite
 * file in the state directory; each area adds a repository here (devices, idempotency, sessions,
 * ledgers). Behind this interface a server database could stand later (docs/scale-out.md).
 */
import { join } from 'node:path';
import { openDatabase, type Database } from './database.js';
import { DeviceStore } from './devices.js';

export const DATABASE_FILE = 'switchboard.db';

export interface Store {
  /** The database file. */
  readonly path: string;
  /** Closes the database. Idempotent. */
  close(): void;
}

export class SqliteStore implements Store {
  readonly db: Database;
  /** Paired devices, pairing requests and device tokens. */
  readonly devices: DeviceStore;
  private closed = false;

  constructor(readonly path: string) {
    this.db = openDatabase(path);
    this.devices = new DeviceStore(this.db);
  }

  /** Opens the store file of a state directory. */
  static openInStateDir(stateDir: string): SqliteStore {
    return new SqliteStore(join(stateDir, DATABASE_FILE));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
