/**
 * How stored sessions and transcript entries look on the wire (protocol/src/sessions.ts, chat.ts).
 */
import type { SessionRow, TranscriptMessage } from '@switchboard/protocol';
import type { SessionRecord } from '../store/sessions-repo.js';
import type { TranscriptEntry } from '../store/transcripts-repo.js';
import { MAIN_KEY, sessionKind, splitStoredKey } from './keys.js';

/** A session row; `lastMessagePreview` only when given. */
export function toSessionRow(record: SessionRecord, lastMessagePreview?: string): SessionRow {
  const parts = splitStoredKey(record.key);
  const row: SessionRow = {
    key: record.key,
    kind: sessionKind(parts),
    sessionId: record.sessionId,
    agentId: record.agentId,
    isMain: parts.rest === MAIN_KEY,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    queueMode: record.queueMode,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    totalTokens: record.totalTokens,
    messageCount: record.messageCount,
  };
  if (record.label !== undefined) row.label = record.label;
  if (record.displayName !== undefined) row.displayName = record.displayName;
  if (record.channel !== undefined) row.channel = record.channel;
  if (record.lastActivityAt !== undefined) row.lastActivityAt = record.lastActivityAt;
  if (record.lastRunId !== undefined) row.lastRunId = record.lastRunId;
  if (record.previousSessionId !== undefined) row.previousSessionId = record.previousSessionId;
  if (record.model !== undefined) row.model = record.model;
  if (record.thinkingLevel !== undefined) row.thinkingLevel = record.thinkingLevel;
  if (record.verboseLevel !== undefined) row.verboseLevel = record.verboseLevel;
  if (lastMessagePreview !== undefined) row.lastMessagePreview = lastMessagePreview;
  return row;
}

/**
 * A transcript entry as a message. An entry loaded without content (too large) becomes a
 * placeholder with `truncated`; `maxChars` cuts long text blocks.
 */
export function toMessage(entry: TranscriptEntry, maxChars?: number): TranscriptMessage {
  const message: TranscriptMessage = {
    id: entry.id,
    seq: entry.seq,
    role: entry.role,
    content: entry.content ? cutText(entry.content, maxChars) : [{ type: 'text', text: `[${formatSize(entry.bytes)} entry omitted: too large for a history page]` }],
    timestamp: entry.createdAt,
    state: entry.state,
  };
  if (!entry.content) message.truncated = { bytes: entry.bytes };
  if (entry.runId) message.runId = entry.runId;
  if (entry.toolCallId) message.toolCallId = entry.toolCallId;
  const meta = entry.meta;
  if (meta?.stopReason) message.stopReason = meta.stopReason;
  if (meta?.label) message.label = meta.label;
  if (meta?.abort) message.abort = meta.abort;
  if (meta?.usage) message.usage = meta.usage;
  return message;
}

/** Plain text of content blocks: text as is, tool calls and other blocks as short markers. */
export function textOf(content: readonly unknown[] | undefined): string {
  if (!content) return '';
  const parts: string[] = [];
  for (const block of content) {
    if (typeof block === 'string') parts.push(block);
    else if (isBlock(block) && block.type === 'text' && typeof block.text === 'string') parts.push(block.text);
    else if (isBlock(block) && block.type === 'toolCall') parts.push(`[tool call: ${String(block.name ?? 'tool')}]`);
    else if (isBlock(block)) parts.push(`[${String(block.type ?? 'content')}]`);
  }
  return parts.join('\n');
}

/** Cuts `text` to `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

function cutText(content: unknown[], maxChars: number | undefined): unknown[] {
  if (maxChars === undefined) return content;
  return content.map((block) => (isBlock(block) && block.type === 'text' && typeof block.text === 'string' && block.text.length > maxChars
    ? { ...block, text: clip(block.text, maxChars) }
    : block));
}

function isBlock(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} B`;
}
