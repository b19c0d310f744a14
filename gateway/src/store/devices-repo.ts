/**
 * The device repository as the rest of the gateway sees it (`store.devices`): pairing requests,
 * paired devices and per-role device tokens. `DeviceStore` (devices.ts) implements it on SQLite.
 * Every mutation is its own small transaction, so callers need no `commit()` around these calls.
 */
import type { PairedDevice, PendingDevicePairing } from '@switchboard/protocol';
import type { DeviceMeta } from './devices-schema.js';

/** A paired device as the auth pipeline needs it. */
export interface DeviceRecord {
  deviceId: string;
  publicKey: string;
  roles: string[];
  scopes: string[];
  /** When it last connected (as {@link DeviceRepository.touch} records it, at most once a minute). */
  lastSeenAt?: number;
}

/** What a device asks for when it connects. */
export interface DeviceClaim extends DeviceMeta {
  deviceId: string;
  publicKey: string;
  role: string;
  /** Requested operator scopes (empty for nodes). */
  scopes: readonly string[];
}

/** Paired devices, pairing requests and device tokens; every method is synchronous and short. */
export interface DeviceRepository {
  /**
   * A counter that changes when another process (the CLI's offline path) commits to the device
   * state, and never for this process's own writes; cheap enough to poll every second.
   */
  dataVersion(): number;
  /** Whether `deviceId` has a usable token for `role`: 'usable', 'revoked', 'rotated' (withheld until the next signed connect), or 'none'. */
  tokenState(deviceId: string, role: string): 'usable' | 'revoked' | 'rotated' | 'none';
  /** The paired device with this id, or undefined. */
  getDevice(deviceId: string): DeviceRecord | undefined;
  /** One paired device in its protocol shape (token summaries, no secrets). */
  describeDevice(deviceId: string): PairedDevice | undefined;
  /** Every paired device, oldest approval first. */
  listDevices(): PairedDevice[];
  /** Pending requests that have not expired, oldest first. Expired ones are deleted. */
  listPending(now?: number): PendingDevicePairing[];
  /** A pending request by id, unless it expired. */
  getPending(requestId: string, now?: number): PendingDevicePairing | undefined;
  /**
   * Records that a device asks to be paired (or for more). One request per device: a repeat
   * refreshes it and reports `created: false`. Throws UNAVAILABLE (`PAIRING_QUEUE_FULL`) when the
   * pending queue is full.
   */
  requestPairing(claim: DeviceClaim, now?: number): { request: PendingDevicePairing; created: boolean };
  /** Approves a pending request: the device is paired (roles and scopes merged). Undefined if unknown or expired. */
  approve(requestId: string, now?: number): { request: PendingDevicePairing; device: PairedDevice } | undefined;
  /** Rejects (deletes) a pending request. Undefined if unknown or expired. */
  reject(requestId: string, now?: number): PendingDevicePairing | undefined;
  /** Forgets a device, its tokens, node records and any pending request of it. False if it was not paired. */
  remove(deviceId: string): boolean;
  /** Pairs a device on the spot and issues its token for `claim.role`, in one transaction. */
  pairNow(claim: DeviceClaim, now?: number): { token: string; resolvedRequestId?: string };
  /** Issues a fresh token for a paired device's role, replacing any earlier one. Throws when the device is not paired. */
  issueToken(deviceId: string, role: string, now?: number): string;
  /** Checks a device token (constant time): its scopes, or undefined when there is no usable token or it does not match. */
  verifyToken(deviceId: string, role: string, token: string, now?: number): { scopes: string[] } | undefined;
  /**
   * Replaces a device's token for `role`; with `deliver` the new token is returned. `scopes` narrows
   * it. Undefined when the device or role is not approved.
   */
  rotateToken(deviceId: string, role: string, options: { scopes?: string[]; deliver: boolean }, now?: number):
    { token?: string; scopes: string[] } | undefined;
  /** Revokes a device's token for `role`: the revocation time, or undefined when the role is not approved. */
  revokeToken(deviceId: string, role: string, now?: number): number | undefined;
  /** Notes that a paired device connected (written at most once a minute per device). */
  touch(deviceId: string, now?: number, lastSeenAt?: number): void;
}
