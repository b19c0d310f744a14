/**
 * Nodes area: devices that connect with `role: "node"`, declare what they can do, and do it when
 * the gateway asks — `node.list|describe|rename`, `node.invoke` (operator) and the node-side
 * `node.invoke.result`, `node.event` and the declaration updates OpenClaw's node host sends
 * (`node.skills.update`, `node.pluginTools.update`, `node.runnerInventory.update`); the targeted
 * events `node.invoke.request` and `node.invoke.cancel`.
 *
 * Field names follow OpenClaw protocol v4 (`paramsJSON`, `payloadJSON`, ...), so OpenClaw's own
 * node host works against Switchboard. The invoke flow: an operator's `node.invoke` becomes a
 * `node.invoke.request` sent to that node's socket only; the node answers with `node.invoke.result`
 * and the operator gets `{ok, nodeId, command, payload}`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IdempotencyKey, JsonObject, NonEmptyString, StringMap, TimestampMs, closedObject } from './primitives.js';
import { event, method } from './method.js';

// ── shapes ─────────────────────────────────────────────────────────────────────────────────────

/** Longest node invoke timeout a caller may ask for (10 minutes). */
export const MAX_NODE_INVOKE_TIMEOUT_MS = 600_000;

/** How long a node host lets `system.run` run when the params name no `timeoutMs` (1 minute). */
export const SYSTEM_RUN_DEFAULT_TIMEOUT_MS = 60_000;

/** One node as `node.list` shows it: paired devices with role `node`, merged with the live registry. */
export const NodeSummary = closedObject({
  /** The node's device id. */
  nodeId: NonEmptyString,
  /** The operator's label (`node.rename`), else the name the node reported. */
  displayName: Type.Optional(NonEmptyString),
  platform: Type.Optional(NonEmptyString),
  deviceFamily: Type.Optional(NonEmptyString),
  modelIdentifier: Type.Optional(NonEmptyString),
  version: Type.Optional(NonEmptyString),
  clientId: Type.Optional(NonEmptyString),
  clientMode: Type.Optional(NonEmptyString),
  remoteIp: Type.Optional(NonEmptyString),
  /** Capability categories the node declared (`system`, `camera`, ...). */
  caps: Type.Array(Type.String()),
  /** Commands the node declared (when connected) or declared last time (when not). */
  commands: Type.Array(Type.String()),
  /** Switchboard extension: the declared commands the gateway's allowlist lets operators invoke. */
  invocableCommands: Type.Optional(Type.Array(Type.String())),
  permissions: Type.Optional(StringMap(Type.Boolean())),
  pathEnv: Type.Optional(Type.String()),
  connectedAtMs: Type.Optional(TimestampMs),
  lastConnectedAtMs: Type.Optional(TimestampMs),
  lastDisconnectedAtMs: Type.Optional(TimestampMs),
  /** When the node last proved it was alive while connected: its connect, or a `node.presence.alive` event. */
  lastSeenAtMs: Type.Optional(TimestampMs),
  /** `connect`, or the `trigger` of the last `node.presence.alive` (`background`, `silent_push`, ...). */
  lastSeenReason: Type.Optional(NonEmptyString),
  approvedAtMs: Type.Optional(TimestampMs),
  paired: Type.Boolean(),
  connected: Type.Boolean(),
});
export type NodeSummary = Static<typeof NodeSummary>;

/** A skill a node offers (OpenClaw's `NodeSkillDescriptor`). */
export const NodeSkillDescriptor = closedObject({
  name: Type.String({ minLength: 1, maxLength: 64, pattern: '^(?!.*--)[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$' }),
  description: Type.String({ maxLength: 4096 }),
  content: Type.String({ minLength: 1, maxLength: 65536 }),
});
export type NodeSkillDescriptor = Static<typeof NodeSkillDescriptor>;

