/**
 * Agent handlers: `agent` (two answers with one request id) and `agent.wait`.
 *
 * `agent` stores the message and answers `{runId, status: "accepted", acceptedAt}` at once (the
 * ledger records it with the stored message in one commit). When the run ends, the handler calls
 * `ctx.sendFinal` with `{runId, status, summary, result}`: the ledger records it durably and sends
 * it, as a second `res` frame with the same request id, to the requester and to every retry that
 * joined meanwhile. A run cut off by a gateway stop gets no final here: a retry with the same
 * idempotencyKey after the restart runs it again, unless it had called tools (then
 * IDEMPOTENCY_OUTCOME_UNKNOWN; docs/protocol.md, "How the final of agent arrives").
 */
import type { AgentAccepted, AgentFinal } from '@switchboard/protocol';
import { idempotencyScope } from '../idempotency/scope.js';
import type { Handler } from '../context.js';
import { MAIN_KEY } from '../sessions/keys.js';
import type { RunOutcome, SubmitResult } from '../runs/types.js';
import { callerOrigin, unsupported } from './chat-runs.js';

const DEFAULT_WAIT_MS = 30_000;

/** Runs the agent: ack now, final when the run ends. */
export const agent: Handler<'agent'> = async (ctx, params) => {
  if (params.deliver) throw unsupported('deliver', 'delivery of agent answers to a channel is not available yet; leave deliver out (or false) and read the final answer');
  if (params.extraSystemPrompt?.trim()) throw unsupported('extraSystemPrompt', 'operator instructions belong in the agent.instructions setting of the config file');
  const { runs } = ctx.services;
  const result = await runs.submit({
    sessionKey: params.sessionKey ?? MAIN_KEY,
    agentId: params.agentId,
    text: params.message,
    origin: callerOrigin(ctx),
    idempotencyKey: params.idempotencyKey,
    idempotencyScope: idempotencyScope(ctx.caller),
    model: params.model,
    timeoutMs: params.timeout ? params.timeout * 1000 : undefined,
    expectedSessionId: params.sessionId,
    commands: false,
  }, { commit: (work) => ctx.commit(() => accepted(work())) });
  const ack = accepted(result);
  const startedAt = Date.now();
  void runs.wait(ack.runId).then((outcome) => {
    // A gateway stop cut the run off: no final, so a retry after the restart runs it again.
    if (outcome && outcome.abortReason !== 'shutdown') ctx.sendFinal(finalOf(outcome, startedAt, ctx.services.runs.providerInfo()));
  }, (err: unknown) => ctx.log.error({ err, runId: ack.runId }, 'could not wait for an agent run'));
  return ack;
};

/** Waits for a run to end (or the timeout) and says how it ended. */
export const agentWait: Handler<'agent.wait'> = async (ctx, params) => {
  const outcome = await ctx.services.runs.wait(params.runId, params.timeoutMs ?? DEFAULT_WAIT_MS);
  if (!outcome) return { runId: params.runId, status: 'timeout' as const };
  return {
    runId: params.runId,
    status: outcome.status === 'error' ? 'error' as const : 'ok' as const,
    ...(outcome.startedAt !== undefined ? { startedAt: outcome.startedAt } : {}),
    endedAt: outcome.endedAt,
    ...(outcome.error ? { error: outcome.error.message } : {}),
    stopReason: outcome.stopReason,
    aborted: outcome.status === 'aborted',
  };
};

function accepted(result: SubmitResult): AgentAccepted {
  // `agent` never passes /stop to the run manager (commands: false).
  if (result.status === 'stopped') throw new Error('agent: unexpected stop result');
  return { runId: result.runId, status: 'accepted', acceptedAt: result.acceptedAt, sessionKey: result.sessionKey, agentId: result.sessionKey.split(':')[1], runStatus: result.status };
}

/** The final answer: OpenClaw's `{runId, status, summary, result: {payloads, meta}}`. */
export function finalOf(outcome: RunOutcome, startedAt: number, provider: { provider: string; model: string }): AgentFinal {
  const payloads = outcome.text ? [{ text: outcome.text }] : [];
  const meta = {
    stopReason: outcome.stopReason,
    aborted: outcome.status === 'aborted',
    ...(outcome.abortReason ? { abortReason: outcome.abortReason } : {}),
    durationMs: outcome.endedAt - (outcome.startedAt ?? startedAt),
    ...provider,
    ...(outcome.usage ? { usage: outcome.usage } : {}),
  };
  if (outcome.status !== 'error') {
    return { runId: outcome.runId, status: 'ok', summary: outcome.status === 'aborted' ? 'aborted' : 'completed', result: { payloads, meta } };
  }
  const message = outcome.error?.message ?? 'the run failed';
  const timeout = outcome.error?.kind === 'timeout' && outcome.abortReason === 'timeout';
  return {
    runId: outcome.runId,
    status: 'error',
    summary: message,
    result: { payloads, meta },
    error: {
      code: timeout ? 'AGENT_TIMEOUT' : 'UNAVAILABLE',
      message,
      retryable: true,
      details: { errorKind: outcome.error?.kind ?? 'internal' },
    },
  };
}

/** The agent area of the handler table. */
export const agentHandlers = {
  agent,
  'agent.wait': agentWait,
};
