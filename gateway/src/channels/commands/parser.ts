/**
 * The one chat-command parser for every channel and the WebChat: a message whose first token is
 * `/name` (any case, optionally `/name@botname`) naming a known command. Anything else — an
 * unknown `/word`, a path like `/usr/bin/env`, a command addressed to another bot — is ordinary
 * text for the agent.
 */

/** Every chat command. */
export const COMMAND_NAMES = ['new', 'reset', 'stop', 'status', 'help', 'model', 'retry', 'undo', 'title', 'resume', 'usage', 'approve', 'deny'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** A parsed command. */
export interface ParsedCommand {
  name: CommandName;
  /** The text after the command, trimmed (may be empty). */
  args: string;
}

const NAMES = new Set<string>(COMMAND_NAMES);

/**
 * Parses `text`; `botUsername` (without `@`) makes `/cmd@otherbot` someone else's command.
 * Returns undefined for anything that is not one of our commands.
 */
export function parseCommand(text: string, botUsername?: string): ParsedCommand | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('/')) return undefined;
  const match = /^\/([A-Za-z_]+)(?:@([A-Za-z0-9_]+))?(?=$|\s)/.exec(trimmed);
  if (!match) return undefined;
  const name = match[1].toLowerCase();
  if (!NAMES.has(name)) return undefined;
  if (match[2] && botUsername && match[2].toLowerCase() !== botUsername.toLowerCase()) return undefined;
  // Undo phone keyboards' "smart" dashes in arguments (--always typed as —always).
  const args = trimmed.slice(match[0].length).trim().replace(/[\u2013\u2014]/g, '--');
  return { name: name as CommandName, args };
}
