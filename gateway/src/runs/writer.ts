/**
 * What one run writes to its transcript, following the contract of store/transcripts-repo.ts so
 * that `kill -9` at any instant leaves a consistent transcript:
 *
 * - the user message(s) were appended durably by the run manager before the run started;
 * - the first text of a model turn appends an assistant entry in state `partial`; its text is
 *   checkpointed every `checkpointIntervalMs` (a crash loses at most that much; start-up repair
 *   marks it `interrupted`);
 * - a turn that asks for tools is written `final` with its tool calls at once (they become
 *   pending), and every tool result is appended as it arrives (closing its call);
 * - the last turn stays `partial` until the run ends; then one durable commit sets its state
 *   (`final`, `aborted`, `error`, or `interrupted` when the gateway stops) with the stop reason,
 *   usage and abort/error facts. A run that ends without any text still leaves one such terminal
 *   assistant entry, so a re-submitted message can tell an answered run from a cut-off one.
 *
 * Checkpoints and tool rows use `store.transaction` (safe against a process crash, WAL); the end
 * of the run uses `store.commit` (fsynced). A write that fails (the session was deleted, the
 * store is closing) is logged once and the run carries on without its transcript.
 */
import type { TranscriptState } from '@switchboard/protocol';
import type { ModelMessage, Usage } from '../agent/provider.js';
import type { Log } from '../log.js';
import type { Store } from '../store/store.js';
import type { EntryMeta } from '../store/transcripts-repo.js';

/** How a run ended, as the transcript records it. */
export interface RunEnding {
  state: Extract<TranscriptState, 'final' | 'aborted' | 'error' | 'interrupted'>;
  stopReason: string;
  usage?: Usage;
  abort?: { reason: string; at: number };
  error?: { message: string; kind: string };
}

/** Writes one run's assistant and tool entries. */
export class TranscriptWriter {
  /** The entry of the model turn streaming now (or the last turn, until the run ends). */
  private openEntry: string | undefined;
  private lastCheckpoint = 0;
  private failed = false;

  constructor(
    private readonly store: Store,
    private readonly sessionId: string,
    private readonly runId: string,
    private readonly checkpointIntervalMs: number,
    private readonly log: Log,
  ) {}

  /** Text of the current model turn so far: appends the partial entry, then checkpoints it now and then. */
  text(turnText: string, now = Date.now()): void {
    if (!this.openEntry) {
      this.write(() => {
        this.openEntry = this.store.transcripts.append(this.sessionId, { role: 'assistant', state: 'partial', runId: this.runId, content: textBlocks(turnText) }, now).id;
      });
      this.lastCheckpoint = now;
    } else if (now - this.lastCheckpoint >= this.checkpointIntervalMs) {
      const id = this.openEntry;
      this.write(() => this.store.transcripts.update(id, { content: textBlocks(turnText) }, now));
      this.lastCheckpoint = now;
    }
  }

  /** A transcript row the agent loop produced (a whole assistant turn, or a tool result). */
  message(message: ModelMessage, now = Date.now()): void {
    if (message.role === 'assistant') {
      const calls = message.toolCalls ?? [];
      const content = [...textBlocks(message.content), ...calls.map((c) => ({ type: 'toolCall', id: c.id, name: c.name, arguments: c.arguments }))];
      // A turn that called tools is complete: write it final so its calls become pending. The last
      // turn stays partial until end() knows how the run ended.
      const state: TranscriptState = calls.length > 0 ? 'final' : 'partial';
      const meta: EntryMeta | undefined = calls.length > 0 ? { stopReason: 'toolUse' } : undefined;
      const toolCalls = calls.map((c) => ({ id: c.id, name: c.name }));
      this.write(() => {
        if (this.openEntry) {
          this.store.transcripts.update(this.openEntry, { content, state, ...(meta ? { meta } : {}), toolCalls }, now);
          if (calls.length > 0) this.openEntry = undefined;
        } else {
          const entry = this.store.transcripts.append(this.sessionId, { role: 'assistant', state, runId: this.runId, content, ...(meta ? { meta } : {}), toolCalls }, now);
          this.openEntry = calls.length > 0 ? undefined : entry.id;
        }
      });
    } else if (message.role === 'tool') {
      this.write(() => this.store.transcripts.append(this.sessionId, {
        role: 'tool', runId: this.runId, toolCallId: message.toolCallId, content: textBlocks(message.content),
        ...(message.isError ? { meta: { isError: true } } : {}),
      }, now));
    }
  }

  /**
   * Ends the run in the transcript with one durable commit: the open turn gets its final state,
   * or a terminal assistant entry is appended when there is none. `extra` runs in the same commit.
   */
  async end(ending: RunEnding, extra?: () => void, now = Date.now()): Promise<void> {
    const meta: EntryMeta = { stopReason: ending.stopReason };
    if (ending.usage) meta.usage = { ...ending.usage };
    if (ending.abort) meta.abort = ending.abort;
    if (ending.error) meta.error = ending.error;
    const open = this.openEntry;
    this.openEntry = undefined;
    try {
      await this.store.commit(() => {
        if (!this.failed) {
          if (open) this.store.transcripts.update(open, { state: ending.state, meta }, now);
          else this.store.transcripts.append(this.sessionId, { role: 'assistant', state: ending.state, runId: this.runId, content: [], meta }, now);
        }
        extra?.();
      });
    } catch (err) {
      this.fail(err);
    }
  }

  private write(work: () => void): void {
    if (this.failed) return;
    try {
      this.store.transaction(work);
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (!this.failed) this.log.warn({ err, runId: this.runId, sessionId: this.sessionId }, 'run transcript write failed; the run continues without its transcript');
    this.failed = true;
  }
}

function textBlocks(text: string): Array<{ type: 'text'; text: string }> {
  return text ? [{ type: 'text', text }] : [];
}
