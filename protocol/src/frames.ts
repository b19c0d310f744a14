/**
 * The three frame kinds on the wire, exactly as OpenClaw protocol v4 puts them:
 * `req` (client → server), `res` (the answer, same `id`), `event` (server push).
 */
import { Type, type Static } from '@sinclair/typebox';
import { NonEmptyString, closedObject } from './primitives.js';

// ── shapes ────────────────────────────────────────────────────────────────────────────────────

/** The error carried by a failed `res` and by handshake failures. */
export const ErrorShape = closedObject({
  code: NonEmptyString,
  message: NonEmptyString,
  details: Type.Optional(Type.Unknown()),
  retryable: Type.Optional(Type.Boolean()),
  retryAfterMs: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type ErrorShape = Static<typeof ErrorShape>;

/** Monotonic versions of the presence list and the health summary, so clients can drop stale snapshots. */
export const StateVersion = closedObject({
  presence: Type.Integer({ minimum: 0 }),
  health: Type.Integer({ minimum: 0 }),
});
export type StateVersion = Static<typeof StateVersion>;

export const RequestFrame = closedObject({
  type: Type.Literal('req'),
  id: NonEmptyString,
  method: NonEmptyString,
  params: Type.Optional(Type.Unknown()),
  /** W3C trace context; accepted and ignored when malformed, as OpenClaw does. */
  traceparent: Type.Optional(Type.String({ maxLength: 128 })),
});
export type RequestFrame = Static<typeof RequestFrame>;

export const ResponseFrame = closedObject({
  type: Type.Literal('res'),
  id: NonEmptyString,
  ok: Type.Boolean(),
  payload: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorShape),
});
export type ResponseFrame = Static<typeof ResponseFrame>;

export const EventFrame = closedObject({
  type: Type.Literal('event'),
  event: NonEmptyString,
  payload: Type.Optional(Type.Unknown()),
  /** Per-connection, gapless counter on broadcast events. Targeted events carry none. A gap means events were dropped. */
  seq: Type.Optional(Type.Integer({ minimum: 0 })),
  stateVersion: Type.Optional(StateVersion),
});
export type EventFrame = Static<typeof EventFrame>;

/** Any frame; `type` is the discriminator. */
export const GatewayFrame = Type.Union([RequestFrame, ResponseFrame, EventFrame], {
  discriminator: { propertyName: 'type' },
});
export type GatewayFrame = Static<typeof GatewayFrame>;
