/**
 * Agent area: `agent` (two answers with one request id: an ack, then the final result),
 * `agent.wait`, and the `agent` event (per-run `seq`; streams `lifecycle`, `assistant`, `tool`,
 * `error`).
 *
 * Field names follow OpenClaw protocol v4 (AgentParams, AgentWaitParams, AgentEvent). OpenClaw's
 * `agent` accepts many routing and delivery fields; the ones its CLI sends are accepted here so
 * `openclaw agent` works, and docs/protocol.md says which are honoured. Extensions are marked.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ErrorShape } from './frames.js';
import { IdempotencyKey, JsonObject, NonEmptyString, StringEnum, TimestampMs, closedObject } from './primitives.js';
import { SessionKey } from './sessions.js';
import { RunStatus } from './chat.js';
import { event, method } from './method.js';

// ── shapes ─────────────────────────────────────────────────────────────────────────────────────

/** Longest message text a run accepts (characters). */
export const MAX_MESSAGE_CHARS = 200_000;

/** Streams of the `agent` event. `error` carries the details of a failed run before lifecycle `error`. */
export const AgentStreams = ['lifecycle', 'assistant', 'tool', 'error'] as const;
export type AgentStream = (typeof AgentStreams)[number];

// ── params and results ─────────────────────────────────────────────────────────────────────────

/** A message for the agent and where to run it; OpenClaw's delivery fields are accepted (see docs/protocol.md). */
export const AgentParams = closedObject({
  message: Type.String({ minLength: 1, maxLength: MAX_MESSAGE_CHARS }),
  idempotencyKey: IdempotencyKey,
  agentId: Type.Optional(NonEmptyString),
  /** The session to run in; default the agent's main session. */
  sessionKey: Type.Optional(SessionKey),
  /** Refuse unless the session's current transcript generation is this one. */
  sessionId: Type.Optional(NonEmptyString),
  /** Model for this run (else the session's, else the configured one). */
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  /** Accepted for OpenClaw compatibility; the providers here have no thinking levels. */
  thinking: Type.Optional(Type.String({ maxLength: 64 })),
  /** Run time limit in seconds (0: the default). */
  timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  label: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  /** Delivery to a channel: only `false` is accepted until channels deliver agent answers. */
  deliver: Type.Optional(Type.Boolean()),
  bestEffortDeliver: Type.Optional(Type.Boolean()),
  /** Routing hints of OpenClaw's delivery; accepted and unused while `deliver` is false. */
  channel: Type.Optional(Type.String({ maxLength: 128 })),
  to: Type.Optional(Type.String({ maxLength: 512 })),
  replyTo: Type.Optional(Type.String({ maxLength: 512 })),
  replyChannel: Type.Optional(Type.String({ maxLength: 128 })),
  replyAccountId: Type.Optional(Type.String({ maxLength: 256 })),
  accountId: Type.Optional(Type.String({ maxLength: 256 })),
  threadId: Type.Optional(Type.String({ maxLength: 256 })),
  lane: Type.Optional(Type.String({ maxLength: 128 })),
  /** Refused when non-empty: instructions go in the trusted `agent.instructions` config instead. */
  extraSystemPrompt: Type.Optional(Type.String({ maxLength: 20_000 })),
});
export type AgentParams = Static<typeof AgentParams>;

/** The first answer of `agent`: the run is accepted (its user message is on disk). */
export const AgentAccepted = closedObject({
  runId: NonEmptyString,
  status: Type.Literal('accepted'),
  acceptedAt: TimestampMs,
  /** Extension: where the run happens. */
  sessionKey: Type.Optional(NonEmptyString),
  agentId: Type.Optional(NonEmptyString),
  /** Extension: `queued` when it waits behind the session's running run (queue or collect mode). */
  runStatus: Type.Optional(RunStatus),
});
export type AgentAccepted = Static<typeof AgentAccepted>;

/** The second answer of `agent`, on the same request id, when the run has ended. */
export const AgentFinal = closedObject({
  /** Absent only when a restart cut the run off and the outcome is unknown (see `error`). */
  runId: Type.Optional(NonEmptyString),
  /** `ok` when the run ended (also when aborted: `summary: "aborted"`), `error` when it failed. */
  status: StringEnum(['ok', 'error'] as const),
  summary: Type.Optional(Type.String()),
  /** `{payloads: [{text}], meta: {stopReason, aborted, durationMs, provider, model, usage?}}`. */
  result: Type.Optional(JsonObject),
  /** Extension: the failure as an error shape (`AGENT_TIMEOUT`, `UNAVAILABLE`, …). */
  error: Type.Optional(ErrorShape),
});
export type AgentFinal = Static<typeof AgentFinal>;

/** Which run to wait for, and how long. */
export const AgentWaitParams = closedObject({
  runId: NonEmptyString,
  /** How long to wait (default 30 000 ms). The wait never stops the run. */
  timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
});
export type AgentWaitParams = Static<typeof AgentWaitParams>;

/** How a run ended, or `timeout` when it was still going when the wait ran out. */
export const AgentWaitResult = closedObject({
  runId: NonEmptyString,
  status: StringEnum(['ok', 'error', 'timeout'] as const),
  startedAt: Type.Optional(TimestampMs),
  endedAt: Type.Optional(TimestampMs),
  error: Type.Optional(Type.String()),
  /** Extensions: why it stopped (`stop`, `length`, `aborted`, `error`, …) and whether it was aborted. */
  stopReason: Type.Optional(Type.String()),
  aborted: Type.Optional(Type.Boolean()),
});
export type AgentWaitResult = Static<typeof AgentWaitResult>;

// ── events ─────────────────────────────────────────────────────────────────────────────────────

/** OpenClaw's `agent` event. `seq` counts the run's agent events from 1 (tool events included). */
export const AgentEvent = closedObject({
  runId: NonEmptyString,
  seq: Type.Integer({ minimum: 0 }),
  stream: NonEmptyString,
  ts: TimestampMs,
  /** The session of the run (OpenClaw's gateway adds it for runs the UI shows). */
  sessionKey: Type.Optional(NonEmptyString),
  data: JsonObject,
});
export type AgentEvent = Static<typeof AgentEvent>;

/** Events of the agent area. */
export const agentEvents = {
  agent: event({
    payload: AgentEvent,
    access: 'operator.read',
    // Lifecycle and error events are never skipped; assistant and tool events are sent droppable
    // per broadcast (each assistant event repeats the accumulated text, so a skipped one loses nothing).
    droppable: false,
    summary: 'Agent run stream: lifecycle start/end/error, assistant text (accumulated and delta), tool calls (only with caps tool-events), errors.',
  }),
};

// ── method entries ─────────────────────────────────────────────────────────────────────────────

/** Methods of the agent area. */
export const agentMethods = {
  agent: method({
    params: AgentParams,
    result: AgentAccepted,
    final: AgentFinal,
    access: 'operator.write',
    sideEffect: true,
    summary: 'Runs the agent on a message: answers {runId, status:"accepted"} at once, then the final result as a second res with the same id.',
  }),
  'agent.wait': method({
    params: AgentWaitParams,
    result: AgentWaitResult,
    access: 'operator.write',
    sideEffect: false,
    summary: 'Waits until a run ends (or timeoutMs passes) and reports how it ended; never stops the run.',
  }),
};
