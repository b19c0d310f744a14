/**
 * Commands that change the conversation: /new, /reset, /undo, /retry, /title, /resume, /model.
 */
import type { Store } from '../../store/store.js';
import type { TranscriptEntry } from '../../store/transcripts-repo.js';
import { DEFAULT_AGENT_ID } from '../../sessions/keys.js';
import type { CommandContext, CommandHandler } from './types.js';

/** Entries kept when /undo or /retry rewrites a conversation (the prompt only reads the newest 200). */
const UNDO_KEEP_ENTRIES = 1_000;
const TITLE_MAX = 100;

function cleanTitle(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, TITLE_MAX);
}

/** Stops the session's runs (running and waiting) before its transcript changes under them. */
function stopRuns(ctx: CommandContext): void {
  ctx.runs.abort(ctx.sessionKey, undefined, 'stop');
}

/** /new [title] and /reset: a fresh conversation (the old one is kept and can be resumed by title). */
export const newConversation: CommandHandler = async (ctx, args) => {
  stopRuns(ctx);
  const title = cleanTitle(args);
  const now = ctx.now();
  await ctx.store.commit(() => {
    const s = ctx.store;
    s.sessions.ensure(ctx.sessionKey, DEFAULT_AGENT_ID, now);
    const { record } = s.sessions.reset(ctx.sessionKey, 'new', now);
    s.sessions.patch(ctx.sessionKey, { model: null }, now);
    if (title) s.channels.setTitle({ sessionId: record.sessionId, sessionKey: ctx.sessionKey, title, createdAt: now });
  });
  return title ? `Started a new conversation: "${title}".` : 'Started a new conversation.';
};

/**
 * Rewrites the conversation without its last exchange: a new transcript generation with every
 * entry before the last user message copied over (the old generation stays as it was). Returns the
 * removed user message's text, or undefined when there was nothing to undo.
 */
export async function undoLastExchange(store: Store, sessionKey: string, now: number): Promise<string | undefined> {
  return store.commit(() => {
    const session = store.sessions.get(sessionKey);
    if (!session) return undefined;
    const entries = store.transcripts.page(session.sessionId, { limit: UNDO_KEEP_ENTRIES, maxEntryBytes: Number.MAX_SAFE_INTEGER }).reverse();
    let cut = -1;
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i].role === 'user') { cut = i; break; }
    if (cut < 0) return undefined;
    const removed = entries[cut];
    const title = store.channels.titleOf(session.sessionId);
    const { record } = store.sessions.reset(sessionKey, 'undo', now);
    for (const e of entries.slice(0, cut)) store.transcripts.append(record.sessionId, copyOf(e), now);
    if (title) store.channels.setTitle({ sessionId: record.sessionId, sessionKey, title, createdAt: now });
    return textOf(removed);
  });
}

function copyOf(e: TranscriptEntry): Parameters<Store['transcripts']['append']>[1] {
  return {
    role: e.role,
    content: e.content ?? [],
    // Nothing copied is still streaming: a cut-off answer stays recognisable as such.
    state: e.state === 'partial' ? 'interrupted' : e.state,
    ...(e.runId ? { runId: e.runId } : {}),
    ...(e.toolCallId ? { toolCallId: e.toolCallId } : {}),
    ...(e.meta ? { meta: e.meta } : {}),
    ...(e.idempotencyKey ? { idempotencyKey: e.idempotencyKey } : {}),
  };
}

function textOf(e: TranscriptEntry): string {
  return (e.content ?? []).map((b) => (b as { type?: string; text?: string }).type === 'text' ? (b as { text: string }).text : '').join('');
}

/** /undo: forget the last exchange. */
export const undo: CommandHandler = async (ctx) => {
  stopRuns(ctx);
  const removed = await undoLastExchange(ctx.store, ctx.sessionKey, ctx.now());
  return removed === undefined ? 'There is nothing to undo.' : 'Removed the last exchange.';
};

/** /retry: forget the last exchange and send its message again. */
export const retryLast: CommandHandler = async (ctx) => {
  stopRuns(ctx);
  const now = ctx.now();
  const removed = await undoLastExchange(ctx.store, ctx.sessionKey, now);
  if (removed === undefined || !removed.trim()) return 'There is no message to retry.';
  await ctx.submit(removed, `retry:${ctx.sessionKey}:${now}`);
  return undefined;
};

/** /title [name]: show or set the conversation's title. */
export const title: CommandHandler = async (ctx, args) => {
  const session = ctx.store.sessions.get(ctx.sessionKey);
  const wanted = cleanTitle(args);
  if (!wanted) {
    const current = session && ctx.store.channels.titleOf(session.sessionId);
    return current ? `This conversation is titled "${current}".` : 'This conversation has no title; set one with /title <name>.';
  }
  const now = ctx.now();
  await ctx.store.commit(() => {
    const record = ctx.store.sessions.ensure(ctx.sessionKey, DEFAULT_AGENT_ID, now);
    ctx.store.channels.setTitle({ sessionId: record.sessionId, sessionKey: ctx.sessionKey, title: wanted, createdAt: now });
  });
  return `Titled this conversation "${wanted}".`;
};

/** /resume [name]: list titled conversations of this chat, or switch back to one. */
export const resume: CommandHandler = async (ctx, args) => {
  const wanted = cleanTitle(args);
  if (!wanted) {
    const list = ctx.store.channels.titled(ctx.sessionKey, 10);
    if (list.length === 0) return 'No titled conversations yet; title one with /title <name>.';
    return ['Titled conversations (resume one with /resume <name>):', ...list.map((t) => `• ${t.title}`)].join('\n');
  }
  const found = ctx.store.channels.findTitled(ctx.sessionKey, wanted);
  if (!found) return `No conversation titled "${wanted}" in this chat; /resume lists them.`;
  stopRuns(ctx);
  await ctx.store.commit(() => ctx.store.channels.repointSession(ctx.sessionKey, found.sessionId, ctx.now()));
  return `Resumed "${found.title}".`;
};

/** /model [name | default]: show or set this conversation's model. */
export const model: CommandHandler = async (ctx, args) => {
  const wanted = args.trim();
  const provider = ctx.runs.providerInfo();
  const session = ctx.store.sessions.get(ctx.sessionKey);
  if (!wanted) return `Model: ${session?.model ?? provider.model} (provider ${provider.provider})${session?.model ? '' : ', the default'}.`;
  if (!/^[A-Za-z0-9._:/@-]{1,200}$/.test(wanted)) return 'A model name is letters, digits and . _ : / @ - only; e.g. /model gpt-4o-mini.';
  const clear = wanted === 'default' || wanted === 'reset';
  await ctx.store.commit(() => {
    ctx.store.sessions.ensure(ctx.sessionKey, DEFAULT_AGENT_ID, ctx.now());
    ctx.store.sessions.patch(ctx.sessionKey, { model: clear ? null : wanted }, ctx.now());
  });
  return clear ? `Model reset to the default (${provider.model}).` : `Model set to ${wanted} for this conversation.`;
};
