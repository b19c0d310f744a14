/**
 * The CLI's offline path: open a state directory's database directly, without a running gateway or
 * a working socket. SQLite in WAL mode lets this process and a running daemon share the file; the
 * daemon reads pairing state on every connect, so an approval written here takes effect at the
 * device's next attempt.
 */
import { existsSync } from 'node:fs';
import { SqliteStore, DATABASE_FILE } from './store.js';
import { join } from 'node:path';
import type { DeviceRepository } from './devices-repo.js';

/** An open store for offline device management. Close it when done. */
export interface OfflineDevices {
  readonly devices: DeviceRepository;
  readonly path: string;
  close(): void;
}

/** Whether the state directory has a database to operate on. */
export function hasStateDatabase(stateDir: string): boolean {
  return existsSync(join(stateDir, DATABASE_FILE));
}

/** Opens the device repository of `stateDir`; throws a sentence that says how to fix it when there is none. */
export function openOfflineDevices(stateDir: string): OfflineDevices {
  const path = join(stateDir, DATABASE_FILE);
  if (!existsSync(path)) {
    throw new Error(`no Switchboard state database at ${path}: start the gateway once (\`switchboard gateway run\`) or point SWITCHBOARD_HOME at its state directory`);
  }
  const store = new SqliteStore(path);
  return { devices: store.devices, path, close: () => store.close() };
}
