/**
 * `chat.history` pages: the newest entries before a cursor, oldest first, bounded by a count and by
 * a byte budget. An entry larger than the per-entry limit is never loaded: it comes back as a
 * placeholder (user-pain rows 12 and 13: one huge message must not block or break a page).
 *
 * The cursor is opaque to clients: base64url of `{v, s: sessionId, b: beforeSeq}`; it is bound to
 * one transcript generation, so a cursor taken before a reset is refused.
 */
import { GatewayError, type TranscriptMessage } from '@switchboard/protocol';
import type { TranscriptRepository } from '../store/transcripts-repo.js';
import { toMessage } from './view.js';

/** One `chat.history` page request, with the limits applied. */
export interface HistoryRequest {
  sessionId: string;
  limit: number;
  cursor?: string;
  maxChars?: number;
  /** Byte budget of the page (serialized messages). */
  maxBytes: number;
  /** Entries larger than this become placeholders. */
  maxEntryBytes: number;
}

/** Messages oldest first, and how to get the older ones. */
export interface HistoryPage {
  messages: TranscriptMessage[];
  hasMore: boolean;
  nextCursor?: string;
}

/** Reads one page (see the module comment for the bounds). */
export function readHistory(transcripts: TranscriptRepository, req: HistoryRequest): HistoryPage {
  const beforeSeq = req.cursor === undefined ? undefined : decodeCursor(req.cursor, req.sessionId);
  const maxEntryBytes = Math.min(req.maxEntryBytes, req.maxBytes);
  const entries = transcripts.page(req.sessionId, { beforeSeq, limit: req.limit + 1, maxEntryBytes });
  const newestFirst: TranscriptMessage[] = [];
  let bytes = 0;
  for (const entry of entries.slice(0, req.limit)) {
    const message = toMessage(entry, req.maxChars);
    const size = Buffer.byteLength(JSON.stringify(message));
    // Always return at least one entry, so paging makes progress whatever the budget.
    if (newestFirst.length > 0 && bytes + size > req.maxBytes) break;
    newestFirst.push(message);
    bytes += size;
  }
  const hasMore = entries.length > newestFirst.length;
  const page: HistoryPage = { messages: newestFirst.reverse(), hasMore };
  if (hasMore && page.messages.length > 0) page.nextCursor = encodeCursor(req.sessionId, page.messages[0].seq);
  return page;
}

/** The opaque cursor for entries before `beforeSeq` of one generation. */
export function encodeCursor(sessionId: string, beforeSeq: number): string {
  return Buffer.from(JSON.stringify({ v: 1, s: sessionId, b: beforeSeq })).toString('base64url');
}

function decodeCursor(cursor: string, sessionId: string): number {
  let parsed: { v?: unknown; s?: unknown; b?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (!parsed || parsed.v !== 1 || typeof parsed.b !== 'number' || !Number.isInteger(parsed.b) || parsed.b < 1) {
    throw new GatewayError('INVALID_REQUEST', 'invalid chat.history cursor: pass nextCursor from a previous page unchanged, or omit it for the newest page', {
      details: { code: 'INVALID_CURSOR' },
    });
  }
  if (parsed.s !== sessionId) {
    throw new GatewayError('INVALID_REQUEST', 'this chat.history cursor belongs to an earlier transcript generation (the session was reset); fetch the newest page without a cursor', {
      details: { code: 'INVALID_CURSOR' },
    });
  }
  return parsed.b;
}
