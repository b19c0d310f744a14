/**
 * Chat handlers that drive runs: chat.send (store the message, start or queue its run; `/stop`
 * aborts instead) and chat.abort. Replies stream as `chat`/`agent` events (runs/publisher.ts).
 *
 * chat.send is exactly once through the idempotency ledger: the stored user message and the
 * recorded ack are one `ctx.commit`, so a request a crash cut off either stored nothing (and runs
 * again) or is answered from the ledger; a retry while its run is still going answers `in_flight`.
 */
import { GatewayError, type ChatQueueMode, type ChatSendResult, type QueueMode } from '@switchboard/protocol';
import { idempotencyScope } from '../idempotency/scope.js';
import type { Handler, MethodContext } from '../context.js';
import { resolveSessionKey } from '../sessions/keys.js';
import type { RunOrigin, SubmitResult } from '../runs/types.js';
import { webchatCommand } from '../channels/webchat.js';

/** Stores a message for the session's agent and answers `{runId, status}` at once. */
export const chatSend: Handler<'chat.send'> = async (ctx, params) => {
  if (params.deliver) throw unsupported('deliver', 'chat.send answers go to chat clients as events; leave deliver out');
  // Chat commands (/new, /status, …) work here as in every channel (channels/webchat.ts).
  const command = await webchatCommand(ctx, params);
  if (command) return command;
  const result = await ctx.services.runs.submit({
    sessionKey: params.sessionKey,
    agentId: params.agentId,
    text: params.message,
    origin: callerOrigin(ctx),
    idempotencyKey: params.idempotencyKey,
    idempotencyScope: idempotencyScope(ctx.caller),
    mode: params.queueMode && queueModeOf(params.queueMode),
    timeoutMs: params.timeoutMs || undefined,
    expectedSessionId: params.sessionId,
  }, { commit: (work) => ctx.commit(() => sendAnswer(work())) });
  return sendAnswer(result);
};

/**
 * OpenClaw's queue-mode names as this gateway's modes: `followup` runs after the active run, which
 * is `queue`; `steer` would inject the message into the active run, which no run here can take, so
 * it is `interrupt` — the active run stops and the message is answered at once, in one prompt with
 * the stopped run's partial answer in its history (OpenClaw's own `sessions.steer` is an alias of
 * interrupt).
 */
export function queueModeOf(mode: ChatQueueMode): QueueMode {
  if (mode === 'followup') return 'queue';
  if (mode === 'steer') return 'interrupt';
  return mode;
}

/** Stops the session's run named by runId, or all its runs. */
export const chatAbort: Handler<'chat.abort'> = (ctx, params) => {
  const { key } = resolveSessionKey(params.sessionKey, params.agentId);
  const runIds = ctx.services.runs.abort(key, params.runId, 'user');
  return { ok: true as const, aborted: runIds.length > 0, runIds };
};

/** Who sent a control-plane message, as untrusted origin data for the prompt. */
export function callerOrigin(ctx: MethodContext): RunOrigin {
  const client = ctx.caller.client;
  return {
    channel: client.mode === 'webchat' ? 'webchat' : 'control-plane',
    chatType: 'direct',
    sender: { name: client.displayName ?? client.id, ...(ctx.caller.deviceId ? { id: ctx.caller.deviceId } : {}) },
    receivedAt: Date.now(),
  };
}

/** INVALID_REQUEST for an OpenClaw parameter this gateway does not support. */
export function unsupported(param: string, how: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `${param} is not supported by this gateway: ${how}`, { details: { code: 'UNSUPPORTED_PARAM', param } });
}

function sendAnswer(result: SubmitResult): ChatSendResult {
  if (result.status === 'stopped') return { ok: true, aborted: result.runIds.length > 0, runIds: result.runIds };
  return { runId: result.runId, status: result.status, messageSeq: result.messageSeq };
}

/** The chat handlers that drive runs. */
export const chatRunHandlers = {
  'chat.send': chatSend,
  'chat.abort': chatAbort,
};
