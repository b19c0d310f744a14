/**
 * Chat area: a session's transcript as the chat UI sees it — `chat.history` (paginated, bounded in
 * bytes), `chat.inject` (an assistant note without a run), `chat.send` (a message that starts or
 * joins a run), `chat.abort`, and the `chat` event.
 *
 * Field names follow OpenClaw protocol v4; the pagination cursor (`cursor` → `nextCursor`) and
 * `maxBytes` are Switchboard extensions (docs/protocol.md).
 */
import { Type, type Static } from '@sinclair/typebox';
import { IdempotencyKey, NonEmptyString, TimestampMs, closedObject, JsonObject, StringEnum } from './primitives.js';
import { SessionKey } from './sessions.js';
import { event, method } from './method.js';

// ── shapes ─────────────────────────────────────────────────────────────────────────────────────

export const TranscriptRoles = ['user', 'assistant', 'tool', 'system-note'] as const;
export type TranscriptRole = (typeof TranscriptRoles)[number];

/**
 * `final`: complete. `partial`: an assistant message still streaming. `aborted`: stopped by the user.
 * `interrupted`: the gateway stopped (crash, restart) before it finished. `error`: the run failed.
 */
export const TranscriptStates = ['partial', 'final', 'aborted', 'interrupted', 'error'] as const;
export type TranscriptState = (typeof TranscriptStates)[number];

/** One transcript entry as `chat.history` returns it. */
export const TranscriptMessage = closedObject({
  id: NonEmptyString,
  seq: Type.Integer({ minimum: 1 }),
  role: StringEnum(TranscriptRoles),
  /** Content blocks: `{type:"text", text}`, `{type:"toolCall", id, name, arguments}`, … */
  content: Type.Array(Type.Unknown()),
  timestamp: TimestampMs,
  state: StringEnum(TranscriptStates),
  runId: Type.Optional(NonEmptyString),
  /** On `tool` entries: the call this is the result of. */
  toolCallId: Type.Optional(NonEmptyString),
  stopReason: Type.Optional(Type.String()),
  label: Type.Optional(Type.String()),
  /** Why and when an aborted or interrupted entry stopped. */
  abort: Type.Optional(closedObject({ reason: Type.String(), at: TimestampMs })),
  usage: Type.Optional(JsonObject),
  /** Set when the entry was too large for the page: `content` is a placeholder. Extension. */
  truncated: Type.Optional(closedObject({ bytes: Type.Integer({ minimum: 0 }) })),
});
export type TranscriptMessage = Static<typeof TranscriptMessage>;

// ── params and results ─────────────────────────────────────────────────────────────────────────

export const ChatHistoryParams = closedObject({
  sessionKey: SessionKey,
  agentId: Type.Optional(NonEmptyString),
  /** Newest entries to return (default 200). */
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  /** Extension: `nextCursor` of the previous page, to page further back. */
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  /** Characters of text kept per content block; longer text is cut. */
  maxChars: Type.Optional(Type.Integer({ minimum: 1, maximum: 500_000 })),
  /** Extension: byte budget of the page (default and ceiling from the gateway limits). */
  maxBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
});
export type ChatHistoryParams = Static<typeof ChatHistoryParams>;

/** A transcript page and the cursor to the older one. */
export const ChatHistoryResult = closedObject({
  sessionKey: NonEmptyString,
  /** Absent when the session does not exist yet. */
  sessionId: Type.Optional(NonEmptyString),
  /** Oldest first. */
  messages: Type.Array(TranscriptMessage),
  thinkingLevel: Type.Optional(Type.String()),
  verboseLevel: Type.Optional(Type.String()),
  /** Extension: older entries exist; pass `nextCursor` as `cursor` to fetch them. */
  hasMore: Type.Boolean(),
  nextCursor: Type.Optional(NonEmptyString),
});
export type ChatHistoryResult = Static<typeof ChatHistoryResult>;

/** The note to append and the key that makes it happen once. */
export const ChatInjectParams = closedObject({
  sessionKey: SessionKey,
  agentId: Type.Optional(NonEmptyString),
  message: Type.String({ minLength: 1, maxLength: 200_000 }),
  label: Type.Optional(Type.String({ maxLength: 100 })),
  /** Required here (optional in OpenClaw): chat.inject changes the transcript. */
  idempotencyKey: IdempotencyKey,
});
export type ChatInjectParams = Static<typeof ChatInjectParams>;

/** The appended entry. */
export const ChatInjectResult = closedObject({
  ok: Type.Literal(true),
  messageId: NonEmptyString,
  /** Extensions: where the entry landed. */
  sessionId: NonEmptyString,
  seq: Type.Integer({ minimum: 1 }),
});
export type ChatInjectResult = Static<typeof ChatInjectResult>;

/**
 * `chat.send.queueMode`: Switchboard's modes and OpenClaw's names for them. `followup` is `queue`;
 * `steer` (OpenClaw: inject into the running run) is handled as `interrupt` here, as there is no
 * injection into a running run (docs/protocol.md, "Queue modes").
 */
export const ChatQueueModes = ['interrupt', 'queue', 'collect', 'steer', 'followup'] as const;
export const ChatQueueMode = StringEnum(ChatQueueModes);
export type ChatQueueMode = (typeof ChatQueueModes)[number];

