/**
 * Exec approval handlers: `exec.approval.list|resolve|history` (operator.approvals). The pending
 * requests and the durable record are `services.nodes.approvals` (gateway/src/approvals/).
 */
import type { Handler } from '../context.js';

export const approvalList: Handler<'exec.approval.list'> = (ctx) => ctx.services.nodes.approvals.list();

export const approvalResolve: Handler<'exec.approval.resolve'> = (ctx, { id, decision }) => {
  // Who decided, for the record: the operator's device, else how it authenticated and its client.
  const by = ctx.caller.deviceId ?? `${ctx.caller.authMethod}:${ctx.caller.client.id}`;
  ctx.services.nodes.approvals.resolve(id, decision, by);
  return { ok: true as const };
};

export const approvalHistory: Handler<'exec.approval.history'> = (ctx, { limit }) => ({
  approvals: ctx.services.nodes.approvals.history(limit ?? 50),
});

/** The exec approvals area's handlers, by method. */
export const approvalHandlers = {
  'exec.approval.list': approvalList,
  'exec.approval.resolve': approvalResolve,
  'exec.approval.history': approvalHistory,
};
