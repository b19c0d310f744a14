/**
 * Schema version 6: the nodes area (issue 6). Versions 3–5 belong to the durable-state area
 * (idempotency, sessions and transcripts, message ledgers); this list is spread after them.
 *
 * - `node_records`: what a paired node last declared and when it was seen, plus the operator's
 *   label (`node.rename`). Removed with its device (foreign key, cascade).
 * - `node_exec_allowlist`: commands (exact argv, JSON) a node may run without an exec approval,
 *   added by `allow-always` decisions. Removed with its device.
 * - `exec_approvals`: the durable record of every exec approval: the request, and how and by whom
 *   it was decided (kept after the device is gone).
 */
import type { Migration } from './migrations.js';

/** Spread into the migration list in migrations.ts. */
export const nodesMigrations: readonly Migration[] = [
  {
    version: 6,
    name: 'nodes and exec approvals',
    up(db) {
      db.exec(`
        CREATE TABLE node_records (
          node_id              TEXT PRIMARY KEY REFERENCES paired_devices (device_id) ON DELETE CASCADE,
          label                TEXT,
          display_name         TEXT,
          platform             TEXT,
          device_family        TEXT,
          model_identifier     TEXT,
          version              TEXT,
          client_id            TEXT,
          client_mode          TEXT,
          remote_ip            TEXT,
          caps                 TEXT NOT NULL DEFAULT '[]',
          commands             TEXT NOT NULL DEFAULT '[]',
          last_connected_at    INTEGER,
          last_disconnected_at INTEGER
        ) STRICT;
        CREATE TABLE node_exec_allowlist (
          node_id    TEXT NOT NULL REFERENCES paired_devices (device_id) ON DELETE CASCADE,
          argv       TEXT NOT NULL,
          source     TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          PRIMARY KEY (node_id, argv)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE exec_approvals (
          id          TEXT PRIMARY KEY,
          node_id     TEXT NOT NULL,
          request     TEXT NOT NULL,
          created_at  INTEGER NOT NULL,
          expires_at  INTEGER NOT NULL,
          decision    TEXT,
          ending      TEXT,
          resolved_by TEXT,
          resolved_at INTEGER
        ) STRICT;
        CREATE INDEX exec_approvals_by_time ON exec_approvals (created_at);
        CREATE INDEX exec_approvals_open ON exec_approvals (created_at) WHERE decision IS NULL;
      `);
    },
  },
];
