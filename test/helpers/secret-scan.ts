/**
 * The scan behind the log-secret audit (see ./secrets.ts). Plain fs only, so the vitest global
 * teardown can load it without the workspace packages.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ARTIFACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
export const LOG_DIR = join(ARTIFACTS_DIR, 'logs');
export const SECRETS_DIR = join(ARTIFACTS_DIR, 'secrets');

/** One leak: which secret (by a short fingerprint, never the secret itself) appeared in which file. */
export interface Leak {
  file: string;
  fingerprint: string;
}

/** Reads every noted secret of the run. */
export function readNotedSecrets(dir = SECRETS_DIR): string[] {
  if (!existsSync(dir)) return [];
  const secrets = new Set<string>();
  for (const name of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line) secrets.add(Buffer.from(line, 'base64').toString('utf8'));
    }
  }
  return [...secrets];
}

/** Scans every file in `logDir` for every secret; returns the leaks found. */
export function scanLogsForSecrets(secrets: readonly string[], logDir = LOG_DIR): Leak[] {
  if (!existsSync(logDir)) return [];
  const leaks: Leak[] = [];
  for (const name of readdirSync(logDir)) {
    const text = readFileSync(join(logDir, name), 'utf8');
    for (const secret of secrets) {
      if (text.includes(secret)) leaks.push({ file: name, fingerprint: `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}` });
    }
  }
  return leaks;
}
