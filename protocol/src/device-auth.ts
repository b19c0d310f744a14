/**
 * The device-signature payload, shared by the gateway (verifier) and every client (signer).
 * OpenClaw's `|`-joined string: `v2|deviceId|clientId|clientMode|role|scopesCSV|signedAtMs|token|nonce`
 * and `v3` = v2 plus `|platform|deviceFamily`, both trimmed and lower-cased so the signature also
 * pins the device metadata. `token` is whatever the client put in `auth.token` (or empty).
 */

export interface DeviceAuthPayloadInput {
  deviceId: string;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  signedAtMs: number;
  token?: string | null;
  nonce: string;
  platform?: string | null;
  deviceFamily?: string | null;
}

function normalizeMeta(value: string | null | undefined): string {
  return typeof value === 'string' ? value.trim().toLowerCase() : '';
}

/** Builds the v3 payload (preferred). */
export function buildDeviceAuthPayloadV3(p: DeviceAuthPayloadInput): string {
  return [buildDeviceAuthPayloadV2(p).replace(/^v2\|/, 'v3|'), normalizeMeta(p.platform), normalizeMeta(p.deviceFamily)].join('|');
}

/** Builds the v2 payload (accepted for older clients). */
export function buildDeviceAuthPayloadV2(p: DeviceAuthPayloadInput): string {
  return ['v2', p.deviceId, p.clientId, p.clientMode, p.role, p.scopes.join(','), String(p.signedAtMs), p.token ?? '', p.nonce].join('|');
}

/** Maximum distance between `device.signedAt` and the gateway clock. */
export const DEVICE_SIGNATURE_SKEW_MS = 2 * 60 * 1000;
