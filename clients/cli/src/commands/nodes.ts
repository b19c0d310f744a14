/**
 * `switchboard nodes list | describe <node> | rename <node> <name> | invoke <node> <command> |
 * run <node> -- <argv…>`: the gateway's device nodes. A node is named by its id, a unique id
 * prefix, or its display name. `invoke` and `run` wait through an exec approval (system.run).
 */
import type { Command } from 'commander';
import { MAX_NODE_INVOKE_TIMEOUT_MS, type NodeInvokeResult, type NodeSummary } from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk/node';
import { type ConnectionFlags } from '../connection.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatDuration, printJson, printLines } from '../output.js';
import { connectionOptions, withClient } from './rpc.js';

interface Flags extends ConnectionFlags {
  json?: boolean;
}

/** How long `invoke`/`run` wait by default: an approval (2 min) plus the command. */
const LONG_WAIT_MS = 15 * 60_000;

/** Finds the node `ref` names among the gateway's nodes (id, unique id prefix, or display name). */
export function pickNode(nodes: readonly NodeSummary[], ref: string): NodeSummary {
  const exact = nodes.find((n) => n.nodeId === ref);
  if (exact) return exact;
  const byName = nodes.filter((n) => n.displayName?.toLowerCase() === ref.toLowerCase());
  const byPrefix = nodes.filter((n) => n.nodeId.startsWith(ref.toLowerCase()));
  const matches = byName.length ? byName : byPrefix;
  if (matches.length === 1) return matches[0];
  const known = nodes.map((n) => `${n.displayName ?? '(unnamed)'} ${n.nodeId.slice(0, 12)}`).join(', ') || 'none';
  throw new CliError(ExitCode.USAGE, `${matches.length ? `"${ref}" matches ${matches.length} nodes` : `no node "${ref}"`}; known nodes: ${known}`);
}

async function resolveNode(client: GatewayClient, ref: string): Promise<NodeSummary> {
  return pickNode((await client.call('node.list')).nodes, ref);
}

function parseJsonObject(text: string | undefined, flag: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(ExitCode.USAGE, `${flag} must be JSON, got ${text}`);
  }
}

/** Registers `switchboard nodes …`. */
export function registerNodes(program: Command): void {
  const nodes = program.command('nodes').description('device nodes: list, describe, rename, invoke');

  connectionOptions(nodes.command('list')).description('paired and connected nodes').option('--json', 'print JSON')
    .action(async (flags: Flags) => {
      const list = await withClient(flags, (c) => c.call('node.list'));
      if (flags.json) return printJson(list, true);
      printLines(...formatNodeList(list.nodes));
    });

  connectionOptions(nodes.command('describe <node>')).description('one node in detail').option('--json', 'print JSON')
    .action(async (ref: string, flags: Flags) => {
      const d = await withClient(flags, async (c) => c.call('node.describe', { nodeId: (await resolveNode(c, ref)).nodeId }));
      printJson(d, flags.json === true);
    });

  connectionOptions(nodes.command('rename <node> <name>')).description('set the name operators see for a node').option('--json', 'print JSON')
    .action(async (ref: string, name: string, flags: Flags) => {
      const r = await withClient(flags, async (c) => c.call('node.rename', { nodeId: (await resolveNode(c, ref)).nodeId, displayName: name }));
      if (flags.json) return printJson(r, true);
      printLines(`node ${r.nodeId} is now called ${r.displayName}`);
    });

  connectionOptions(nodes.command('invoke <node> <command>'))
    .description('run any command on a node and print its payload (system.run waits for an approval)')
    .option('--params <json>', 'the command\'s params as JSON')
    .option('--invoke-timeout <ms>', 'how long the gateway waits for the node (default 30000; system.run: its params.timeoutMs, default 60000, plus 5000)')
    .action(async (ref: string, command: string, flags: Flags & { params?: string; invokeTimeout?: string }) => {
      const params = parseJsonObject(flags.params, '--params');
      const result = await withClient(flags, (c) => invoke(c, ref, command, params, flags.invokeTimeout));
      printJson(result.payload ?? null, false);
    });

  connectionOptions(nodes.command('run <node> <argv...>'), { connectTimeoutFlag: '--connect-timeout' })
    .description('run a program on a node: `switchboard nodes run laptop -- uname -a` (needs an operator\'s approval unless allowlisted)')
    .option('--cwd <dir>', 'working directory on the node')
    .option('--timeout <ms>', 'stop the program after this many milliseconds (default 60000, at most 600000); the gateway waits that plus 5 s')
    .option('--json', 'print the whole result as JSON')
    .action(async (ref: string, argv: string[], flags: Flags & { cwd?: string; timeout?: string; connectTimeout?: string }) => {
      const timeoutMs = flags.timeout === undefined ? undefined : Number(flags.timeout);
      if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_NODE_INVOKE_TIMEOUT_MS)) {
        throw new CliError(ExitCode.USAGE, `--timeout must be a whole number of milliseconds from 1 to ${MAX_NODE_INVOKE_TIMEOUT_MS}, got ${flags.timeout}`);
      }
      const params = { command: argv, ...(flags.cwd ? { cwd: flags.cwd } : {}), ...(timeoutMs ? { timeoutMs } : {}) };
      process.stderr.write('waiting for the node (an operator may have to approve: `switchboard approvals list`)…\n');
      const result = await withClient({ ...flags, timeout: flags.connectTimeout }, (c) => invoke(c, ref, 'system.run', params));
      const run = result.payload as { stdout?: string; stderr?: string; exitCode?: number | null; success?: boolean; error?: string | null };
      if (flags.json) return printJson(run, true);
      if (run.stdout) process.stdout.write(run.stdout);
      if (run.stderr) process.stderr.write(run.stderr);
      if (!run.success) throw new CliError(ExitCode.ERROR_REPLY, run.error ?? `the program exited with ${run.exitCode}`);
    });
}

async function invoke(c: GatewayClient, ref: string, command: string, params: unknown, invokeTimeout?: string): Promise<NodeInvokeResult> {
  const node = await resolveNode(c, ref);
  const timeoutMs = invokeTimeout === undefined ? undefined : Number(invokeTimeout);
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 1)) throw new CliError(ExitCode.USAGE, `--invoke-timeout must be a positive integer, got ${invokeTimeout}`);
  return c.call('node.invoke', {
    nodeId: node.nodeId, command, idempotencyKey: `cli-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
    ...(params !== undefined ? { params } : {}), ...(timeoutMs ? { timeoutMs } : {}),
  }, { timeoutMs: LONG_WAIT_MS });
}

/** Human-readable `nodes list`. */
export function formatNodeList(nodes: readonly NodeSummary[], now = Date.now()): string[] {
  if (!nodes.length) return ['No nodes. Start one with `switchboard node run --url ws://GATEWAY:18789`.'];
  return nodes.map((n) => {
    const state = n.connected
      ? `connected ${formatDuration(now - (n.connectedAtMs ?? now))}`
      : `offline${n.lastDisconnectedAtMs ? ` since ${formatDuration(now - n.lastDisconnectedAtMs)} ago` : ''}`;
    return `${n.nodeId.slice(0, 12)}  ${n.displayName ?? '(unnamed)'}  ${n.platform ?? '?'}  ${state}  ${n.paired ? '' : 'unpaired  '}commands: ${(n.invocableCommands ?? []).join(', ') || 'none'}`;
  });
}
