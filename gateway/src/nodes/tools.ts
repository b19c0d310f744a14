/**
 * The agent's hands: every command a connected node may be invoked for becomes a tool in the
 * agent's registry (`services.agentTools`), named after the command (`system.run` → `system_run`)
 * and taking the node by name or id. The tools are re-registered whenever a node connects,
 * disconnects or is renamed, so their descriptions always list the nodes that can run them. A tool
 * call goes through {@link NodeService.invoke} — the same policy and exec approvals as an
 * operator's `node.invoke` — and hands the node's payload back to the model.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, MAX_NODE_INVOKE_TIMEOUT_MS } from '@switchboard/protocol';
import type { Log } from '../log.js';
import type { Tool, ToolRegistry } from '../agent/tools.js';
import type { NodeService } from './service.js';

/** Per-command argument schemas and how the arguments become the command's params. */
interface CommandShape {
  description: string;
  properties: Record<string, unknown>;
  required: string[];
  toParams(args: Record<string, unknown>): unknown;
}

const NODE_ARG = 'node';

const SHAPES: Record<string, CommandShape> = {
  'system.run': {
    description: 'Runs a program on a device node and returns its exit code, stdout and stderr. The command is an argv list, never a shell string; an operator must approve it unless it is on the node\'s allowlist.',
    properties: {
      command: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'the program and its arguments, e.g. ["uname", "-a"]' },
      cwd: { type: 'string', description: 'working directory on the node (optional)' },
      timeoutMs: { type: 'integer', minimum: 1, maximum: 600000, description: 'kill the program after this many milliseconds (optional)' },
    },
    required: ['command'],
    toParams: ({ command, cwd, timeoutMs }) => ({ command, ...(cwd !== undefined ? { cwd } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) }),
  },
  'system.which': {
    description: 'Finds programs on a device node\'s PATH; returns the path of each one found.',
    properties: { bins: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'program names, e.g. ["git", "python3"]' } },
    required: ['bins'],
    toParams: ({ bins }) => ({ bins }),
  },
  'system.notify': {
    description: 'Shows a desktop notification on a device node.',
    properties: { title: { type: 'string' }, body: { type: 'string' } },
    required: ['title'],
    toParams: ({ title, body }) => ({ title, ...(body !== undefined ? { body } : {}) }),
  },
};

const GENERIC: CommandShape = {
  description: 'Invokes this command on a device node.',
  properties: { params: { type: 'object', description: 'the command\'s params (optional)' } },
  required: [],
  toParams: ({ params }) => params,
};

/** Longest node name shown to the model (code points). */
const MAX_NAME_CHARS = 64;

/**
 * A node's name as the model may read it. Names come from the nodes themselves, so they are an
 * injection route into the agent's prompt: control and format characters (newlines, bidi
 * overrides) go, whitespace runs become one space, and the result is cut to 64 characters.
 */
export function nameForModel(name: string): string {
  const clean = name.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  const chars = [...clean];
  return chars.length > MAX_NAME_CHARS ? `${chars.slice(0, MAX_NAME_CHARS - 1).join('').trimEnd()}…` : clean;
}

/** `system.run` → `system_run` (tool names allow letters, digits, `_` and `-`). */
export function toolNameFor(command: string): string {
  return command.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
}

/** Keeps the node tools in the agent's registry in step with the connected nodes. */
export class NodeToolBridge {
  private readonly unregister = new Map<string, () => void>();

  constructor(private readonly tools: ToolRegistry, private readonly nodes: NodeService, private readonly log: Log) {}

  /** Re-registers one tool per invocable command of the connected nodes. */
  refresh(): void {
    this.clear();
    const byCommand = new Map<string, string[]>();
    for (const session of this.nodes.registry.list()) {
      for (const command of session.invocable) byCommand.set(command, [...(byCommand.get(command) ?? []), session.nodeId]);
    }
    const names = byCommand.size ? this.nodes.connectedNames() : new Map<string, string>();
    for (const [command, nodeIds] of byCommand) {
      const tool = this.toolFor(command, nodeIds.map((id) => `${nameForModel(names.get(id) ?? id) || id.slice(0, 12)} (${id.slice(0, 12)})`).join(', '));
      try {
        this.unregister.set(tool.name, this.tools.register(tool));
      } catch (err) {
        // Another tool holds the name (or two commands map to it): the first one keeps it.
        this.log.warn({ err: (err as Error).message, command }, 'node command not offered to the agent');
      }
    }
  }

  /** Removes every node tool. */
  clear(): void {
    for (const off of this.unregister.values()) off();
    this.unregister.clear();
  }

  /** The tool for one command; `names` lists the nodes that offer it, for the model. */
  private toolFor(command: string, names: string): Tool<Record<string, unknown>> {
    const shape = SHAPES[command] ?? GENERIC;
    const o = this.nodes.options;
    // The outer guard: an approval wait plus the longest invoke; the invoke has its own, shorter timeout.
    const timeoutMs = (command === 'system.run' ? o.approvalTimeoutMs + MAX_NODE_INVOKE_TIMEOUT_MS : o.invokeTimeoutMs) + 10_000;
    return {
      name: toolNameFor(command),
      description: `${shape.description} Node command ${command}; nodes that offer it: ${names}.`,
      parameters: {
        type: 'object',
        additionalProperties: false,
        properties: { [NODE_ARG]: { type: 'string', minLength: 1, description: `the node's name or id; one of: ${names}` }, ...shape.properties },
        required: [NODE_ARG, ...shape.required],
      },
      timeoutMs,
      run: async (args, ctx) => {
        try {
          const nodeId = this.nodes.resolve(String(args[NODE_ARG]));
          const result = await this.nodes.invoke({
            nodeId, command, params: shape.toParams(args), requestedBy: 'agent', signal: ctx.signal,
            // Call ids come from the model and repeat across runs: the run and session scope them
            // (a loop run outside the run manager has no run id, so its calls share nothing).
            idempotencyKey: `agent-tool-${ctx.callId}`, principal: `agent|${ctx.sessionKey ?? ''}|${ctx.runId ?? randomUUID()}`,
            ...(ctx.sessionKey ? { sessionKey: ctx.sessionKey } : {}), ...(ctx.runId ? { runId: ctx.runId } : {}),
            onApprovalRequested: (entry) => ctx.update({ status: 'waiting for an operator to approve', approvalId: entry.id, command: entry.request.command }),
          });
          return result.payload ?? { ok: true };
        } catch (err) {
          // The model reads the message; GatewayError messages already say what happened and what to do.
          throw new Error(err instanceof GatewayError ? err.message : String(err));
        }
      },
    };
  }
}
