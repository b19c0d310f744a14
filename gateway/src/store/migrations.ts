/**
 * The store's schema, as an ordered list of migrations. `PRAGMA user_version` records how far a
 * database has come; start-up applies the missing steps, each in its own transaction, so a crash
 * mid-migration leaves the previous version intact. Never edit a released migration: add one.
 */
import type { Database } from 'better-sqlite3';
import { createDeviceTables } from './devices-schema.js';
import { durableMigrations } from './durable-migrations.js';
import { nodesMigrations } from './nodes-migrations.js';
import { channelsMigrations } from './channels-migrations.js';
import { runsMigrations } from './runs-migrations.js';

export interface Migration {
  /** 1, 2, 3, … with no gaps. */
  readonly version: number;
  readonly name: string;
  up(db: Database): void;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'meta',
    up(db) {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;
      `);
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('created_at', String(Date.now()));
    },
  },
  {
    version: 2,
    name: 'devices',
    up: createDeviceTables,
  },
  // Versions 3–5: idempotency ledger, sessions and transcripts, inbound and outbound ledgers.
  ...durableMigrations,
  // Version 6: nodes and exec approvals (versions 3–5 are the durable-state area's; keep the list in version order).
  ...nodesMigrations,
  // Version 7: channel pairing, account state, conversation titles.
  ...channelsMigrations,
  // Version 8: the idempotency scope of stored user messages.
  ...runsMigrations,
];

/** The schema version this build writes (the highest in the list, which may come from several files). */
export const SCHEMA_VERSION = Math.max(...migrations.map((m) => m.version));
