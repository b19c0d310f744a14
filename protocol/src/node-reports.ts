/**
 * Node reports: what the gateway does with a node's own `node.event`s and tells operators about.
 * `node.hostStats` is OpenClaw's event (read-scoped, droppable); `node.reported` is a Switchboard
 * extension that carries every other node event (exec lifecycle typed and bounded, presence, and
 * anything else the node sends) to operators with `operator.read`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { JsonObject, NonEmptyString, TimestampMs, closedObject } from './primitives.js';
import { event } from './method.js';

// ── shapes ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Largest `node.event` payload the gateway accepts (UTF-8 bytes of `payloadJSON`, or of `payload`
 * as JSON). OpenClaw's node host sends at most a 20 000-character output tail in `exec.finished`.
 */
export const MAX_NODE_EVENT_PAYLOAD_BYTES = 128 * 1024;

/** Per-node rate of `node.event`s the gateway acts on: a burst, then a steady rate; the rest are dropped and counted. */
export const NODE_EVENT_RATE = { burst: 20, perSecond: 5 } as const;

/** Longest output excerpt an exec lifecycle event carries to operators (characters, the tail is kept). */
export const MAX_EXEC_OUTPUT_EXCERPT = 2000;

/** How a node last proved it was alive (OpenClaw's closed set; unknown values become `background`). */
export const NODE_PRESENCE_TRIGGERS = ['background', 'silent_push', 'bg_app_refresh', 'significant_location', 'manual', 'connect'] as const;

/** Exec lifecycle events a node reports about `system.run`. */
export const NODE_EXEC_EVENTS = ['exec.started', 'exec.finished', 'exec.denied'] as const;

/** An exec lifecycle event as operators see it: typed, every field bounded. */
export const NodeExecReport = closedObject({
  runId: Type.Optional(Type.String({ maxLength: 200 })),
  sessionKey: Type.Optional(Type.String({ maxLength: 200 })),
  /** The command text (first 500 characters). */
  command: Type.Optional(Type.String({ maxLength: 500 })),
  /** The process's exit code; null when the node did not report an integer one. */
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  timedOut: Type.Optional(Type.Boolean()),
  success: Type.Optional(Type.Boolean()),
  /** The last {@link MAX_EXEC_OUTPUT_EXCERPT} characters of the combined output. */
  output: Type.Optional(Type.String({ maxLength: MAX_EXEC_OUTPUT_EXCERPT })),
  /** True when `output` was cut. */
  outputTruncated: Type.Optional(Type.Literal(true)),
  /** Why the node denied the run (`exec.denied`). */
  reason: Type.Optional(Type.String({ maxLength: 200 })),
});
export type NodeExecReport = Static<typeof NodeExecReport>;

/** Payload of `node.reported` (Switchboard extension). */
export const NodeReportedEvent = closedObject({
  nodeId: NonEmptyString,
  /** The node's event name (`exec.finished`, `node.presence.alive`, `voice.transcript`, ...). */
  event: NonEmptyString,
  /** When the gateway received it (its own clock). */
  ts: TimestampMs,
  /** For `exec.*`: the typed, bounded fields (the raw payload is not forwarded). */
  exec: Type.Optional(NodeExecReport),
  /** For other events: the node's payload (parsed from `payloadJSON` when it sent that). */
  payload: Type.Optional(Type.Unknown()),
});
export type NodeReportedEvent = Static<typeof NodeReportedEvent>;

/** Payload of `node.hostStats` (OpenClaw's event): the stats a node just reported. */
export const NodeHostStatsEvent = closedObject({ nodeId: NonEmptyString, hostStats: JsonObject });
export type NodeHostStatsEvent = Static<typeof NodeHostStatsEvent>;

// ── events ─────────────────────────────────────────────────────────────────────────────────────

export const nodeReportEvents = {
  'node.hostStats': event({
    payload: NodeHostStatsEvent,
    access: 'operator.read',
    droppable: true,
    summary: 'A node reported host stats (cpu, load, memory, disk); node.describe shows the latest.',
  }),
  'node.reported': event({
    payload: NodeReportedEvent,
    access: 'operator.read',
    droppable: true,
    summary: 'Extension: a node sent node.event (exec lifecycle typed and bounded, presence, anything else); rate-limited per node.',
  }),
};
