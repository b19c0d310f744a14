/**
 * Node handlers: `node.list|describe|rename|invoke` for operators; `node.invoke.result`,
 * `node.event` and the declaration updates for nodes. The work is in `services.nodes`
 * (gateway/src/nodes/); these only map params and callers onto it.
 */
import type { Handler, MethodContext } from '../context.js';
import { idempotencyScope } from '../idempotency/scope.js';
import { handleNodeEvent } from '../nodes/node-events.js';
import { updatePluginTools, updateRunnerInventory, updateSkills } from '../nodes/reports.js';

/** The calling node's live session (undefined when the caller is not the node's current connection). */
const sessionOf = (ctx: MethodContext) => ctx.services.nodes.registry.forCaller(ctx.caller);

export const nodeList: Handler<'node.list'> = (ctx) => ({ ts: Date.now(), nodes: ctx.services.nodes.list() });

export const nodeDescribe: Handler<'node.describe'> = (ctx, { nodeId }) => ctx.services.nodes.describe(nodeId);

export const nodeRename: Handler<'node.rename'> = (ctx, { nodeId, displayName }) => {
  const renamed = ctx.services.nodes.rename(nodeId, displayName);
  ctx.log.info({ nodeId, by: ctx.caller.deviceId ?? ctx.caller.authMethod }, 'node renamed');
  return renamed;
};

export const nodeInvoke: Handler<'node.invoke'> = (ctx, p) =>
  ctx.services.nodes.invoke({
    nodeId: p.nodeId, command: p.command, params: p.params, timeoutMs: p.timeoutMs, idempotencyKey: p.idempotencyKey,
    principal: idempotencyScope(ctx.caller), sessionKey: p.sessionKey, requestedBy: 'operator', signal: ctx.signal,
  });

export const nodeInvokeResult: Handler<'node.invoke.result'> = (ctx, p) => ctx.services.nodes.result(ctx.caller.deviceId, p);

export const nodeEvent: Handler<'node.event'> = (ctx, p) => handleNodeEvent(sessionOf(ctx), p, { log: ctx.log, emit: ctx.emit });

export const nodeSkillsUpdate: Handler<'node.skills.update'> = (ctx, p) => updateSkills(sessionOf(ctx), p.skills);

export const nodePluginToolsUpdate: Handler<'node.pluginTools.update'> = (ctx, p) => updatePluginTools(sessionOf(ctx), p.tools);

export const nodeRunnerInventoryUpdate: Handler<'node.runnerInventory.update'> = (ctx, p) => updateRunnerInventory(sessionOf(ctx), p);

/** The nodes area's handlers, by method. */
export const nodeHandlers = {
  'node.list': nodeList,
  'node.describe': nodeDescribe,
  'node.rename': nodeRename,
  'node.invoke': nodeInvoke,
  'node.invoke.result': nodeInvokeResult,
  'node.event': nodeEvent,
  'node.skills.update': nodeSkillsUpdate,
  'node.pluginTools.update': nodePluginToolsUpdate,
  'node.runnerInventory.update': nodeRunnerInventoryUpdate,
};
