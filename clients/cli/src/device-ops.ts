/**
 * The operations behind `switchboard devices …`, over one of two paths:
 *
 * - online: the gateway's `device.pair.*` / `device.token.*` methods over the socket;
 * - offline: the state directory's database directly (`--offline`, or automatically when the
 *   socket is unreachable or its auth is broken and the URL is this machine), so the host's owner
 *   can always approve a device. Offline decisions take effect at the device's next connect; the
 *   running gateway announces nothing for them, but notices revocations and removals within about
 *   a second and closes the sessions they affect, as online.
 */
import { isLoopbackAddress } from '@switchboard/gateway/local';
import {
  GatewayError,
  type DevicePairApproveResult, type DevicePairListResult, type DeviceTokenRotateResult,
} from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk/node';
import { CliError, ExitCode } from './exit-codes.js';

/** One implementation of the device operations. */
export interface DeviceOps {
  /** True when working on the state directory instead of a running gateway. */
  readonly offline: boolean;
  list(): Promise<DevicePairListResult>;
  approve(requestId: string): Promise<DevicePairApproveResult>;
  reject(requestId: string): Promise<{ requestId: string; deviceId: string }>;
  remove(deviceId: string): Promise<{ deviceId: string }>;
  rotate(deviceId: string, role: string, scopes?: string[]): Promise<DeviceTokenRotateResult>;
  revoke(deviceId: string, role: string): Promise<{ deviceId: string; role: string; revokedAtMs: number }>;
  close(): void;
}

/** Device operations through a connected client. */
export function onlineOps(client: GatewayClient): DeviceOps {
  return {
    offline: false,
    list: () => client.call('device.pair.list'),
    approve: (requestId) => client.call('device.pair.approve', { requestId }),
    reject: (requestId) => client.call('device.pair.reject', { requestId }),
    remove: (deviceId) => client.call('device.pair.remove', { deviceId }),
    rotate: (deviceId, role, scopes) => client.call('device.token.rotate', { deviceId, role, ...(scopes ? { scopes } : {}) }),
    revoke: (deviceId, role) => client.call('device.token.revoke', { deviceId, role }),
    close: () => client.close(),
  };
}

/** Device operations on the state directory's database (the host owner acts as admin). */
export async function offlineOps(stateDir: string): Promise<DeviceOps> {
  const { openOfflineDevices } = await import('@switchboard/gateway');
  let opened;
  try {
    opened = openOfflineDevices(stateDir);
  } catch (err) {
    throw new CliError(ExitCode.ERROR_REPLY, err instanceof Error ? err.message : String(err));
  }
  const store = opened.devices;
  const unknown = (kind: 'requestId' | 'deviceId', id: string) =>
    new CliError(ExitCode.ERROR_REPLY, `unknown ${kind}: ${id} (see \`switchboard devices list --offline\`)`);
  const roleNotApproved = (deviceId: string, role: string) =>
    new CliError(ExitCode.ERROR_REPLY, `device ${deviceId} was never approved for role ${role}`);
  return {
    offline: true,
    list: async () => ({ pending: store.listPending(), paired: store.listDevices() }),
    approve: async (requestId) => {
      const approved = store.approve(requestId);
      if (!approved) throw unknown('requestId', requestId);
      return { requestId, device: approved.device };
    },
    reject: async (requestId) => {
      const rejected = store.reject(requestId);
      if (!rejected) throw unknown('requestId', requestId);
      return { requestId, deviceId: rejected.deviceId };
    },
    remove: async (deviceId) => {
      if (!store.remove(deviceId)) throw unknown('deviceId', deviceId);
      return { deviceId };
    },
    rotate: async (deviceId, role, scopes) => {
      if (!store.getDevice(deviceId)) throw unknown('deviceId', deviceId);
      // Offline there is no channel to hand a token over: the device gets its new one on its next signed connect.
      const rotated = store.rotateToken(deviceId, role, { scopes, deliver: false });
      if (!rotated) throw roleNotApproved(deviceId, role);
      return { deviceId, role, scopes: rotated.scopes, rotatedAtMs: Date.now(), tokenDelivery: 'withheld-cross-device' };
    },
    revoke: async (deviceId, role) => {
      if (!store.getDevice(deviceId)) throw unknown('deviceId', deviceId);
      const revokedAtMs = store.revokeToken(deviceId, role);
      if (revokedAtMs === undefined) throw roleNotApproved(deviceId, role);
      return { deviceId, role, revokedAtMs };
    },
    close: () => opened.close(),
  };
}

const FALLBACK_DETAIL = /^(AUTH_|DEVICE_|PAIRING_REQUIRED$)/;

/** Whether the URL points at this machine's loopback interface. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || isLoopbackAddress(host);
  } catch {
    return false;
  }
}

/**
 * Whether a failed connect may fall back to the offline path: the gateway is on this machine
 * (loopback URL) and it is either not answering or refusing our credentials.
 */
export function canFallBackOffline(err: unknown, url: string): boolean {
  if (!(err instanceof CliError) || !isLoopbackUrl(url)) return false;
  if (err.exitCode === ExitCode.CANNOT_CONNECT) return true;
  const cause = err.cause;
  if (!(cause instanceof GatewayError)) return false;
  const detail = (cause.details as { code?: string } | undefined)?.code ?? '';
  return cause.code === 'NOT_PAIRED' || FALLBACK_DETAIL.test(detail);
}
