/**
 * The WebChat as a channel: `chat.send` text goes through the same command parser and the same
 * command functions as Telegram, Discord and WhatsApp. A command's reply is appended to the
 * session's transcript as an assistant note (in the same commit as the request's recorded answer)
 * and announced as a `chat` final event, so the WebChat shows it like any answer. `/stop` keeps
 * its chat.send meaning (handled by the run manager).
 */
import type { ChatSendParams, ChatSendResult } from '@switchboard/protocol';
import type { MethodContext } from '../context.js';
import { DEFAULT_AGENT_ID, resolveSessionKey } from '../sessions/keys.js';
import { toMessage } from '../sessions/view.js';
import { callerOrigin } from '../methods/chat-runs.js';
import { parseCommand, runCommand, type CommandContext } from './commands/index.js';

/** Runs `params.message` as a chat command when it is one; undefined when it is ordinary text. */
export async function webchatCommand(ctx: MethodContext<'chat.send'>, params: ChatSendParams): Promise<ChatSendResult | undefined> {
  const command = parseCommand(params.message);
  if (!command || command.name === 'stop') return undefined;
  const { key } = resolveSessionKey(params.sessionKey, params.agentId);
  const { store, runs } = ctx.services;
  const commandCtx: CommandContext = {
    sessionKey: key,
    platform: 'webchat',
    userId: ctx.caller.deviceId ?? ctx.caller.client.id,
    origin: callerOrigin(ctx),
    store,
    runs,
    approvals: (ctx.services as unknown as { nodes?: { approvals?: CommandContext['approvals'] } }).nodes?.approvals,
    // Operators who may decide approvals on the control plane may do so from the WebChat too.
    canApprove: ctx.caller.scopes.includes('operator.admin') || ctx.caller.scopes.includes('operator.approvals'),
    submit: async (text, idempotencyKey) => {
      await runs.submit({ sessionKey: key, text, origin: callerOrigin(ctx), idempotencyKey });
    },
    now: Date.now,
  };
  const reply = await runCommand(commandCtx, command);
  const runId = `cmd-${params.idempotencyKey}`;
  const answer: ChatSendResult = { runId, status: 'completed' };
  let entry: ReturnType<typeof store.transcripts.append> | undefined;
  // The note and the request's recorded answer are one commit (the ledger records what it returns).
  await ctx.commit(() => {
    if (reply) {
      const session = store.sessions.ensure(key, DEFAULT_AGENT_ID, Date.now());
      entry = store.transcripts.append(session.sessionId, {
        role: 'assistant', content: [{ type: 'text', text: reply }], meta: { stopReason: 'command', label: `/${command.name}` },
      }, Date.now());
    }
    return answer;
  });
  if (entry) ctx.emit('chat', { runId, sessionKey: key, seq: 0, state: 'final', message: toMessage(entry), stopReason: 'command' });
  return answer;
}