/** A plugin or MCP tool a node offers (OpenClaw's `NodePluginToolDescriptor`). */
export const NodePluginToolDescriptor = closedObject({
  pluginId: NonEmptyString,
  name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' }),
  description: Type.String({ maxLength: 4096 }),
  parameters: Type.Optional(JsonObject),
  command: Type.Optional(NonEmptyString),
  mcp: Type.Optional(closedObject({ server: NonEmptyString, tool: NonEmptyString })),
});
export type NodePluginToolDescriptor = Static<typeof NodePluginToolDescriptor>;

/** A declared skill or plugin tool as `node.describe` shows it (without its content or schema). */
export const NodeDeclaredTool = closedObject({
  name: NonEmptyString,
  description: Type.String(),
  pluginId: Type.Optional(NonEmptyString),
});
export type NodeDeclaredTool = Static<typeof NodeDeclaredTool>;

/** `node.describe`: the summary plus what the live node declared after connecting. */
export const NodeDescribeResult = closedObject({
  ...NodeSummary.properties,
  ts: TimestampMs,
  /** Last `node.host.stats` the node reported (cpu, load, memory, disk), if any. */
  hostStats: Type.Optional(JsonObject),
  skills: Type.Optional(Type.Array(NodeDeclaredTool)),
  pluginTools: Type.Optional(Type.Array(NodeDeclaredTool)),
  /** The node's `node.runnerInventory.update` declaration (recorded; Switchboard runs no OpenClaw workers). */
  runnerInventory: Type.Optional(JsonObject),
  /**
   * Commands `system.run` may run on this node without an operator's approval: an argv (only when
   * the call names no `cwd`), or `{command, cwd}` (only in exactly that working directory).
   */
  execAllowlist: Type.Optional(Type.Array(Type.Union([Type.Array(Type.String()), closedObject({ command: Type.Array(Type.String()), cwd: Type.String() })]))),
  /** Switchboard extension: `node.event`s this connection sent beyond the per-node rate, dropped. */
  eventsDropped: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type NodeDescribeResult = Static<typeof NodeDescribeResult>;

/** `node.list` params and result. */
export const NodeListParams = closedObject({});
export const NodeListResult = closedObject({ ts: TimestampMs, nodes: Type.Array(NodeSummary) });
export type NodeListResult = Static<typeof NodeListResult>;

/** `node.describe` params (the result is {@link NodeDescribeResult}). */
export const NodeDescribeParams = closedObject({ nodeId: NonEmptyString });

/** `node.rename` params and result: the operator's label for a paired node. */
export const NodeRenameParams = closedObject({ nodeId: NonEmptyString, displayName: Type.String({ minLength: 1, maxLength: 120 }) });
export const NodeRenameResult = closedObject({ nodeId: NonEmptyString, displayName: NonEmptyString });

/** `node.invoke` params (OpenClaw's `NodeInvokeParams`; the `turnSource*` fields are accepted and ignored). */
export const NodeInvokeParams = closedObject({
  nodeId: NonEmptyString,
  command: Type.String({ minLength: 1, maxLength: 200 }),
  /** The command's params; sent to the node as `paramsJSON`. */
  params: Type.Optional(Type.Unknown()),
  /** How long to wait for the node's answer (after any exec approval). Default 30 s. */
  timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_NODE_INVOKE_TIMEOUT_MS })),
  idempotencyKey: IdempotencyKey,
  sessionKey: Type.Optional(NonEmptyString),
  turnSourceChannel: Type.Optional(Type.String()),
  turnSourceTo: Type.Optional(Type.String()),
  turnSourceAccountId: Type.Optional(Type.String()),
  turnSourceThreadId: Type.Optional(Type.Union([Type.String(), Type.Number()])),
});
export type NodeInvokeParams = Static<typeof NodeInvokeParams>;

