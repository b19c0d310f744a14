// Migrations from every earlier schema version: a database created at version v with data in it
// migrates to the latest version, keeps its data, and ends with exactly the schema of a fresh one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { migrate, migrations, openDatabase, SCHEMA_VERSION, SchemaTooNewError, SqliteStore } from '@switchboard/gateway';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-migrations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sample rows per table, in the columns the table had when it was created. Unknown tables get none. */
const SEEDS: Record<string, string[]> = {
  idempotency: [
    `INSERT INTO idempotency (scope, method, key, params_hash, state, boot_id, result, accepted_at, updated_at, expires_at)
     VALUES ('operator|shared:token', 'chat.inject', 'k1', 'h', 'completed', 'b', '{"ok":true}', 1, 2, 9999999999999)`,
  ],
  transcripts: [`INSERT INTO transcripts (session_id, session_key, agent_id, created_at, entry_count, last_seq) VALUES ('s1', 'agent:main:main', 'main', 1, 1, 1)`],
  sessions: [`INSERT INTO sessions (key, agent_id, session_id, label, created_at, updated_at) VALUES ('agent:main:main', 'main', 's1', 'kept', 1, 2)`],
  transcript_entries: [
    `INSERT INTO transcript_entries (id, session_id, seq, role, content, state, bytes, created_at, updated_at)
     VALUES ('e1', 's1', 1, 'user', '[{"type":"text","text":"hello"}]', 'final', 32, 1, 1)`,
  ],
  pending_tool_calls: [`INSERT INTO pending_tool_calls (session_id, call_id, entry_id, name, created_at) VALUES ('s1', 'call1', 'e1', 'clock', 1)`],
  inbound_messages: [
    `INSERT INTO inbound_messages (channel, account_id, platform_message_id, status, received_at) VALUES ('telegram', 'bot', '42', 'received', 1)`,
  ],
  outbound_deliveries: [
    `INSERT INTO outbound_deliveries (id, channel, account_id, chat_id, seq, payload, status, next_attempt_at, created_at, updated_at)
     VALUES ('d1', 'telegram', 'bot', 'c1', 1, '{"text":"hi"}', 'pending', 1, 1, 1)`,
  ],
  meta: [`INSERT OR REPLACE INTO meta (key, value) VALUES ('seeded', 'yes')`],
  // Version 2: paired devices and their tokens.
  paired_devices: [
    `INSERT INTO paired_devices (device_id, public_key, display_name, roles, scopes, created_at, approved_at)
     VALUES ('dev1', 'pk1', 'kept laptop', '["operator","node"]', '["operator.admin"]', 1, 2)`,
  ],
  pairing_requests: [
    `INSERT INTO pairing_requests (request_id, device_id, public_key, role, roles, scopes, created_at, expires_at)
     VALUES ('rq1', 'dev2', 'pk2', 'operator', '["operator"]', '[]', 1, 9999999999999)`,
  ],
  device_tokens: [`INSERT INTO device_tokens (device_id, role, token_hash, scopes, created_at) VALUES ('dev1', 'node', 'hash', '[]', 3)`],
  // Version 6: node records, exec allowlist, exec approvals.
  node_records: [`INSERT INTO node_records (node_id, label, platform, caps, commands, last_connected_at) VALUES ('dev1', 'kept node', 'linux', '[]', '["system.run"]', 4)`],
  node_exec_allowlist: [`INSERT INTO node_exec_allowlist (node_id, argv, source, created_at) VALUES ('dev1', '["echo","hi"]', 'allow-always', 5)`],
  exec_approvals: [
    `INSERT INTO exec_approvals (id, node_id, request, created_at, expires_at, decision, ending, resolved_by, resolved_at)
     VALUES ('ap1', 'dev1', '{"argv":["ls"]}', 6, 7, 'allow-once', 'approved', 'operator', 7)`,
  ],
  // Version 7: channel pairing, accounts, titles.
  channel_pairing_requests: [
    `INSERT INTO channel_pairing_requests (id, platform, account_id, user_id, code_hash, salt, created_at, expires_at)
     VALUES ('pr1', 'telegram', 'bot', 'u1', 'h', 's', 1, 9999999999999)`,
  ],
  channel_pairing_rate: [`INSERT INTO channel_pairing_rate (platform, user_id, last_request_at) VALUES ('telegram', 'u1', 1)`],
  channel_pairing_lockouts: [`INSERT INTO channel_pairing_lockouts (platform, failures, locked_until) VALUES ('discord', 3, 9)`],
  channel_paired_users: [`INSERT INTO channel_paired_users (platform, user_id, display_name, approved_at) VALUES ('telegram', 'u2', 'kept user', 1)`],
  channel_accounts: [`INSERT INTO channel_accounts (platform, account_id, state, updated_at) VALUES ('whatsapp', 'default', 'connected', 1)`],
  channel_session_titles: [`INSERT INTO channel_session_titles (session_id, session_key, title, created_at) VALUES ('s1', 'agent:main:main', 'kept title', 1)`],
};
// Parents before children (foreign keys).
const SEED_ORDER = [
  'meta', 'paired_devices', 'pairing_requests', 'device_tokens', 'idempotency', 'transcripts', 'sessions', 'transcript_entries', 'pending_tool_calls', 'inbound_messages', 'outbound_deliveries',
  'node_records', 'node_exec_allowlist', 'exec_approvals',
  'channel_pairing_requests', 'channel_pairing_rate', 'channel_pairing_lockouts', 'channel_paired_users', 'channel_accounts', 'channel_session_titles',
];

