/**
 * What a backup archive contains and how it is checked. The manifest is the archive's first entry;
 * every other entry must be listed in it with its size and SHA-256, and nothing unlisted may appear.
 */
import { DATABASE_FILE } from '../store/store.js';
import { GENERATED_TOKEN_FILE } from '../auth/shared-secret.js';
import { CONFIG_FILE } from '../config/file.js';
import { WHATSAPP_BUNDLE_FILE } from './whatsapp.js';

/** Identifies a Switchboard backup manifest. */
export const BACKUP_FORMAT = 'switchboard-backup';
/** The manifest format this build writes and reads. */
export const BACKUP_FORMAT_VERSION = 1;
/** The manifest's entry name (always the archive's first entry). */
export const MANIFEST_FILE = 'manifest.json';

/** Files a backup may carry, in archive order (the last two only with `--include-secrets`). */
export const BACKUP_FILES = [DATABASE_FILE, CONFIG_FILE, GENERATED_TOKEN_FILE, WHATSAPP_BUNDLE_FILE] as const;

/**
 * Tables whose rows are credentials: left out of a backup unless `--include-secrets`. The identity
 * area lists its device-token table here (rows deleted from the snapshot; devices re-pair after a
 * restore without secrets).
 */
export const SECRET_TABLES: readonly string[] = ['device_tokens'];

/** One file in the archive: name, size, SHA-256 (hex). */
export interface ManifestFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** The manifest of a backup archive. */
export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  createdAt: string;
  gatewayVersion: string;
  /** The store's schema version in the snapshot. */
  schemaVersion: number;
  includesSecrets: boolean;
  files: ManifestFile[];
  /** Rows per table in the snapshot. */
  tables: Record<string, number>;
  /** Config keys removed because they held secrets (restore keeps the current values there). */
  redactedConfigKeys: string[];
  /** Secret tables emptied in the snapshot. */
  redactedTables: string[];
}

/** Checks the manifest's shape; throws a sentence that says what is wrong. */
export function checkManifest(value: unknown): BackupManifest {
  const m = value as Partial<BackupManifest> | null;
  if (!m || m.format !== BACKUP_FORMAT) throw new Error('this file is not a Switchboard backup (no switchboard-backup manifest)');
  if (m.formatVersion !== BACKUP_FORMAT_VERSION) throw new Error(`backup format version ${String(m.formatVersion)} is not supported by this Switchboard (it reads ${BACKUP_FORMAT_VERSION})`);
  if (!Array.isArray(m.files) || !m.files.every((f) => f && (BACKUP_FILES as readonly string[]).includes(f.name) && Number.isInteger(f.bytes) && typeof f.sha256 === 'string')) {
    throw new Error('the backup manifest lists unexpected or malformed files');
  }
  if (!m.files.some((f) => f.name === DATABASE_FILE)) throw new Error(`the backup has no ${DATABASE_FILE}`);
  return m as BackupManifest;
}
