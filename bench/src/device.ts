/**
 * Device identities for the signed-connect benchmark: an Ed25519 key pair per connection and the
 * `connect.params.device` block signed over the v3 payload from protocol/src/device-auth.ts.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { buildDeviceAuthPayloadV3 } from '@switchboard/protocol';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX_LENGTH = 12;

export interface BenchIdentity {
  /** Lowercase hex SHA-256 of the raw public key. */
  deviceId: string;
  /** Base64url raw public key. */
  publicKey: string;
  privateKey: KeyObject;
}

/** Generates a fresh identity. */
export function createIdentity(): BenchIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(ED25519_SPKI_PREFIX_LENGTH);
  return { deviceId: createHash('sha256').update(raw).digest('hex'), publicKey: raw.toString('base64url'), privateKey };
}

/** What the signature covers besides the identity. */
export interface SignInput {
  client: { id: string; mode: string; platform: string; deviceFamily?: string };
  role: string;
  scopes: readonly string[];
  token: string;
  challenge: { nonce: string; ts: number };
}

/** The `device` block of ConnectParams, signed for this connection's challenge. */
export function signedDevice(identity: BenchIdentity, input: SignInput): Record<string, unknown> {
  const signedAt = Number.isInteger(input.challenge.ts) ? input.challenge.ts : Date.now();
  const payload = buildDeviceAuthPayloadV3({
    deviceId: identity.deviceId,
    clientId: input.client.id,
    clientMode: input.client.mode,
    role: input.role,
    scopes: input.scopes,
    signedAtMs: signedAt,
    token: input.token,
    nonce: input.challenge.nonce,
    platform: input.client.platform,
    deviceFamily: input.client.deviceFamily,
  });
  return {
    id: identity.deviceId,
    publicKey: identity.publicKey,
    signature: sign(null, Buffer.from(payload, 'utf8'), identity.privateKey).toString('base64url'),
    signedAt,
    nonce: input.challenge.nonce,
  };
}
