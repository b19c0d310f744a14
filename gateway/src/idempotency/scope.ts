/**
 * Who an idempotency key belongs to, and the fingerprint of the request it was used for.
 *
 * Keys are scoped to (role, principal, method): a retry only finds the entry if it comes from the
 * same principal, so no caller can read another caller's result by guessing its key. The principal
 * is the verified device when the client signed its handshake, otherwise the shared credential it
 * used (everyone holding the gateway token is one principal, as they can do the same things).
 */
import { createHash } from 'node:crypto';
import type { CallerInfo } from '../server/connection.js';

/** The ledger scope of a caller: `operator|device:<id>` or `operator|shared:token`. */
export function idempotencyScope(caller: Pick<CallerInfo, 'role' | 'deviceId' | 'authMethod'>): string {
  const principal = caller.deviceId ? `device:${caller.deviceId}` : `shared:${caller.authMethod}`;
  return `${caller.role}|${principal}`;
}

/** SHA-256 of the params in a canonical JSON form (object keys sorted), base64url. */
export function paramsFingerprint(params: unknown): string {
  return createHash('sha256').update(canonicalJson(params)).digest('base64url');
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
