/**
 * Transcript messages as the WebChat shows them, normalised from `chat.history` rows and `chat`
 * events (OpenClaw shapes: `{role, content:[{type:"text", text}], timestamp}` or a plain string).
 */
export type Role = 'user' | 'assistant' | 'tool' | 'system';

export interface ViewMessage {
  key: string;
  role: Role;
  text: string;
  timestamp?: number;
  runId?: string;
  /** Still streaming. */
  streaming?: boolean;
  /** Ended by abort or error; the note says how. */
  note?: string;
  noteKind?: 'aborted' | 'error';
}

/** Extracts displayable text from a transcript message of any of the protocol's shapes. */
export function textOf(message: unknown): string {
  if (typeof message === 'string') return message;
  if (!message || typeof message !== 'object') return '';
  const m = message as { content?: unknown; text?: unknown };
  if (typeof m.text === 'string') return m.text;
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) {
    return m.content
      .map((b: { type?: string; text?: string; name?: string; result?: unknown }) => {
        if (b?.type === 'text' && typeof b.text === 'string') return b.text;
        if (b?.type === 'toolCall' || b?.type === 'tool_use') return `⚙ ${b.name ?? 'tool'}`;
        return '';
      })
      .filter(Boolean)
      .join('\n');
  }
  return '';
}

export function roleOf(message: unknown): Role {
  const r = (message as { role?: string } | null)?.role;
  if (r === 'user' || r === 'assistant' || r === 'tool' || r === 'system') return r;
  if (r === 'toolResult') return 'tool';
  return 'system';
}

/** How a stored answer ended, when not normally (`state` is Switchboard's transcript state). */
function endNote(r: { aborted?: boolean; stopReason?: string; state?: string }): Pick<ViewMessage, 'note' | 'noteKind'> {
  if (r.state === 'aborted' || r.aborted || r.stopReason === 'aborted') return { note: 'stopped', noteKind: 'aborted' };
  if (r.state === 'interrupted') return { note: 'interrupted: the gateway stopped before this answer finished', noteKind: 'error' };
  if (r.state === 'error') return { note: 'the run failed', noteKind: 'error' };
  return {};
}

/** Builds view messages from a `chat.history` answer; a `partial` entry is a run still streaming. */
export function fromHistory(rows: unknown[]): ViewMessage[] {
  return rows.map((row, i) => {
    const r = row as { id?: string; timestamp?: number; runId?: string; aborted?: boolean; stopReason?: string; state?: string };
    return {
      key: r.id ?? `h${i}`,
      role: roleOf(row),
      text: textOf(row),
      timestamp: r.timestamp,
      runId: r.runId,
      ...(r.state === 'partial' ? { streaming: true } : {}),
      ...endNote(r),
    };
  }).filter((m) => m.text.length > 0 || m.streaming);
}

/**
 * A fresh history page plus the answers streaming on this page. A run the page shows as streaming
 * keeps its live message (the whole run's text so far, newer than the stored copy) in place of its
 * stored entries — unless the page says it has ended (its `final` may have been missed offline).
 */
export function withLive(history: ViewMessage[], live: ViewMessage[]): ViewMessage[] {
  const ended = (runId: string | undefined) => {
    const stored = history.filter((m) => m.role === 'assistant' && m.runId === runId);
    return stored.length > 0 && !stored.some((m) => m.streaming);
  };
  const keep = live.filter((m) => !ended(m.runId));
  const liveRuns = new Set(keep.map((m) => m.runId));
  return [...history.filter((m) => m.role !== 'assistant' || !liveRuns.has(m.runId)), ...keep];
}

/**
 * The one message that shows run `runId`'s answer, created at the end when there is none. `chat`
 * events carry the whole run's text, so the run's other stored assistant entries (one per model
 * turn, from a history page loaded mid-run) are folded into it and removed.
 */
export function runMessage(messages: ViewMessage[], runId: string): { message: ViewMessage; removed: ViewMessage[] } {
  const ofRun = messages.filter((m) => m.runId === runId && m.role === 'assistant');
  const message = ofRun[0] ?? { key: `run-${runId}`, role: 'assistant', text: '', runId, streaming: true };
  if (!ofRun.length) messages.push(message);
  const removed = ofRun.slice(1);
  for (const m of removed) messages.splice(messages.indexOf(m), 1);
  return { message, removed };
}
