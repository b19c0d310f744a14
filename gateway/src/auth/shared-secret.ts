/**
 * The shared gateway credential (token or password): constant-time comparison and the first-run
 * token the daemon generates when nothing is configured.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { join } from 'node:path';

export type AuthMode = 'token' | 'password' | 'none';

/** The configured shared-secret auth. */
export interface SharedAuthConfig {
  mode: AuthMode;
  token?: string;
  password?: string;
  /** True when the token was generated on first run (it then serves loopback only). */
  generated?: boolean;
}

/** Constant-time string comparison: both sides are hashed first so lengths leak nothing either. */
export function safeEqualSecret(provided: string, expected: string): boolean {
  const a = createHash('sha256').update(provided, 'utf8').digest();
  return timingSafeEqual(a, expectedDigest(expected));
}

// The configured secret is the same on every connect: its digest is kept (the last one only, so a
// changed secret simply replaces it and nothing accumulates).
let lastExpected: { secret: string; digest: Buffer } | undefined;

function expectedDigest(expected: string): Buffer {
  if (lastExpected?.secret !== expected) lastExpected = { secret: expected, digest: createHash('sha256').update(expected, 'utf8').digest() };
  return lastExpected.digest;
}

/** File name of the generated token inside the state directory. */
export const GENERATED_TOKEN_FILE = 'gateway.token';

/** Path of the generated token for a state directory. */
export function generatedTokenPath(stateDir: string): string {
  return join(stateDir, GENERATED_TOKEN_FILE);
}

/** Reads the generated token, if one exists. */
export function readGeneratedToken(stateDir: string): string | undefined {
  const path = generatedTokenPath(stateDir);
  if (!existsSync(path)) return undefined;
  const token = readFileSync(path, 'utf8').trim();
  return token.length > 0 ? token : undefined;
}

/**
 * Returns the generated token, creating it (32 random bytes, base64url, file mode 0600, written
 * atomically) on first use. It is never printed.
 */
export function ensureGeneratedToken(stateDir: string): string {
  const existing = readGeneratedToken(stateDir);
  if (existing) return existing;
  const token = randomBytes(32).toString('base64url');
  writeFileAtomic(generatedTokenPath(stateDir), token + '\n');
  return token;
}
