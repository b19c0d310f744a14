/**
 * The auth pipeline of a `connect`: rate limit → shared secret → device identity → device token →
 * pairing decision → role and scope grant. See docs/security.md for the policy in one table.
 *
 * - Device-less connections are allowed only from **direct loopback** with the shared secret (the
 *   host's owner: the local CLI, OpenClaw's CLI, scripts); they get the scopes they ask for.
 * - A signed device is authenticated by the shared secret or by its own device token. It then needs
 *   a pairing that covers the requested role and scopes. Direct loopback with the shared secret is
 *   approved on the spot; so is the same-origin browser (WebChat) on direct loopback without any
 *   secret, for `operator.read`/`operator.write` only. Everything else gets `NOT_PAIRED` with a
 *   pending request and the command that approves it.
 * - Wrong secrets, bad signatures and bad device tokens count against the address's failure budget.
 */
import { randomUUID } from 'node:crypto';
import {
  GatewayError, OperatorScopes, isOperatorScope, scopesCover,
  type ConnectParams, type DeviceAuth, type PairingReason, type PendingDevicePairing, type Role,
} from '@switchboard/protocol';
import type { CallerInfo } from '../server/connection.js';
import type { PeerInfo } from '../server/peer.js';
import type { DeviceClaim, DeviceRepository } from '../store/devices-repo.js';
import { checkSharedSecret, type SharedSecretResult } from './authenticate.js';
import { verifyDeviceSignature, type VerifiedDevice } from './device-signature.js';
import { deviceIdentityRequiredError, deviceTokenMismatchError, pairingRequiredError, rateLimitedError } from './errors.js';
import { isSameOrigin } from './guards.js';
import type { AuthRateLimiter } from './rate-limit.js';
import type { SharedAuthConfig } from './shared-secret.js';

/** What a successful handshake grants. */
export interface AuthGrant {
  role: Role;
  scopes: string[];
  authMethod: CallerInfo['authMethod'];
  deviceId?: string;
  /** A freshly issued device token, sent once in hello-ok.auth.deviceToken. */
  deviceToken?: string;
  issuedAtMs?: number;
}

/** The connection being authenticated, as far as auth needs it. */
export interface ConnectSubject {
  readonly peer: PeerInfo;
  /** The challenge nonce, available once. */
  spendNonce(): string | undefined;
}

/** Where pairing decisions are announced (operators with operator.pairing). */
export interface PairingEvents {
  requested(request: PendingDevicePairing): void;
  resolved(requestId: string, deviceId: string, decision: 'approved' | 'rejected'): void;
}

/** What the pipeline reads and writes. */
export interface PipelineDeps {
  auth: SharedAuthConfig;
  devices: DeviceRepository;
  limiter: AuthRateLimiter;
  events: PairingEvents;
}

/** Scopes a secret-less same-origin browser on direct loopback may be paired for without an approval. */
export const LOCAL_BROWSER_SCOPES: readonly string[] = ['operator.read', 'operator.write'];

/**
 * How a signed device proved itself: the shared secret, its device token, or (same-origin browser on
 * direct loopback) the signature alone. `hasToken`: it presented a valid device token for the role.
 */
interface Proof {
  kind: 'shared' | 'device-token' | 'local-browser';
  hasToken: boolean;
  method?: 'token' | 'password' | 'none';
  tokenScopes?: string[];
}

/** Runs the pipeline; returns the grant or throws the GatewayError to send before closing (1008). */
export function authenticateConnect(params: ConnectParams, subject: ConnectSubject, deps: PipelineDeps, now = Date.now()): AuthGrant {
  const address = subject.peer.clientAddress;
  const lockedFor = deps.limiter.retryAfter(address, now);
  if (lockedFor > 0) throw rateLimitedError(lockedFor);
  const fail: (error: GatewayError) => never = (error) => {
    const lockout = deps.limiter.recordFailure(address, now);
    throw lockout > 0 ? rateLimitedError(lockout) : error;
  };

  const nonce = subject.spendNonce();
  const role: Role = params.role === 'node' ? 'node' : 'operator';
  const scopes = role === 'operator' ? [...new Set((params.scopes ?? []).filter(isOperatorScope))] : [];
  const shared = checkSharedSecret(params, deps.auth, subject.peer);

  if (!params.device) {
    if (shared.status === 'wrong') fail(shared.error);
    if (shared.status === 'missing') throw shared.error;
    // A node is addressed by its device id, so it must always bring one (OpenClaw requires it too).
    if (!subject.peer.isLocalDirect || role === 'node') throw deviceIdentityRequiredError();
    return { role, scopes, authMethod: shared.method };
  }
  let device: VerifiedDevice;
  try {
    device = verifyDeviceSignature(params as ConnectParams & { device: DeviceAuth }, { nonce, now });
  } catch (err) {
    return fail(err as GatewayError);
  }
  const proof = proveDevice(params, subject.peer, shared, device, role, deps, now, fail);
  return decide(params, subject.peer, device, role, scopes, proof, deps, now);
}

