/** The node host's built-in commands, by name. */
import { systemNotify } from './system-notify.js';
import { systemRun } from './system-run.js';
import { systemWhich } from './system-which.js';
import type { NodeCommand } from './types.js';

export { CommandError, type CommandContext, type HostLimits, type NodeCommand } from './types.js';
export { which } from './system-which.js';

/** Every built-in command, by its name. */
export const BUILTIN_COMMANDS: Readonly<Record<string, NodeCommand>> = Object.freeze({
  [systemRun.name]: systemRun,
  [systemWhich.name]: systemWhich,
  [systemNotify.name]: systemNotify,
});
