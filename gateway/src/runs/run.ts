/**
 * One run: the agent loop over a session's history and the message(s) it answers, its transcript
 * writes, and its events. A run belongs to its session, never to a socket: nothing here knows who
 * is connected. It ends exactly once — `final`, `aborted` or `error` — and `done` resolves then.
 */
import { runAgentLoop, type AgentLoopEvent } from '../agent/loop.js';
import { buildPrompt, type InboundMessage } from '../agent/prompt.js';
import type { AgentConfig } from '../agent/config.js';
import type { ModelProvider, Usage } from '../agent/provider.js';
import type { ToolRegistry } from '../agent/tools.js';
import type { RunLimits } from '../config/limits.js';
import type { Log } from '../log.js';
import type { Store } from '../store/store.js';
import { historyMessages, historyWindow } from './history.js';
import type { AbortReason, RunOutcome, UnnumberedRunEvent } from './types.js';
import { TranscriptWriter, type RunEnding } from './writer.js';

/** What a run needs from the manager. */
export interface RunDeps {
  store: Store;
  provider: ModelProvider;
  tools: ToolRegistry;
  agent: AgentConfig;
  limits: RunLimits;
  log: Log;
  /** Publishes an event of this run (the manager numbers and fans it out). */
  emit(event: UnnumberedRunEvent): void;
}

/** What a run answers: its stored user messages. */
export interface RunInput {
  runId: string;
  sessionKey: string;
  sessionId: string;
  messages: InboundMessage[];
  model?: string;
  timeoutMs: number;
  /** Runs whose entries are not history for this one (runs still waiting in the session). */
  excludeRunIds: ReadonlySet<string>;
}

/** The transcript state a run stopped for `reason` ends in. */
function abortedState(reason: AbortReason): RunEnding['state'] {
  if (reason === 'shutdown') return 'interrupted';
  return reason === 'timeout' ? 'error' : 'aborted';
}

/** One run of the agent loop. Create it, call {@link start} once; {@link abort} at any time. */
export class Run {
  readonly done: Promise<RunOutcome>;
  startedAt: number | undefined;
  private resolveDone!: (outcome: RunOutcome) => void;
  private readonly controller = new AbortController();
  private abortReason: AbortReason | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Text of finished model turns, joined; plus the turn streaming now. */
  private previousText = '';
  private turnText = '';

  constructor(readonly input: RunInput, private readonly deps: RunDeps) {
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
  }

  get runId(): string {
    return this.input.runId;
  }

  /** Everything the assistant said in this run so far. */
  get text(): string {
    return joinText(this.previousText, this.turnText);
  }

