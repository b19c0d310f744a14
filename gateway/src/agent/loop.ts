/**
 * The agent loop: provider ⇄ tools until a final answer.
 *
 * {@link agentLoop} is an async generator of {@link AgentLoopEvent}s; its return value is the
 * {@link AgentLoopResult}. Guarantees the run manager builds on:
 * - the first event is lifecycle `start`, the last is lifecycle `end` or `error`, exactly once;
 * - `message` events are the transcript rows, in order: every assistant turn (text and the tool
 *   calls it asked for) and, for **every** tool call in it, one tool result — also when the run
 *   was aborted (`interrupted`), a tool timed out, or the round limit was hit. No call is left
 *   dangling, so the transcript can always be sent back to a provider;
 * - the signal is checked before every provider call and every tool, and aborts the one running.
 * {@link toAgentStreamPayload} maps events to OpenClaw's `agent` event `{stream, data}`.
 */
import {
  ProviderError, openClawErrorKind, type ModelMessage, type ModelProvider, type ModelRequest,
  type ProviderErrorKind, type StopReason, type ToolCall, type Usage,
} from './provider.js';
import { ToolRegistry, type ToolOutcome, type ToolRunInfo } from './tools.js';

/** Events of one run. `round` counts provider calls from 0. */
export type AgentLoopEvent =
  | { type: 'lifecycle'; phase: 'start'; startedAt: number }
  | { type: 'assistant'; text: string; delta: string; round: number }
  | { type: 'tool'; phase: 'start'; toolCallId: string; name: string; args: unknown; round: number }
  | { type: 'tool'; phase: 'update'; toolCallId: string; name: string; partialResult: unknown }
  | { type: 'tool'; phase: 'result'; toolCallId: string; name: string; result: unknown; isError: boolean; errorCode?: string; interrupted?: boolean }
  | { type: 'message'; message: ModelMessage }
  | { type: 'lifecycle'; phase: 'end'; stopReason: StopReason; aborted: boolean; startedAt: number; endedAt: number; usage?: Usage }
  | { type: 'lifecycle'; phase: 'error'; error: string; errorKind: LoopErrorKind; status?: number; retryAfterMs?: number; startedAt: number; endedAt: number; usage?: Usage };

/** Provider error kinds, plus `tool_limit` (too many tool rounds) and `internal` (a provider bug). */
export type LoopErrorKind = ProviderErrorKind | 'tool_limit' | 'internal';

/** What a run produced. */
export interface AgentLoopResult {
  stopReason: StopReason;
  /** Text of the last assistant turn. */
  text: string;
  /** New transcript rows (the same as the `message` events). */
  messages: ModelMessage[];
  usage?: Usage;
  error?: { message: string; kind: LoopErrorKind };
}

/** Options of {@link agentLoop}. */
export interface AgentLoopOptions {
  provider: ModelProvider;
  /** The request: messages (built with prompt.ts), model, temperature, maxTokens. Tools come from `tools`. */
  request: Omit<ModelRequest, 'tools'>;
  tools?: ToolRegistry;
  signal: AbortSignal;
  /** Tool rounds allowed before the run stops with `tool_limit`. Default 8. */
  maxToolRounds?: number;
  /** The run id and session key handed to every tool call (node tools record them on approvals). */
  run?: ToolRunInfo;
}

/** Pending tool updates kept while the consumer is busy; older ones are dropped first. */
const MAX_PENDING_UPDATES = 32;

const INTERRUPTED = 'interrupted: the run was aborted before this tool ran';

/** What one provider call produced. */
interface Turn {
  text: string;
  reason: StopReason;
  toolCalls: ToolCall[];
  error?: ProviderError;
}

/** The run's state: transcript rows, usage, and how to end it. */
class RunRecord {
  readonly startedAt = Date.now();
  readonly history: ModelMessage[];
  readonly messages: ModelMessage[] = [];
  usage: Usage | undefined;
  /** Text of the latest assistant turn. */
  text = '';

  constructor(initial: ModelMessage[]) {
    this.history = [...initial];
  }

  persist(message: ModelMessage): AgentLoopEvent {
    this.history.push(message);
    this.messages.push(message);
    return { type: 'message', message };
  }

  end(stopReason: StopReason): { event: AgentLoopEvent; result: AgentLoopResult } {
    const usage = this.usage ? { usage: this.usage } : {};
    return {
      event: { type: 'lifecycle', phase: 'end', stopReason, aborted: stopReason === 'aborted', startedAt: this.startedAt, endedAt: Date.now(), ...usage },
      result: { stopReason, text: this.text, messages: this.messages, ...usage },
    };
  }

