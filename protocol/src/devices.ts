/**
 * Devices area: pairing requests, paired devices and their per-role device tokens —
 * `device.pair.*`, `device.token.*` and the `device.pair.requested` / `device.pair.resolved` events.
 *
 * Field names follow OpenClaw protocol v4 (`DevicePair*`, `DeviceToken*`), so OpenClaw's
 * `devices list|approve|reject|remove|rotate|revoke` commands work unchanged. Token secrets never
 * appear in a list: paired devices carry token summaries only.
 *
 * None of these methods is marked `sideEffect` (which would require an `idempotencyKey` that
 * OpenClaw's closed params do not carry): each one is keyed by its request or device id, so a
 * retry either repeats a no-op or is told `unknown requestId`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { NonEmptyString, TimestampMs, closedObject, StringEnum } from './primitives.js';
import { event, method } from './method.js';

// ── shapes ─────────────────────────────────────────────────────────────────────────────────────

/** Why a connect needs an approval first. */
export const PairingReasons = ['not-paired', 'role-upgrade', 'scope-upgrade'] as const;
export type PairingReason = (typeof PairingReasons)[number];

const pendingFields = {
  requestId: NonEmptyString,
  deviceId: NonEmptyString,
  /** Base64url raw Ed25519 public key. */
  publicKey: NonEmptyString,
  displayName: Type.Optional(NonEmptyString),
  platform: Type.Optional(NonEmptyString),
  deviceFamily: Type.Optional(NonEmptyString),
  clientId: Type.Optional(NonEmptyString),
  clientMode: Type.Optional(NonEmptyString),
  browserOrigin: Type.Optional(NonEmptyString),
  /** The role the device asked for. */
  role: Type.Optional(NonEmptyString),
  /** Every role approval would grant (already approved ones plus `role`). */
  roles: Type.Optional(Type.Array(NonEmptyString)),
  /** The operator scopes approval would grant. */
  scopes: Type.Optional(Type.Array(NonEmptyString)),
  remoteIp: Type.Optional(NonEmptyString),
  silent: Type.Optional(Type.Boolean()),
  /** The device is already paired and asks for more (a role or scope upgrade). */
  isRepair: Type.Optional(Type.Boolean()),
  ts: TimestampMs,
};

/** Payload of `device.pair.requested`: a new pending request (exactly OpenClaw's event shape). */
export const DevicePairRequestedEvent = closedObject(pendingFields);
export type DevicePairRequestedEvent = Static<typeof DevicePairRequestedEvent>;

/** A pending pairing request as `device.pair.list` returns it: the event shape plus its expiry. */
export const PendingDevicePairing = closedObject({
  ...pendingFields,
  /** The request is dropped after this (five minutes after it was made). */
  expiresAtMs: Type.Optional(TimestampMs),
});
export type PendingDevicePairing = Static<typeof PendingDevicePairing>;

/** A device token without its secret. */
export const DeviceTokenSummary = closedObject({
  role: NonEmptyString,
  scopes: Type.Array(NonEmptyString),
  createdAtMs: TimestampMs,
  rotatedAtMs: Type.Optional(TimestampMs),
  revokedAtMs: Type.Optional(TimestampMs),
  lastUsedAtMs: Type.Optional(TimestampMs),
});
export type DeviceTokenSummary = Static<typeof DeviceTokenSummary>;

/** A paired device (tokens summarised, never their secrets). */
export const PairedDevice = closedObject({
  deviceId: NonEmptyString,
  publicKey: NonEmptyString,
  displayName: Type.Optional(NonEmptyString),
  platform: Type.Optional(NonEmptyString),
  deviceFamily: Type.Optional(NonEmptyString),
  clientId: Type.Optional(NonEmptyString),
  clientMode: Type.Optional(NonEmptyString),
  /** The role of the first approval. */
  role: Type.Optional(NonEmptyString),
  roles: Type.Array(NonEmptyString),
  /** Approved operator scopes. */
  scopes: Type.Array(NonEmptyString),
  remoteIp: Type.Optional(NonEmptyString),
  tokens: Type.Array(DeviceTokenSummary),
  createdAtMs: TimestampMs,
  approvedAtMs: TimestampMs,
  lastSeenAtMs: Type.Optional(TimestampMs),
});
export type PairedDevice = Static<typeof PairedDevice>;

/** `device.pair.list` params and result. */
export const DevicePairListParams = closedObject({});
export const DevicePairListResult = closedObject({
  pending: Type.Array(PendingDevicePairing),
  paired: Type.Array(PairedDevice),
});
export type DevicePairListResult = Static<typeof DevicePairListResult>;

