/**
 * Schema version 7: what the messaging channels persist besides the inbound and outbound ledgers
 * (version 5). Version 6 is left to the nodes area (exec approvals), which is developed in parallel.
 *
 * - `channel_pairing_requests`: pending DM pairing codes — only a salted SHA-256 of the code is kept.
 * - `channel_pairing_rate`: when each user last asked for a code (one request per 10 minutes).
 * - `channel_pairing_lockouts`: failed approvals per platform and the lockout they caused.
 * - `channel_paired_users`: users an operator approved through pairing.
 * - `channel_accounts`: the last known state of each channel account (for status after a restart).
 * - `channel_session_titles`: titles of conversations (transcript generations), for /title and /resume.
 * - an index on `outbound_deliveries.idempotency_key`, so a reply is enqueued at most once per key.
 */
import type { Migration } from './migrations.js';

/** Schema version 7; spread into the list in migrations.ts. */
export const channelsMigrations: readonly Migration[] = [
  {
    version: 7,
    name: 'channels: pairing, accounts, titles',
    up(db) {
      db.exec(`
        CREATE TABLE channel_pairing_requests (
          id           TEXT    PRIMARY KEY,
          platform     TEXT    NOT NULL,
          account_id   TEXT    NOT NULL,
          user_id      TEXT    NOT NULL,
          chat_id      TEXT,
          display_name TEXT,
          code_hash    TEXT    NOT NULL,
          salt         TEXT    NOT NULL,
          created_at   INTEGER NOT NULL,
          expires_at   INTEGER NOT NULL,
          UNIQUE (platform, user_id)
        ) STRICT;
        CREATE INDEX channel_pairing_requests_expiry ON channel_pairing_requests (expires_at);

        CREATE TABLE channel_pairing_rate (
          platform        TEXT    NOT NULL,
          user_id         TEXT    NOT NULL,
          last_request_at INTEGER NOT NULL,
          PRIMARY KEY (platform, user_id)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE channel_pairing_lockouts (
          platform     TEXT    PRIMARY KEY,
          failures     INTEGER NOT NULL,
          locked_until INTEGER
        ) STRICT;

        CREATE TABLE channel_paired_users (
          platform     TEXT    NOT NULL,
          user_id      TEXT    NOT NULL,
          display_name TEXT,
          approved_at  INTEGER NOT NULL,
          approved_by  TEXT,
          PRIMARY KEY (platform, user_id)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE channel_accounts (
          platform          TEXT    NOT NULL,
          account_id        TEXT    NOT NULL,
          state             TEXT    NOT NULL,
          detail            TEXT,
          last_error        TEXT,
          last_inbound_at   INTEGER,
          last_outbound_at  INTEGER,
          last_connected_at INTEGER,
          updated_at        INTEGER NOT NULL,
          PRIMARY KEY (platform, account_id)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE channel_session_titles (
          session_id  TEXT    PRIMARY KEY,
          session_key TEXT    NOT NULL,
          title       TEXT    NOT NULL,
          created_at  INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX channel_session_titles_key ON channel_session_titles (session_key, title);

        CREATE INDEX outbound_idempotency ON outbound_deliveries (idempotency_key) WHERE idempotency_key IS NOT NULL;
      `);
    },
  },
];
