/**
 * The state directory: where the store, the generated gateway token, the config file and the lock
 * live. `~/.switchboard` unless `SWITCHBOARD_HOME` moves it. Created with mode 0700.
 */
import { mkdirSync, chmodSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Resolves the state directory from an explicit path, `SWITCHBOARD_HOME`, or the home directory. */
export function resolveStateDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.SWITCHBOARD_HOME) return resolve(env.SWITCHBOARD_HOME);
  return join(homedir(), '.switchboard');
}

/** Creates the state directory (0700) if missing and tightens its mode if it is group/world readable. */
export function ensureStateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  } catch {
    // A directory we cannot chmod (not ours) still works; the files inside are 0600.
  }
  return dir;
}
