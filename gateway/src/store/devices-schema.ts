/**
 * The devices tables (migration 2) and the mapping between their rows and the protocol shapes.
 *
 * - `paired_devices`: one row per approved device, with its approved roles and operator scopes.
 * - `device_tokens`: one row per (device, role). Only the SHA-256 of a token is stored; a NULL hash
 *   means there is no usable token (revoked, or rotated by another operator and waiting to be
 *   handed to the device on its next signed connect).
 * - `pairing_requests`: at most one pending request per device, dropped after its expiry.
 */
import type { Database } from 'better-sqlite3';
import type { DeviceTokenSummary, PairedDevice, PendingDevicePairing } from '@switchboard/protocol';

/** Creates the devices tables. Used by migration 2 (`devices`). */
export function createDeviceTables(db: Database): void {
  db.exec(`
    CREATE TABLE paired_devices (
      device_id     TEXT PRIMARY KEY,
      public_key    TEXT NOT NULL,
      display_name  TEXT,
      platform      TEXT,
      device_family TEXT,
      client_id     TEXT,
      client_mode   TEXT,
      first_role    TEXT,
      roles         TEXT NOT NULL,
      scopes        TEXT NOT NULL,
      remote_ip     TEXT,
      created_at    INTEGER NOT NULL,
      approved_at   INTEGER NOT NULL,
      last_seen_at  INTEGER
    ) STRICT;
    CREATE TABLE device_tokens (
      device_id    TEXT NOT NULL REFERENCES paired_devices (device_id) ON DELETE CASCADE,
      role         TEXT NOT NULL,
      token_hash   TEXT,
      scopes       TEXT NOT NULL,
      created_at   INTEGER NOT NULL,
      rotated_at   INTEGER,
      revoked_at   INTEGER,
      last_used_at INTEGER,
      PRIMARY KEY (device_id, role)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE pairing_requests (
      request_id     TEXT PRIMARY KEY,
      device_id      TEXT NOT NULL UNIQUE,
      public_key     TEXT NOT NULL,
      display_name   TEXT,
      platform       TEXT,
      device_family  TEXT,
      client_id      TEXT,
      client_mode    TEXT,
      browser_origin TEXT,
      role           TEXT NOT NULL,
      roles          TEXT NOT NULL,
      scopes         TEXT NOT NULL,
      remote_ip      TEXT,
      is_repair      INTEGER NOT NULL DEFAULT 0,
      created_at     INTEGER NOT NULL,
      expires_at     INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX pairing_requests_by_expiry ON pairing_requests (expires_at);
  `);
}

/** Client metadata recorded with a request or a paired device. */
export interface DeviceMeta {
  displayName?: string;
  platform?: string;
  deviceFamily?: string;
  clientId?: string;
  clientMode?: string;
  browserOrigin?: string;
  remoteIp?: string;
}

/** A `paired_devices` row (list columns hold JSON arrays). */
export interface DeviceRow {
  device_id: string;
  public_key: string;
  display_name: string | null;
  platform: string | null;
  device_family: string | null;
  client_id: string | null;
  client_mode: string | null;
  first_role: string | null;
  roles: string;
  scopes: string;
  remote_ip: string | null;
  created_at: number;
  approved_at: number;
  last_seen_at: number | null;
}

/** A `device_tokens` row. */
export interface TokenRow {
  device_id: string;
  role: string;
  token_hash: string | null;
  scopes: string;
  created_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** A `pairing_requests` row. */
export interface RequestRow {
  request_id: string;
  device_id: string;
  public_key: string;
  display_name: string | null;
  platform: string | null;
  device_family: string | null;
  client_id: string | null;
  client_mode: string | null;
  browser_origin: string | null;
  role: string;
  roles: string;
  scopes: string;
  remote_ip: string | null;
  is_repair: number;
  created_at: number;
  expires_at: number;
}

/** Parses a JSON string array column (tolerating damage: a bad value reads as no entries). */
export function parseList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/** Sorted, de-duplicated union of string lists, as stored in the list columns. */
export function unionList(...lists: ReadonlyArray<readonly string[]>): string[] {
  return [...new Set(lists.flat())].sort();
}

/** Drops keys whose value is null or undefined, so optional fields are absent rather than null. */
function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === null || value[key] === undefined) delete value[key];
  }
  return value;
}

/** A token row as the protocol shows it: no hash, no secret. */
export function tokenSummary(row: TokenRow): DeviceTokenSummary {
  return compact({
    role: row.role,
    scopes: parseList(row.scopes),
    createdAtMs: row.created_at,
    rotatedAtMs: row.rotated_at ?? undefined,
    revokedAtMs: row.revoked_at ?? undefined,
    lastUsedAtMs: row.last_used_at ?? undefined,
  });
}

/** A device row and its token rows as a protocol `PairedDevice`. */
export function toPairedDevice(row: DeviceRow, tokens: readonly TokenRow[]): PairedDevice {
  return compact({
    deviceId: row.device_id,
    publicKey: row.public_key,
    displayName: row.display_name ?? undefined,
    platform: row.platform ?? undefined,
    deviceFamily: row.device_family ?? undefined,
    clientId: row.client_id ?? undefined,
    clientMode: row.client_mode ?? undefined,
    role: row.first_role ?? undefined,
    roles: parseList(row.roles),
    scopes: parseList(row.scopes),
    remoteIp: row.remote_ip ?? undefined,
    tokens: tokens.map(tokenSummary),
    createdAtMs: row.created_at,
    approvedAtMs: row.approved_at,
    lastSeenAtMs: row.last_seen_at ?? undefined,
  });
}

/** A request row as a protocol `PendingDevicePairing`. */
export function toPending(row: RequestRow): PendingDevicePairing {
  return compact({
    requestId: row.request_id,
    deviceId: row.device_id,
    publicKey: row.public_key,
    displayName: row.display_name ?? undefined,
    platform: row.platform ?? undefined,
    deviceFamily: row.device_family ?? undefined,
    clientId: row.client_id ?? undefined,
    clientMode: row.client_mode ?? undefined,
    browserOrigin: row.browser_origin ?? undefined,
    role: row.role,
    roles: parseList(row.roles),
    scopes: parseList(row.scopes),
    remoteIp: row.remote_ip ?? undefined,
    isRepair: row.is_repair ? true : undefined,
    ts: row.created_at,
    expiresAtMs: row.expires_at,
  });
}