/** What the operator gets when the node succeeded. */
export const NodeInvokeResult = closedObject({
  ok: Type.Literal(true),
  nodeId: NonEmptyString,
  command: NonEmptyString,
  /** The node's payload (parsed from `payloadJSON` when the node sent that). */
  payload: Type.Optional(Type.Unknown()),
  payloadJSON: Type.Optional(Type.String()),
});
export type NodeInvokeResult = Static<typeof NodeInvokeResult>;

/** Payload of `node.invoke.request`, sent to one node's socket (OpenClaw's `NodeInvokeRequestEvent`). */
export const NodeInvokeRequestEvent = closedObject({
  /** The invoke id; the node echoes it in `node.invoke.result`. */
  id: NonEmptyString,
  nodeId: NonEmptyString,
  command: NonEmptyString,
  /** The params as JSON text; absent when the caller sent none. */
  paramsJSON: Type.Optional(Type.String()),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 0 })),
  /** The operator's idempotency key, so a node can drop a repeated request. */
  idempotencyKey: Type.Optional(NonEmptyString),
});
export type NodeInvokeRequestEvent = Static<typeof NodeInvokeRequestEvent>;

/** Payload of `node.invoke.cancel`: the gateway stopped waiting (timeout, abort); stop the work. */
export const NodeInvokeCancelEvent = closedObject({ invokeId: NonEmptyString, nodeId: NonEmptyString });
export type NodeInvokeCancelEvent = Static<typeof NodeInvokeCancelEvent>;

/** The error a node reports for a failed command. */
export const NodeInvokeError = closedObject({
  code: Type.Optional(NonEmptyString),
  message: Type.Optional(NonEmptyString),
});

/** `node.invoke.result` params (OpenClaw's `NodeInvokeResultParams`). */
export const NodeInvokeResultParams = closedObject({
  id: NonEmptyString,
  /** Must be the calling node's own id. */
  nodeId: NonEmptyString,
  ok: Type.Boolean(),
  payload: Type.Optional(Type.Unknown()),
  payloadJSON: Type.Optional(Type.String()),
  error: Type.Optional(NodeInvokeError),
});
export type NodeInvokeResultParams = Static<typeof NodeInvokeResultParams>;

/** `{ok:true}`, or `{ok:true, ignored:true}` for a result nobody waits for any more (late or unknown id). */
export const NodeInvokeResultResult = closedObject({ ok: Type.Literal(true), ignored: Type.Optional(Type.Literal(true)) });

/**
 * `node.event`: something the node reports on its own (host stats, exec lifecycle, ...). The event
 * name is printable ASCII without spaces; `payloadJSON` wins over `payload` (OpenClaw's node host
 * sends `payloadJSON: null` when it has no payload). Either is capped at
 * `MAX_NODE_EVENT_PAYLOAD_BYTES` by the handler, which answers INVALID_REQUEST beyond it.
 */
export const NodeEventParams = closedObject({
  event: Type.String({ minLength: 1, maxLength: 200, pattern: '^[!-~]+$' }),
  payload: Type.Optional(Type.Unknown()),
  payloadJSON: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
/** `node.event` result (OpenClaw's `NodeEventResult`). */
export const NodeEventResult = closedObject({
  ok: Type.Boolean(),
  event: NonEmptyString,
  /** Whether the gateway acts on this event (recorded or typed); unhandled events still reach operators as `node.reported`. */
  handled: Type.Boolean(),
  /** `updated`, `invalid_payload`, `stale_connection`, `rate_limited` or `unsupported_event`. */
  reason: Type.Optional(NonEmptyString),
});

/** `node.skills.update` params and result: the node replaces its skills; names and descriptions come back. */
export const NodeSkillsUpdateParams = closedObject({ skills: Type.Array(NodeSkillDescriptor, { maxItems: 64 }) });
export const NodeSkillsUpdateResult = closedObject({ nodeId: NonEmptyString, skills: Type.Array(NodeDeclaredTool) });

/** `node.pluginTools.update` params and result: the node replaces its plugin and MCP tools. */
export const NodePluginToolsUpdateParams = closedObject({ tools: Type.Array(NodePluginToolDescriptor, { maxItems: 128 }) });
export const NodePluginToolsUpdateResult = closedObject({ nodeId: NonEmptyString, tools: Type.Array(NodeDeclaredTool) });

/** OpenClaw's runner inventory declaration (`{protocolFeatures, workerHost?}`); recorded for `node.describe`. */
export const NodeRunnerInventoryUpdateParams = closedObject({
  protocolFeatures: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 16 }),
  workerHost: Type.Optional(JsonObject),
  workerRuns: Type.Optional(Type.Unknown()),
});
/** `node.runnerInventory.update` result. */
export const NodeRunnerInventoryUpdateResult = closedObject({ nodeId: NonEmptyString });

