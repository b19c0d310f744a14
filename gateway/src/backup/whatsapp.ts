/**
 * WhatsApp credentials in a backup (only with `--include-secrets`): the folder
 * `<stateDir>/channels/whatsapp/` (one sub-folder per account: `creds.json`, `keys/*.json`) travels
 * as one archive entry, `whatsapp-credentials.json`: `{format, files: {"<account>/<path>": base64}}`.
 * One entry keeps the archive's plain-name rule (key file names are long and varied) and lets the
 * manifest checksum the whole folder at once.
 *
 * Each file is read whole; the daemon replaces these files atomically (rename), so every file in
 * the bundle is one complete version. Restoring replaces the folder as a whole.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The archive entry that carries the WhatsApp credentials. */
export const WHATSAPP_BUNDLE_FILE = 'whatsapp-credentials.json';
const BUNDLE_FORMAT = 'switchboard-whatsapp-credentials';
/** Refuse bundles above this size (an account's keys are a few MiB at most). */
const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;
/** A path segment inside the folder: no separators, not `.` or `..`. */
const SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9@._+=-]{1,200}$/;

/** The credentials folder of a state directory. */
export function whatsappDir(stateDir: string): string {
  return join(stateDir, 'channels', 'whatsapp');
}

/** The bundle of every file under the folder, or undefined when there is none. */
export function packWhatsAppCredentials(stateDir: string): Buffer | undefined {
  const root = whatsappDir(stateDir);
  if (!existsSync(root)) return undefined;
  const files: Record<string, string> = {};
  const walk = (rel: string[]) => {
    for (const name of readdirSync(join(root, ...rel)).sort()) {
      const path = join(root, ...rel, name);
      // Temporary files of an atomic write in progress are not credentials yet.
      if (name.endsWith('.tmp')) continue;
      if (statSync(path).isDirectory()) walk([...rel, name]);
      else files[[...rel, name].join('/')] = readFileSync(path).toString('base64');
    }
  };
  walk([]);
  if (Object.keys(files).length === 0) return undefined;
  return Buffer.from(JSON.stringify({ format: BUNDLE_FORMAT, files }));
}

/** Checks a bundle and returns its files by relative path; throws a sentence on anything odd. */
export function readWhatsAppBundle(data: Buffer): Map<string, Buffer> {
  if (data.length > MAX_BUNDLE_BYTES) throw new Error(`${WHATSAPP_BUNDLE_FILE} in the backup is implausibly large; nothing was restored`);
  const parsed = JSON.parse(data.toString('utf8')) as { format?: unknown; files?: unknown };
  if (parsed.format !== BUNDLE_FORMAT || !parsed.files || typeof parsed.files !== 'object') {
    throw new Error(`${WHATSAPP_BUNDLE_FILE} in the backup is not a WhatsApp credentials bundle; nothing was restored`);
  }
  const out = new Map<string, Buffer>();
  for (const [path, content] of Object.entries(parsed.files as Record<string, unknown>)) {
    const segments = path.split('/');
    if (segments.length > 4 || !segments.every((s) => SEGMENT.test(s)) || typeof content !== 'string') {
      throw new Error(`${WHATSAPP_BUNDLE_FILE} in the backup holds a file outside the credentials folder (${JSON.stringify(path)}); nothing was restored`);
    }
    out.set(path, Buffer.from(content, 'base64'));
  }
  return out;
}

/** Writes the bundle's files into `dir` (created 0700; files 0600). */
export function writeWhatsAppFiles(files: Map<string, Buffer>, dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [path, content] of files) {
    const target = join(dir, ...path.split('/'));
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writeFileSync(target, content, { mode: 0o600 });
  }
}

/**
 * Replaces the state directory's credentials folder with `staged` (a folder on the same file
 * system): the current one is moved aside, the staged one renamed in, the old one deleted.
 */
export function swapInWhatsApp(stateDir: string, staged: string): void {
  const target = whatsappDir(stateDir);
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const old = `${target}.old-${process.pid}`;
  if (existsSync(target)) renameSync(target, old);
  renameSync(staged, target);
  rmSync(old, { recursive: true, force: true });
}
