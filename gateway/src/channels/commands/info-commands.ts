/**
 * Commands that report or decide: /status, /help, /usage, /stop, /approve, /deny.
 */
import type { CommandContext, CommandHandler } from './types.js';

/** One line per command, for /help. */
export const HELP_LINES: Record<string, string> = {
  new: '/new [title] — start a new conversation',
  reset: '/reset — same as /new',
  stop: '/stop — stop the answer being written',
  status: '/status — this conversation and the channel',
  help: '/help — this list',
  model: '/model [name|default] — show or set the model',
  retry: '/retry — send your last message again',
  undo: '/undo — forget the last exchange',
  title: '/title [name] — show or set the title',
  resume: '/resume [name] — list or reopen titled conversations',
  usage: '/usage — tokens used in this conversation',
  approve: '/approve [always] [id] — allow a command the agent wants to run',
  deny: '/deny [id] — refuse it',
};

export const help: CommandHandler = async () => ['Commands:', ...Object.values(HELP_LINES)].join('\n');

export const status: CommandHandler = async (ctx) => {
  const session = ctx.store.sessions.get(ctx.sessionKey);
  const provider = ctx.runs.providerInfo();
  const running = session?.lastRunId ? ctx.runs.isLive(session.lastRunId) : false;
  const titleText = session ? ctx.store.channels.titleOf(session.sessionId) : undefined;
  return [
    `Session: ${ctx.sessionKey}`,
    ...(session ? [`Conversation: ${session.sessionId.slice(0, 8)}${titleText ? ` "${titleText}"` : ''} · ${session.messageCount} entries`] : ['Conversation: none yet']),
    `Model: ${session?.model ?? provider.model} (${provider.provider})`,
    `Agent: ${running ? 'answering' : 'idle'} · mode ${session?.queueMode ?? 'interrupt'}`,
    ...(ctx.channelLine ? [`Channel: ${ctx.channelLine}`] : []),
  ].join('\n');
};

export const usage: CommandHandler = async (ctx) => {
  const s = ctx.store.sessions.get(ctx.sessionKey);
  if (!s) return 'No usage yet in this conversation.';
  return `Tokens in this chat: ${s.inputTokens} in, ${s.outputTokens} out, ${s.totalTokens} total.`;
};

export const stop: CommandHandler = async (ctx) => {
  const stopped = ctx.runs.abort(ctx.sessionKey, undefined, 'stop');
  return stopped.length > 0 ? 'Stopped.' : 'Nothing is running.';
};

/** The approval of this conversation that `args` names (or the only one), or a reply explaining. */
function pick(ctx: CommandContext, idPrefix: string | undefined): { id: string; command: string } | string {
  if (!ctx.approvals) return 'Exec approvals are not available on this gateway.';
  if (!ctx.canApprove) return 'You are not allowed to answer exec approvals here (the operator lists approvers in the channel config).';
  const mine = ctx.approvals.list().filter((a) => a.request.sessionKey === ctx.sessionKey && (!idPrefix || a.id.startsWith(idPrefix)));
  if (mine.length === 0) return 'No exec approval is waiting in this conversation.';
  if (mine.length > 1) return ['Several approvals are waiting; name one:', ...mine.map((a) => `• ${a.id.slice(0, 8)} ${a.request.command}`)].join('\n');
  return { id: mine[0].id, command: mine[0].request.command };
}

function decide(decision: 'allow-once' | 'allow-always' | 'deny'): CommandHandler {
  return async (ctx, args) => {
    const words = args.split(/\s+/).filter(Boolean);
    const always = words[0] === 'always' || words[0] === '--always';
    if (always) words.shift();
    const choice = pick(ctx, words[0]);
    if (typeof choice === 'string') return choice;
    const final = decision === 'allow-once' && always ? 'allow-always' : decision;
    try {
      ctx.approvals!.resolve(choice.id, final, `${ctx.platform}:${ctx.userId}`);
    } catch (err) {
      return `Could not answer the approval: ${err instanceof Error ? err.message : String(err)}`;
    }
    return final === 'deny' ? `Denied: ${choice.command}` : `Approved${final === 'allow-always' ? ' (always)' : ''}: ${choice.command}`;
  };
}

export const approve = decide('allow-once');
export const deny = decide('deny');