/** Establishes how the device authenticated, or fails. */
function proveDevice(
  params: ConnectParams, peer: PeerInfo, shared: SharedSecretResult, device: VerifiedDevice, role: Role,
  deps: PipelineDeps, now: number, fail: (e: GatewayError) => never,
): Proof {
  // OpenClaw clients without a shared secret send their device token in auth.token.
  const candidate = params.auth?.deviceToken ?? (shared.status === 'ok' ? undefined : params.auth?.token);
  const verified = candidate ? deps.devices.verifyToken(device.deviceId, role, candidate, now) : undefined;
  if (shared.status === 'ok') return { kind: 'shared', method: shared.method, hasToken: verified !== undefined };
  if (verified) return { kind: 'device-token', tokenScopes: verified.scopes, hasToken: true };
  if (candidate) return fail(params.auth?.deviceToken ? deviceTokenMismatchError() : shared.error);
  if (shared.status === 'missing' && peer.isLocalDirect && isSameOrigin(peer.origin, peer.host)) return { kind: 'local-browser', hasToken: false };
  if (shared.status === 'wrong') return fail(shared.error);
  throw shared.error;
}

/** The pairing decision: grant (issuing a token when needed), auto-approve, or ask for approval. */
function decide(
  params: ConnectParams, peer: PeerInfo, device: VerifiedDevice, role: Role, scopes: string[],
  proof: Proof, deps: PipelineDeps, now: number,
): AuthGrant {
  const record = deps.devices.getDevice(device.deviceId);
  const allowed = proof.kind === 'device-token' ? proof.tokenScopes! : record?.scopes ?? [];
  const authMethod: CallerInfo['authMethod'] = proof.kind === 'device-token' ? 'device-token' : proof.kind === 'local-browser' ? 'local' : proof.method!;
  const base = { role, scopes, authMethod, deviceId: device.deviceId };

  let reason: PairingReason | undefined;
  if (!record || record.publicKey !== device.publicKey) reason = 'not-paired';
  else if (!record.roles.includes(role)) reason = 'role-upgrade';
  else if (!scopesCover(allowed, scopes)) reason = 'scope-upgrade';

  if (!reason) {
    deps.devices.touch(device.deviceId, now, record?.lastSeenAt);
    if (proof.hasToken) return base;
    // The signature proves possession of the key: hand the device a fresh token (any old one stops working).
    return { ...base, deviceToken: deps.devices.issueToken(device.deviceId, role, now), issuedAtMs: now };
  }
  const claim = claimOf(params, peer, device, role, scopes);
  const autoApprove = peer.isLocalDirect && (proof.kind === 'shared'
    || (proof.kind === 'local-browser' && role === 'operator' && scopes.every((s) => LOCAL_BROWSER_SCOPES.includes(s))));
  if (autoApprove) {
    const { token, resolvedRequestId } = deps.devices.pairNow(claim, now);
    deps.events.resolved(resolvedRequestId ?? randomUUID(), device.deviceId, 'approved');
    return { ...base, deviceToken: token, issuedAtMs: now };
  }
  const { request, created } = deps.devices.requestPairing(claim, now);
  if (created) deps.events.requested(request);
  throw pairingRequiredError(request, reason, role, scopes);
}

function claimOf(params: ConnectParams, peer: PeerInfo, device: VerifiedDevice, role: Role, scopes: string[]): DeviceClaim {
  return {
    deviceId: device.deviceId,
    publicKey: device.publicKey,
    role,
    scopes: OperatorScopes.filter((s) => scopes.includes(s)),
    displayName: params.client.displayName,
    platform: params.client.platform,
    deviceFamily: params.client.deviceFamily,
    clientId: params.client.id,
    clientMode: params.client.mode,
    browserOrigin: peer.origin,
    remoteIp: peer.clientAddress,
  };
}
