/**
 * Exec approvals area: `system.run` on a node needs an operator's decision unless the exact command
 * is on that node's allowlist. The gateway announces each request with `exec.approval.requested`
 * to operators holding `operator.approvals`; one of them answers with `exec.approval.resolve`
 * (`allow-once`, `allow-always` — which also adds the command to the node's allowlist — or `deny`).
 * No decision within the timeout means deny. Every decision is recorded; `exec.approval.history`
 * reads the record.
 *
 * Shapes follow OpenClaw's (`{id, request, createdAtMs, expiresAtMs}`, decisions `allow-once |
 * allow-always | deny`), so OpenClaw operator clients can list and resolve Switchboard's approvals.
 */
import { Type, type Static } from '@sinclair/typebox';
import { NonEmptyString, Nullable, StringEnum, TimestampMs, closedObject } from './primitives.js';
import { event, method } from './method.js';

// ── shapes ─────────────────────────────────────────────────────────────────────────────────────

/** What an operator may answer. */
export const ExecApprovalDecisions = ['allow-once', 'allow-always', 'deny'] as const;
export type ExecApprovalDecision = (typeof ExecApprovalDecisions)[number];

/** How a request ended: decided by an operator, expired (no decision in time: deny), or cancelled (the caller gave up). */
export const ExecApprovalEndings = ['decided', 'expired', 'cancelled'] as const;

// One schema object per enum, reused everywhere and never copied (Type.Optional copies), so code
// generators name each enum once.
const Decision = StringEnum(ExecApprovalDecisions);
const Ending = StringEnum(ExecApprovalEndings);

/** The command an approval is about (OpenClaw's exec approval `request`). */
export const ExecApprovalRequest = closedObject({
  /** The command as one line of text, for display (each argument quoted when needed). */
  command: NonEmptyString,
  /** The exact argv that will run; the approval binds to it. */
  commandArgv: Type.Array(Type.String()),
  cwd: Type.Optional(Nullable(Type.String())),
  /** Names of the environment variables the call sets (values are not shown). */
  envKeys: Type.Optional(Type.Array(Type.String())),
  nodeId: NonEmptyString,
  /** The node's label, for display. */
  nodeName: Type.Optional(NonEmptyString),
  host: Type.Literal('node'),
  /** Who asked: `agent` (a tool call in an agent run) or `operator` (a node.invoke). */
  requestedBy: Type.Optional(StringEnum(['agent', 'operator'] as const)),
  agentId: Type.Optional(Nullable(Type.String())),
  /** The chat session of the agent run (or the operator's `node.invoke`); `/approve` typed in that chat finds it. */
  sessionKey: Type.Optional(Nullable(Type.String())),
  /** The agent run that asked, for an agent's tool call. */
  runId: Type.Optional(NonEmptyString),
});
export type ExecApprovalRequest = Static<typeof ExecApprovalRequest>;

/** A pending approval: `exec.approval.requested` payload and `exec.approval.list` entry. */
export const ExecApprovalEntry = closedObject({
  id: NonEmptyString,
  approvalKind: Type.Optional(Type.Literal('exec')),
  request: ExecApprovalRequest,
  createdAtMs: TimestampMs,
  /** No decision by then means deny. */
  expiresAtMs: TimestampMs,
});
export type ExecApprovalEntry = Static<typeof ExecApprovalEntry>;

/** Payload of `exec.approval.resolved`. */
export const ExecApprovalResolvedEvent = closedObject({
  id: NonEmptyString,
  decision: Decision,
  /** `decided` by an operator, `expired` (no decision in time), or `cancelled` (the caller stopped waiting). */
  ending: Ending,
  /** The deciding operator's device id or auth method, or `timeout`. */
  resolvedBy: Type.Optional(Type.String()),
  ts: TimestampMs,
  request: ExecApprovalRequest,
});
export type ExecApprovalResolvedEvent = Static<typeof ExecApprovalResolvedEvent>;

/** One row of the durable record. */
export const ExecApprovalRecord = closedObject({
  id: NonEmptyString,
  request: ExecApprovalRequest,
  createdAtMs: TimestampMs,
  expiresAtMs: TimestampMs,
  /** Null while pending. */
  decision: Nullable(Decision),
  ending: Nullable(Ending),
  resolvedBy: Type.Optional(Type.String()),
  resolvedAtMs: Type.Optional(TimestampMs),
});
export type ExecApprovalRecord = Static<typeof ExecApprovalRecord>;

/** `exec.approval.list` params and result: the pending approvals (a bare array, as OpenClaw answers). */
export const ExecApprovalListParams = closedObject({});
export const ExecApprovalListResult = Type.Array(ExecApprovalEntry);

/** `exec.approval.resolve` params and result. */
export const ExecApprovalResolveParams = closedObject({
  id: NonEmptyString,
  decision: Decision,
});
export const ExecApprovalResolveResult = closedObject({ ok: Type.Literal(true) });

/** `exec.approval.history` params and result. */
export const ExecApprovalHistoryParams = closedObject({
  /** Newest first; default 50, at most 500. */
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
});
export const ExecApprovalHistoryResult = closedObject({ approvals: Type.Array(ExecApprovalRecord) });
export type ExecApprovalHistoryResult = Static<typeof ExecApprovalHistoryResult>;

// ── events ─────────────────────────────────────────────────────────────────────────────────────

export const approvalEvents = {
  'exec.approval.requested': event({
    payload: ExecApprovalEntry,
    access: 'operator.approvals',
    droppable: true,
    summary: 'A command waits for an operator\'s decision (exec.approval.resolve); exec.approval.list has every pending one.',
  }),
  'exec.approval.resolved': event({
    payload: ExecApprovalResolvedEvent,
    access: 'operator.approvals',
    droppable: true,
    summary: 'An approval was decided, expired (deny) or cancelled.',
  }),
};

// ── method entries ─────────────────────────────────────────────────────────────────────────────

export const approvalMethods = {
  'exec.approval.list': method({
    params: ExecApprovalListParams,
    result: ExecApprovalListResult,
    access: 'operator.approvals',
    sideEffect: false,
    summary: 'The approvals waiting for a decision, oldest first.',
  }),
  'exec.approval.resolve': method({
    params: ExecApprovalResolveParams,
    result: ExecApprovalResolveResult,
    access: 'operator.approvals',
    sideEffect: false,
    summary: 'Decides a pending approval: allow-once, allow-always (adds the command to the node\'s allowlist) or deny.',
  }),
  'exec.approval.history': method({
    params: ExecApprovalHistoryParams,
    result: ExecApprovalHistoryResult,
    access: 'operator.approvals',
    sideEffect: false,
    summary: 'The recorded approvals, newest first: what was asked, by whom, and how it was decided.',
  }),
};
