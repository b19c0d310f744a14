/**
 * Run events on the wire: every run event becomes OpenClaw `agent` and `chat` events.
 *
 * - `agent`: one event per run event, numbered per run (`seq` from 1): lifecycle start/end/error,
 *   assistant `{text, delta}` (text of the current model turn), tool events (only to connections
 *   that sent `caps: ["tool-events"]`), and an `error` stream event with the failure's details
 *   just before lifecycle `error`. Assistant and tool-update events are sent droppable.
 * - `chat`: `delta` with the run's accumulated text, at most one per `chatDeltaIntervalMs` per run
 *   (droppable), flushed before a tool starts and before the end; then `final`, `aborted` or
 *   `error` (never dropped). Numbered per run too.
 * - `sessions.changed` when a message is stored (`send`) and when a run ends (`run`).
 */
import { openClawErrorKind } from '../agent/provider.js';
import type { LoopErrorKind } from '../agent/loop.js';
import type { Broadcaster } from '../server/broadcaster.js';
import type { CallerInfo } from '../server/connection.js';
import { toSessionRow } from '../sessions/view.js';
import type { Store } from '../store/store.js';
import type { RunManager } from './manager.js';
import type { RunEvent } from './types.js';

/** The client capability that asks for tool events. */
export const TOOL_EVENTS_CAPABILITY = 'tool-events';

const wantsToolEvents = (caller: CallerInfo) => caller.caps.includes(TOOL_EVENTS_CAPABILITY);

/** Per live run: event numbers and the chat delta throttle. */
interface Stream {
  agentSeq: number;
  chatSeq: number;
  lastDeltaAt: number;
  sentText: string;
  latestText: string;
  timer: NodeJS.Timeout | undefined;
}

/** Publishes run events to connected clients until {@link close}. */
export class RunPublisher {
  private readonly streams = new Map<string, Stream>();
  private readonly unsubscribe: () => void;

  constructor(
    manager: RunManager,
    private readonly broadcaster: Broadcaster,
    private readonly store: Store,
    private readonly chatDeltaIntervalMs: number,
  ) {
    this.unsubscribe = manager.subscribeAll((event) => this.onEvent(event));
  }

  /** Stops publishing; pending throttled deltas are dropped. Idempotent. */
  close(): void {
    this.unsubscribe();
    for (const s of this.streams.values()) clearTimeout(s.timer);
    this.streams.clear();
  }

