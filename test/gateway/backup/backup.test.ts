// Backup and restore: an online snapshot while the gateway runs and writes, wipe, restore, and every
// table (whatever tables exist: sessions, transcripts, ledgers, devices once that area merges) is
// back row for row. Checksums, dry runs, secrets and the running-daemon refusal.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { createBackup, readTarGz, restoreBackup, writeTarGz, type TarSource } from '@switchboard/gateway/admin';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

let work: string;
let stateDir: string;
let gw: TestGateway | undefined;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'switchboard-backup-'));
  stateDir = join(work, 'state');
});
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  rmSync(work, { recursive: true, force: true });
});

/** Every table's rows, order-independent, as one hash per table. */
function fingerprint(dbPath: string): Record<string, string> {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map((r) => r.name);
    return Object.fromEntries(names.map((n) => {
      const rows = (db.prepare(`SELECT * FROM "${n}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort();
      return [n, `${rows.length}:${createHash('sha256').update(rows.join('\n')).digest('hex').slice(0, 16)}`];
    }));
  } finally {
    db.close();
  }
}

async function populate(g: TestGateway): Promise<void> {
  const c = await g.connect();
  await c.call('sessions.patch', { key: 'agent:main:telegram:direct:1', label: 'Ana', model: 'm' });
  for (let i = 0; i < 20; i++) await c.call('chat.inject', { sessionKey: 'main', message: `note ${i}`, idempotencyKey: `k${i}` });
  const store = g.gateway.services.store;
  await store.commit(() => {
    store.inbound.record({ channel: 'telegram', accountId: 'bot', platformMessageId: '1', payload: { text: 'hi' } }, Date.now());
    store.outbound.enqueue({ channel: 'telegram', accountId: 'bot', chatId: 'c', payload: { text: 'yo' } }, Date.now());
  });
  c.close();
}

async function archiveEntries(file: string): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  let name = '';
  let parts: Buffer[] = [];
  await readTarGz(file, {
    begin(n) { name = n; parts = []; },
    chunk(d) { parts.push(Buffer.from(d)); },
    end() { entries.set(name, Buffer.concat(parts)); },
  });
  return entries;
}

describe('backup', () => {
  it('snapshots online while writes go on, and restores every table after a wipe', async () => {
    gw = await startTestGateway({ stateDir });
    await populate(gw);
    writeFileSync(join(stateDir, 'config.yaml'), 'version: 1\n# kept comment\ngateway:\n  auth:\n    token: ${SB_TOKEN}\n');
    // Writers keep going during the snapshot; the copy must still be one consistent state.
    const writer = await gw.connect();
    let writing = true;
    const writes = (async () => { for (let i = 0; writing; i++) await writer.call('chat.inject', { sessionKey: 'main', message: `bg ${i}`, idempotencyKey: `bg${i}` }); })();
    const file = join(work, 'backup.tar.gz');
    const { manifest } = await createBackup(stateDir, file);
    writing = false;
    await writes;
    expect(manifest.tables.transcript_entries).toBeGreaterThanOrEqual(20);
    expect(manifest.files.map((f) => f.name)).toEqual(['switchboard.db', 'config.yaml']);

    const snapshotDb = join(work, 'snapshot.db');
    writeFileSync(snapshotDb, (await archiveEntries(file)).get('switchboard.db')!);
    const expected = fingerprint(snapshotDb);
    const snap = new BetterSqlite3(snapshotDb, { readonly: true });
    // Consistency across tables: each generation's counter equals its entries.
    expect(snap.prepare(`SELECT COUNT(*) AS n FROM transcripts t WHERE entry_count <> (SELECT COUNT(*) FROM transcript_entries e WHERE e.session_id = t.session_id)`).get()).toEqual({ n: 0 });
    snap.close();

    await gw.close();
    gw = undefined;
    rmSync(stateDir, { recursive: true, force: true });
    const result = await restoreBackup(stateDir, file);
    expect(result.restored).toEqual(['switchboard.db', 'config.yaml']);
    expect(fingerprint(join(stateDir, 'switchboard.db'))).toEqual(expected);
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(['sessions', 'transcripts', 'transcript_entries', 'idempotency', 'inbound_messages', 'outbound_deliveries']));
    expect(readFileSync(join(stateDir, 'config.yaml'), 'utf8')).toContain('# kept comment');

    gw = await startTestGateway({ stateDir });
    const c = await gw.connect();
    const list = await c.call('sessions.list', {});
    expect(list.sessions.map((s) => s.key).sort()).toEqual(['agent:main:main', 'agent:main:telegram:direct:1']);
    const history = await c.call('chat.history', { sessionKey: 'main', limit: 1000 });
    expect(history.messages.length).toBe(manifest.tables.transcript_entries);
    // The idempotency ledger came back too: a retry still returns the original answer.
    const again = await c.call('chat.inject', { sessionKey: 'main', message: 'note 3', idempotencyKey: 'k3' });
    expect(history.messages.find((m) => m.id === again.messageId)).toBeDefined();
  });

  it('leaves secrets out unless asked, and keeps the current secrets on restore', async () => {
    gw = await startTestGateway({ stateDir });
    await populate(gw);
    writeFileSync(join(stateDir, 'gateway.token'), 'generated-token-value-123456\n');
    writeFileSync(join(stateDir, 'config.yaml'), 'version: 1\ngateway:\n  auth:\n    mode: password\n    password: literal-secret-pw\n    token: ${FROM_ENV}\n');
    const plain = join(work, 'plain.tar.gz');
    const { manifest } = await createBackup(stateDir, plain);
    expect(manifest.includesSecrets).toBe(false);
    expect(manifest.redactedConfigKeys).toEqual(['gateway.auth.password']);
    const entries = await archiveEntries(plain);
    expect([...entries.keys()]).toEqual(['manifest.json', 'switchboard.db', 'config.yaml']);
    const raw = readFileSync(plain);
    expect(entries.get('config.yaml')!.toString()).not.toContain('literal-secret-pw');
    expect(entries.get('config.yaml')!.toString()).toContain('token: ${FROM_ENV}');
    expect(raw.includes('generated-token-value')).toBe(false);

    const full = join(work, 'full.tar.gz');
    const withSecrets = await createBackup(stateDir, full, { includeSecrets: true });
    expect(withSecrets.manifest.files.map((f) => f.name)).toContain('gateway.token');
    expect((await archiveEntries(full)).get('config.yaml')!.toString()).toContain('literal-secret-pw');

    await gw.close();
    gw = undefined;
    await restoreBackup(stateDir, plain);
    expect(readFileSync(join(stateDir, 'config.yaml'), 'utf8')).toContain('password: literal-secret-pw');
    expect(readFileSync(join(stateDir, 'gateway.token'), 'utf8')).toBe('generated-token-value-123456\n');
  });

  it('carries the WhatsApp credentials only with includeSecrets, restores them, and refuses a bundle that points outside their folder', async () => {
    gw = await startTestGateway({ stateDir });
    await populate(gw);
    await gw.close();
    gw = undefined;
    const wa = join(stateDir, 'channels', 'whatsapp');
    mkdirSync(join(wa, 'default', 'keys'), { recursive: true, mode: 0o700 });
    writeFileSync(join(wa, 'default', 'creds.json'), '{"noiseKey":"whatsapp-secret-noise-key"}', { mode: 0o600 });
    writeFileSync(join(wa, 'default', 'keys', 'pre-key-1.json'), '{"private":"whatsapp-secret-pre-key"}', { mode: 0o600 });
    writeFileSync(join(wa, 'default', 'keys', 'pre-key-2.json.123.456.tmp'), 'half-written');

    const plain = join(work, 'plain.tar.gz');
    const { manifest: plainManifest } = await createBackup(stateDir, plain);
    expect(plainManifest.files.map((f) => f.name)).not.toContain('whatsapp-credentials.json');
    const full = join(work, 'full.tar.gz');
    const { manifest } = await createBackup(stateDir, full, { includeSecrets: true });
    expect(manifest.files.map((f) => f.name)).toEqual(['switchboard.db', 'whatsapp-credentials.json']);
    const bundle = JSON.parse((await archiveEntries(full)).get('whatsapp-credentials.json')!.toString()) as { files: Record<string, string> };
    expect(Object.keys(bundle.files)).toEqual(['default/creds.json', 'default/keys/pre-key-1.json']);

    // A restore of the full backup brings the folder back as it was (the linked phone survives a restore).
    rmSync(wa, { recursive: true, force: true });
    mkdirSync(join(wa, 'other'), { recursive: true });
    writeFileSync(join(wa, 'other', 'creds.json'), '{"stale":true}');
    const restored = await restoreBackup(stateDir, full);
    expect(readFileSync(join(wa, 'default', 'creds.json'), 'utf8')).toBe('{"noiseKey":"whatsapp-secret-noise-key"}');
    expect(readFileSync(join(wa, 'default', 'keys', 'pre-key-1.json'), 'utf8')).toBe('{"private":"whatsapp-secret-pre-key"}');
    expect(statSync(join(wa, 'default', 'creds.json')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(wa, 'other'))).toBe(false);
    expect(readFileSync(join(restored.previousCopy!, 'channels', 'whatsapp', 'other', 'creds.json'), 'utf8')).toBe('{"stale":true}');
    // A backup without secrets leaves the current credentials alone.
    await restoreBackup(stateDir, plain);
    expect(readFileSync(join(wa, 'default', 'creds.json'), 'utf8')).toBe('{"noiseKey":"whatsapp-secret-noise-key"}');

    // A forged bundle (checksums made to match) naming a path outside the folder changes nothing.
    const entries = await archiveEntries(full);
    const evil = Buffer.from(JSON.stringify({ format: 'switchboard-whatsapp-credentials', files: { '../../escaped.json': Buffer.from('x').toString('base64') } }));
    const forgedManifest = { ...manifest, files: manifest.files.map((f) => (f.name === 'whatsapp-credentials.json' ? { ...f, bytes: evil.length, sha256: createHash('sha256').update(evil).digest('hex') } : f)) };
    const manifestData = Buffer.from(JSON.stringify(forgedManifest));
    const forged = join(work, 'forged.tar.gz');
    await writeTarGz(createWriteStream(forged), [
      { name: 'manifest.json', data: manifestData, size: manifestData.length },
      { name: 'switchboard.db', data: entries.get('switchboard.db')!, size: entries.get('switchboard.db')!.length },
      { name: 'whatsapp-credentials.json', data: evil, size: evil.length },
    ]);
    const before = fingerprint(join(stateDir, 'switchboard.db'));
    await expect(restoreBackup(stateDir, forged)).rejects.toThrow(/outside the credentials folder/);
    expect(existsSync(join(work, 'escaped.json'))).toBe(false);
    expect(existsSync(join(stateDir, 'escaped.json'))).toBe(false);
    expect(fingerprint(join(stateDir, 'switchboard.db'))).toEqual(before);
  });

  it('verifies before changing anything: a damaged file, a dry run, a running daemon', async () => {
    gw = await startTestGateway({ stateDir });
    await populate(gw);
    const file = join(work, 'b.tar.gz');
    await createBackup(stateDir, file);
    await expect(restoreBackup(stateDir, file)).rejects.toThrow(/another Switchboard gateway \(pid \d+, listening on/);
    await gw.close();
    gw = undefined;
    const before = fingerprint(join(stateDir, 'switchboard.db'));

    // Same manifest, different database bytes: the checksum catches it.
    const entries = await archiveEntries(file);
    const db = Buffer.from(entries.get('switchboard.db')!);
    db[db.length - 100] ^= 0xff;
    const sources: TarSource[] = [...entries].map(([name, data]) => ({ name, data: name === 'switchboard.db' ? db : data, size: data.length }));
    const forged = join(work, 'forged.tar.gz');
    await writeTarGz(createWriteStream(forged), sources);
    await expect(restoreBackup(stateDir, forged)).rejects.toThrow(/does not match its checksum/);
    const truncated = join(work, 'truncated.tar.gz');
    writeFileSync(truncated, readFileSync(file).subarray(0, 2000));
    await expect(restoreBackup(stateDir, truncated)).rejects.toThrow();
    writeFileSync(join(work, 'junk.tar.gz'), 'not a backup');
    await expect(restoreBackup(stateDir, join(work, 'junk.tar.gz'))).rejects.toThrow();

    const dry = await restoreBackup(stateDir, file, { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(fingerprint(join(stateDir, 'switchboard.db'))).toEqual(before);
    expect(readdirSync(stateDir).filter((f) => f.startsWith('.restore') || f.startsWith('pre-restore'))).toEqual([]);
    const real = await restoreBackup(stateDir, file);
    expect(existsSync(join(real.previousCopy!, 'switchboard.db'))).toBe(true);
  });

  it('refuses a state directory with nothing to back up', async () => {
    await expect(createBackup(join(work, 'empty'), join(work, 'x.tar.gz'))).rejects.toThrow(/nothing to back up/);
  });
});
