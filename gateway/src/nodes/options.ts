/**
 * Settings of the nodes area: which node commands operators may invoke beyond the per-platform
 * defaults, which are never allowed, which exact commands each node may run without an exec
 * approval, and the timeouts and bounds of invokes and approvals.
 *
 * They arrive as `GatewayOptions.nodes` (embedded use, tests) and, in the config file, as the
 * `nodes:` section whose schema is {@link NodesConfigSection}.
 */
import { Type, type Static } from '@sinclair/typebox';
import { MAX_NODE_INVOKE_TIMEOUT_MS } from '@switchboard/protocol';
import type { ExecAllowEntry } from './system-run.js';

/** Resolved settings. */
export interface NodesOptions {
  /** Commands added to every node's allowlist (still only invocable when the node declares them). */
  allowCommands: string[];
  /** Commands removed from every node's allowlist (wins over everything). */
  denyCommands: string[];
  /**
   * Per node (keyed by node id, or by the label an operator gave it with `node.rename` — never the
   * name the node reports itself): commands that `system.run` may run without an approval. An entry
   * is an exact argv (matches only calls without a `cwd`) or `{command: argv, cwd}` (only in that
   * exact directory). `allow-always` decisions add to a persisted list on top of these.
   */
  execAllowlist: Record<string, ExecAllowEntry[]>;
  /** How long an exec approval waits for a decision before it counts as deny. Default 120 s. */
  approvalTimeoutMs: number;
  /** How long `node.invoke` waits for the node when the caller names no timeout. Default 30 s. */
  invokeTimeoutMs: number;
  /** Invokes waiting for an answer, per node and in total. Defaults 64 and 1024. */
  maxPendingInvokesPerNode: number;
  maxPendingInvokes: number;
  /** Approvals waiting for a decision at once. Default 64. */
  maxPendingApprovals: number;
  /** Decided approvals kept in the durable record (oldest dropped first). Default 10 000. */
  maxApprovalRecords: number;
}

/** Options as given: any subset; {@link resolveNodesOptions} fills the rest. */
export type NodesOptionsInput = Partial<NodesOptions>;

/** The defaults of every nodes setting. */
export const DEFAULT_NODES_OPTIONS: Readonly<NodesOptions> = Object.freeze({
  allowCommands: [],
  denyCommands: [],
  execAllowlist: {},
  approvalTimeoutMs: 120_000,
  invokeTimeoutMs: 30_000,
  maxPendingInvokesPerNode: 64,
  maxPendingInvokes: 1024,
  maxPendingApprovals: 64,
  maxApprovalRecords: 10_000,
});

/** The limits advertised in `hello-ok.policy.nodes`. */
export function nodesPolicy(o: NodesOptions): { invokeTimeoutMs: number; maxInvokeTimeoutMs: number; maxPendingInvokesPerNode: number; approvalTimeoutMs: number } {
  return { invokeTimeoutMs: o.invokeTimeoutMs, maxInvokeTimeoutMs: MAX_NODE_INVOKE_TIMEOUT_MS, maxPendingInvokesPerNode: o.maxPendingInvokesPerNode, approvalTimeoutMs: o.approvalTimeoutMs };
}

/** Fills defaults in and checks the values; throws a sentence that says how to fix a bad one. */
export function resolveNodesOptions(input: NodesOptionsInput = {}): NodesOptions {
  const o: NodesOptions = { ...DEFAULT_NODES_OPTIONS, ...input };
  for (const key of ['approvalTimeoutMs', 'invokeTimeoutMs', 'maxPendingInvokesPerNode', 'maxPendingInvokes', 'maxPendingApprovals', 'maxApprovalRecords'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new Error(`nodes.${key} must be a positive integer, got ${String(o[key])}`);
  }
  for (const [node, list] of Object.entries(o.execAllowlist)) {
    if (!Array.isArray(list) || !list.every(isAllowEntry)) {
      throw new Error(`nodes.execAllowlist["${node}"] must be a list of commands, each a non-empty list of strings such as ["uname", "-a"], or {command: ["make", "test"], cwd: "/src"} to allow it in that directory only`);
    }
  }
  return o;
}

const isArgv = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string');

function isAllowEntry(v: unknown): v is ExecAllowEntry {
  if (isArgv(v)) return true;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const e = v as Record<string, unknown>;
  return isArgv(e.command) && typeof e.cwd === 'string' && e.cwd.length > 0 && Object.keys(e).length === 2;
}

const Command = Type.String({ minLength: 1, maxLength: 200, description: 'a node command such as system.run or camera.snap' });
const Argv = Type.Array(Type.String(), { minItems: 1, description: 'a command as its exact argv, such as ["uname", "-a"]' });
const Duration = Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^[0-9]+(ms|s|m|h)$' })], {
  description: 'a duration such as 30s or 2m, or a number of milliseconds',
});

/**
 * The config file's `nodes:` section (closed, like every section). Durations are written `30s`,
 * `2m`, or as milliseconds; {@link nodesOptionsFromConfig} turns the section into options.
 */
export const NodesConfigSection = Type.Object({
  allowCommands: Type.Optional(Type.Array(Command, { description: 'commands added to the per-platform node allowlist' })),
  denyCommands: Type.Optional(Type.Array(Command, { description: 'commands never allowed on any node' })),
  execAllowlist: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.Union([
    Argv,
    Type.Object({ command: Argv, cwd: Type.String({ minLength: 1, description: 'the exact working directory it may run in' }) }, { additionalProperties: false }),
  ])), {
    description: 'per node id or operator-set label (node.rename): commands system.run may run without an approval; an argv only without a cwd, {command, cwd} only in that directory',
  })),
  approvalTimeout: Type.Optional(Duration),
  invokeTimeout: Type.Optional(Duration),
  maxPendingApprovals: Type.Optional(Type.Integer({ minimum: 1, description: 'a positive integer' })),
}, { additionalProperties: false });
export type NodesConfigSection = Static<typeof NodesConfigSection>;

/** `30s` → 30000; numbers pass through. */
function durationMs(value: number | string | undefined): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(value);
  if (!m) throw new Error(`"${value}" is not a duration; write it as 30s, 2m or a number of milliseconds`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** Maps a validated `nodes:` config section to options. */
export function nodesOptionsFromConfig(section: NodesConfigSection | undefined): NodesOptionsInput {
  if (!section) return {};
  const out: NodesOptionsInput = {};
  if (section.allowCommands) out.allowCommands = section.allowCommands;
  if (section.denyCommands) out.denyCommands = section.denyCommands;
  if (section.execAllowlist) out.execAllowlist = section.execAllowlist;
  const approval = durationMs(section.approvalTimeout);
  if (approval !== undefined) out.approvalTimeoutMs = approval;
  const invoke = durationMs(section.invokeTimeout);
  if (invoke !== undefined) out.invokeTimeoutMs = invoke;
  if (section.maxPendingApprovals !== undefined) out.maxPendingApprovals = section.maxPendingApprovals;
  return out;
}
