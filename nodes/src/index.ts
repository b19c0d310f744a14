// Public surface of the nodes package: the headless node host and its commands.
export { NodeHost, selectCommands, NODE_HOST_VERSION, type NodeHostOptions, type NodeHostState } from './host.js';
export { BUILTIN_COMMANDS, CommandError, which, type CommandContext, type HostLimits, type NodeCommand } from './commands/index.js';
export { runProgram, childEnv, BoundedCapture, type RunResult, type RunSpec } from './exec.js';
export { hostPlatform } from './platform.js';