  private onEvent(e: RunEvent): void {
    if (e.type === 'accepted') return this.sessionChanged(e.sessionKey, 'send');
    const s = this.stream(e.runId);
    switch (e.type) {
      case 'started':
        return this.agent(e, s, 'lifecycle', { phase: 'start', startedAt: e.startedAt });
      case 'delta':
        this.agent(e, s, 'assistant', { text: e.messageText, delta: e.delta }, true);
        return this.chatDelta(e, s, e.text);
      case 'tool': {
        if (e.phase === 'start') this.flush(e, s);
        const { runId: _r, sessionKey: _k, seq: _s, type: _t, ...data } = e;
        return this.agent(e, s, 'tool', data, e.phase === 'update', wantsToolEvents);
      }
      case 'final':
        this.flush(e, s);
        this.agent(e, s, 'lifecycle', { phase: 'end', startedAt: e.startedAt, endedAt: e.endedAt, stopReason: e.stopReason, aborted: false });
        this.chat(e, s, { state: 'final', message: assistantMessage(e.text, e.endedAt), stopReason: e.stopReason, ...(e.usage ? { usage: e.usage } : {}) });
        return this.ended(e);
      case 'aborted':
        this.flush(e, s);
        this.agent(e, s, 'lifecycle', { phase: 'end', ...(e.startedAt ? { startedAt: e.startedAt } : {}), endedAt: e.endedAt, stopReason: 'aborted', aborted: true });
        this.chat(e, s, { state: 'aborted', ...(e.text ? { message: assistantMessage(e.text, e.endedAt) } : {}), stopReason: 'aborted', errorMessage: abortText(e.reason) });
        return this.ended(e);
      case 'error': {
        this.flush(e, s);
        const kind = chatErrorKind(e.errorKind);
        this.agent(e, s, 'error', { error: e.error, errorKind: e.errorKind, ...(e.status !== undefined ? { status: e.status } : {}), ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) });
        this.agent(e, s, 'lifecycle', { phase: 'error', error: e.error, errorKind: kind, stopReason: 'error', startedAt: e.startedAt, endedAt: e.endedAt });
        this.chat(e, s, { state: 'error', errorMessage: e.error, errorKind: kind, ...(e.text ? { message: assistantMessage(e.text, e.endedAt) } : {}) });
        return this.ended(e);
      }
    }
  }

  private stream(runId: string): Stream {
    let s = this.streams.get(runId);
    if (!s) this.streams.set(runId, (s = { agentSeq: 0, chatSeq: 0, lastDeltaAt: 0, sentText: '', latestText: '', timer: undefined }));
    return s;
  }

  private agent(e: RunEvent, s: Stream, stream: string, data: Record<string, unknown>, droppable = false, filter?: (c: CallerInfo) => boolean): void {
    this.broadcaster.broadcast('agent', { runId: e.runId, seq: ++s.agentSeq, stream, ts: Date.now(), sessionKey: e.sessionKey, data }, { droppable, ...(filter ? { filter } : {}) });
  }

  private chat(e: RunEvent, s: Stream, body: Record<string, unknown>, droppable = false): void {
    this.broadcaster.broadcast('chat', { runId: e.runId, sessionKey: e.sessionKey, seq: ++s.chatSeq, ...body } as never, { droppable });
  }

  /** Sends the accumulated text now if the interval allows, else once it does. */
  private chatDelta(e: RunEvent, s: Stream, text: string): void {
    s.latestText = text;
    if (s.timer) return;
    const wait = s.lastDeltaAt + this.chatDeltaIntervalMs - Date.now();
    if (wait <= 0) this.sendDelta(e, s);
    else s.timer = setTimeout(() => this.sendDelta(e, s), wait);
  }

  private sendDelta(e: RunEvent, s: Stream): void {
    clearTimeout(s.timer);
    s.timer = undefined;
    if (s.latestText === s.sentText) return;
    const continues = s.latestText.startsWith(s.sentText);
    const deltaText = continues ? s.latestText.slice(s.sentText.length) : s.latestText;
    s.sentText = s.latestText;
    s.lastDeltaAt = Date.now();
    this.chat(e, s, { state: 'delta', message: assistantMessage(s.latestText, s.lastDeltaAt), deltaText, ...(continues ? {} : { replace: true }) }, true);
  }

  /** Sends text the throttle holds back (before a tool starts and before the end). */
  private flush(e: RunEvent, s: Stream): void {
    if (s.latestText !== s.sentText) this.sendDelta(e, s);
  }

  private ended(e: RunEvent): void {
    const s = this.streams.get(e.runId);
    clearTimeout(s?.timer);
    this.streams.delete(e.runId);
    this.sessionChanged(e.sessionKey, 'run');
  }

  private sessionChanged(sessionKey: string, reason: string): void {
    const record = this.store.sessions.get(sessionKey);
    if (record) this.broadcaster.broadcast('sessions.changed', { sessionKey, reason, ts: Date.now(), session: toSessionRow(record) });
  }
}

function assistantMessage(text: string, timestamp: number) {
  return { role: 'assistant', content: [{ type: 'text', text }], timestamp };
}

/** OpenClaw's errorKind for chat and lifecycle events. */
function chatErrorKind(kind: LoopErrorKind): 'timeout' | 'rate_limit' | 'context_length' | 'unknown' {
  return kind === 'tool_limit' || kind === 'internal' ? 'unknown' : openClawErrorKind(kind);
}

function abortText(reason: string): string {
  switch (reason) {
    case 'interrupt': return 'stopped: a newer message interrupted this run';
    case 'stop': return 'stopped by /stop';
    case 'shutdown': return 'stopped: the gateway is shutting down';
    default: return 'stopped by the user';
  }
}
