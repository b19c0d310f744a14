/**
 * Signed handshakes for frame-level tests: a device identity and a `connect` params builder that
 * signs the OpenClaw v3 (or v2) payload, with knobs to break each check on purpose.
 */
import { buildDeviceAuthPayloadV2, buildDeviceAuthPayloadV3 } from '@switchboard/protocol';
import { createIdentity, identityFromStored, type NodeDeviceIdentity } from '@switchboard/sdk/node';
import type { RawConnection } from './raw.js';
import { noteSecret } from './secrets.js';

export type TestDevice = NodeDeviceIdentity;

/** A fresh in-memory device identity. */
export function newDevice(): TestDevice {
  return identityFromStored(createIdentity());
}

export interface SignOptions {
  role?: 'operator' | 'node';
  scopes?: string[];
  client?: Record<string, unknown>;
  auth?: Record<string, string>;
  /** Defaults to the challenge ts. */
  signedAt?: number;
  /** Defaults to the challenge nonce. */
  nonce?: string;
  /** Sign this nonce but send `nonce` (or the challenge's). */
  signNonce?: string;
  version?: 'v3' | 'v2';
  /** Override fields of the device block after signing. */
  device?: Record<string, unknown>;
  /** Extra connect params. */
  extra?: Record<string, unknown>;
}

export const testClient = { id: 'test', version: '1.0.0', platform: 'linux', mode: 'test' };

/** Builds signed connect params for `device` answering `challenge`. */
export function signedConnectParams(device: TestDevice, challenge: { nonce: string; ts: number }, o: SignOptions = {}): Record<string, unknown> {
  const role = o.role ?? 'operator';
  const scopes = o.scopes ?? [];
  const client = { ...testClient, ...(role === 'node' ? { mode: 'node' } : {}), ...o.client } as { id: string; mode: string; platform: string; deviceFamily?: string };
  const signedAt = o.signedAt ?? challenge.ts;
  const nonce = o.nonce ?? challenge.nonce;
  const build = o.version === 'v2' ? buildDeviceAuthPayloadV2 : buildDeviceAuthPayloadV3;
  const payload = build({
    deviceId: device.deviceId, clientId: client.id, clientMode: client.mode, role, scopes, signedAtMs: signedAt,
    token: o.auth?.token ?? o.auth?.deviceToken ?? null, nonce: o.signNonce ?? nonce, platform: client.platform, deviceFamily: client.deviceFamily,
  });
  return {
    minProtocol: role === 'node' ? 3 : 4,
    maxProtocol: 4,
    client,
    role,
    scopes,
    ...(o.auth ? { auth: o.auth } : {}),
    device: { id: device.deviceId, publicKey: device.publicKey, signature: device.sign(payload), signedAt, nonce, ...o.device },
    ...o.extra,
  };
}

/** Waits for the challenge on `raw`, sends a signed connect, returns the response frame. */
export async function signedConnect(raw: RawConnection, device: TestDevice, o: SignOptions = {}) {
  const challenge = await raw.next((f) => f.event === 'connect.challenge');
  const res = await raw.request('connect', signedConnectParams(device, challenge.payload, o));
  noteSecret(res.payload?.auth?.deviceToken);
  if (res.ok) raw.hello = res.payload;
  return res;
}
