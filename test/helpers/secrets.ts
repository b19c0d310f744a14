/**
 * The log-secret audit (issue 3, "no secret in logs"): every gateway a test starts logs at debug
 * level into `test/artifacts/logs/<worker>.log`, spawned processes write their output there too,
 * and every secret a test uses or receives (gateway tokens and passwords, device tokens from
 * hello-ok and rotations) is noted in `test/artifacts/secrets/<worker>.txt`. After the whole run the
 * global teardown (./global-setup.ts) scans every log for every secret and fails the run on a hit.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createLog, type Log } from '@switchboard/gateway';
import { addFrameCheck } from './frames.js';
import { LOG_DIR, SECRETS_DIR } from './secret-scan.js';

export { LOG_DIR, SECRETS_DIR, readNotedSecrets, scanLogsForSecrets, type Leak } from './secret-scan.js';

const worker = `${process.pid}`;

/** Records a secret this test run used, so the final scan looks for it. Short strings are ignored. */
export function noteSecret(secret: string | undefined | null): void {
  if (!secret || secret.length < 8) return;
  mkdirSync(SECRETS_DIR, { recursive: true });
  appendFileSync(join(SECRETS_DIR, `${worker}.txt`), Buffer.from(secret, 'utf8').toString('base64') + '\n');
}

/** The file a spawned process's output should be appended to (scanned at the end of the run). */
export function processLogFile(name: string): string {
  mkdirSync(LOG_DIR, { recursive: true });
  return join(LOG_DIR, `${worker}-${name.replace(/[^a-z0-9-]/gi, '_')}.log`);
}

/** A gateway logger at debug level that appends every line to this worker's log file. */
export function testLog(): Promise<Log> {
  mkdirSync(LOG_DIR, { recursive: true });
  const file = join(LOG_DIR, `${worker}.log`);
  return createLog({ level: 'debug', destination: { write: (line: string) => appendFileSync(file, line) } });
}

let collecting = false;

/** Notes device tokens seen in frames (hello-ok, token rotations) of raw test sockets. */
export function collectFrameSecrets(): void {
  if (collecting) return;
  collecting = true;
  addFrameCheck((frame) => {
    const f = frame as { payload?: { auth?: { deviceToken?: string }; token?: string } };
    noteSecret(f.payload?.auth?.deviceToken);
    noteSecret(f.payload?.token);
  });
}
