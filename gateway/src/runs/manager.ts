/**
 * The run manager: runs belong to sessions, not sockets.
 *
 * - `submit()` stores a message durably (before anyone is told it was accepted) and starts, joins
 *   or queues the run that answers it, per the session's mode (lane.ts). One run at a time per
 *   session; at most `maxConcurrentRuns` across sessions (the rest wait for a slot, in order).
 * - `subscribe()` / `subscribeAll()` deliver run events; `abort()` stops runs; `wait()` waits
 *   for one to end. Disconnecting clients change nothing here.
 * - Re-submitting a message (same idempotencyKey, same session) never stores it twice: a waiting
 *   or running one answers `in_flight`, an answered one `completed`, and one whose run a restart
 *   cut off runs again — so a channel can re-submit what it acknowledged before a crash.
 *
 * docs/agent.md ("Run manager API") is the reference for callers.
 */
import { GatewayError, MAX_MESSAGE_CHARS } from '@switchboard/protocol';
import type { AgentConfig } from '../agent/config.js';
import type { ModelProvider } from '../agent/provider.js';
import type { ToolRegistry } from '../agent/tools.js';
import type { RunLimits } from '../config/limits.js';
import type { Log } from '../log.js';
import { resolveSessionKey } from '../sessions/keys.js';
import type { Store } from '../store/store.js';
import { cleanText, decide, forgetIfIdle, isStopCommand, undo, type Decision, type IntakeContext } from './intake.js';
import type { Lane, PendingRun } from './lane.js';
import { Run } from './run.js';
import { RunRegistry, type TrackedRun } from './registry.js';
import { unknownRun } from './recovery.js';
import type { AbortReason, RunEvent, RunInfo, RunListener, RunOutcome, SubmitOptions, SubmitRequest, SubmitResult, UnnumberedRunEvent } from './types.js';

/** What the manager needs. */
export interface RunManagerOptions {
  store: Store;
  provider: ModelProvider;
  tools: ToolRegistry;
  agent?: AgentConfig;
  limits: RunLimits;
  log: Log;
}

export { cleanText, isStopCommand };

/** How long `close()` waits for aborted runs to record their end. */
const CLOSE_GRACE_MS = 3_000;

/** The run manager (one per gateway, `services.runs`). */
export class RunManager {
  private readonly lanes = new Map<string, Lane>();
  private readonly registry: RunRegistry;
  private readonly listeners = new Map<string, Set<RunListener>>();
  private readonly allListeners = new Set<RunListener>();
  /** Lanes whose next run waits for a free slot, in arrival order. */
  private readonly waitingForSlot = new Set<Lane>();
  private running = 0;
  private closed = false;
  private readonly log: Log;
  private readonly intake: IntakeContext;

  constructor(private readonly options: RunManagerOptions) {
    this.registry = new RunRegistry(options.limits);
    this.log = options.log.child({ ns: 'gateway:runs' });
    this.intake = { store: options.store, limits: options.limits, registry: this.registry, lanes: this.lanes };
  }

  /** Stores a message and starts, joins or queues its run; see {@link SubmitResult}. */
  async submit(request: SubmitRequest, options: SubmitOptions = {}): Promise<SubmitResult> {
    const { key, agentId } = resolveSessionKey(request.sessionKey, request.agentId);
    if (request.commands !== false && isStopCommand(request.text)) {
      return { status: 'stopped', sessionKey: key, runIds: this.abort(key, undefined, 'stop') };
    }
    const text = cleanText(request.text);
    if (!text.trim()) throw new GatewayError('INVALID_REQUEST', 'the message is empty; send some text');
    if (text.length > MAX_MESSAGE_CHARS) throw new GatewayError('INVALID_REQUEST', `the message is longer than ${MAX_MESSAGE_CHARS} characters; shorten it`);
    if (this.closed) throw new GatewayError('UNAVAILABLE', 'the gateway is stopping and takes no new messages; send it again once it is back');
    let decision: Decision | undefined;
    const commit = options.commit ?? ((work) => this.options.store.commit(work));
    try {
      await commit(() => {
        decision = undefined;
        decision = decide(this.intake, { ...request, text }, key, agentId, Date.now());
        return decision.result;
      });
    } catch (err) {
      if (decision) undo(this.intake, decision);
      throw err;
    }
    this.apply(decision!);
    return decision!.result;
  }

