/**
 * Chat handlers: chat.history (a byte-bounded transcript page) and chat.inject (an assistant note
 * appended without a run; exactly once through the idempotency ledger, because the transcript
 * append and the ledger's answer are one `ctx.commit`).
 */
import type { Handler } from '../context.js';
import { readHistory } from '../sessions/history.js';
import { resolveSessionKey } from '../sessions/keys.js';
import { toMessage } from '../sessions/view.js';
import type { TranscriptEntry } from '../store/transcripts-repo.js';
import { announce, requireSession } from './sessions.js';

const DEFAULT_HISTORY_LIMIT = 200;

/** A page of the session transcript (empty for a session that does not exist). */
export const chatHistory: Handler<'chat.history'> = (ctx, params) => {
  const { store, options } = ctx.services;
  const { key } = resolveSessionKey(params.sessionKey, params.agentId);
  const session = store.sessions.get(key);
  if (!session) return { sessionKey: key, messages: [], hasMore: false };
  const page = readHistory(store.transcripts, {
    sessionId: session.sessionId,
    limit: params.limit ?? DEFAULT_HISTORY_LIMIT,
    cursor: params.cursor,
    maxChars: params.maxChars,
    maxBytes: Math.min(params.maxBytes ?? options.limits.historyMaxBytes, options.limits.historyMaxBytes),
    maxEntryBytes: options.limits.historyMaxEntryBytes,
  });
  return {
    sessionKey: key,
    sessionId: session.sessionId,
    ...page,
    ...(session.thinkingLevel !== undefined ? { thinkingLevel: session.thinkingLevel } : {}),
    ...(session.verboseLevel !== undefined ? { verboseLevel: session.verboseLevel } : {}),
  };
};

/** Appends an assistant note; exactly once per idempotency key. */
export const chatInject: Handler<'chat.inject'> = async (ctx, params) => {
  const store = ctx.services.store;
  let entry: TranscriptEntry | undefined;
  const result = await ctx.commit(() => {
    const session = requireSession(ctx, params.sessionKey, params.agentId);
    entry = store.transcripts.append(session.sessionId, {
      role: 'assistant',
      content: [{ type: 'text', text: params.message }],
      meta: { stopReason: 'injected', ...(params.label ? { label: params.label } : {}) },
      idempotencyKey: params.idempotencyKey,
    }, Date.now());
    return { ok: true as const, messageId: entry.id, sessionId: session.sessionId, seq: entry.seq };
  });
  const session = store.sessions.getBySessionId(result.sessionId);
  if (session && entry) {
    ctx.emit('chat', { runId: `inject-${result.messageId}`, sessionKey: session.key, seq: 0, state: 'final', message: toMessage(entry), stopReason: 'injected' });
    announce(ctx, 'inject', session);
  }
  return result;
};

/** The chat area of the handler table. */
export const chatHandlers = {
  'chat.history': chatHistory,
  'chat.inject': chatInject,
};
