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
import { ToolRegistry, type ToolOutcome } from './tools.js';

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
}

/** Pending tool updates kept while the consumer is busy; older ones are dropped first. */
const MAX_PENDING_UPDATES = 32;

const INTERRUPTED = 'interrupted: the run was aborted before this tool ran';

/** Runs provider ⇄ tools to a final answer; see the module comment. */
export async function* agentLoop(options: AgentLoopOptions): AsyncGenerator<AgentLoopEvent, AgentLoopResult> {
  const { provider, signal } = options;
  const tools = options.tools ?? new ToolRegistry();
  const maxRounds = options.maxToolRounds ?? 8;
  const startedAt = Date.now();
  const history = [...options.request.messages];
  const messages: ModelMessage[] = [];
  let usage: Usage | undefined;
  let text = '';
  const persist = (message: ModelMessage): AgentLoopEvent => {
    history.push(message);
    messages.push(message);
    return { type: 'message', message };
  };
  const end = (stopReason: StopReason): { event: AgentLoopEvent; result: AgentLoopResult } => ({
    event: { type: 'lifecycle', phase: 'end', stopReason, aborted: stopReason === 'aborted', startedAt, endedAt: Date.now(), ...(usage ? { usage } : {}) },
    result: { stopReason, text, messages, ...(usage ? { usage } : {}) },
  });
  const fail = (message: string, kind: LoopErrorKind, extra: { status?: number; retryAfterMs?: number } = {}) => ({
    event: { type: 'lifecycle', phase: 'error', error: message, errorKind: kind, ...extra, startedAt, endedAt: Date.now(), ...(usage ? { usage } : {}) } as AgentLoopEvent,
    result: { stopReason: 'error' as const, text, messages, ...(usage ? { usage } : {}), error: { message, kind } },
  });

  yield { type: 'lifecycle', phase: 'start', startedAt };
  for (let round = 0; ; round++) {
    if (signal.aborted) {
      const e = end('aborted');
      yield e.event;
      return e.result;
    }
    text = '';
    let finish: { reason: StopReason; toolCalls: ToolCall[]; error?: ProviderError } | undefined;
    try {
      const request: ModelRequest = { ...options.request, messages: [...history] };
      const definitions = tools.definitions();
      if (definitions.length > 0) request.tools = definitions;
      for await (const ev of provider.stream(request, signal)) {
        if (ev.type === 'text') {
          text += ev.delta;
          yield { type: 'assistant', text, delta: ev.delta, round };
        } else if (ev.type === 'usage') {
          usage = addUsage(usage, ev.usage);
        } else if (ev.type === 'finish') {
          finish = { reason: ev.reason, toolCalls: ev.toolCalls, ...(ev.error ? { error: ev.error } : {}) };
          break;
        }
      }
    } catch (error) {
      // A provider broke its contract (it must not throw): end the run cleanly, never the daemon.
      finish = { reason: 'error', toolCalls: [], error: new ProviderError('bad_response', `the model provider failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`) };
    }
    if (!finish) finish = { reason: signal.aborted ? 'aborted' : 'error', toolCalls: [], error: signal.aborted ? undefined : new ProviderError('bad_response', 'the model provider ended without a finish event') };
    const calls = finish.reason === 'tool_calls' ? finish.toolCalls : [];
    if (text || calls.length > 0) yield persist({ role: 'assistant', content: text, ...(calls.length > 0 ? { toolCalls: calls } : {}) });

    if (finish.reason === 'error') {
      const err = finish.error;
      const f = fail(err?.message ?? 'the model provider failed', err ? err.kind : 'internal', { status: err?.status, retryAfterMs: err?.retryAfterMs });
      yield f.event;
      return f.result;
    }
    if (finish.reason === 'aborted') {
      const e = end('aborted');
      yield e.event;
      return e.result;
    }
    if (calls.length === 0) {
      const e = end(finish.reason);
      yield e.event;
      return e.result;
    }
    if (round >= maxRounds) {
      for (const call of calls) yield* closeUnrun(call, `error: not run: the agent reached its limit of ${maxRounds} tool rounds`, 'tool_limit', persist);
      const f = fail(`the agent stopped after ${maxRounds} tool rounds without a final answer; ask for something smaller, or raise agent.maxToolRounds`, 'tool_limit');
      yield f.event;
      return f.result;
    }
    for (const call of calls) {
      if (signal.aborted) {
        yield* closeUnrun(call, INTERRUPTED, 'interrupted', persist);
        continue;
      }
      yield { type: 'tool', phase: 'start', toolCallId: call.id, name: call.name, args: parseArgs(call.arguments), round };
      const outcome: ToolOutcome = yield* runTool(tools, call, signal);
      yield toolResult(call, outcome);
      yield persist({ role: 'tool', toolCallId: call.id, name: call.name, content: outcome.content, ...(outcome.ok ? {} : { isError: true }) });
    }
  }
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
async function* runTool(tools: ToolRegistry, call: ToolCall, signal: AbortSignal): AsyncGenerator<AgentLoopEvent, ToolOutcome> {
  const updates: unknown[] = [];
  let outcome: ToolOutcome | undefined;
  let wake: (() => void) | undefined;
  void tools
    .execute(call, {
      signal,
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

function* closeUnrun(call: ToolCall, content: string, code: string, persist: (m: ModelMessage) => AgentLoopEvent): Generator<AgentLoopEvent> {
  yield { type: 'tool', phase: 'result', toolCallId: call.id, name: call.name, result: content, isError: true, errorCode: code, ...(code === 'interrupted' ? { interrupted: true } : {}) };
  yield persist({ role: 'tool', toolCallId: call.id, name: call.name, content, isError: true });
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
