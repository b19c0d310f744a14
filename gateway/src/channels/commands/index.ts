/**
 * The command table: each chat command is a function of `(ctx, args)`. {@link runCommand} is the
 * one entry every channel (and the WebChat's chat.send) uses after {@link parseCommand}.
 */
import type { CommandName, ParsedCommand } from './parser.js';
import type { CommandContext, CommandHandler } from './types.js';
import { newConversation, undo, retryLast, title, resume, model } from './session-commands.js';
import { approve, deny, help, status, stop, usage } from './info-commands.js';

export { parseCommand, COMMAND_NAMES, type CommandName, type ParsedCommand } from './parser.js';
export type { CommandContext, CommandHandler, ApprovalsPort } from './types.js';
export { undoLastExchange } from './session-commands.js';

/** Every command's handler. */
export const commands: Record<CommandName, CommandHandler> = {
  new: newConversation,
  reset: (ctx) => newConversation(ctx, ''),
  stop,
  status,
  help,
  model,
  retry: retryLast,
  undo,
  title,
  resume,
  usage,
  approve,
  deny,
};

/** Runs a parsed command; a failure becomes a reply that says what went wrong. */
export async function runCommand(ctx: CommandContext, command: ParsedCommand): Promise<string | undefined> {
  try {
    return await commands[command.name](ctx, command.args);
  } catch (err) {
    return `/${command.name} failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
