/**
 * Schema versions 3–5 (version 2 belongs to the devices table of the identity area).
 *
 * - 3 `idempotency`: the exactly-once ledger of side-effect requests.
 * - 4 `sessions`, `transcripts` (one row per transcript generation), `transcript_entries` and
 *   `pending_tool_calls` (tool calls still waiting for their result; closed on start-up repair).
 * - 5 `inbound_messages` and `outbound_deliveries`: the channel ledgers.
 *
 * Every table is STRICT; times are milliseconds since the epoch; JSON columns hold text.
 * Released migrations are never edited: add a new version instead.
 */
import type { Migration } from './migrations.js';

/** Schema versions 3, 4 and 5; spread into the list in migrations.ts. */
export const durableMigrations: readonly Migration[] = [
  {
    version: 3,
    name: 'idempotency ledger',
    up(db) {
      db.exec(`
        CREATE TABLE idempotency (
          id          INTEGER PRIMARY KEY,
          scope       TEXT    NOT NULL,
          method      TEXT    NOT NULL,
          key         TEXT    NOT NULL,
          params_hash TEXT    NOT NULL,
          state       TEXT    NOT NULL CHECK (state IN ('accepted', 'acked', 'completed', 'failed', 'interrupted')),
          boot_id     TEXT    NOT NULL,
          result      TEXT,
          final       TEXT,
          error       TEXT,
          accepted_at INTEGER NOT NULL,
          updated_at  INTEGER NOT NULL,
          expires_at  INTEGER
        ) STRICT;
        CREATE UNIQUE INDEX idempotency_key ON idempotency (scope, method, key);
        CREATE INDEX idempotency_expiry ON idempotency (expires_at) WHERE expires_at IS NOT NULL;
        CREATE INDEX idempotency_running ON idempotency (boot_id) WHERE expires_at IS NULL;
      `);
    },
  },
  {
    version: 4,
    name: 'sessions and transcripts',
    up(db) {
      db.exec(`
        CREATE TABLE transcripts (
          session_id  TEXT    PRIMARY KEY,
          session_key TEXT    NOT NULL,
          agent_id    TEXT    NOT NULL,
          created_at  INTEGER NOT NULL,
          ended_at    INTEGER,
          end_reason  TEXT,
          entry_count INTEGER NOT NULL DEFAULT 0,
          last_seq    INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        CREATE INDEX transcripts_key ON transcripts (session_key);

        CREATE TABLE sessions (
          key                 TEXT    PRIMARY KEY,
          agent_id            TEXT    NOT NULL,
          session_id          TEXT    NOT NULL REFERENCES transcripts (session_id),
          previous_session_id TEXT,
          label               TEXT,
          display_name        TEXT,
          channel             TEXT,
          model               TEXT,
          thinking_level      TEXT,
          verbose_level       TEXT,
          queue_mode          TEXT    NOT NULL DEFAULT 'interrupt' CHECK (queue_mode IN ('interrupt', 'queue', 'collect')),
          last_run_id         TEXT,
          input_tokens        INTEGER NOT NULL DEFAULT 0,
          output_tokens       INTEGER NOT NULL DEFAULT 0,
          total_tokens        INTEGER NOT NULL DEFAULT 0,
          created_at          INTEGER NOT NULL,
          updated_at          INTEGER NOT NULL,
          last_activity_at    INTEGER
        ) STRICT;
        CREATE INDEX sessions_updated ON sessions (updated_at);
        CREATE UNIQUE INDEX sessions_session_id ON sessions (session_id);

        CREATE TABLE transcript_entries (
          id              TEXT    NOT NULL UNIQUE,
          session_id      TEXT    NOT NULL REFERENCES transcripts (session_id) ON DELETE CASCADE,
          seq             INTEGER NOT NULL,
          role            TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'tool', 'system-note')),
          content         TEXT    NOT NULL,
          state           TEXT    NOT NULL CHECK (state IN ('partial', 'final', 'aborted', 'interrupted', 'error')),
          run_id          TEXT,
          tool_call_id    TEXT,
          meta            TEXT,
          idempotency_key TEXT,
          bytes           INTEGER NOT NULL,
          created_at      INTEGER NOT NULL,
          updated_at      INTEGER NOT NULL,
          UNIQUE (session_id, seq)
        ) STRICT;
        CREATE INDEX transcript_partial ON transcript_entries (session_id) WHERE state = 'partial';
        CREATE INDEX transcript_run ON transcript_entries (run_id) WHERE run_id IS NOT NULL;

        CREATE TABLE pending_tool_calls (
          session_id TEXT    NOT NULL REFERENCES transcripts (session_id) ON DELETE CASCADE,
          call_id    TEXT    NOT NULL,
          entry_id   TEXT    NOT NULL,
          name       TEXT,
          run_id     TEXT,
          created_at INTEGER NOT NULL,
          PRIMARY KEY (session_id, call_id)
        ) STRICT;
      `);
    },
  },
  {
    version: 5,
    name: 'channel ledgers',
    up(db) {
      db.exec(`
        CREATE TABLE inbound_messages (
          id                  INTEGER PRIMARY KEY,
          channel             TEXT    NOT NULL,
          account_id          TEXT    NOT NULL,
          platform_message_id TEXT    NOT NULL,
          chat_id             TEXT,
          session_key         TEXT,
          payload             TEXT,
          status              TEXT    NOT NULL CHECK (status IN ('received', 'dispatched', 'done', 'failed', 'expired')),
          received_at         INTEGER NOT NULL,
          acknowledged_at     INTEGER,
          dispatched_at       INTEGER,
          completed_at        INTEGER,
          last_error          TEXT,
          UNIQUE (channel, account_id, platform_message_id)
        ) STRICT;
        CREATE INDEX inbound_open ON inbound_messages (received_at) WHERE status IN ('received', 'dispatched');

        CREATE TABLE outbound_deliveries (
          id                  TEXT    PRIMARY KEY,
          channel             TEXT    NOT NULL,
          account_id          TEXT    NOT NULL,
          chat_id             TEXT    NOT NULL,
          seq                 INTEGER NOT NULL,
          payload             TEXT    NOT NULL,
          status              TEXT    NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
          attempts            INTEGER NOT NULL DEFAULT 0,
          next_attempt_at     INTEGER NOT NULL,
          platform_message_id TEXT,
          last_error          TEXT,
          idempotency_key     TEXT,
          created_at          INTEGER NOT NULL,
          updated_at          INTEGER NOT NULL,
          sent_at             INTEGER,
          UNIQUE (channel, account_id, chat_id, seq)
        ) STRICT;
        CREATE INDEX outbound_open ON outbound_deliveries (next_attempt_at) WHERE status IN ('pending', 'sending');
      `);
    },
  },
];