  /** Events of one session's runs; returns the unsubscribe function. */
  subscribe(sessionKey: string, listener: RunListener): () => void {
    const key = resolveSessionKey(sessionKey).key;
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
  }

  /** Events of every run (the protocol publisher uses it). */
  subscribeAll(listener: RunListener): () => void {
    this.allListeners.add(listener);
    return () => this.allListeners.delete(listener);
  }

  /**
   * Stops the session's run `runId`, or all its runs (running and waiting) without one. Returns the
   * ids stopped. RUN_NOT_IN_SESSION when `runId` is another session's.
   */
  abort(sessionKey: string, runId?: string, reason: AbortReason = 'user'): string[] {
    const key = resolveSessionKey(sessionKey).key;
    if (runId) {
      const tracked = this.registry.get(runId);
      if (tracked && tracked.sessionKey !== key) {
        throw new GatewayError('INVALID_REQUEST', `run ${runId} belongs to session ${tracked.sessionKey}, not ${key}; abort it with that sessionKey`, { details: { code: 'RUN_NOT_IN_SESSION' } });
      }
    }
    const lane = this.lanes.get(key);
    if (!lane) return [];
    const stopped: string[] = [];
    for (const pending of [...lane.pending]) {
      if (runId && pending.runId !== runId) continue;
      lane.remove(pending.runId);
      this.endUnstarted(pending, key, reason);
      stopped.push(pending.runId);
    }
    if (lane.active && (!runId || lane.active.runId === runId)) {
      lane.active.abort(reason);
      stopped.unshift(lane.active.runId);
    }
    forgetIfIdle(this.lanes, lane);
    return stopped;
  }

