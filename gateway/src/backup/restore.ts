/**
 * `switchboard backup restore FILE [--dry-run]`. Everything is verified before anything changes:
 * the archive is unpacked into a staging folder inside the state directory, every file's size and
 * SHA-256 must match the manifest, and the database must pass `integrity_check` and not be newer
 * than this build. A dry run stops there and reports.
 *
 * Restoring refuses while a daemon owns the state directory (it takes the single-instance lock and
 * holds it throughout, so no daemon can start midway). The current database is first folded
 * (WAL checkpoint) and copied to `pre-restore-<time>/`; then each file is swapped in with one
 * `rename`, which is atomic: at every instant `switchboard.db` is wholly the old or wholly the new
 * one. A crash between files leaves the new database with the old config; run the restore again.
 * WhatsApp credentials (in backups made with `--include-secrets`) are checked and written into the
 * staging folder first, then replace `channels/whatsapp/` as a whole; a backup without them leaves
 * the current ones in place.
 */
import { createWriteStream, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, type WriteStream } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { join } from 'node:path';
// Restore works on database files, not on state: it verifies the backed-up file and folds the WAL of
// the current one before swapping files, with no daemon (and so no Store) running.
import BetterSqlite3 from 'better-sqlite3';
import { DATABASE_FILE } from '../store/store.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { GENERATED_TOKEN_FILE } from '../auth/shared-secret.js';
import { CONFIG_FILE, parseConfigText, writeFileAtomic } from '../config/file.js';
import { ensureStateDir } from '../state-dir.js';
import { InstanceLock } from '../instance-lock.js';
import { readTarGz } from './tar.js';
import { MANIFEST_FILE, checkManifest, type BackupManifest } from './manifest.js';
import { WHATSAPP_BUNDLE_FILE, readWhatsAppBundle, swapInWhatsApp, whatsappDir, writeWhatsAppFiles } from './whatsapp.js';

/** Options of {@link restoreBackup}. */
export interface RestoreOptions {
  dryRun?: boolean;
}

/** What was (or, in a dry run, would be) restored. */
export interface RestoreResult {
  manifest: BackupManifest;
  dryRun: boolean;
  /** Files replaced (or, in a dry run, that would be). */
  restored: string[];
  /** Where the previous files were copied. */
  previousCopy?: string;
}

