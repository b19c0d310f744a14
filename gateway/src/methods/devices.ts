/**
 * Device handlers: `device.pair.list|approve|reject|remove`, `device.token.rotate|revoke`.
 *
 * Beyond the method scope (`operator.pairing`), a caller cannot hand out more than it holds:
 * approving a request needs every scope the request asks for (and `operator.admin` when it
 * includes role node), a token can only be set to scopes the caller holds, node tokens need `operator.admin`, and a caller that authenticated with its own
 * device token manages only that device unless it is admin.
 */
import { GatewayError, scopeSatisfies, type OperatorScope } from '@switchboard/protocol';
import type { Handler, MethodContext } from '../context.js';
import type { CallerInfo } from '../server/connection.js';

function unknownRequest(requestId: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `unknown requestId: ${requestId} (it was already decided, expired after 5 minutes, or never existed; see \`switchboard devices list\`)`, {
    details: { code: 'UNKNOWN_REQUEST_ID', requestId },
  });
}

function unknownDevice(deviceId: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `unknown deviceId: ${deviceId} (see \`switchboard devices list\` for paired devices)`, {
    details: { code: 'UNKNOWN_DEVICE_ID', deviceId },
  });
}

function forbidden(missingScope: string, message: string): GatewayError {
  return new GatewayError('FORBIDDEN', message, { details: { code: 'MISSING_SCOPE', missingScope, requiredScopes: [missingScope] } });
}

const isAdmin = (caller: CallerInfo) => scopeSatisfies(caller.scopes, 'operator.admin');

/** Throws FORBIDDEN naming the first of `scopes` the caller does not hold. */
function assertHolds(caller: CallerInfo, scopes: readonly string[], what: string): void {
  const missing = scopes.find((s) => !scopeSatisfies(caller.scopes, s as OperatorScope));
  if (missing) throw forbidden(missing, `missing scope: ${missing} (you cannot ${what} a scope you do not hold yourself)`);
}

/** Who may manage a device's token for `role`. */
function assertMayManageToken(caller: CallerInfo, deviceId: string, role: string): void {
  if (isAdmin(caller)) return;
  if (role !== 'operator') throw forbidden('operator.admin', `missing scope: operator.admin (managing ${role} tokens needs it)`);
  if (caller.authMethod === 'device-token' && caller.deviceId !== deviceId) {
    throw forbidden('operator.admin', 'missing scope: operator.admin (a device-token session can only manage its own device)');
  }
}

function deviceOrThrow(ctx: MethodContext, deviceId: string) {
  const device = ctx.services.store.devices.getDevice(deviceId);
  if (!device) throw unknownDevice(deviceId);
  return device;
}

export const pairList: Handler<'device.pair.list'> = (ctx) => {
  const devices = ctx.services.store.devices;
  return { pending: devices.listPending(), paired: devices.listDevices() };
};

export const pairApprove: Handler<'device.pair.approve'> = (ctx, { requestId }) => {
  const devices = ctx.services.store.devices;
  const pending = devices.getPending(requestId);
  if (!pending) throw unknownRequest(requestId);
  // A node request asks for no operator scopes, so holding its scopes proves nothing: a node runs
  // commands on its machine, and only an admin may let one in (or let a device add the role).
  const roles = [pending.role, ...(pending.roles ?? [])];
  if (roles.includes('node') && !isAdmin(ctx.caller)) {
    throw forbidden('operator.admin', `missing scope: operator.admin (approving a device for role node needs it; ask an admin to run \`switchboard devices approve ${requestId}\`)`);
  }
  assertHolds(ctx.caller, pending.scopes ?? [], 'approve');
  const approved = devices.approve(requestId);
  if (!approved) throw unknownRequest(requestId);
  ctx.log.info({ requestId, deviceId: approved.device.deviceId, by: ctx.caller.deviceId ?? ctx.caller.authMethod }, 'device pairing approved');
  ctx.services.auth.events.resolved(requestId, approved.device.deviceId, 'approved');
  return { requestId, device: approved.device };
};