/** `device.pair.approve`: approve a pending request by id. */
export const DevicePairApproveParams = closedObject({ requestId: NonEmptyString });
export const DevicePairApproveResult = closedObject({ requestId: NonEmptyString, device: PairedDevice });
export type DevicePairApproveResult = Static<typeof DevicePairApproveResult>;

/** `device.pair.reject`: reject a pending request by id. */
export const DevicePairRejectParams = closedObject({ requestId: NonEmptyString });
export const DevicePairRejectResult = closedObject({ requestId: NonEmptyString, deviceId: NonEmptyString });

/** `device.pair.remove`: forget a paired device. */
export const DevicePairRemoveParams = closedObject({ deviceId: NonEmptyString });
export const DevicePairRemoveResult = closedObject({ deviceId: NonEmptyString });

/** `device.token.rotate` params and result. */
export const DeviceTokenRotateParams = closedObject({
  deviceId: NonEmptyString,
  role: NonEmptyString,
  /** Narrow (or restate) the token's scopes; must stay within the device's approved scopes. */
  scopes: Type.Optional(Type.Array(NonEmptyString, { maxItems: 32 })),
});
export const DeviceTokenRotateResult = closedObject({
  deviceId: NonEmptyString,
  role: NonEmptyString,
  /** The new token, only when a device rotates its own token (`tokenDelivery: "in-band"`). */
  token: Type.Optional(NonEmptyString),
  scopes: Type.Array(NonEmptyString),
  rotatedAtMs: TimestampMs,
  /**
   * `in-band`: the token is in this answer. `withheld-cross-device`: another caller rotated it; the
   * device receives its new token in `hello-ok.auth.deviceToken` on its next signed connect.
   */
  tokenDelivery: Type.Optional(StringEnum(['in-band', 'withheld-cross-device'] as const)),
});
export type DeviceTokenRotateResult = Static<typeof DeviceTokenRotateResult>;

/** `device.token.revoke` params and result. */
export const DeviceTokenRevokeParams = closedObject({ deviceId: NonEmptyString, role: NonEmptyString });
export const DeviceTokenRevokeResult = closedObject({ deviceId: NonEmptyString, role: NonEmptyString, revokedAtMs: TimestampMs });

/** Payload of `device.pair.resolved`. */
export const DevicePairResolvedEvent = closedObject({
  requestId: NonEmptyString,
  deviceId: NonEmptyString,
  /** `approved` or `rejected`. */
  decision: NonEmptyString,
  ts: TimestampMs,
});
export type DevicePairResolvedEvent = Static<typeof DevicePairResolvedEvent>;

// ── events ─────────────────────────────────────────────────────────────────────────────────────

export const deviceEvents = {
  'device.pair.requested': event({
    payload: DevicePairRequestedEvent,
    access: 'operator.pairing',
    droppable: true,
    summary: 'A device asked to be paired (or for a role or scope upgrade); approve it with device.pair.approve.',
  }),
  'device.pair.resolved': event({
    payload: DevicePairResolvedEvent,
    access: 'operator.pairing',
    droppable: true,
    summary: 'A pairing request was approved (by an operator, the CLI, or automatically on direct loopback) or rejected.',
  }),
};

// ── method entries ─────────────────────────────────────────────────────────────────────────────

export const deviceMethods = {
  'device.pair.list': method({
    params: DevicePairListParams,
    result: DevicePairListResult,
    access: 'operator.pairing',
    sideEffect: false,
    summary: 'Pending pairing requests (expired ones dropped) and paired devices with token summaries.',
  }),
  'device.pair.approve': method({
    params: DevicePairApproveParams,
    result: DevicePairApproveResult,
    access: 'operator.pairing',
    sideEffect: false,
    summary: 'Approves a pending request; a caller cannot approve scopes it does not hold itself.',
  }),
  'device.pair.reject': method({
    params: DevicePairRejectParams,
    result: DevicePairRejectResult,
    access: 'operator.pairing',
    sideEffect: false,
    summary: 'Rejects a pending request.',
  }),
  'device.pair.remove': method({
    params: DevicePairRemoveParams,
    result: DevicePairRemoveResult,
    access: 'operator.pairing',
    sideEffect: false,
    summary: 'Forgets a paired device and its tokens, and disconnects it.',
  }),
  'device.token.rotate': method({
    params: DeviceTokenRotateParams,
    result: DeviceTokenRotateResult,
    access: 'operator.pairing',
    sideEffect: false,
    summary: 'Replaces a device token; the new one is returned only to the device itself.',
  }),
  'device.token.revoke': method({
    params: DeviceTokenRevokeParams,
    result: DeviceTokenRevokeResult,
    access: 'operator.pairing',
    sideEffect: false,
    summary: 'Revokes a device token and disconnects the connections it authenticated.',
  }),
};
