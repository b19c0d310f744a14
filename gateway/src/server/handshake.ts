/**
 * The `connect` request: params validation, protocol negotiation, authentication, and the
 * `hello-ok` answer. Every failure replies with an error and closes the socket (1008, or 1002 for a
 * protocol mismatch), exactly as OpenClaw does.
 */
import {
  GatewayError, HANDSHAKE_METHOD, MIN_CLIENT_PROTOCOL_VERSION, MIN_NODE_PROTOCOL_VERSION, PROTOCOL_VERSION,
  eventNames, methodNames, CloseCodes,
  type ConnectParams, type HelloOk, type RequestFrame,
} from '@switchboard/protocol';
import { formatValidationErrors, type ProtocolValidators } from '@switchboard/protocol/validators';
import { closeReasonFor } from '../auth/errors.js';
import type { GatewayServices } from '../context.js';
import type { CallerInfo, Connection } from './connection.js';
import { RESUME_CAPABILITY, ReplayStore, type ResumeOutcome } from './replay.js';
import { nodesPolicy } from '../nodes/options.js';

/** Server capability flags advertised in hello-ok.features.capabilities. */
export const SERVER_CAPABILITIES: string[] = [RESUME_CAPABILITY];

/** The outcome of a handshake attempt. */
export type HandshakeResult =
  | { ok: true; caller: CallerInfo; hello: HelloOk; resume?: ResumeOutcome & { requested: boolean } }
  | { ok: false; error: GatewayError; closeCode: number; closeReason: string };

function fail(error: GatewayError, closeCode: number = CloseCodes.POLICY_VIOLATION, closeReason = error.message): HandshakeResult {
  return { ok: false, error, closeCode, closeReason };
}

/** Runs the handshake for the first request frame of a connection. */
export function performHandshake(
  conn: Connection,
  frame: RequestFrame,
  services: GatewayServices,
  validators: ProtocolValidators,
): HandshakeResult {
  if (frame.method !== HANDSHAKE_METHOD) {
    return fail(new GatewayError('INVALID_REQUEST', 'invalid handshake: first request must be connect'));
  }
  if (!validators.connectParams(frame.params)) {
    const errors = validators.connectParams.errors ?? [];
    const message = `invalid connect params: ${formatValidationErrors(errors)}`;
    // Only the signed device block is wrong: OpenClaw's DEVICE_AUTH_INVALID tells the client which part to fix.
    if (errors.length > 0 && errors.every((e) => e.instancePath === '/device' || e.instancePath.startsWith('/device/'))) {
      return fail(new GatewayError('INVALID_REQUEST', `${message}; device must be {id, publicKey, signature, signedAt, nonce} as in docs/protocol.md`, {
        details: { code: 'DEVICE_AUTH_INVALID' },
      }));
    }
    return fail(new GatewayError('INVALID_REQUEST', message));
  }
  const params = frame.params as ConnectParams;

  const isNode = params.role === 'node' && params.client.mode === 'node';
  const floor = isNode || params.client.mode === 'probe' ? MIN_NODE_PROTOCOL_VERSION : MIN_CLIENT_PROTOCOL_VERSION;
  if (params.maxProtocol < PROTOCOL_VERSION || params.minProtocol > PROTOCOL_VERSION || params.maxProtocol < floor) {
    return fail(
      new GatewayError('INVALID_REQUEST', 'protocol mismatch', {
        details: { code: 'PROTOCOL_MISMATCH', expectedProtocol: PROTOCOL_VERSION, minProtocol: params.minProtocol, maxProtocol: params.maxProtocol },
      }),
      CloseCodes.PROTOCOL_ERROR,
      'protocol mismatch',
    );
  }
  if (params.role !== undefined && params.role !== 'operator' && params.role !== 'node') {
    return fail(new GatewayError('INVALID_REQUEST', 'invalid role'));
  }

  let grant;
  try {
    grant = services.auth.authenticate(params, conn);
  } catch (err) {
    if (err instanceof GatewayError) return fail(err, CloseCodes.POLICY_VIOLATION, closeReasonFor(err));
    throw err;
  }

  const caller: CallerInfo = {
    connId: conn.id,
    role: grant.role,
    scopes: grant.scopes,
    client: params.client,
    caps: params.caps ?? [],
    ...(grant.deviceId ? { deviceId: grant.deviceId } : {}),
    authMethod: grant.authMethod,
    peer: conn.peer,
    ...(grant.role === 'node' ? { node: { commands: params.commands ?? [], permissions: params.permissions, pathEnv: params.pathEnv } } : {}),
  };
  const limits = services.options.limits;
  const hello: HelloOk = {
    type: 'hello-ok',
    protocol: PROTOCOL_VERSION,
    server: { version: services.version, connId: conn.id },
    features: {
      methods: methodNames().filter((m) => m !== HANDSHAKE_METHOD),
      events: eventNames(),
      capabilities: SERVER_CAPABILITIES,
    },
    snapshot: {
      presence: services.presence.list(),
      health: services.health.summary(),
      stateVersion: { presence: services.presence.version, health: services.health.version },
      uptimeMs: Date.now() - services.startedAt,
      stateDir: services.options.stateDir,
      sessionDefaults: { defaultAgentId: 'main', mainKey: 'main', mainSessionKey: 'agent:main:main' },
      authMode: services.options.auth.mode,
    },
    auth: {
      role: grant.role,
      scopes: grant.scopes,
      ...(grant.deviceToken ? { deviceToken: grant.deviceToken, issuedAtMs: grant.issuedAtMs } : {}),
    },
    policy: {
      maxPayload: limits.maxPayload,
      maxBufferedBytes: limits.maxBufferedBytes,
      tickIntervalMs: limits.tickIntervalMs,
      handshakeTimeoutMs: limits.handshakeTimeoutMs,
      slowConsumerGraceMs: limits.slowConsumerGraceMs,
      requestBudget: { ...limits.requestBudget },
      idempotency: { ttlMs: limits.idempotencyTtlMs, maxEntries: limits.maxIdempotencyEntries },
      history: { maxBytes: limits.historyMaxBytes, maxEntryBytes: limits.historyMaxEntryBytes },
      runs: { maxQueuedPerSession: limits.runs.maxQueuedPerSession, chatDeltaIntervalMs: limits.runs.chatDeltaIntervalMs, runTimeoutMs: limits.runs.runTimeoutMs },
      nodes: nodesPolicy(services.options.nodes),
    },
  };
  if (!ReplayStore.wants(caller)) return { ok: true, caller, hello };
  hello.policy.replay = { maxEvents: services.replay.limits.maxEvents, maxBytes: services.replay.limits.maxBytes, ttlMs: services.replay.limits.ttlMs };
  if (!params.resume) return { ok: true, caller, hello, resume: { resumed: false, requested: false } };
  const outcome = services.replay.resume(params.resume.token, params.resume.lastSeq, caller);
  // Numbering continues from the old connection so the client's lastSeq stays meaningful.
  if (outcome.resumed) conn.continueSeqFrom(outcome.lastSeq);
  if (outcome.resumed && outcome.staleConnId) services.connections.get(outcome.staleConnId)?.close(1000, 'resumed on a new connection');
  return { ok: true, caller, hello, resume: { ...outcome, requested: true } };
}