/** Verifies `file` and swaps it into `stateDir`. Throws without changing anything when the archive is damaged, newer, or a daemon owns the directory. */
export async function restoreBackup(stateDir: string, file: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  if (!existsSync(file)) throw new Error(`no backup at ${file}`);
  ensureStateDir(stateDir);
  const staging = join(stateDir, `.restore-${Date.now()}-${process.pid}`);
  mkdirSync(staging, { mode: 0o700 });
  try {
    const manifest = await unpackVerified(file, staging);
    verifyDatabase(join(staging, DATABASE_FILE));
    const whatsappStaged = join(staging, 'whatsapp');
    if (manifest.files.some((f) => f.name === WHATSAPP_BUNDLE_FILE)) {
      writeWhatsAppFiles(readWhatsAppBundle(readFileSync(join(staging, WHATSAPP_BUNDLE_FILE))), whatsappStaged);
    }
    const restored = manifest.files.map((f) => f.name);
    if (options.dryRun) return { manifest, dryRun: true, restored };
    const lock = InstanceLock.acquire(stateDir, { version: 'restore' });
    try {
      const previousCopy = preserveCurrent(stateDir);
      swapIn(stateDir, staging, manifest);
      if (existsSync(whatsappStaged)) swapInWhatsApp(stateDir, whatsappStaged);
      return { manifest, dryRun: false, restored, ...(previousCopy ? { previousCopy } : {}) };
    } finally {
      lock.release();
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Unpacks into `staging`, checking every entry against the manifest. */
async function unpackVerified(file: string, staging: string): Promise<BackupManifest> {
  let manifest: BackupManifest | undefined;
  let manifestText = '';
  const seen = new Map<string, { bytes: number; sha256: string }>();
  let current: { name: string; out?: WriteStream; hash: Hash; bytes: number } | undefined;
  const writes: Promise<void>[] = [];
  await readTarGz(file, {
    begin(name, size) {
      if (seen.has(name) || (name !== MANIFEST_FILE && !manifest)) throw new Error(`unexpected entry ${name} in the backup (the manifest must come first, each file once)`);
      if (name !== MANIFEST_FILE && !manifest!.files.some((f) => f.name === name)) throw new Error(`the backup contains ${name}, which its manifest does not list`);
      if (name === MANIFEST_FILE && size > 1024 * 1024) throw new Error('the backup manifest is implausibly large');
      const out = name === MANIFEST_FILE ? undefined : createWriteStream(join(staging, name), { mode: 0o600 });
      if (out) writes.push(new Promise((res, rej) => { out.on('finish', res); out.on('error', rej); }));
      current = { name, out, hash: createHash('sha256'), bytes: 0 };
    },
    chunk(data) {
      current!.hash.update(data);
      current!.bytes += data.length;
      if (current!.out) current!.out.write(data);
      else manifestText += data.toString('utf8');
    },
    end() {
      const c = current!;
      if (c.out) c.out.end();
      else manifest = checkManifest(JSON.parse(manifestText));
      seen.set(c.name, { bytes: c.bytes, sha256: c.hash.digest('hex') });
    },
  });
  await Promise.all(writes);
  if (!manifest) throw new Error('the backup has no manifest');
  for (const f of manifest.files) {
    const got = seen.get(f.name);
    if (!got) throw new Error(`the backup is missing ${f.name}, which its manifest lists`);
    if (got.bytes !== f.bytes || got.sha256 !== f.sha256) throw new Error(`${f.name} in the backup does not match its checksum: the file is damaged; nothing was restored`);
  }
  return manifest;
}

function verifyDatabase(path: string): void {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`the database in the backup fails its integrity check (${String(check)}); nothing was restored`);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new Error(`the backup was made by a newer Switchboard (schema ${version}, this one knows ${SCHEMA_VERSION}); upgrade first`);
  } finally {
    db.close();
  }
}

/** Folds the current database's WAL into it and copies the current files aside. */
function preserveCurrent(stateDir: string): string | undefined {
  const dbPath = join(stateDir, DATABASE_FILE);
  const present = [DATABASE_FILE, CONFIG_FILE, GENERATED_TOKEN_FILE].filter((f) => existsSync(join(stateDir, f)));
  const whatsapp = existsSync(whatsappDir(stateDir));
  if (present.length === 0 && !whatsapp) return undefined;
  if (existsSync(dbPath)) {
    const db = new BetterSqlite3(dbPath);
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  }
  const dir = join(stateDir, `pre-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { mode: 0o700 });
  for (const f of present) copyFileSync(join(stateDir, f), join(dir, f));
  if (whatsapp) cpSync(whatsappDir(stateDir), join(dir, 'channels', 'whatsapp'), { recursive: true });
  return dir;
}

function swapIn(stateDir: string, staging: string, manifest: BackupManifest): void {
  const names = new Set(manifest.files.map((f) => f.name));
  const dbPath = join(stateDir, DATABASE_FILE);
  renameSync(join(staging, DATABASE_FILE), dbPath);
  // The old WAL was checkpointed empty; its files must not be paired with the new database.
  for (const suffix of ['-wal', '-shm']) if (existsSync(dbPath + suffix)) unlinkSync(dbPath + suffix);
  if (names.has(CONFIG_FILE)) {
    writeFileAtomic(join(stateDir, CONFIG_FILE), mergeRedactedSecrets(stateDir, readFileSync(join(staging, CONFIG_FILE), 'utf8'), manifest.redactedConfigKeys));
  }
  if (names.has(GENERATED_TOKEN_FILE)) renameSync(join(staging, GENERATED_TOKEN_FILE), join(stateDir, GENERATED_TOKEN_FILE));
}

/** Puts the current file's values back at the keys a secret-less backup left out. */
function mergeRedactedSecrets(stateDir: string, restored: string, keys: string[]): string {
  const currentPath = join(stateDir, CONFIG_FILE);
  if (keys.length === 0 || !existsSync(currentPath)) return restored;
  const current = parseConfigText(currentPath, readFileSync(currentPath, 'utf8'));
  const doc = parseConfigText(currentPath, restored);
  for (const key of keys) {
    const path = key.split('.');
    if (current.hasIn(path) && !doc.hasIn(path)) doc.setIn(path, current.getIn(path, true));
  }
  return doc.toString();
}