  fail(message: string, kind: LoopErrorKind, extra: { status?: number; retryAfterMs?: number } = {}): { event: AgentLoopEvent; result: AgentLoopResult } {
    const usage = this.usage ? { usage: this.usage } : {};
    const defined = Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined));
    return {
      event: { type: 'lifecycle', phase: 'error', error: message, errorKind: kind, ...defined, startedAt: this.startedAt, endedAt: Date.now(), ...usage },
      result: { stopReason: 'error', text: this.text, messages: this.messages, ...usage, error: { message, kind } },
    };
  }
}

/** Runs provider ⇄ tools to a final answer; see the module comment. */
export async function* agentLoop(options: AgentLoopOptions): AsyncGenerator<AgentLoopEvent, AgentLoopResult> {
  const { signal } = options;
  const tools = options.tools ?? new ToolRegistry();
  const maxRounds = options.maxToolRounds ?? 8;
  const run = new RunRecord(options.request.messages);
  yield { type: 'lifecycle', phase: 'start', startedAt: run.startedAt };
  for (let round = 0; ; round++) {
    if (signal.aborted) return yield* finish(run.end('aborted'));
    const turn = yield* streamTurn(options, tools, run, round);
    const calls = turn.reason === 'tool_calls' ? turn.toolCalls : [];
    if (turn.text || calls.length > 0) yield run.persist({ role: 'assistant', content: turn.text, ...(calls.length > 0 ? { toolCalls: calls } : {}) });
    if (turn.reason === 'error') {
      const e = turn.error;
      return yield* finish(run.fail(e?.message ?? 'the model provider failed', e ? e.kind : 'internal', { status: e?.status, retryAfterMs: e?.retryAfterMs }));
    }
    if (calls.length === 0) return yield* finish(run.end(turn.reason));
    if (round >= maxRounds) {
      const content = `error: not run: the agent reached its limit of ${maxRounds} tool rounds`;
      for (const call of calls) yield* closeUnrun(call, content, 'tool_limit', run);
      return yield* finish(run.fail(`the agent stopped after ${maxRounds} tool rounds without a final answer; ask for something smaller, or raise agent.maxToolRounds`, 'tool_limit'));
    }
    for (const call of calls) yield* runCall(tools, call, signal, round, run, options.run);
  }
}

/** Emits the closing lifecycle event and hands back the result. */
function* finish(ending: { event: AgentLoopEvent; result: AgentLoopResult }): Generator<AgentLoopEvent, AgentLoopResult> {
  yield ending.event;
  return ending.result;
}

/** One provider call: streams assistant events, adds usage to the run, returns the turn. */
async function* streamTurn(options: AgentLoopOptions, tools: ToolRegistry, run: RunRecord, round: number): AsyncGenerator<AgentLoopEvent, Turn> {
  const { provider, signal } = options;
  let text = '';
  let turn: Turn | undefined;
  try {
    const request: ModelRequest = { ...options.request, messages: [...run.history] };
    const definitions = tools.definitions();
    if (definitions.length > 0) request.tools = definitions;
    for await (const ev of provider.stream(request, signal)) {
      if (ev.type === 'text') {
        text += ev.delta;
        run.text = text;
        yield { type: 'assistant', text, delta: ev.delta, round };
      } else if (ev.type === 'usage') {
        run.usage = addUsage(run.usage, ev.usage);
      } else if (ev.type === 'finish') {
        turn = { text, reason: ev.reason, toolCalls: ev.toolCalls, ...(ev.error ? { error: ev.error } : {}) };
        break;
      }
    }
  } catch (error) {
    // A provider broke its contract (it must not throw): end the run cleanly, never the daemon.
    const message = `the model provider failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`;
    turn = { text, reason: 'error', toolCalls: [], error: new ProviderError('bad_response', message) };
  }
  run.text = text;
  if (turn) return turn;
  if (signal.aborted) return { text, reason: 'aborted', toolCalls: [] };
  return { text, reason: 'error', toolCalls: [], error: new ProviderError('bad_response', 'the model provider ended without a finish event') };
}

/** Runs one tool call (or closes it as interrupted when the run is aborted) and persists its result. */
async function* runCall(tools: ToolRegistry, call: ToolCall, signal: AbortSignal, round: number, run: RunRecord, info: ToolRunInfo | undefined): AsyncGenerator<AgentLoopEvent> {
  if (signal.aborted) {
    yield* closeUnrun(call, INTERRUPTED, 'interrupted', run);
    return;
  }
  yield { type: 'tool', phase: 'start', toolCallId: call.id, name: call.name, args: parseArgs(call.arguments), round };
  const outcome: ToolOutcome = yield* runTool(tools, call, signal, info);
  yield toolResult(call, outcome);
  yield run.persist({ role: 'tool', toolCallId: call.id, name: call.name, content: outcome.content, ...(outcome.ok ? {} : { isError: true }) });
}