  /**
   * Waits until run `runId` ends; resolves with its outcome, or `undefined` when `timeoutMs` passed
   * first (no timeout: waits for the end; every run ends, at the latest by its time limit).
   * UNKNOWN_RUN_ID when this gateway does not know the run.
   */
  async wait(runId: string, timeoutMs?: number): Promise<RunOutcome | undefined> {
    const tracked = this.registry.get(runId);
    if (!tracked) throw unknownRun(runId);
    if (tracked.outcome) return tracked.outcome;
    if (timeoutMs === undefined) return tracked.done;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), timeoutMs); });
    try {
      return await Promise.race([tracked.done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A snapshot of a known run. */
  get(runId: string): RunInfo | undefined {
    return this.registry.info(runId);
  }

  /** Whether `runId` is waiting or running. */
  isLive(runId: string): boolean {
    const state = this.registry.get(runId)?.state;
    return state === 'queued' || state === 'running';
  }

  /** The provider and default model runs use. */
  providerInfo(): { provider: string; model: string } {
    return { provider: this.options.provider.id, model: this.options.provider.model };
  }

  /** Runs executing now. */
  get runningCount(): number {
    return this.running;
  }

  /**
   * Stops everything for a gateway stop: running runs end `interrupted` in the transcript (their
   * messages can be re-submitted after the restart), waiting ones end without a run. Waits up to
   * a few seconds for the running ones to record their end. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ends: Promise<unknown>[] = [];
    for (const lane of this.lanes.values()) {
      for (const pending of lane.pending.splice(0)) this.endUnstarted(pending, lane.sessionKey, 'shutdown', false);
      if (lane.active) {
        ends.push(lane.active.done);
        lane.active.abort('shutdown');
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(ends), new Promise((r) => { timer = setTimeout(r, CLOSE_GRACE_MS); })]);
    clearTimeout(timer);
    this.waitingForSlot.clear();
  }

  /** The transaction is on disk: announce, interrupt if the mode says so, start what can start. */
  private apply(decision: Decision): void {
    if (decision.kind !== 'queued') return;
    const { lane, pending, message, result } = decision;
    if (message) message.committed = true;
    else for (const m of pending.messages) m.committed = true;
    if (result.status === 'started' || result.status === 'queued') {
      this.emit({ type: 'accepted', runId: pending.runId, sessionKey: lane.sessionKey, status: result.status, messageSeq: result.messageSeq });
    }
    if (decision.interrupt) lane.active?.abort('interrupt');
    // After the caller's answer went out (the dispatcher sends it in a later microtask): the ack precedes the run's events.
    setImmediate(() => this.kick(lane));
  }

  // ── running ────────────────────────────────────────────────────────────────────────────────

  /** Starts the lane's next run if nothing runs there and a slot is free. */
  private kick(lane: Lane): void {
    if (this.closed || lane.active || lane.pending.length === 0) return;
    if (this.running >= this.options.limits.maxConcurrentRuns) {
      this.waitingForSlot.add(lane);
      return;
    }
    const next = lane.takeNext();
    if (!next) return;
    const tracked = this.registry.get(next.runId)!;
    const run = new Run({
      runId: next.runId,
      sessionKey: lane.sessionKey,
      sessionId: tracked.sessionId,
      messages: next.messages.map((m) => m.inbound),
      model: next.model ?? this.options.store.sessions.get(lane.sessionKey)?.model,
      timeoutMs: next.timeoutMs || this.options.limits.runTimeoutMs,
      excludeRunIds: lane.pendingRunIds(),
    }, {
      ...this.options,
      agent: this.options.agent ?? {},
      log: this.log,
      emit: (event) => this.emit(event),
    });
    lane.active = run;
    tracked.state = 'running';
    this.running++;
    void run.start().then((outcome) => this.ended(lane, tracked, outcome));
  }

  private ended(lane: Lane, tracked: TrackedRun, outcome: RunOutcome): void {
    this.running--;
    lane.active = undefined;
    this.registry.end(tracked.runId, outcome);
    this.kick(lane);
    for (const waiting of [...this.waitingForSlot]) {
      if (this.running >= this.options.limits.maxConcurrentRuns) break;
      this.waitingForSlot.delete(waiting);
      this.kick(waiting);
    }
    forgetIfIdle(this.lanes, lane);
  }

  /** Ends a run that never started; its messages are marked aborted unless the gateway is stopping. */
  private endUnstarted(pending: PendingRun, sessionKey: string, reason: AbortReason, mark = true): void {
    const now = Date.now();
    if (mark) {
      const store = this.options.store;
      try {
        store.transaction(() => {
          for (const m of pending.messages) {
            const entry = store.transcripts.get(m.entryId);
            if (entry) store.transcripts.update(m.entryId, { meta: { ...entry.meta, abort: { reason, at: now } } }, now);
          }
        });
      } catch (err) {
        this.log.warn({ err, runId: pending.runId }, 'could not mark the messages of an aborted waiting run');
      }
    }
    this.emit({ type: 'aborted', runId: pending.runId, sessionKey, text: '', reason, endedAt: now });
    this.registry.end(pending.runId, { runId: pending.runId, sessionKey, status: 'aborted', text: '', stopReason: 'aborted', endedAt: now, abortReason: reason });
  }

  /** Numbers an event within its run and hands it to the listeners. */
  private emit(event: UnnumberedRunEvent): void {
    const tracked = this.registry.get(event.runId);
    const full = { ...event, seq: tracked ? ++tracked.seq : 0 } as RunEvent;
    for (const l of this.allListeners) this.deliver(l, full);
    const set = this.listeners.get(event.sessionKey);
    if (set) for (const l of set) this.deliver(l, full);
  }

  private deliver(listener: RunListener, event: RunEvent): void {
    try {
      listener(event);
    } catch (err) {
      this.log.error({ err, runId: event.runId }, 'a run event listener threw');
    }
  }
}