export const pairReject: Handler<'device.pair.reject'> = (ctx, { requestId }) => {
  const rejected = ctx.services.store.devices.reject(requestId);
  if (!rejected) throw unknownRequest(requestId);
  ctx.log.info({ requestId, deviceId: rejected.deviceId }, 'device pairing rejected');
  ctx.services.auth.events.resolved(requestId, rejected.deviceId, 'rejected');
  return { requestId, deviceId: rejected.deviceId };
};

export const pairRemove: Handler<'device.pair.remove'> = (ctx, { deviceId }) => {
  if (!isAdmin(ctx.caller) && ctx.caller.authMethod === 'device-token' && ctx.caller.deviceId !== deviceId) {
    throw forbidden('operator.admin', 'missing scope: operator.admin (a device-token session can only remove its own device)');
  }
  if (!ctx.services.store.devices.remove(deviceId)) throw unknownDevice(deviceId);
  ctx.log.info({ deviceId }, 'paired device removed');
  ctx.services.auth.disconnectDevice(deviceId, { reason: 'device removed', exceptConnId: ctx.caller.connId });
  return { deviceId };
};

export const tokenRotate: Handler<'device.token.rotate'> = (ctx, { deviceId, role, scopes }) => {
  assertMayManageToken(ctx.caller, deviceId, role);
  const device = deviceOrThrow(ctx, deviceId);
  if (!device.roles.includes(role)) throw roleNotApproved(deviceId, role);
  const target = role === 'operator' ? scopes ?? device.scopes : [];
  const beyond = target.find((s) => !device.scopes.includes(s));
  if (beyond) throw new GatewayError('INVALID_REQUEST', `scope ${beyond} was never approved for device ${deviceId}; approve a pairing request for it first`);
  if (!isAdmin(ctx.caller)) assertHolds(ctx.caller, target, 'grant');
  // Only the device itself receives its new token in the answer; anyone else's rotation is withheld.
  const self = ctx.caller.deviceId === deviceId;
  const rotated = ctx.services.store.devices.rotateToken(deviceId, role, { scopes: target, deliver: self });
  if (!rotated) throw roleNotApproved(deviceId, role);
  ctx.services.auth.disconnectDevice(deviceId, { role, onlyTokenAuth: true, reason: 'device token rotated', exceptConnId: ctx.caller.connId });
  const rotatedAtMs = Date.now();
  return rotated.token
    ? { deviceId, role, token: rotated.token, scopes: rotated.scopes, rotatedAtMs, tokenDelivery: 'in-band' as const }
    : { deviceId, role, scopes: rotated.scopes, rotatedAtMs, tokenDelivery: 'withheld-cross-device' as const };
};

export const tokenRevoke: Handler<'device.token.revoke'> = (ctx, { deviceId, role }) => {
  assertMayManageToken(ctx.caller, deviceId, role);
  deviceOrThrow(ctx, deviceId);
  const revokedAtMs = ctx.services.store.devices.revokeToken(deviceId, role);
  if (revokedAtMs === undefined) throw roleNotApproved(deviceId, role);
  ctx.log.info({ deviceId, role }, 'device token revoked');
  ctx.services.auth.disconnectDevice(deviceId, { role, onlyTokenAuth: true, reason: 'device token revoked', exceptConnId: ctx.caller.connId });
  return { deviceId, role, revokedAtMs };
};

function roleNotApproved(deviceId: string, role: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `device ${deviceId} was never approved for role ${role}, so it has no ${role} token`, {
    details: { code: 'ROLE_NOT_APPROVED', deviceId, role },
  });
}

export const deviceHandlers = {
  'device.pair.list': pairList,
  'device.pair.approve': pairApprove,
  'device.pair.reject': pairReject,
  'device.pair.remove': pairRemove,
  'device.token.rotate': tokenRotate,
  'device.token.revoke': tokenRevoke,
};