/** A message for the session's agent. `/stop` aborts the session's runs instead. */
export const ChatSendParams = closedObject({
  sessionKey: SessionKey,
  message: Type.String({ maxLength: 200_000 }),
  idempotencyKey: IdempotencyKey,
  agentId: Type.Optional(NonEmptyString),
  /** Refuse unless the session's current transcript generation is this one. */
  sessionId: Type.Optional(NonEmptyString),
  /** Accepted for OpenClaw compatibility; the providers here have no thinking levels. */
  thinking: Type.Optional(Type.String({ maxLength: 64 })),
  /** Run time limit for this message's run (ms; 0: the default). */
  timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
  /** Overrides the session's mode for this message: `interrupt`, `queue`, `collect`, or OpenClaw's `steer`, `followup`. */
  queueMode: Type.Optional(ChatQueueMode),
  /** Delivery to a channel: only `false` is accepted from chat clients. */
  deliver: Type.Optional(Type.Boolean()),
});
export type ChatSendParams = Static<typeof ChatSendParams>;

/** Where a submitted message's run stands: `started`, `in_flight`, `queued` or `completed` (see ChatSendResult). */
export const RunStatus = StringEnum(['started', 'in_flight', 'queued', 'completed'] as const);
export type RunStatus = Static<typeof RunStatus>;

/**
 * `{runId, status}`: `started` (the run starts now, or right after the interrupted one stops),
 * `in_flight` (a retry while that run is still going), and the extensions `queued` (waits behind
 * the running run: queue or collect mode) and `completed` (a retry after the run ended). A
 * `/stop` message answers like `chat.abort`.
 */
export const ChatSendResult = Type.Union([
  closedObject({
    runId: NonEmptyString,
    status: RunStatus,
    /** Extension: the transcript position of the stored user message. */
    messageSeq: Type.Optional(Type.Integer({ minimum: 1 })),
  }),
  closedObject({ ok: Type.Literal(true), aborted: Type.Boolean(), runIds: Type.Array(NonEmptyString) }),
]);
export type ChatSendResult = Static<typeof ChatSendResult>;

/** Which run(s) to stop: one by id, or every run of the session. */
export const ChatAbortParams = closedObject({
  sessionKey: SessionKey,
  agentId: Type.Optional(NonEmptyString),
  runId: Type.Optional(NonEmptyString),
});
export type ChatAbortParams = Static<typeof ChatAbortParams>;

/** What was stopped (running and waiting runs); `aborted` is false when nothing was going. */
export const ChatAbortResult = closedObject({
  ok: Type.Literal(true),
  aborted: Type.Boolean(),
  runIds: Type.Array(NonEmptyString),
});
export type ChatAbortResult = Static<typeof ChatAbortResult>;

// ── events ─────────────────────────────────────────────────────────────────────────────────────

const ChatEventBase = {
  runId: NonEmptyString,
  sessionKey: NonEmptyString,
  agentId: Type.Optional(NonEmptyString),
  /** Per-run sequence. */
  seq: Type.Integer({ minimum: 0 }),
};

/** OpenClaw's `chat` event: a streamed delta, the final message, an abort or an error. */
export const ChatEvent = Type.Union([
  closedObject({ ...ChatEventBase, state: Type.Literal('delta'), message: Type.Optional(Type.Unknown()), deltaText: Type.String(), replace: Type.Optional(Type.Boolean()), usage: Type.Optional(Type.Unknown()) }),
  closedObject({ ...ChatEventBase, state: Type.Literal('final'), message: Type.Optional(Type.Unknown()), usage: Type.Optional(Type.Unknown()), stopReason: Type.Optional(Type.String()) }),
  closedObject({ ...ChatEventBase, state: Type.Literal('aborted'), message: Type.Optional(Type.Unknown()), errorMessage: Type.Optional(Type.String()), stopReason: Type.Optional(Type.String()) }),
  closedObject({ ...ChatEventBase, state: Type.Literal('error'), message: Type.Optional(Type.Unknown()), errorMessage: Type.Optional(Type.String()), errorKind: Type.Optional(Type.String()) }),
]);
export type ChatEvent = Static<typeof ChatEvent>;

/** Events of the chat area. */
export const chatEvents = {
  chat: event({
    payload: ChatEvent,
    access: 'operator.read',
    // final/aborted/error are never skipped; deltas are sent droppable per broadcast (each one
    // carries the accumulated text, so the next one repairs a skipped one).
    droppable: false,
    summary: 'Chat transcript updates: streamed deltas, the final message (also for chat.inject), aborts and errors.',
  }),
};

// ── method entries ─────────────────────────────────────────────────────────────────────────────

export const chatMethods = {
  'chat.history': method({
    params: ChatHistoryParams,
    result: ChatHistoryResult,
    access: 'operator.read',
    sideEffect: false,
    summary: 'A page of the session transcript, newest entries, bounded in count and bytes; nextCursor pages back.',
  }),
  'chat.send': method({
    params: ChatSendParams,
    result: ChatSendResult,
    access: 'operator.write',
    sideEffect: true,
    summary: 'Stores the message and starts (or queues) the session run that answers it; replies stream as chat events.',
  }),
  'chat.abort': method({
    params: ChatAbortParams,
    result: ChatAbortResult,
    access: 'operator.write',
    // Stopping a stopped run changes nothing, so a retried abort is harmless: no idempotency key.
    sideEffect: false,
    summary: 'Stops the run named by runId, or every run of the session (running and waiting); partial text stays in the transcript as aborted.',
  }),
  'chat.inject': method({
    params: ChatInjectParams,
    result: ChatInjectResult,
    access: 'operator.admin',
    sideEffect: true,
    summary: 'Appends an assistant note to the transcript without running the agent.',
  }),
};
