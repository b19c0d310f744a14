/**
 * Reading a run back from its transcript entries, for messages re-submitted after a restart:
 * did the run end, and which stored messages does it answer.
 */
import { GatewayError } from '@switchboard/protocol';
import type { TranscriptEntry } from '../store/transcripts-repo.js';
import { entryText, toInbound } from './history.js';
import type { QueuedMessage } from './lane.js';
import type { RunOutcome } from './types.js';

/**
 * Whether a run's entries show that it ended: its last assistant entry is `final` (and did not
 * just ask for tools), `aborted` or `error`, or its messages were aborted before it started.
 * `interrupted` (a crash or a gateway stop cut it off) and `partial` mean it did not.
 */
export function runFinished(entries: readonly TranscriptEntry[]): boolean {
  if (entries.some((e) => e.role === 'user' && e.meta?.abort)) return true;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.role !== 'assistant') continue;
    if (e.state === 'final') return e.meta?.stopReason !== 'toolUse';
    return e.state === 'aborted' || e.state === 'error';
  }
  return false;
}

/** The stored user messages a run answers (at least `stored`), ready to run again. */
export function userMessagesOfRun(entries: readonly TranscriptEntry[], stored: TranscriptEntry): QueuedMessage[] {
  const users = entries.filter((e) => e.role === 'user');
  const list = users.some((e) => e.id === stored.id) ? users : [...users, stored];
  return list.map((e) => ({ inbound: toInbound(e), entryId: e.id, committed: true }));
}

/** How a finished run ended, read back from its entries (see {@link runFinished}). */
export function outcomeFromEntries(runId: string, sessionKey: string, entries: readonly TranscriptEntry[]): RunOutcome {
  const assistant = entries.filter((e) => e.role === 'assistant');
  const last = assistant[assistant.length - 1];
  const text = assistant.map(entryText).filter(Boolean).join('\n\n');
  const endedAt = last?.updatedAt ?? entries[entries.length - 1]?.updatedAt ?? Date.now();
  const startedAt = entries.find((e) => e.role !== 'user')?.createdAt;
  const base = { runId, sessionKey, text, endedAt, ...(startedAt !== undefined ? { startedAt } : {}) };
  if (!last || last.state === 'aborted' || entries.some((e) => e.role === 'user' && e.meta?.abort)) {
    return { ...base, status: 'aborted', stopReason: 'aborted' };
  }
  if (last.state === 'error') {
    const kind = (last.meta?.error?.kind ?? 'internal') as NonNullable<RunOutcome['error']>['kind'];
    return { ...base, status: 'error', stopReason: 'error', error: { message: last.meta?.error?.message ?? 'the run failed', kind } };
  }
  return { ...base, status: 'final', stopReason: last.meta?.stopReason ?? 'stop' };
}

/** UNKNOWN_RUN_ID for a run this gateway does not (or no longer) know. */
export function unknownRun(runId: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `no run ${runId} is known here: it never existed, or it ended before the last restart or too long ago; read the session with chat.history`, {
    details: { code: 'UNKNOWN_RUN_ID' },
  });
}