/** A value per seeded table that must read back the same after migrating. */
const KEPT: Record<string, [sql: string, expected: unknown]> = {
  sessions: [`SELECT label FROM sessions WHERE key = 'agent:main:main'`, { label: 'kept' }],
  transcript_entries: [`SELECT content FROM transcript_entries WHERE id = 'e1'`, { content: '[{"type":"text","text":"hello"}]' }],
  paired_devices: [`SELECT display_name FROM paired_devices WHERE device_id = 'dev1'`, { display_name: 'kept laptop' }],
  device_tokens: [`SELECT token_hash FROM device_tokens WHERE device_id = 'dev1'`, { token_hash: 'hash' }],
  node_records: [`SELECT label, commands FROM node_records WHERE node_id = 'dev1'`, { label: 'kept node', commands: '["system.run"]' }],
  node_exec_allowlist: [`SELECT argv FROM node_exec_allowlist WHERE node_id = 'dev1'`, { argv: '["echo","hi"]' }],
  exec_approvals: [`SELECT decision, ending FROM exec_approvals WHERE id = 'ap1'`, { decision: 'allow-once', ending: 'approved' }],
  channel_pairing_requests: [`SELECT user_id FROM channel_pairing_requests WHERE id = 'pr1'`, { user_id: 'u1' }],
  channel_pairing_lockouts: [`SELECT failures FROM channel_pairing_lockouts WHERE platform = 'discord'`, { failures: 3 }],
  channel_paired_users: [`SELECT display_name FROM channel_paired_users WHERE user_id = 'u2'`, { display_name: 'kept user' }],
  channel_accounts: [`SELECT state FROM channel_accounts WHERE platform = 'whatsapp'`, { state: 'connected' }],
  channel_session_titles: [`SELECT title FROM channel_session_titles WHERE session_id = 's1'`, { title: 'kept title' }],
};

function tables(db: Database): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map((r) => r.name);
}

function schema(db: Database): string[] {
  return (db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`).all() as { type: string; name: string; sql: string | null }[])
    .map((r) => `${r.type} ${r.name}: ${(r.sql ?? '').replace(/\s+/g, ' ')}`);
}

function seed(db: Database): Map<string, number> {
  const present = new Set(tables(db));
  const counts = new Map<string, number>();
  for (const table of SEED_ORDER) {
    if (!present.has(table)) continue;
    for (const sql of SEEDS[table]) db.exec(sql);
    counts.set(table, (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
  }
  return counts;
}

const versions = [0, ...migrations.map((m) => m.version).filter((v) => v < SCHEMA_VERSION)].sort((a, b) => a - b);

describe('store migrations', () => {
  const freshPath = join(dir, 'fresh.db');
  const fresh = openDatabase(freshPath);
  const freshSchema = schema(fresh);
  fresh.close();

  it('seeds every table of the latest schema (so each one is checked to survive; add seeds for a new table)', () => {
    const db = openDatabase(join(dir, 'all-tables.db'));
    expect(tables(db).filter((t) => !SEEDS[t] || !SEED_ORDER.includes(t))).toEqual([]);
    db.close();
  });

  it('has unique versions and ends at SCHEMA_VERSION', () => {
    const list = migrations.map((m) => m.version);
    expect(new Set(list).size).toBe(list.length);
    expect(Math.max(...list)).toBe(SCHEMA_VERSION);
  });

  it.each(versions)('migrates a database at version %i with data to the latest, keeping the data', (version) => {
    const path = join(dir, `v${version}.db`);
    const old = openDatabase(path, { targetVersion: version });
    expect(old.pragma('user_version', { simple: true })).toBe(version);
    const seeded = seed(old);
    old.close();

    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(schema(db)).toEqual(freshSchema);
    for (const [table, n] of seeded) {
      expect((db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n, table).toBe(n);
    }
    for (const [table, [sql, expected]] of Object.entries(KEPT)) {
      if (seeded.has(table)) expect(db.prepare(sql).get(), table).toEqual(expected);
    }
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();

    // The repositories work on the migrated file.
    const store = new SqliteStore(path);
    const main = store.sessions.ensure('agent:main:main', 'main', Date.now());
    store.transcripts.append(main.sessionId, { role: 'user', content: [{ type: 'text', text: 'after migration' }] }, Date.now());
    expect(store.transcripts.count(main.sessionId)).toBeGreaterThan(0);
    store.close();
  });

  it('leaves the previous version intact when a migration fails midway', () => {
    const db = new BetterSqlite3(join(dir, 'failing.db'));
    const list = [
      { version: 1, name: 'one', up: (d: Database) => d.exec('CREATE TABLE a (x INTEGER)') },
      { version: 2, name: 'two', up: (d: Database) => { d.exec('CREATE TABLE b (x INTEGER)'); throw new Error('boom'); } },
    ];
    expect(() => migrate(db, 2, list)).toThrow('boom');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(tables(db)).toEqual(['a']);
    db.close();
  });

  it('refuses a database written by a newer Switchboard', () => {
    const path = join(dir, 'newer.db');
    const db = new BetterSqlite3(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(path)).toThrow(SchemaTooNewError);
  });

  it('refuses two migrations with the same version', () => {
    const db = new BetterSqlite3(':memory:');
    const dup = [{ version: 1, name: 'a', up: () => {} }, { version: 1, name: 'b', up: () => {} }];
    expect(() => migrate(db, 1, dup)).toThrow(/share version 1/);
    db.close();
  });
});
