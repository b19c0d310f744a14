/**
 * The device repository: pending pairing requests, paired devices, and per-role device tokens.
 *
 * Every handshake reads from here (no long-lived cache), so a decision written by another process —
 * the CLI approving offline against the same state directory — takes effect on the next connect;
 * revocations and removals written there also close live sessions (see auth/external-changes.ts).
 * Each mutation is one small transaction; tokens are 32 random bytes handed out once and stored
 * only as their SHA-256.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { GatewayError, type PairedDevice, type PendingDevicePairing } from '@switchboard/protocol';
import type { Database, Statement } from 'better-sqlite3';
import {
  parseList, toPairedDevice, toPending, unionList,
  type DeviceMeta, type DeviceRow, type RequestRow, type TokenRow,
} from './devices-schema.js';
import type { DeviceClaim, DeviceRecord, DeviceRepository } from './devices-repo.js';

export { createDeviceTables, type DeviceMeta } from './devices-schema.js';
export type { DeviceClaim, DeviceRecord, DeviceRepository } from './devices-repo.js';

/** A pending request lives this long. */
export const PAIRING_REQUEST_TTL_MS = 5 * 60 * 1000;
/** At most this many requests may be pending at once (every buffer has a limit). */
export const MAX_PENDING_REQUESTS = 256;
/** `last_used_at` / `last_seen_at` are refreshed at most this often, so most connects write nothing. */
const TOUCH_INTERVAL_MS = 60_000;

