/**
 * A real SQLite store in a temporary directory, for repository and ledger tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@switchboard/gateway';

export interface TempStore {
  store: SqliteStore;
  dir: string;
  /** Closes and opens the same file again (what a restart does). */
  reopen(): SqliteStore;
  cleanup(): void;
}

export function tempStore(): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
  let store = SqliteStore.openInStateDir(dir);
  return {
    get store() { return store; },
    dir,
    reopen() {
      store.close();
      store = SqliteStore.openInStateDir(dir);
      return store;
    },
    cleanup() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
