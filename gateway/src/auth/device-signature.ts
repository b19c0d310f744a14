/**
 * Verifies `connect.params.device`: the Ed25519 signature over OpenClaw's `v3|…` payload (`v2|…`
 * accepted too). Checks run in this order, each failure with its OpenClaw detail code:
 *
 * 1. the public key parses (`DEVICE_AUTH_PUBLIC_KEY_INVALID`) and `device.id` is its SHA-256
 *    (`DEVICE_AUTH_DEVICE_ID_MISMATCH`);
 * 2. `signedAt` is within two minutes of the gateway clock (`DEVICE_AUTH_SIGNATURE_EXPIRED`);
 * 3. the nonce is present (`DEVICE_AUTH_NONCE_REQUIRED`) and is this connection's challenge, which
 *    can be spent once (`DEVICE_AUTH_NONCE_MISMATCH`);
 * 4. the signature verifies (`DEVICE_AUTH_SIGNATURE_INVALID`).
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  DEVICE_SIGNATURE_SKEW_MS, GatewayError, buildDeviceAuthPayloadV2, buildDeviceAuthPayloadV3,
  type ConnectParams, type DeviceAuth,
} from '@switchboard/protocol';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A verified device: its id and canonical (base64url raw) public key. */
export interface VerifiedDevice {
  deviceId: string;
  publicKey: string;
  /** Which payload version the client signed. */
  payloadVersion: 'v3' | 'v2';
}

function deviceError(code: string, reason: string, message: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', message, { details: { code, reason } });
}

/** Decodes base64url or base64 text strictly (no stray characters). */
function decodeBase64(text: string): Buffer | undefined {
  const t = text.trim();
  if (!/^[A-Za-z0-9_\-+/]+={0,2}$/.test(t)) return undefined;
  return Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** Parses a raw (base64url/base64) or PEM Ed25519 public key into its 32 raw bytes. */
export function parseEd25519PublicKey(text: string): Buffer | undefined {
  try {
    if (text.includes('BEGIN PUBLIC KEY')) {
      const key = createPublicKey(text);
      if (key.asymmetricKeyType !== 'ed25519') return undefined;
      return key.export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length);
    }
    const raw = decodeBase64(text);
    return raw && raw.length === 32 ? raw : undefined;
  } catch {
    return undefined;
  }
}

/** The device id of a raw public key: lowercase hex SHA-256. */
export function deviceIdOf(rawPublicKey: Buffer): string {
  return createHash('sha256').update(rawPublicKey).digest('hex');
}

function keyObject(raw: Buffer): KeyObject {
  // From a JWK: an order of magnitude cheaper than decoding SPKI DER through OpenSSL's decoders.
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** What the verifier needs to know about the connection. */
export interface SignatureContext {
  /** This connection's challenge nonce, or undefined once it was spent. */
  nonce: string | undefined;
  now: number;
}

/**
 * Verifies the device block of `params`; throws a GatewayError (`INVALID_REQUEST` with a
 * `DEVICE_AUTH_*` detail code) on the first failing check.
 */
export function verifyDeviceSignature(params: ConnectParams & { device: DeviceAuth }, ctx: SignatureContext): VerifiedDevice {
  const device = params.device;
  const raw = parseEd25519PublicKey(device.publicKey);
  if (!raw) {
    throw deviceError('DEVICE_AUTH_PUBLIC_KEY_INVALID', 'device-public-key',
      'device public key invalid: send the raw 32-byte Ed25519 public key as base64url (or PEM)');
  }
  if (deviceIdOf(raw) !== device.id) {
    throw deviceError('DEVICE_AUTH_DEVICE_ID_MISMATCH', 'device-id-mismatch',
      'device identity mismatch: device.id must be the lowercase hex SHA-256 of the raw public key');
  }
  if (Math.abs(ctx.now - device.signedAt) > DEVICE_SIGNATURE_SKEW_MS) {
    throw deviceError('DEVICE_AUTH_SIGNATURE_EXPIRED', 'device-signature-stale',
      'device signature expired: sign with connect.challenge.ts as signedAt, and check the client clock (allowed skew is 2 minutes)');
  }
  const nonce = device.nonce.trim();
  if (!nonce) {
    throw deviceError('DEVICE_AUTH_NONCE_REQUIRED', 'device-nonce-missing',
      'device nonce required: wait for connect.challenge and sign its nonce');
  }
  if (ctx.nonce === undefined || nonce !== ctx.nonce) {
    throw deviceError('DEVICE_AUTH_NONCE_MISMATCH', 'device-nonce-mismatch',
      'device nonce mismatch: sign the nonce of this connection\'s connect.challenge (each nonce is valid once)');
  }
  const signature = decodeBase64(device.signature);
  const version = signature?.length === 64 ? matchSignature(params, raw, signature) : undefined;
  if (!version) {
    throw deviceError('DEVICE_AUTH_SIGNATURE_INVALID', 'device-signature',
      'device signature invalid: sign the v3 payload (see docs/protocol.md) with the key whose public half you sent');
  }
  return { deviceId: device.id, publicKey: raw.toString('base64url'), payloadVersion: version };
}

/** Tries the v3 then the v2 payload, with each token the client may have signed. */
function matchSignature(params: ConnectParams & { device: DeviceAuth }, raw: Buffer, signature: Buffer): 'v3' | 'v2' | undefined {
  const key = keyObject(raw);
  const auth = params.auth ?? {};
  // OpenClaw clients sign whatever they put in auth.token (shared or device token), else the bootstrap token.
  const tokens = [...new Set([auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? '', auth.deviceToken ?? '', ''])];
  const base = {
    deviceId: params.device.id,
    clientId: params.client.id,
    clientMode: params.client.mode,
    role: params.role ?? 'operator',
    scopes: params.scopes ?? [],
    signedAtMs: params.device.signedAt,
    nonce: params.device.nonce,
    platform: params.client.platform,
    deviceFamily: params.client.deviceFamily,
  };
  for (const [version, build] of [['v3', buildDeviceAuthPayloadV3], ['v2', buildDeviceAuthPayloadV2]] as const) {
    for (const token of tokens) {
      if (verify(null, Buffer.from(build({ ...base, token }), 'utf8'), key, signature)) return version;
    }
  }
  return undefined;
}
