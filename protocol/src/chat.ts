/**
 * Chat area: a session's transcript as the chat UI sees it — `chat.history` (paginated, bounded in
 * bytes), `chat.inject` (an assistant note without a run) and the `chat` event. `chat.send` and
 * `chat.abort` join this file with the agent runtime.
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
  'chat.inject': method({
    params: ChatInjectParams,
    result: ChatInjectResult,
    access: 'operator.admin',
    sideEffect: true,
    summary: 'Appends an assistant note to the transcript without running the agent.',
  }),
};
