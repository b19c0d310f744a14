/**
 * System area: liveness and status — `health`, `status`, `system-presence`, `talk.mode`, and the
 * transport events `tick`, `health` and `shutdown`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { NonEmptyString, TimestampMs, closedObject, JsonObject, StringMap } from './primitives.js';
import { PresenceEntry } from './presence.js';
import { event, method } from './method.js';

// ── shapes ─────────────────────────────────────────────────────────────────────────────────────

export const EventLoopHealth = closedObject({
  degraded: Type.Boolean(),
  reasons: Type.Array(Type.String()),
  intervalMs: Type.Number({ minimum: 0 }),
  delayP99Ms: Type.Number({ minimum: 0 }),
  delayMaxMs: Type.Number({ minimum: 0 }),
  utilization: Type.Number({ minimum: 0 }),
  cpuCoreRatio: Type.Number({ minimum: 0 }),
});

/**
 * The health summary. Its fields are a subset of OpenClaw's, so OpenClaw clients read it as is.
 * `ok` is always true when the gateway answers; per-channel trouble is in `channels`.
 */
export const HealthSummary = closedObject({
  ok: Type.Literal(true),
  ts: TimestampMs,
  durationMs: Type.Integer({ minimum: 0 }),
  eventLoop: Type.Optional(EventLoopHealth),
  /** Per channel account status (see channels.status). */
  channels: StringMap(Type.Unknown()),
  channelOrder: Type.Array(Type.String()),
  channelLabels: StringMap(Type.String()),
  heartbeatSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
  defaultAgentId: Type.Optional(Type.String()),
  sessions: Type.Optional(closedObject({
    path: Type.String(),
    count: Type.Integer({ minimum: 0 }),
    recent: Type.Array(closedObject({
      key: Type.String(),
      updatedAt: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
      age: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    })),
  })),
});
export type HealthSummary = Static<typeof HealthSummary>;

export const StatusResult = closedObject({
  version: NonEmptyString,
  pid: Type.Integer(),
  node: NonEmptyString,
  uptimeMs: Type.Integer({ minimum: 0 }),
  /** `starting | ready | draining | stopped`. */
  state: NonEmptyString,
  bind: closedObject({ host: NonEmptyString, port: Type.Integer({ minimum: 0 }) }),
  authMode: NonEmptyString,
  stateDir: Type.Optional(NonEmptyString),
  connections: closedObject({
    total: Type.Integer({ minimum: 0 }),
    operators: Type.Integer({ minimum: 0 }),
    nodes: Type.Integer({ minimum: 0 }),
  }),
  memory: closedObject({
    rssBytes: Type.Integer({ minimum: 0 }),
    heapUsedBytes: Type.Integer({ minimum: 0 }),
  }),
  /** Further per-area figures (sessions, channels, agent) as areas add them. */
  extra: Type.Optional(JsonObject),
});
export type StatusResult = Static<typeof StatusResult>;

export const HealthParams = closedObject({
  /** Refresh the summary now instead of returning the cached one. */
  probe: Type.Optional(Type.Boolean()),
});
export const EmptyParams = closedObject({});

export const TalkModeParams = closedObject({
  enabled: Type.Boolean(),
  phase: Type.Optional(Type.String({ maxLength: 200 })),
});
export const TalkModeEvent = closedObject({
  enabled: Type.Boolean(),
  phase: Type.Optional(Type.String()),
  ts: TimestampMs,
});
export const OkResult = closedObject({ ok: Type.Literal(true) });

export const TickEvent = closedObject({ ts: TimestampMs });
export type TickEvent = Static<typeof TickEvent>;

export const ShutdownEvent = closedObject({
  reason: NonEmptyString,
  /** When the gateway expects to be back, if it is restarting. */
  restartExpectedMs: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type ShutdownEvent = Static<typeof ShutdownEvent>;

// ── events ─────────────────────────────────────────────────────────────────────────────────────

export const systemEvents = {
  tick: event({ payload: TickEvent, droppable: true, summary: 'Keep-alive every policy.tickIntervalMs.' }),
  health: event({ payload: HealthSummary, droppable: true, summary: 'The health summary after each refresh; carries stateVersion.' }),
  shutdown: event({ payload: ShutdownEvent, droppable: false, summary: 'The gateway is stopping; the socket closes with 1012 next.' }),
  'talk.mode': event({ payload: TalkModeEvent, access: 'operator.read', droppable: true, summary: 'Talk mode changed (also the broadcast used by the fan-out benchmark).' }),
};

// ── method entries ─────────────────────────────────────────────────────────────────────────────

export const systemMethods = {
  health: method({
    params: HealthParams,
    result: HealthSummary,
    access: 'operator.read',
    sideEffect: false,
    summary: 'The cached health summary (or a fresh one with probe:true).',
  }),
  status: method({
    params: EmptyParams,
    result: StatusResult,
    access: 'operator.read',
    sideEffect: false,
    summary: 'What the daemon is doing: version, uptime, bind, connections, memory.',
  }),
  'system-presence': method({
    params: EmptyParams,
    result: Type.Array(PresenceEntry),
    access: 'operator.read',
    sideEffect: false,
    summary: 'The current presence list.',
  }),
  'talk.mode': method({
    params: TalkModeParams,
    result: OkResult,
    access: 'operator.write',
    sideEffect: false,
    summary: 'Sets talk mode and broadcasts a talk.mode event to every operator.',
  }),
};
