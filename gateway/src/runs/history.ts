/**
 * A session's transcript as model history for the next run.
 *
 * Transcript order is arrival order, which is not conversation order: a message that arrives while
 * a run streams is stored (durably, before its ack) between that run's entries. So entries are
 * grouped by run, groups are ordered by when their run first produced output (groups without
 * output — notes, unanswered messages — by their own position), and inside a group the user
 * messages come first. Then every assistant turn that asked for tools is followed by exactly one
 * result per call (a missing one is stood in for), and stray results are dropped, so the history
 * is always one a provider accepts.
 */
import { userMessage, type InboundMessage } from '../agent/prompt.js';
import type { ModelMessage, ToolCall } from '../agent/provider.js';
import type { TranscriptEntry } from '../store/transcripts-repo.js';

/** The result that stands in for a tool call whose result is not in the window. */
export const MISSING_TOOL_RESULT = 'No result was recorded for this tool call.';

/** Reads the newest entries of a generation within a count and byte budget, oldest first. */
export function historyWindow(entries: TranscriptEntry[], maxBytes: number): TranscriptEntry[] {
  const kept: TranscriptEntry[] = [];
  let bytes = 0;
  // `entries` is newest first (TranscriptRepository.page).
  for (const entry of entries) {
    bytes += entry.bytes;
    if (kept.length > 0 && bytes > maxBytes) break;
    kept.push(entry);
  }
  return kept.reverse();
}

/**
 * Model messages from transcript entries (oldest first), leaving out entries of the runs in
 * `exclude` (the run being built and runs still waiting).
 */
export function historyMessages(entries: readonly TranscriptEntry[], exclude: ReadonlySet<string> = new Set()): ModelMessage[] {
  const groups = new Map<string, { order: number; users: TranscriptEntry[]; rest: TranscriptEntry[] }>();
  for (const entry of entries) {
    if (entry.runId && exclude.has(entry.runId)) continue;
    const key = entry.runId ? `run:${entry.runId}` : `entry:${entry.id}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { order: Number.POSITIVE_INFINITY, users: [], rest: [] }));
    if (entry.role === 'user') group.users.push(entry);
    else {
      group.rest.push(entry);
      group.order = Math.min(group.order, entry.seq);
    }
  }
  const ordered = [...groups.values()]
    .map((g) => ({ ...g, order: Number.isFinite(g.order) ? g.order : g.users[0].seq }))
    .sort((a, b) => a.order - b.order);
  const out: ModelMessage[] = [];
  const toolNames = new Map<string, string>();
  for (const group of ordered) {
    if (group.users.length > 0) out.push(userMessage(group.users.map(toInbound)));
    for (const entry of group.rest) {
      const message = toModelMessage(entry, toolNames);
      if (message) out.push(message);
    }
  }
  return pairToolResults(mergeUserTurns(out));
}

/** A stored user entry as the inbound message it was. */
export function toInbound(entry: TranscriptEntry): InboundMessage {
  return { ...entry.meta?.origin, text: entryText(entry) };
}

/** Plain text of an entry's text blocks (a placeholder when it was too large to load). */
export function entryText(entry: TranscriptEntry): string {
  if (!entry.content) return `[an entry of ${entry.bytes} bytes was left out: too large for the model history]`;
  return entry.content
    .filter((b): b is { type: 'text'; text: string } => isRecord(b) && b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text)
    .join('');
}

/** The tool calls stored as `toolCall` blocks of an assistant entry. */
export function entryToolCalls(entry: TranscriptEntry): ToolCall[] {
  return (entry.content ?? [])
    .filter((b): b is { type: 'toolCall'; id: string; name: string; arguments?: unknown } => isRecord(b) && b.type === 'toolCall' && typeof b.id === 'string' && typeof b.name === 'string')
    .map((b) => ({ id: b.id, name: b.name, arguments: typeof b.arguments === 'string' ? b.arguments : JSON.stringify(b.arguments ?? {}) }));
}

function toModelMessage(entry: TranscriptEntry, toolNames: Map<string, string>): ModelMessage | undefined {
  if (entry.role === 'assistant') {
    const calls = entryToolCalls(entry);
    for (const c of calls) toolNames.set(c.id, c.name);
    const content = entryText(entry);
    // A failed or aborted turn that said nothing leaves an empty entry behind: nothing to replay.
    if (!content && calls.length === 0) return undefined;
    return calls.length > 0 ? { role: 'assistant', content, toolCalls: calls } : { role: 'assistant', content };
  }
  if (entry.role === 'tool' && entry.toolCallId) {
    return {
      role: 'tool', toolCallId: entry.toolCallId, name: toolNames.get(entry.toolCallId) ?? 'tool', content: entryText(entry),
      ...(entry.meta?.isError || entry.state === 'interrupted' ? { isError: true } : {}),
    };
  }
  // system-note entries are for people, not for the model.
  return undefined;
}

/** Joins adjacent user turns into one (each keeps its untrusted blocks). */
function mergeUserTurns(messages: ModelMessage[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  for (const m of messages) {
    const last = out[out.length - 1];
    if (m.role === 'user' && last?.role === 'user') out[out.length - 1] = { role: 'user', content: `${last.content}\n\n${m.content}` };
    else out.push(m);
  }
  return out;
}

/** Every assistant tool call gets exactly one result right after it; results without their call go. */
function pairToolResults(messages: ModelMessage[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  let open: ToolCall[] = [];
  const closeOpen = () => {
    for (const call of open) out.push({ role: 'tool', toolCallId: call.id, name: call.name, content: MISSING_TOOL_RESULT, isError: true });
    open = [];
  };
  for (const m of messages) {
    if (m.role === 'tool') {
      const i = open.findIndex((c) => c.id === m.toolCallId);
      if (i < 0) continue;
      open.splice(i, 1);
      out.push(m);
      continue;
    }
    closeOpen();
    out.push(m);
    if (m.role === 'assistant' && m.toolCalls) open = [...m.toolCalls];
  }
  closeOpen();
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