// ── events ─────────────────────────────────────────────────────────────────────────────────────

export const nodeEvents = {
  'node.invoke.request': event({
    payload: NodeInvokeRequestEvent,
    access: 'node',
    droppable: false,
    targeted: true,
    summary: 'Run a command: sent to one node\'s socket only; the node answers with node.invoke.result.',
  }),
  'node.invoke.cancel': event({
    payload: NodeInvokeCancelEvent,
    access: 'node',
    droppable: false,
    targeted: true,
    summary: 'The gateway stopped waiting for an invoke (timeout or abort); the node should stop the work.',
  }),
};

// ── method entries ─────────────────────────────────────────────────────────────────────────────

export const nodeMethods = {
  'node.list': method({
    params: NodeListParams,
    result: NodeListResult,
    access: 'operator.read',
    sideEffect: false,
    summary: 'Paired and connected nodes, connected first: declared and invocable commands, caps, when seen.',
  }),
  'node.describe': method({
    params: NodeDescribeParams,
    result: NodeDescribeResult,
    access: 'operator.read',
    sideEffect: false,
    summary: 'One node in detail: its summary, host stats, declared skills and plugin tools, exec allowlist.',
  }),
  'node.rename': method({
    params: NodeRenameParams,
    result: NodeRenameResult,
    access: 'operator.pairing',
    sideEffect: false,
    summary: 'Sets the label operators see for a paired node (kept across reconnects and re-pairing).',
  }),
  'node.invoke': method({
    params: NodeInvokeParams,
    result: NodeInvokeResult,
    access: 'operator.write',
    sideEffect: true,
    summary: 'Runs a command on a connected node and waits for its answer; system.run first needs an exec approval unless allowlisted.',
  }),
  'node.invoke.result': method({
    params: NodeInvokeResultParams,
    result: NodeInvokeResultResult,
    access: 'node',
    sideEffect: false,
    summary: 'A node answers a node.invoke.request; late or unknown ids are ignored.',
  }),
  'node.event': method({
    params: NodeEventParams,
    result: NodeEventResult,
    access: 'node',
    sideEffect: false,
    summary: 'A node reports an event of its own (node.host.stats, exec.started/finished/denied, ...).',
  }),
  'node.skills.update': method({
    params: NodeSkillsUpdateParams,
    result: NodeSkillsUpdateResult,
    access: 'node',
    sideEffect: false,
    summary: 'A node replaces the list of skills it offers (shown by node.describe).',
  }),
  'node.pluginTools.update': method({
    params: NodePluginToolsUpdateParams,
    result: NodePluginToolsUpdateResult,
    access: 'node',
    sideEffect: false,
    summary: 'A node replaces the list of plugin and MCP tools it offers (shown by node.describe).',
  }),
  'node.runnerInventory.update': method({
    params: NodeRunnerInventoryUpdateParams,
    result: NodeRunnerInventoryUpdateResult,
    access: 'node',
    sideEffect: false,
    summary: 'A node declares its runner features (OpenClaw workers); recorded and shown by node.describe.',
  }),
};
