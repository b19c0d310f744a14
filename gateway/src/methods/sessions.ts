/**
 * Session handlers: sessions.list, sessions.preview, sessions.patch, sessions.reset, sessions.delete.
 * Every change is committed durably before the answer and announced with `sessions.changed`.
 */
import { GatewayError } from '@switchboard/protocol';
import type { Handler, MethodContext } from '../context.js';
import type { SessionPatch, SessionRecord } from '../store/sessions-repo.js';
import { DEFAULT_AGENT_ID, MAIN_KEY, MAIN_SESSION_KEY, isMainSession, resolveSessionKey } from '../sessions/keys.js';
import { clip, textOf, toSessionRow } from '../sessions/view.js';

const DEFAULT_LIST_LIMIT = 100;
const PREVIEW_DEFAULT_LIMIT = 12;
const PREVIEW_DEFAULT_CHARS = 240;
/** Preview reads skip entries above this size (their text would be clipped anyway). */
const PREVIEW_MAX_ENTRY_BYTES = 64 * 1024;

/** The session index, newest first. */
export const sessionsList: Handler<'sessions.list'> = (ctx, params) => {
  const store = ctx.services.store;
  const limit = params.limit ?? DEFAULT_LIST_LIMIT;
  const offset = params.offset ?? 0;
  const { rows, total } = store.sessions.list({
    limit,
    offset,
    agentId: params.agentId?.toLowerCase(),
    label: params.label,
    search: params.search,
    updatedSince: params.activeMinutes ? Date.now() - params.activeMinutes * 60_000 : undefined,
  });
  const sessions = rows.map((r) => toSessionRow(r, params.includeLastMessage ? lastText(ctx, r) : undefined));
  const hasMore = offset + rows.length < total;
  return {
    ts: Date.now(),
    path: store.path,
    count: sessions.length,
    totalCount: total,
    offset,
    limitApplied: limit,
    hasMore,
    ...(hasMore ? { nextOffset: offset + rows.length } : {}),
    defaults: { defaultAgentId: DEFAULT_AGENT_ID, mainKey: MAIN_KEY, mainSessionKey: MAIN_SESSION_KEY },
    sessions,
  };
};

/** Short text of the last entries of each given session. */
export const sessionsPreview: Handler<'sessions.preview'> = (ctx, params) => {
  const store = ctx.services.store;
  const limit = params.limit ?? PREVIEW_DEFAULT_LIMIT;
  const maxChars = params.maxChars ?? PREVIEW_DEFAULT_CHARS;
  const previews = params.keys.map((raw) => {
    let record: SessionRecord | undefined;
    try {
      record = store.sessions.get(resolveSessionKey(raw).key);
    } catch {
      return { key: raw, status: 'missing' as const, items: [] };
    }
    if (!record) return { key: raw, status: 'missing' as const, items: [] };
    const entries = store.transcripts.page(record.sessionId, { limit, maxEntryBytes: PREVIEW_MAX_ENTRY_BYTES }).reverse();
    const items = entries.map((e) => ({
      role: e.role === 'system-note' ? 'system' as const : e.role,
      text: clip(e.content ? textOf(e.content) : '[large entry]', maxChars),
    }));
    return { key: raw, status: items.length ? 'ok' as const : 'empty' as const, items };
  });
  return { ts: Date.now(), previews };
};

/** Sets or clears session settings, creating the session if needed. */
export const sessionsPatch: Handler<'sessions.patch'> = async (ctx, params) => {
  const store = ctx.services.store;
  const { key, agentId } = resolveSessionKey(params.key, params.agentId);
  const patch: SessionPatch = {};
  for (const field of ['label', 'model', 'thinkingLevel', 'verboseLevel', 'queueMode'] as const) {
    if (params[field] !== undefined) (patch as Record<string, unknown>)[field] = params[field];
  }
  const record = await ctx.commit(() => {
    const existing = store.sessions.get(key);
    if (existing && params.expectedSessionId && existing.sessionId !== params.expectedSessionId) throw sessionChanged(key, params.expectedSessionId);
    if (!existing && params.expectedSessionId) throw notFound(key);
    return store.sessions.ensure(key, agentId, Date.now(), patch);
  });
  announce(ctx, 'patch', record);
  return { ok: true as const, path: store.path, key, entry: toSessionRow(record) };
};

/** Starts a new transcript generation (a no-op while the current one is empty). */
export const sessionsReset: Handler<'sessions.reset'> = async (ctx, params) => {
  const store = ctx.services.store;
  const { key, agentId } = resolveSessionKey(params.key, params.agentId);
  const reason = params.reason ?? 'reset';
  const { record, rotated } = await ctx.commit(() => {
    const now = Date.now();
    store.sessions.ensure(key, agentId, now);
    return store.sessions.reset(key, reason, now);
  });
  if (rotated) announce(ctx, reason, record);
  return { ok: true as const, key, entry: toSessionRow(record) };
};

/** Removes the session and, by default, all its transcripts. */
export const sessionsDelete: Handler<'sessions.delete'> = async (ctx, params) => {
  const store = ctx.services.store;
  const { key } = resolveSessionKey(params.key, params.agentId);
  const deleteTranscript = params.deleteTranscript ?? true;
  const result = await ctx.commit(() => {
    const existing = store.sessions.get(key);
    if (existing && params.expectedSessionId && existing.sessionId !== params.expectedSessionId) throw sessionChanged(key, params.expectedSessionId);
    return { existing, ...store.sessions.delete(key, deleteTranscript) };
  });
  if (result.deleted && result.existing) {
    ctx.emit('sessions.changed', { sessionKey: key, reason: 'delete', ts: Date.now(), sessionId: result.existing.sessionId });
  }
  return { ok: true as const, key, deleted: result.deleted, archived: deleteTranscript ? [] : result.sessionIds };
};

/** Broadcasts `sessions.changed` with the row after the change. */
export function announce(ctx: MethodContext, reason: string, record: SessionRecord): void {
  ctx.emit('sessions.changed', { sessionKey: record.key, reason, ts: Date.now(), session: toSessionRow(record) });
}

/** The session for `rawKey`, created when it is an agent's main session; SESSION_NOT_FOUND otherwise. */
export function requireSession(ctx: MethodContext, rawKey: string, agentId?: string): SessionRecord {
  const resolved = resolveSessionKey(rawKey, agentId);
  const store = ctx.services.store;
  const existing = store.sessions.get(resolved.key);
  if (existing) return existing;
  if (isMainSession(resolved)) return store.sessions.ensure(resolved.key, resolved.agentId, Date.now());
  throw notFound(resolved.key);
}

function lastText(ctx: MethodContext, record: SessionRecord): string | undefined {
  const [last] = ctx.services.store.transcripts.page(record.sessionId, { limit: 1, maxEntryBytes: PREVIEW_MAX_ENTRY_BYTES });
  return last ? clip(last.content ? textOf(last.content) : '[large entry]', PREVIEW_DEFAULT_CHARS) : undefined;
}

function notFound(key: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `no session ${key}; list sessions with sessions.list`, { details: { code: 'SESSION_NOT_FOUND' } });
}

function sessionChanged(key: string, expected: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `session ${key} is no longer at ${expected} (it was reset or recreated); reload it and try again`, {
    details: { code: 'SESSION_CHANGED', expectedSessionId: expected },
  });
}

/** The sessions area of the handler table. */
export const sessionsHandlers = {
  'sessions.list': sessionsList,
  'sessions.preview': sessionsPreview,
  'sessions.patch': sessionsPatch,
  'sessions.reset': sessionsReset,
  'sessions.delete': sessionsDelete,
};
