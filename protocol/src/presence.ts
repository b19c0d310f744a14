/**
 * Presence: who is connected. One entry per device (or instance, or connection), as OpenClaw keys it.
 */
import { Type, type Static } from '@sinclair/typebox';
import { NonEmptyString, TimestampMs, closedObject } from './primitives.js';
import { event } from './method.js';

// ── shapes ─────────────────────────────────────────────────────────────────────────────────────

export const PresenceEntry = closedObject({
  host: Type.Optional(NonEmptyString),
  ip: Type.Optional(NonEmptyString),
  version: Type.Optional(NonEmptyString),
  platform: Type.Optional(NonEmptyString),
  deviceFamily: Type.Optional(NonEmptyString),
  modelIdentifier: Type.Optional(NonEmptyString),
  timeZone: Type.Optional(NonEmptyString),
  mode: Type.Optional(NonEmptyString),
  lastInputSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
  /** `connect` or `disconnect`. */
  reason: Type.Optional(NonEmptyString),
  tags: Type.Optional(Type.Array(NonEmptyString)),
  text: Type.Optional(Type.String()),
  ts: TimestampMs,
  onlineSince: Type.Optional(TimestampMs),
  lastActivityAt: Type.Optional(TimestampMs),
  deviceId: Type.Optional(NonEmptyString),
  roles: Type.Optional(Type.Array(NonEmptyString)),
  scopes: Type.Optional(Type.Array(NonEmptyString)),
  instanceId: Type.Optional(NonEmptyString),
});
export type PresenceEntry = Static<typeof PresenceEntry>;

export const PresenceEvent = closedObject({
  presence: Type.Array(PresenceEntry),
});

// ── events ─────────────────────────────────────────────────────────────────────────────────────

export const presenceEvents = {
  presence: event({
    payload: PresenceEvent,
    droppable: true,
    summary: 'The full presence list after a connect or disconnect; carries stateVersion.',
  }),
};
