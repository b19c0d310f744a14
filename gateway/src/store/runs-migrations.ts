/**
 * Schema version 8: who submitted a stored user message.
 *
 * - `transcript_entries.idempotency_scope`: the idempotency-ledger scope of the control-plane
 *   caller that stored the entry (`operator|device:<id>` or `operator|shared:token`); NULL for
 *   messages from messaging channels and for entries stored before this version. A message is a
 *   re-submit only when the same key comes back from the same scope (runs/intake.ts), so one
 *   caller's key never answers for another caller's message.
 *
 * Released migrations are never edited: add a new version instead.
 */
import type { Migration } from './migrations.js';

/** Schema version 8; spread into the list in migrations.ts. */
export const runsMigrations: readonly Migration[] = [
  {
    version: 8,
    name: 'transcript entries: idempotency scope',
    up(db) {
      db.exec('ALTER TABLE transcript_entries ADD COLUMN idempotency_scope TEXT;');
    },
  },
];
