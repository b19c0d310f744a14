/**
 * `switchboard backup create FILE`: a consistent online snapshot of the state directory, safe while
 * the daemon runs. The database is copied with SQLite's backup API in a single step (one read
 * transaction, so the copy is one committed state even under concurrent writes), checked with
 * `integrity_check`, and packed with the config file and a manifest of sizes and SHA-256 sums.
 *
 * Without `includeSecrets` the generated token and the WhatsApp credentials are left out, secret
 * config values that are not `${ENV}` references are removed (their keys listed in the manifest),
 * and secret tables are emptied.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, fsyncSync, mkdtempSync, openSync, closeSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
// The one place outside store/ that opens the database itself: a backup copies the file (SQLite's
// backup API) and checks the copy, which no repository of the Store interface could do.
import BetterSqlite3 from 'better-sqlite3';
import { isScalar, visit, type Document } from 'yaml';
import { DATABASE_FILE } from '../store/store.js';
import { GENERATED_TOKEN_FILE } from '../auth/shared-secret.js';
import { CONFIG_FILE, parseConfigText } from '../config/file.js';
import { SECRET_KEY } from '../config/schema.js';
import { GATEWAY_VERSION } from '../version.js';
import { writeTarGz, type TarSource } from './tar.js';
import { WHATSAPP_BUNDLE_FILE, packWhatsAppCredentials } from './whatsapp.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, MANIFEST_FILE, SECRET_TABLES, type BackupManifest } from './manifest.js';

/** Options of {@link createBackup}. */
export interface CreateBackupOptions {
  includeSecrets?: boolean;
}

/** Where the backup went, its size and its manifest. */
export interface CreateBackupResult {
  file: string;
  bytes: number;
  manifest: BackupManifest;
}

/** Writes a backup of `stateDir` to `file` (replaced atomically). Throws when there is no database or the snapshot fails its integrity check. */
export async function createBackup(stateDir: string, file: string, options: CreateBackupOptions = {}): Promise<CreateBackupResult> {
  const dbPath = join(stateDir, DATABASE_FILE);
  if (!existsSync(dbPath)) throw new Error(`nothing to back up: ${dbPath} does not exist (has the gateway run with this state directory?)`);
  const target = resolve(file);
  const work = mkdtempSync(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    const snapshot = join(work, DATABASE_FILE);
    const { tables, schemaVersion, redactedTables } = await snapshotDatabase(dbPath, snapshot, options.includeSecrets ?? false);
    const sources: TarSource[] = [{ name: DATABASE_FILE, path: snapshot, size: statSync(snapshot).size }];
    let redactedConfigKeys: string[] = [];
    const configFile = join(stateDir, CONFIG_FILE);
    if (existsSync(configFile)) {
      const text = readFileSync(configFile, 'utf8');
      const { text: kept, removed } = options.includeSecrets ? { text, removed: [] } : redactConfig(configFile, text);
      redactedConfigKeys = removed;
      sources.push({ name: CONFIG_FILE, data: Buffer.from(kept), size: Buffer.byteLength(kept) });
    }
    const tokenFile = join(stateDir, GENERATED_TOKEN_FILE);
    if (options.includeSecrets && existsSync(tokenFile)) {
      const data = readFileSync(tokenFile);
      sources.push({ name: GENERATED_TOKEN_FILE, data, size: data.length });
    }
    const whatsapp = options.includeSecrets ? packWhatsAppCredentials(stateDir) : undefined;
    if (whatsapp) sources.push({ name: WHATSAPP_BUNDLE_FILE, data: whatsapp, size: whatsapp.length });
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      gatewayVersion: GATEWAY_VERSION,
      schemaVersion,
      includesSecrets: options.includeSecrets ?? false,
      files: await Promise.all(sources.map(async (s) => ({ name: s.name, bytes: s.size, sha256: await sha256Of(s) }))),
      tables,
      redactedConfigKeys,
      redactedTables,
    };
    const manifestData = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
    const archive = join(work, 'archive.tar.gz');
    await writeTarGz(createWriteStream(archive, { mode: 0o600 }), [{ name: MANIFEST_FILE, data: manifestData, size: manifestData.length }, ...sources]);
    fsyncFile(archive);
    renameSync(archive, target);
    return { file: target, bytes: statSync(target).size, manifest };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Copies the live database into `snapshot` in one backup step, then checks and (maybe) redacts it. */
async function snapshotDatabase(source: string, snapshot: string, includeSecrets: boolean) {
  const src = new BetterSqlite3(source, { fileMustExist: true });
  try {
    src.pragma('busy_timeout = 5000');
    // better-sqlite3 transfers every page in its first step: one read transaction, one consistent state.
    await src.backup(snapshot);
  } finally {
    src.close();
  }
  const db = new BetterSqlite3(snapshot);
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`the database snapshot failed its integrity check (${String(check)}); the state database may be damaged`);
    db.pragma('journal_mode = DELETE');
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    const redactedTables = includeSecrets ? [] : SECRET_TABLES.filter((t) => names.includes(t));
    for (const t of redactedTables) db.prepare(`DELETE FROM "${t}"`).run();
    if (redactedTables.length) db.exec('VACUUM');
    const tables: Record<string, number> = {};
    for (const name of names) tables[name] = (db.prepare(`SELECT COUNT(*) AS n FROM "${name}"`).get() as { n: number }).n;
    return { tables, schemaVersion: db.pragma('user_version', { simple: true }) as number, redactedTables };
  } finally {
    db.close();
  }
}

/** Removes secret values (except `${ENV}` references) from a config file, keeping comments. */
export function redactConfig(path: string, text: string): { text: string; removed: string[] } {
  const doc: Document = parseConfigText(path, text);
  const removed: string[] = [];
  visit(doc, {
    Pair(_key, pair, ancestors) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!SECRET_KEY.test(key) || !isScalar(pair.value)) return undefined;
      const value = String(pair.value.value ?? '');
      if (/^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$/.test(value)) return undefined;
      const parents = ancestors.filter((a) => 'key' in (a as object) && isScalar((a as { key: unknown }).key)).map((a) => String(((a as { key: { value: unknown } }).key).value));
      removed.push([...parents, key].join('.'));
      return visit.REMOVE;
    },
  });
  return { text: doc.toString(), removed };
}

function sha256Of(source: TarSource): Promise<string> {
  if (source.data) return Promise.resolve(createHash('sha256').update(source.data).digest('hex'));
  return sha256File(source.path!);
}

/** Hex SHA-256 of a file, read as a stream. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
