/**
 * The errors of the nodes area, in one place so their codes, details and wording stay consistent
 * (docs/nodes.md lists them; the detail codes are in protocol/src/errors.ts).
 */
import { GatewayError, type ExecApprovalRequest } from '@switchboard/protocol';
import type { ApprovalOutcome } from '../approvals/service.js';
import type { NodeAnswer } from './pending.js';
import type { NodeSession } from './registry.js';

/** No paired or connected node has this id. */
export function unknownNode(nodeId: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `unknown nodeId: ${nodeId} (see \`switchboard nodes list\` for paired and connected nodes)`, {
    details: { code: 'UNKNOWN_NODE_ID', nodeId },
  });
}

/** The node's connection closed while `command` was pending. */
export function disconnected(nodeId: string, command: string): GatewayError {
  return new GatewayError('UNAVAILABLE', `node ${nodeId} disconnected while ${command} was pending; the command may or may not have run`, {
    details: { code: 'NODE_DISCONNECTED', nodeId, command },
  });
}

/** The caller stopped waiting (an aborted run, a stopping gateway). */
export function aborted(command: string): GatewayError {
  return new GatewayError('UNAVAILABLE', `${command} was abandoned: the caller stopped waiting (run aborted or gateway stopping)`, { retryable: false });
}

/** What to change for each reason a command is refused. */
const HINTS = {
  reserved: 'exec approvals are managed by the gateway (exec.approval.*), not through node.invoke',
  'not-declared': 'the node did not declare it in its connect (see `switchboard nodes describe`)',
  'not-allowlisted': 'it is not in the node command allowlist for this platform; add it to nodes.allowCommands to allow it',
};

/** The command may not be invoked on this node, and why. */
export function commandNotAllowed(session: NodeSession, command: string, reason: keyof typeof HINTS): GatewayError {
  return new GatewayError('INVALID_REQUEST', `node command not allowed: ${command} on node ${session.nodeId}: ${HINTS[reason]}`, {
    details: { code: 'NODE_COMMAND_NOT_ALLOWED', reason, command, nodeId: session.nodeId, platform: session.platformId },
  });
}

/** The node ran the command and reported an error. */
export function nodeFailed(nodeId: string, command: string, error: NodeAnswer['error']): GatewayError {
  const code = error?.code ?? 'ERROR';
  return new GatewayError('UNAVAILABLE', `node ${nodeId} could not run ${command}: ${error?.message ?? code}`, {
    retryable: false,
    details: { code: 'NODE_INVOKE_FAILED', nodeId, command, nodeError: { code, ...(error?.message ? { message: error.message } : {}) } },
  });
}

/** An exec approval that ended in deny: decided, expired or cancelled. */
export function denied(request: ExecApprovalRequest, outcome: ApprovalOutcome, timeoutMs: number): GatewayError {
  const what = `\`${request.command}\` on node ${request.nodeName ?? request.nodeId}`;
  if (outcome.ending === 'cancelled') {
    return new GatewayError('UNAVAILABLE', `the exec approval for ${what} was cancelled (${outcome.resolvedBy}); the command was not run`, {
      retryable: false, details: { code: 'EXEC_APPROVAL_DENIED', approvalId: outcome.id, ending: 'cancelled' },
    });
  }
  if (outcome.ending === 'expired') {
    return new GatewayError('FORBIDDEN', `no operator decided on ${what} within ${Math.round(timeoutMs / 1000)} s, so it was not run (no decision means deny); approve it in time with \`switchboard approvals approve <id>\``, {
      details: { code: 'EXEC_APPROVAL_TIMEOUT', approvalId: outcome.id },
    });
  }
  return new GatewayError('FORBIDDEN', `an operator denied ${what}; it was not run`, {
    details: { code: 'EXEC_APPROVAL_DENIED', approvalId: outcome.id, resolvedBy: outcome.resolvedBy },
  });
}