/** Drives {@link agentLoop} with a callback instead of an iterator. The callback must not throw. */
export async function runAgentLoop(options: AgentLoopOptions, onEvent: (event: AgentLoopEvent) => void): Promise<AgentLoopResult> {
  const loop = agentLoop(options);
  for (;;) {
    const next = await loop.next();
    if (next.done) return next.value;
    onEvent(next.value);
  }
}

/** Runs one call, yielding its progress updates while it runs; returns the outcome. */
async function* runTool(tools: ToolRegistry, call: ToolCall, signal: AbortSignal, info: ToolRunInfo | undefined): AsyncGenerator<AgentLoopEvent, ToolOutcome> {
  const updates: unknown[] = [];
  let outcome: ToolOutcome | undefined;
  let wake: (() => void) | undefined;
  void tools
    .execute(call, {
      signal,
      run: info,
      onUpdate: (partial) => {
        if (updates.length >= MAX_PENDING_UPDATES) updates.shift();
        updates.push(partial);
        wake?.();
      },
    })
    .catch((error: unknown): ToolOutcome => ({
      ok: false, content: `error: ${String(error)}`, error: { code: 'failed', message: String(error) }, truncated: false, durationMs: 0,
    }))
    .then((o) => {
      outcome = o;
      wake?.();
    });
  for (;;) {
    while (updates.length > 0) yield { type: 'tool', phase: 'update', toolCallId: call.id, name: call.name, partialResult: updates.shift() };
    if (outcome) return outcome;
    await new Promise<void>((resolve) => {
      wake = resolve;
      if (updates.length > 0 || outcome) resolve();
    });
    wake = undefined;
  }
}

function* closeUnrun(call: ToolCall, content: string, code: string, run: RunRecord): Generator<AgentLoopEvent> {
  yield { type: 'tool', phase: 'result', toolCallId: call.id, name: call.name, result: content, isError: true, errorCode: code, ...(code === 'interrupted' ? { interrupted: true } : {}) };
  yield run.persist({ role: 'tool', toolCallId: call.id, name: call.name, content, isError: true });
}

function toolResult(call: ToolCall, o: ToolOutcome): AgentLoopEvent {
  const interrupted = o.error?.code === 'interrupted';
  return {
    type: 'tool', phase: 'result', toolCallId: call.id, name: call.name,
    result: o.ok ? o.result : o.content, isError: !o.ok,
    ...(o.error ? { errorCode: o.error.code } : {}), ...(interrupted ? { interrupted: true } : {}),
  };
}

function parseArgs(text: string): unknown {
  try {
    return JSON.parse(text || '{}');
  } catch {
    return text;
  }
}

function addUsage(a: Usage | undefined, b: Usage): Usage {
  if (!a) return { ...b };
  return { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens, totalTokens: a.totalTokens + b.totalTokens };
}

/**
 * An event as OpenClaw's `agent` event `{stream, data}` (the run manager adds runId, seq, ts,
 * sessionKey). `message` events are transcript rows, not streamed: undefined.
 */
export function toAgentStreamPayload(event: AgentLoopEvent): { stream: 'lifecycle' | 'assistant' | 'tool'; data: Record<string, unknown> } | undefined {
  switch (event.type) {
    case 'assistant':
      return { stream: 'assistant', data: { text: event.text, delta: event.delta } };
    case 'tool': {
      const { type: _t, round: _r, ...data } = event as typeof event & { round?: number };
      return { stream: 'tool', data };
    }
    case 'lifecycle': {
      if (event.phase === 'start') return { stream: 'lifecycle', data: { phase: 'start', startedAt: event.startedAt } };
      if (event.phase === 'end') {
        const stopReason = event.stopReason === 'tool_calls' ? 'toolUse' : event.stopReason;
        return { stream: 'lifecycle', data: { phase: 'end', startedAt: event.startedAt, endedAt: event.endedAt, stopReason, aborted: event.aborted } };
      }
      return { stream: 'lifecycle', data: { phase: 'error', error: event.error, errorKind: openClawErrorKind(event.errorKind === 'tool_limit' || event.errorKind === 'internal' ? undefined : event.errorKind), stopReason: 'error', startedAt: event.startedAt, endedAt: event.endedAt } };
    }
    default:
      return undefined;
  }
}