/** Generates a device token: 32 random bytes, base64url. */
export function newDeviceToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The stored form of a token. */
export function hashDeviceToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The device repository over one SQLite database; every method is synchronous and short. */
export class DeviceStore implements DeviceRepository {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      device: p('SELECT * FROM paired_devices WHERE device_id = ?'),
      devices: p('SELECT * FROM paired_devices ORDER BY approved_at'),
      tokens: p('SELECT * FROM device_tokens ORDER BY device_id, role'),
      tokensOf: p('SELECT * FROM device_tokens WHERE device_id = ? ORDER BY role'),
      token: p('SELECT * FROM device_tokens WHERE device_id = ? AND role = ?'),
      upsertDevice: p(`INSERT INTO paired_devices (device_id, public_key, display_name, platform, device_family, client_id,
          client_mode, first_role, roles, scopes, remote_ip, created_at, approved_at, last_seen_at)
        VALUES (@deviceId, @publicKey, @displayName, @platform, @deviceFamily, @clientId, @clientMode, @role, @roles, @scopes,
          @remoteIp, @now, @now, @now)
        ON CONFLICT (device_id) DO UPDATE SET public_key = excluded.public_key, roles = excluded.roles, scopes = excluded.scopes,
          display_name = coalesce(excluded.display_name, display_name), platform = coalesce(excluded.platform, platform),
          device_family = coalesce(excluded.device_family, device_family), client_id = coalesce(excluded.client_id, client_id),
          client_mode = coalesce(excluded.client_mode, client_mode), remote_ip = coalesce(excluded.remote_ip, remote_ip),
          approved_at = excluded.approved_at`),
      widenTokens: p("UPDATE device_tokens SET scopes = ? WHERE device_id = ? AND role = 'operator'"),
      issueToken: p(`INSERT INTO device_tokens (device_id, role, token_hash, scopes, created_at)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (device_id, role) DO UPDATE SET token_hash = excluded.token_hash, rotated_at = excluded.created_at,
          revoked_at = NULL`),
      setToken: p(`UPDATE device_tokens SET token_hash = ?, scopes = ?, rotated_at = ?, revoked_at = ?
        WHERE device_id = ? AND role = ?`),
      useToken: p('UPDATE device_tokens SET last_used_at = ? WHERE device_id = ? AND role = ? AND (last_used_at IS NULL OR last_used_at < ?)'),
      touch: p('UPDATE paired_devices SET last_seen_at = ? WHERE device_id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)'),
      removeDevice: p('DELETE FROM paired_devices WHERE device_id = ?'),
      prune: p('DELETE FROM pairing_requests WHERE expires_at <= ?'),
      pending: p('SELECT * FROM pairing_requests ORDER BY created_at'),
      request: p('SELECT * FROM pairing_requests WHERE request_id = ?'),
      requestOf: p('SELECT * FROM pairing_requests WHERE device_id = ?'),
      countPending: p('SELECT count(*) AS n FROM pairing_requests'),
      insertRequest: p(`INSERT INTO pairing_requests (request_id, device_id, public_key, display_name, platform, device_family,
          client_id, client_mode, browser_origin, role, roles, scopes, remote_ip, is_repair, created_at, expires_at)
        VALUES (@requestId, @deviceId, @publicKey, @displayName, @platform, @deviceFamily, @clientId, @clientMode,
          @browserOrigin, @role, @roles, @scopes, @remoteIp, @isRepair, @now, @expiresAt)`),
      refreshRequest: p(`UPDATE pairing_requests SET role = @role, roles = @roles, scopes = @scopes, remote_ip = @remoteIp,
          is_repair = @isRepair, expires_at = @expiresAt WHERE request_id = @requestId`),
      deleteRequest: p('DELETE FROM pairing_requests WHERE request_id = ?'),
      deleteRequestOf: p('DELETE FROM pairing_requests WHERE device_id = ?'),
      dataVersion: p('PRAGMA data_version').pluck(),
    };
  }

  /**
   * SQLite's `data_version` for this connection: it changes when another connection (the CLI's
   * offline path) commits to the database, and never for this connection's own writes. One cheap
   * read, so the daemon can poll it every second.
   */
  dataVersion(): number {
    return this.s.dataVersion.get() as number;
  }

  /** Whether `deviceId` has a usable token for `role`: 'usable', 'revoked', 'rotated' (withheld until the next signed connect), or 'none'. */
  tokenState(deviceId: string, role: string): 'usable' | 'revoked' | 'rotated' | 'none' {
    const row = this.s.token.get(deviceId, role) as TokenRow | undefined;
    if (!row) return 'none';
    if (row.token_hash) return 'usable';
    return row.revoked_at !== null ? 'revoked' : 'rotated';
  }

  /** The paired device with this id, or undefined. */
  getDevice(deviceId: string): DeviceRecord | undefined {
    const row = this.s.device.get(deviceId) as DeviceRow | undefined;
    if (!row) return undefined;
    return {
      deviceId: row.device_id, publicKey: row.public_key, roles: parseList(row.roles), scopes: parseList(row.scopes),
      ...(row.last_seen_at !== null ? { lastSeenAt: row.last_seen_at } : {}),
    };
  }

  /** One paired device in its protocol shape (token summaries, no secrets). */
  describeDevice(deviceId: string): PairedDevice | undefined {
    const row = this.s.device.get(deviceId) as DeviceRow | undefined;
    return row ? toPairedDevice(row, this.s.tokensOf.all(deviceId) as TokenRow[]) : undefined;
  }

  /** Every paired device, oldest approval first. */
  listDevices(): PairedDevice[] {
    const tokens = new Map<string, TokenRow[]>();
    for (const t of this.s.tokens.all() as TokenRow[]) {
      const list = tokens.get(t.device_id) ?? [];
      list.push(t);
      tokens.set(t.device_id, list);
    }
    return (this.s.devices.all() as DeviceRow[]).map((row) => toPairedDevice(row, tokens.get(row.device_id) ?? []));
  }

  /** Pending requests that have not expired, oldest first. Expired ones are deleted. */
  listPending(now = Date.now()): PendingDevicePairing[] {
    this.s.prune.run(now);
    return (this.s.pending.all() as RequestRow[]).map(toPending);
  }

  /** A pending request by id, unless it expired. */
  getPending(requestId: string, now = Date.now()): PendingDevicePairing | undefined {
    const row = this.s.request.get(requestId) as RequestRow | undefined;
    return row && row.expires_at > now ? toPending(row) : undefined;
  }

  /**
   * Records that a device asks to be paired (or for more). One request per device: a repeat
   * refreshes it (same id, widened role and scopes, new expiry) and reports `created: false`.
   * Throws UNAVAILABLE (`PAIRING_QUEUE_FULL`) when {@link MAX_PENDING_REQUESTS} are pending.
   */
  requestPairing(claim: DeviceClaim, now = Date.now()): { request: PendingDevicePairing; created: boolean } {
    return this.db.transaction(() => {
      this.s.prune.run(now);
      const paired = this.getDevice(claim.deviceId);
      const existing = this.s.requestOf.get(claim.deviceId) as RequestRow | undefined;
      const base = {
        role: claim.role,
        roles: JSON.stringify(unionList(paired?.roles ?? [], existing ? parseList(existing.roles) : [], [claim.role])),
        scopes: JSON.stringify(unionList(existing ? parseList(existing.scopes) : [], claim.scopes)),
        remoteIp: claim.remoteIp ?? null,
        isRepair: paired ? 1 : 0,
        expiresAt: now + PAIRING_REQUEST_TTL_MS,
      };
      if (existing && existing.public_key === claim.publicKey) {
        this.s.refreshRequest.run({ ...base, requestId: existing.request_id });
        return { request: toPending(this.s.request.get(existing.request_id) as RequestRow), created: false };
      }
      if (existing) this.s.deleteRequest.run(existing.request_id);
      if ((this.s.countPending.get() as { n: number }).n >= MAX_PENDING_REQUESTS) {
        throw new GatewayError('UNAVAILABLE', `${MAX_PENDING_REQUESTS} pairing requests are already pending; approve or reject some with \`switchboard devices list\` first`, {
          details: { code: 'PAIRING_QUEUE_FULL' },
        });
      }
      const requestId = randomUUID();
      this.s.insertRequest.run({ ...metaParams(claim), ...base, requestId, deviceId: claim.deviceId, publicKey: claim.publicKey, now });
      return { request: toPending(this.s.request.get(requestId) as RequestRow), created: true };
    })();
  }

  /** Approves a pending request: the device is paired (roles and scopes merged). Undefined if unknown or expired. */
  approve(requestId: string, now = Date.now()): { request: PendingDevicePairing; device: PairedDevice } | undefined {
    return this.db.transaction(() => {
      const request = this.getPending(requestId, now);
      if (!request) return undefined;
      this.pair({ ...request, role: request.role ?? 'operator', scopes: request.scopes ?? [] }, request.roles ?? [], now);
      this.s.deleteRequest.run(requestId);
      return { request, device: this.describeDevice(request.deviceId)! };
    })();
  }

  /** Rejects (deletes) a pending request. Undefined if unknown or expired. */
  reject(requestId: string, now = Date.now()): PendingDevicePairing | undefined {
    return this.db.transaction(() => {
      const request = this.getPending(requestId, now);
      if (request) this.s.deleteRequest.run(requestId);
      return request;
    })();
  }

  /** Forgets a device, its tokens and any pending request of it. False if it was not paired. */
  remove(deviceId: string): boolean {
    return this.db.transaction(() => {
      this.s.deleteRequestOf.run(deviceId);
      return this.s.removeDevice.run(deviceId).changes > 0;
    })();
  }

  /**
   * Pairs a device on the spot (direct-loopback auto-approval) and issues its token for `claim.role`,
   * in one transaction. Returns the token and the id of the pending request it resolved, if any.
   */
  pairNow(claim: DeviceClaim, now = Date.now()): { token: string; resolvedRequestId?: string } {
    return this.db.transaction(() => {
      const pending = this.s.requestOf.get(claim.deviceId) as RequestRow | undefined;
      const scopes = this.pair(claim, [], now);
      if (pending) this.s.deleteRequest.run(pending.request_id);
      return { token: this.insertToken(claim.deviceId, claim.role, scopes, now), resolvedRequestId: pending?.request_id };
    })();
  }

  /**
   * Issues a fresh token for a paired device's role, replacing any earlier one (which stops
   * working). The token carries the device's approved scopes, or the narrower set a rotation chose.
   */
  issueToken(deviceId: string, role: string, now = Date.now()): string {
    const device = this.getDevice(deviceId);
    if (!device) throw new Error(`device ${deviceId} is not paired`);
    return this.insertToken(deviceId, role, device.scopes, now);
  }

  /** Writes a new token for (device, role); a new row gets `approvedScopes`, an existing one keeps its (possibly narrowed) scopes. */
  private insertToken(deviceId: string, role: string, approvedScopes: readonly string[], now: number): string {
    const token = newDeviceToken();
    this.s.issueToken.run(deviceId, role, hashDeviceToken(token), JSON.stringify(role === 'operator' ? approvedScopes : []), now);
    return token;
  }

  /**
   * Checks a device token (constant time). Returns the token's scopes, or undefined when the device
   * has no usable token for the role or the token does not match.
   */
  verifyToken(deviceId: string, role: string, token: string, now = Date.now()): { scopes: string[] } | undefined {
    const row = this.s.token.get(deviceId, role) as TokenRow | undefined;
    if (!row?.token_hash) return undefined;
    const expected = Buffer.from(row.token_hash, 'hex');
    const actual = createHash('sha256').update(token, 'utf8').digest();
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    // The row says whether the once-a-minute update would change anything; a write is skipped when not.
    if (row.last_used_at === null || row.last_used_at < now - TOUCH_INTERVAL_MS) this.s.useToken.run(now, deviceId, role, now - TOUCH_INTERVAL_MS);
    return { scopes: parseList(row.scopes) };
  }

  /**
   * Replaces a device's token for `role`. With `deliver` the new token is returned (the device rotates
   * its own); without, none exists until the device's next signed connect is handed one.
   * `scopes` narrows the token. Undefined when the device or role is not approved.
   */
  rotateToken(deviceId: string, role: string, options: { scopes?: string[]; deliver: boolean }, now = Date.now()):
    { token?: string; scopes: string[] } | undefined {
    return this.db.transaction(() => {
      const device = this.getDevice(deviceId);
      if (!device || !device.roles.includes(role)) return undefined;
      const current = this.s.token.get(deviceId, role) as TokenRow | undefined;
      const scopes = role === 'operator' ? unionList(options.scopes ?? (current ? parseList(current.scopes) : device.scopes)) : [];
      if (!current) this.s.issueToken.run(deviceId, role, null, JSON.stringify(scopes), now);
      const token = options.deliver ? newDeviceToken() : undefined;
      this.s.setToken.run(token ? hashDeviceToken(token) : null, JSON.stringify(scopes), now, null, deviceId, role);
      return { token, scopes };
    })();
  }

  /** Revokes a device's token for `role`. Returns the revocation time, or undefined when the role is not approved. */
  revokeToken(deviceId: string, role: string, now = Date.now()): number | undefined {
    return this.db.transaction(() => {
      const device = this.getDevice(deviceId);
      if (!device || !device.roles.includes(role)) return undefined;
      const current = this.s.token.get(deviceId, role) as TokenRow | undefined;
      if (!current) this.s.issueToken.run(deviceId, role, null, JSON.stringify(role === 'operator' ? device.scopes : []), now);
      this.s.setToken.run(null, current?.scopes ?? JSON.stringify(role === 'operator' ? device.scopes : []), current?.rotated_at ?? null, now, deviceId, role);
      return now;
    })();
  }

  /**
   * Notes that a paired device connected (written at most once a minute per device). `lastSeenAt`,
   * when the caller just read it ({@link DeviceRecord}), spares the write when it would change nothing.
   */
  touch(deviceId: string, now = Date.now(), lastSeenAt?: number): void {
    if (lastSeenAt !== undefined && lastSeenAt >= now - TOUCH_INTERVAL_MS) return;
    this.s.touch.run(now, deviceId, now - TOUCH_INTERVAL_MS);
  }

  /** Upserts a device, merging roles and scopes with an earlier approval; widens its operator token. Returns the merged scopes. */
  private pair(claim: DeviceClaim, extraRoles: readonly string[], now: number): string[] {
    const existing = this.getDevice(claim.deviceId);
    const roles = unionList(existing?.roles ?? [], extraRoles, [claim.role]);
    const scopes = unionList(existing?.scopes ?? [], claim.scopes);
    this.s.upsertDevice.run({
      ...metaParams(claim), deviceId: claim.deviceId, publicKey: claim.publicKey, role: claim.role,
      roles: JSON.stringify(roles), scopes: JSON.stringify(scopes), now,
    });
    if (existing) {
      const token = this.s.token.get(claim.deviceId, 'operator') as TokenRow | undefined;
      if (token) this.s.widenTokens.run(JSON.stringify(unionList(parseList(token.scopes), claim.scopes)), claim.deviceId);
    }
    return scopes;
  }
}

function metaParams(meta: DeviceMeta): Record<string, string | null> {
  return {
    displayName: meta.displayName ?? null,
    platform: meta.platform ?? null,
    deviceFamily: meta.deviceFamily ?? null,
    clientId: meta.clientId ?? null,
    clientMode: meta.clientMode ?? null,
    browserOrigin: meta.browserOrigin ?? null,
    remoteIp: meta.remoteIp ?? null,
  };
}
