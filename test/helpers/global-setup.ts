/**
 * Vitest global setup: clears the log-secret audit's artifacts before the run and, after every test
 * file has finished, scans all captured logs for every secret the run used (./secrets.ts). A hit
 * fails the run, naming the log file and a fingerprint of the secret (never the secret).
 */
import { rmSync } from 'node:fs';
import { LOG_DIR, SECRETS_DIR, readNotedSecrets, scanLogsForSecrets } from './secret-scan.js';

export function setup(): void {
  rmSync(LOG_DIR, { recursive: true, force: true });
  rmSync(SECRETS_DIR, { recursive: true, force: true });
}

export function teardown(): void {
  const secrets = readNotedSecrets();
  const leaks = scanLogsForSecrets(secrets);
  if (leaks.length > 0) {
    const list = leaks.map((l) => `  ${l.fingerprint} in test/artifacts/logs/${l.file}`).join('\n');
    process.exitCode = 1;
    throw new Error(`log-secret audit: ${leaks.length} secret occurrence(s) found in the run's logs:\n${list}`);
  }
  process.stdout.write(`log-secret audit: ${secrets.length} secrets checked against the run's logs, none found\n`);
}