  /** Stops the run (idempotent; the first reason wins). */
  abort(reason: AbortReason): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.controller.abort(reason);
  }

  /** Runs to the end. Never throws: a failure ends the run with `error`. */
  async start(): Promise<RunOutcome> {
    const { deps, input } = this;
    this.startedAt = Date.now();
    this.timer = setTimeout(() => this.abort('timeout'), input.timeoutMs);
    this.timer.unref();
    const writer = new TranscriptWriter(deps.store, input.sessionId, input.runId, deps.limits.checkpointIntervalMs, deps.log);
    deps.emit({ type: 'started', runId: input.runId, sessionKey: input.sessionKey, startedAt: this.startedAt, messages: input.messages.length });
    let ending: AgentLoopEvent | undefined;
    try {
      const result = await runAgentLoop({
        provider: deps.provider,
        request: {
          messages: this.prompt(),
          ...(input.model ? { model: input.model } : {}),
          ...(deps.agent.temperature !== undefined ? { temperature: deps.agent.temperature } : {}),
          ...(deps.agent.maxTokens !== undefined ? { maxTokens: deps.agent.maxTokens } : {}),
        },
        tools: deps.tools,
        signal: this.controller.signal,
        maxToolRounds: deps.agent.maxToolRounds,
        run: { runId: input.runId, sessionKey: input.sessionKey },
      }, (event) => {
        if (event.type === 'lifecycle' && event.phase !== 'start') ending = event;
        else this.onLoopEvent(event, writer);
      });
      return await this.finish(writer, ending, result.usage);
    } catch (err) {
      // The loop never throws by contract; if it does anyway, end the run cleanly.
      deps.log.error({ err, runId: input.runId }, 'agent loop failed unexpectedly');
      return await this.finish(writer, { type: 'lifecycle', phase: 'error', error: 'the agent loop failed unexpectedly; see the gateway log', errorKind: 'internal', startedAt: this.startedAt, endedAt: Date.now() }, undefined);
    }
  }

  private prompt() {
    const { store, limits, agent } = this.deps;
    const page = store.transcripts.page(this.input.sessionId, { limit: limits.promptHistoryEntries, maxEntryBytes: limits.promptHistoryBytes });
    const exclude = new Set([...this.input.excludeRunIds, this.input.runId]);
    const history = historyMessages(historyWindow(page, limits.promptHistoryBytes), exclude);
    return buildPrompt({ system: { agentName: agent.name, instructions: agent.instructions }, history, inbound: this.input.messages });
  }

  private onLoopEvent(event: AgentLoopEvent, writer: TranscriptWriter): void {
    const base = { runId: this.runId, sessionKey: this.input.sessionKey };
    switch (event.type) {
      case 'assistant':
        this.turnText = event.text;
        // Clients first, the transcript checkpoint after: both happen in this same tick, so no
        // request can read the transcript in between, and a SQLite write never delays a delta.
        this.deps.emit({ ...base, type: 'delta', text: this.text, delta: event.delta, messageText: event.text });
        writer.text(event.text);
        return;
      case 'message':
        writer.message(event.message);
        if (event.message.role === 'assistant') {
          this.previousText = joinText(this.previousText, event.message.content);
          this.turnText = '';
        }
        return;
      case 'tool': {
        const { type: _type, ...tool } = event as typeof event & { round?: number };
        delete (tool as { round?: number }).round;
        this.deps.emit({ ...base, type: 'tool', ...tool } as UnnumberedRunEvent);
        return;
      }
      default:
        return;
    }
  }

  /** Records the end durably, publishes it, resolves `done`. */
  private async finish(writer: TranscriptWriter, ending: AgentLoopEvent | undefined, usage: Usage | undefined): Promise<RunOutcome> {
    clearTimeout(this.timer);
    const endedAt = Date.now();
    const startedAt = this.startedAt!;
    const base = { runId: this.runId, sessionKey: this.input.sessionKey };
    const text = this.text;
    let outcome: RunOutcome;
    const reason = this.abortReason;
    const aborted = reason !== undefined && !(ending?.type === 'lifecycle' && ending.phase === 'end' && !ending.aborted);
    if (aborted && reason) {
      const timeout = reason === 'timeout';
      outcome = {
        ...base, status: timeout ? 'error' : 'aborted', text, stopReason: timeout ? 'timeout' : 'aborted', startedAt, endedAt, abortReason: reason,
        ...(timeout ? { error: { message: `the run did not finish within ${this.input.timeoutMs} ms and was stopped`, kind: 'timeout' as const } } : {}),
        ...(usage ? { usage } : {}),
      };
      await writer.end({
        state: abortedState(reason), stopReason: outcome.stopReason, usage,
        abort: { reason: reason === 'shutdown' ? 'gateway-stopping' : reason, at: endedAt },
        ...(outcome.error ? { error: outcome.error } : {}),
      }, () => this.touch(usage));
    } else if (ending?.type === 'lifecycle' && ending.phase === 'error') {
      outcome = { ...base, status: 'error', text, stopReason: 'error', startedAt, endedAt, error: { message: ending.error, kind: ending.errorKind }, ...(usage ? { usage } : {}) };
      await writer.end({ state: 'error', stopReason: 'error', usage, error: { message: ending.error, kind: ending.errorKind } }, () => this.touch(usage));
      this.deps.emit({ ...base, type: 'error', text, error: ending.error, errorKind: ending.errorKind, ...pick(ending, 'status', 'retryAfterMs'), startedAt, endedAt });
    } else {
      const stopReason = ending?.type === 'lifecycle' && ending.phase === 'end' ? (ending.stopReason === 'tool_calls' ? 'toolUse' : ending.stopReason) : 'stop';
      outcome = { ...base, status: 'final', text, stopReason, startedAt, endedAt, ...(usage ? { usage } : {}) };
      await writer.end({ state: 'final', stopReason, usage }, () => this.touch(usage));
      this.deps.emit({ ...base, type: 'final', text, stopReason, startedAt, endedAt, ...(usage ? { usage } : {}) });
    }
    if (outcome.status !== 'final' && outcome.abortReason) {
      if (outcome.abortReason === 'timeout') {
        this.deps.emit({ ...base, type: 'error', text, error: outcome.error!.message, errorKind: 'timeout', startedAt, endedAt });
      } else {
        this.deps.emit({ ...base, type: 'aborted', text, reason: outcome.abortReason, startedAt, endedAt });
      }
    }
    this.resolveDone(outcome);
    return outcome;
  }

  /** Session activity and token counters, in the run's final commit. */
  private touch(usage: Usage | undefined): void {
    const sessions = this.deps.store.sessions;
    sessions.touch(this.input.sessionKey, Date.now(), this.runId);
    if (usage) sessions.addUsage(this.input.sessionKey, { input: usage.promptTokens, output: usage.completionTokens, total: usage.totalTokens });
  }
}

function joinText(a: string, b: string): string {
  return a && b ? `${a}\n\n${b}` : a || b;
}

function pick<T extends object, K extends keyof T>(value: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (value[k] !== undefined) out[k] = value[k];
  return out;
}
