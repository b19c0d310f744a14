/**
 * Sessions area: the per-conversation session index — `sessions.list`, `sessions.preview`,
 * `sessions.patch`, `sessions.reset`, `sessions.delete` — and the `sessions.changed` event.
 *
 * Field names follow OpenClaw protocol v4 where they exist (SessionsListParams, SessionRow, …).
 * Switchboard extensions are marked "extension" and listed in docs/protocol.md.
 *
 * Session keys are `agent:<agentId>:<mainKey>` (default `agent:main:main`); channel sessions look
 * like `agent:main:telegram:direct:<peer>`. A bare key such as `main` means `agent:main:main`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { NonEmptyString, TimestampMs, closedObject, Nullable, StringEnum } from './primitives.js';
import { event, method } from './method.js';

// ── shapes ─────────────────────────────────────────────────────────────────────────────────────

/** A session key as sent by clients: at most 512 characters, no control characters. */
export const SessionKey = Type.String({ minLength: 1, maxLength: 512, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });

/** What happens when a message arrives while the session's run is still going. Extension. */
export const QueueModes = ['interrupt', 'queue', 'collect'] as const;
export const QueueMode = StringEnum(QueueModes);
export type QueueMode = (typeof QueueModes)[number];

/** One row of the session index (a subset of OpenClaw's SessionRow, plus `queueMode`). */
export const SessionRow = closedObject({
  key: NonEmptyString,
  kind: StringEnum(['direct', 'group', 'global', 'unknown'] as const),
  /** The current transcript generation; `sessions.reset` starts a new one. */
  sessionId: NonEmptyString,
  agentId: NonEmptyString,
  label: Type.Optional(Type.String()),
  displayName: Type.Optional(Type.String()),
  lastMessagePreview: Type.Optional(Type.String()),
  channel: Type.Optional(Type.String()),
  isMain: Type.Optional(Type.Boolean()),
  createdAt: TimestampMs,
  updatedAt: TimestampMs,
  lastActivityAt: Type.Optional(TimestampMs),
  lastRunId: Type.Optional(NonEmptyString),
  previousSessionId: Type.Optional(NonEmptyString),
  model: Type.Optional(Type.String()),
  thinkingLevel: Type.Optional(Type.String()),
  verboseLevel: Type.Optional(Type.String()),
  /** Extension: `interrupt` (default), `queue` or `collect`. */
  queueMode: QueueMode,
  inputTokens: Type.Integer({ minimum: 0 }),
  outputTokens: Type.Integer({ minimum: 0 }),
  totalTokens: Type.Integer({ minimum: 0 }),
  /** Extension: transcript entries in the current generation. */
  messageCount: Type.Integer({ minimum: 0 }),
});
export type SessionRow = Static<typeof SessionRow>;

/** The default agent and main session, as in hello-ok.snapshot.sessionDefaults. */
export const SessionsDefaults = closedObject({
  defaultAgentId: NonEmptyString,
  mainKey: NonEmptyString,
  mainSessionKey: NonEmptyString,
});

// ── params and results ─────────────────────────────────────────────────────────────────────────

export const SessionsListParams = closedObject({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Only sessions updated within this many minutes. */
  activeMinutes: Type.Optional(Type.Integer({ minimum: 1 })),
  agentId: Type.Optional(NonEmptyString),
  label: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  /** Case-insensitive substring of the key or label. */
  search: Type.Optional(Type.String({ maxLength: 512 })),
  includeLastMessage: Type.Optional(Type.Boolean()),
});
export type SessionsListParams = Static<typeof SessionsListParams>;

/** A page of the index; advance with `nextOffset` while `hasMore`. */
export const SessionsListResult = closedObject({
  ts: TimestampMs,
  /** The store the rows came from. */
  path: Type.String(),
  count: Type.Integer({ minimum: 0 }),
  totalCount: Type.Integer({ minimum: 0 }),
  offset: Type.Integer({ minimum: 0 }),
  limitApplied: Type.Integer({ minimum: 1 }),
  hasMore: Type.Boolean(),
  nextOffset: Type.Optional(Type.Integer({ minimum: 0 })),
  defaults: SessionsDefaults,
  sessions: Type.Array(SessionRow),
});
export type SessionsListResult = Static<typeof SessionsListResult>;

/** Which sessions to preview and how much of each. */
export const SessionsPreviewParams = closedObject({
  keys: Type.Array(SessionKey, { minItems: 1, maxItems: 64 }),
  /** Items per session (default 12, at most 50). */
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  /** Characters per item (default 240). */
  maxChars: Type.Optional(Type.Integer({ minimum: 20, maximum: 4000 })),
});

