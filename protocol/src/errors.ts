/**
 * The one error-code table. Every error on the wire carries one of these codes; `retryable`
 * defaults from here, and `docs/protocol.md` lists the same rows (a test keeps them in sync).
 *
 * Codes and detail codes follow OpenClaw protocol v4, so OpenClaw clients branch on them unchanged.
 */
import type { ErrorShape } from './frames.js';

/** What a top-level error code means and how a client should react. */
export interface ErrorCodeSpec {
  /** One sentence: when the gateway sends it. */
  readonly meaning: string;
  /** Whether retrying the same request later can succeed. */
  readonly retryable: boolean;
  /** The WebSocket close code that follows when this error ends a handshake; absent if it never closes. */
  readonly closeCode?: number;
}

export const ErrorCodes = {
  INVALID_REQUEST: {
    meaning: 'The frame or its params do not match the schema, the method is unknown, or the handshake was malformed or failed authentication.',
    retryable: false,
    closeCode: 1008,
  },
  NOT_PAIRED: {
    meaning: 'The device is not paired for the requested role or scopes; details.requestId names the pending pairing request to approve.',
    retryable: false,
    closeCode: 1008,
  },
  NOT_LINKED: {
    meaning: 'The channel account is not linked yet (for example WhatsApp needs a QR scan). OpenClaw code, not sent by Switchboard: channels.status shows whether an account is linked.',
    retryable: false,
  },
  FORBIDDEN: {
    meaning: 'The caller is authenticated but lacks the role or scope the method needs (details.missingScope names it), or an operator denied the action or let its approval expire (details.code EXEC_APPROVAL_*); an approval cancelled because the caller stopped waiting is UNAVAILABLE instead.',
    retryable: false,
  },
  RATE_LIMITED: {
    meaning: 'Too many requests or failed attempts from this caller; retryAfterMs says when to try again.',
    retryable: true,
    closeCode: 1008,
  },
  UNAVAILABLE: {
    meaning: 'The gateway cannot do this right now: a node or channel is offline, a delivery failed, a limit was reached, or the gateway is shutting down.',
    retryable: true,
  },
  AGENT_TIMEOUT: {
    meaning: 'The agent run did not finish within its time limit.',
    retryable: true,
  },
  APPROVAL_NOT_FOUND: {
    meaning: 'The approval id is unknown or was already decided or expired.',
    retryable: false,
  },
  INTERNAL_ERROR: {
    meaning: 'The gateway hit an unexpected fault while handling the request; details.ref points at the gateway log line.',
    retryable: false,
  },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ErrorCodes;

/** Machine-readable reasons carried in `error.details.code` (OpenClaw's connect and method detail codes). */
export const ErrorDetailCodes = {
  PROTOCOL_MISMATCH: 'The client offered a protocol range without this server\'s version.',
  AUTH_REQUIRED: 'The gateway needs a credential and none was sent. OpenClaw code, not sent by Switchboard: a missing credential is AUTH_TOKEN_MISSING or AUTH_PASSWORD_MISSING.',
  AUTH_UNAUTHORIZED: 'The credential was not accepted.',
  AUTH_TOKEN_MISSING: 'Token auth is on and connect.params.auth.token is missing.',
  AUTH_TOKEN_MISMATCH: 'The gateway token does not match.',
  AUTH_TOKEN_NOT_CONFIGURED: 'The client sent a token but the gateway has none configured. OpenClaw code, not sent by Switchboard: token mode always has a token (one is generated on first run).',
  AUTH_PASSWORD_MISSING: 'Password auth is on and connect.params.auth.password is missing.',
  AUTH_PASSWORD_MISMATCH: 'The gateway password does not match.',
  AUTH_PASSWORD_NOT_CONFIGURED: 'The client sent a password but the gateway has none configured. OpenClaw code, not sent by Switchboard: the gateway does not start in password mode without a password.',
  AUTH_DEVICE_TOKEN_MISMATCH: 'The device token is unknown, revoked, or does not cover the requested scopes.',
  AUTH_RATE_LIMITED: 'Too many failed attempts from this address; wait retryAfterMs.',
  DEVICE_IDENTITY_REQUIRED: 'This connection must present a signed device identity.',
  DEVICE_AUTH_INVALID: 'The device block is malformed.',
  DEVICE_AUTH_DEVICE_ID_MISMATCH: 'device.id is not the SHA-256 of device.publicKey.',
  DEVICE_AUTH_SIGNATURE_EXPIRED: 'device.signedAt is more than two minutes from the gateway clock.',
  DEVICE_AUTH_NONCE_REQUIRED: 'device.nonce is missing.',
  DEVICE_AUTH_NONCE_MISMATCH: 'device.nonce is not this connection\'s challenge nonce.',
  DEVICE_AUTH_SIGNATURE_INVALID: 'The Ed25519 signature does not verify.',
  DEVICE_AUTH_PUBLIC_KEY_INVALID: 'device.publicKey is not a valid Ed25519 key.',
  PAIRING_REQUIRED: 'The device must be approved; see details.requestId.',
  CONTROL_UI_ORIGIN_NOT_ALLOWED: 'The browser Origin is not the gateway\'s own origin or in the allowlist. OpenClaw code, not sent by Switchboard: such an upgrade is refused with HTTP 403 before any frame.',
  MISSING_SCOPE: 'The caller lacks details.missingScope.',
  ROLE_NOT_ALLOWED: 'The method is reserved for another role (operator or node).',
  PAYLOAD_TOO_LARGE: 'The frame exceeds policy.maxPayload.',
  CONNECTION_BUDGET_EXCEEDED: 'The connection sent more requests than its budget allows.',
  UNKNOWN_REQUEST_ID: 'No pending pairing request has this id (it was decided, expired after five minutes, or never existed).',
  UNKNOWN_DEVICE_ID: 'No paired device has this id.',
  ROLE_NOT_APPROVED: 'The device was never approved for this role, so it has no token for it.',
  PAIRING_QUEUE_FULL: 'Too many pairing requests are pending; approve or reject some first.',
  IDEMPOTENCY_KEY_REUSED: 'The idempotencyKey was already used for a request with different params; use a new key.',
  IDEMPOTENCY_OUTCOME_UNKNOWN: 'The gateway restarted while this request was running, so whether it took effect is unknown.',
  IDEMPOTENCY_LEDGER_FULL: 'The idempotency ledger holds its maximum of entries still in use; retry after retryAfterMs.',
  SESSION_NOT_FOUND: 'No session has this key.',
  SESSION_CHANGED: 'The session is no longer at details.expectedSessionId (it was reset or deleted meanwhile).',
  INVALID_SESSION_KEY: 'The session key is not of the form agent:<agentId>:<rest>.',
  INVALID_CURSOR: 'The pagination cursor is malformed or belongs to another session generation.',
  UNKNOWN_RUN_ID: 'No run with this id is known to this gateway (it never existed, or ended before the last restart or too long ago); read the transcript with chat.history.',
  RUN_NOT_IN_SESSION: 'The run named by runId belongs to another session than sessionKey.',
  SESSION_QUEUE_FULL: 'The session already holds its maximum of waiting messages; wait for its runs to finish or abort them.',
  UNSUPPORTED_PARAM: 'A parameter OpenClaw accepts is not supported here (details.param names it); leave it out.',
  RUN_ABORTED: 'The run was stopped (chat.abort, /stop, a newer message in interrupt mode, or a gateway stop) before it finished. OpenClaw code, not sent by Switchboard: an aborted run is reported as data (the chat event\'s state aborted, the agent final\'s summary aborted), not as an error.',
  NOT_CONNECTED: 'The node is paired but not connected now (UNAVAILABLE, retryable).',
  UNKNOWN_NODE_ID: 'No paired or connected node has this id.',
  NODE_COMMAND_NOT_ALLOWED: 'The node did not declare the command, or the gateway\'s node command allowlist does not allow it; details.reason says which.',
  NODE_DISCONNECTED: 'The node disconnected while the invoke was pending.',
  NODE_INVOKE_TIMEOUT: 'The node did not answer within the invoke timeout; the node was told to cancel.',
  NODE_INVOKE_FAILED: 'The node ran the command and reported an error; details.nodeError has its code and message.',
  NODE_ID_MISMATCH: 'A node.invoke.result named another node than the caller, or an invoke sent to another node.',
  NODE_INVOKES_FULL: 'Too many invokes or approvals are pending; wait for some to finish.',
  NODE_EVENT_TOO_LARGE: 'A node.event payload or payloadJSON is larger than details.maxBytes; the node should send less.',
  INVALID_PAYLOAD_JSON: 'A node.event payloadJSON is not valid JSON text.',
  EXEC_APPROVAL_DENIED: 'An operator denied the command (exec.approval.resolve with decision deny; FORBIDDEN), or its approval was cancelled because the caller stopped waiting or the gateway stopped (UNAVAILABLE, details.ending cancelled); either way it was not run.',
  EXEC_APPROVAL_TIMEOUT: 'No operator decided within the approval timeout, so the command was denied.',
  UNKNOWN_CHANNEL: 'The send names no channel this gateway runs (channel, or a telegram:/discord:/whatsapp: prefix on to).',
  UNKNOWN_CHANNEL_ACCOUNT: 'No account of that channel is configured under channels.<platform> in config.yaml.',
  RECIPIENT_NOT_ALLOWED: 'The chat is on no allowlist of its channel (and not a paired user under the pairing DM policy), so the gateway may not send to it.',
  PAIRING_CODE_INVALID: 'No pending pairing request of that platform has this code (codes expire after an hour); each wrong code counts toward the lockout.',
  PAIRING_LOCKED: 'Pairing approvals of that platform are locked after five wrong codes; wait until details.lockedUntil.',
} as const;
export type ErrorDetailCode = keyof typeof ErrorDetailCodes;

/** WebSocket close codes the gateway uses, with the reason text it sends. */
export const CloseCodes = {
  NORMAL: 1000,
  /** Protocol version mismatch (OpenClaw v3+ convention). */
  PROTOCOL_ERROR: 1002,
  /** Handshake failure, auth failure, pairing required, slow consumer, abuse. */
  POLICY_VIOLATION: 1008,
  /** A frame larger than the hard limit. */
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  /** Gateway shutting down or restarting; reconnect after `restartExpectedMs`. */
  SERVICE_RESTART: 1012,
  /** Client-side: nothing heard for twice the tick interval. */
  TICK_TIMEOUT: 4000,
} as const;

/** Options for {@link GatewayError}. */
export interface GatewayErrorOptions {
  details?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * The error handlers throw and clients receive. Its shape is the wire `ErrorShape`;
 * `retryable` defaults from {@link ErrorCodes}.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode | (string & {});
  readonly details?: unknown;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode | (string & {}), message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? (ErrorCodes as Record<string, ErrorCodeSpec>)[code]?.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The wire form. */
  toShape(): ErrorShape {
    const shape: ErrorShape = { code: this.code, message: this.message || this.code };
    if (this.details !== undefined) shape.details = this.details;
    shape.retryable = this.retryable;
    if (this.retryAfterMs !== undefined) shape.retryAfterMs = this.retryAfterMs;
    return shape;
  }

  /** Rebuilds an error received on the wire. */
  static fromShape(shape: ErrorShape): GatewayError {
    return new GatewayError(shape.code, shape.message, {
      details: shape.details,
      retryable: shape.retryable,
      retryAfterMs: shape.retryAfterMs,
    });
  }
}