/** One transcript item as short text. */
export const SessionPreviewItem = closedObject({
  role: StringEnum(['user', 'assistant', 'tool', 'system', 'other'] as const),
  text: Type.String(),
});
/** One session's preview: `missing` for an unknown key, `empty` without entries. */
export const SessionsPreviewEntry = closedObject({
  key: NonEmptyString,
  status: StringEnum(['ok', 'empty', 'missing', 'error'] as const),
  items: Type.Array(SessionPreviewItem),
});
/** Previews in the order of the requested keys. */
export const SessionsPreviewResult = closedObject({
  ts: TimestampMs,
  previews: Type.Array(SessionsPreviewEntry),
});
export type SessionsPreviewResult = Static<typeof SessionsPreviewResult>;

export const SessionsPatchParams = closedObject({
  key: SessionKey,
  agentId: Type.Optional(NonEmptyString),
  /** Refuse the patch unless the session's current generation is this one. */
  expectedSessionId: Type.Optional(NonEmptyString),
  label: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 512 }))),
  model: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256 }))),
  thinkingLevel: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  verboseLevel: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  /** Extension. `null` restores the default (`interrupt`). */
  queueMode: Type.Optional(Nullable(QueueMode)),
});
export type SessionsPatchParams = Static<typeof SessionsPatchParams>;

/** A session after a change. */
export const SessionEntryResult = closedObject({
  ok: Type.Literal(true),
  key: NonEmptyString,
  entry: SessionRow,
});
/** A session after a patch, with the store path (as OpenClaw). */
export const SessionsPatchResult = closedObject({
  ok: Type.Literal(true),
  path: Type.String(),
  key: NonEmptyString,
  entry: SessionRow,
});

/** Which session to reset; `reason` is reported in `sessions.changed`. */
export const SessionsResetParams = closedObject({
  key: SessionKey,
  agentId: Type.Optional(NonEmptyString),
  reason: Type.Optional(StringEnum(['new', 'reset'] as const)),
});

/** Which session to delete, and whether its transcripts go too. */
export const SessionsDeleteParams = closedObject({
  key: SessionKey,
  agentId: Type.Optional(NonEmptyString),
  /** Also delete every transcript generation of the session (default true). */
  deleteTranscript: Type.Optional(Type.Boolean()),
  expectedSessionId: Type.Optional(NonEmptyString),
});
/** Whether a row was deleted, and the generations kept. */
export const SessionsDeleteResult = closedObject({
  ok: Type.Literal(true),
  key: NonEmptyString,
  deleted: Type.Boolean(),
  /** Transcript generations kept (when deleteTranscript was false). */
  archived: Type.Array(NonEmptyString),
});

// ── events ─────────────────────────────────────────────────────────────────────────────────────

export const SessionsChangedEvent = closedObject({
  sessionKey: Type.Optional(NonEmptyString),
  /** `patch`, `reset`, `new`, `delete`, `create`, `inject`, `send`, … */
  reason: NonEmptyString,
  ts: TimestampMs,
  /** The removed generation on `delete`. */
  sessionId: Type.Optional(NonEmptyString),
  /** The row after the change (absent on `delete`). */
  session: Type.Optional(SessionRow),
});
export type SessionsChangedEvent = Static<typeof SessionsChangedEvent>;

/** Events of the sessions area. */
export const sessionsEvents = {
  'sessions.changed': event({
    payload: SessionsChangedEvent,
    access: 'operator.read',
    droppable: true,
    summary: 'A session was created, patched, reset, deleted or got a new transcript entry; carries the row.',
  }),
};

// ── method entries ─────────────────────────────────────────────────────────────────────────────

export const sessionsMethods = {
  'sessions.list': method({
    params: SessionsListParams,
    result: SessionsListResult,
    access: 'operator.read',
    sideEffect: false,
    summary: 'The session index, most recently updated first, paginated with offset/limit.',
  }),
  'sessions.preview': method({
    params: SessionsPreviewParams,
    result: SessionsPreviewResult,
    access: 'operator.read',
    sideEffect: false,
    summary: 'The last few transcript items of each given session, as short text.',
  }),
  'sessions.patch': method({
    params: SessionsPatchParams,
    result: SessionsPatchResult,
    access: 'operator.write',
    // Set semantics: repeating the same patch leaves the same state, so no idempotency key.
    sideEffect: false,
    summary: 'Sets or clears session settings (label, model, thinking/verbose level, queue mode); creates the session if missing.',
  }),
  'sessions.reset': method({
    params: SessionsResetParams,
    result: SessionEntryResult,
    access: 'operator.admin',
    // A reset of a session whose transcript is still empty changes nothing, so a retried reset is harmless.
    sideEffect: false,
    summary: 'Starts a new transcript generation for the session (the old one is kept); a no-op when the current one is empty.',
  }),
  'sessions.delete': method({
    params: SessionsDeleteParams,
    result: SessionsDeleteResult,
    access: 'operator.admin',
    sideEffect: false,
    summary: 'Removes the session (and, unless deleteTranscript is false, all its transcripts).',
  }),
};
