/**
 * Device identity for Node clients (CLI, node hosts, scripts): an Ed25519 key pair created once and
 * kept in a 0600 JSON file, plus a 0600 file of the device tokens gateways issue to it.
 *
 * Identity file: `{version:1, deviceId, publicKey, publicKeyPem, privateKeyPem, createdAtMs}` —
 * OpenClaw's `device.json` fields plus the base64url raw public key. Token file:
 * `{version:1, deviceId, gateways:{"ws://host:port":{"operator":{token, scopes, updatedAtMs}}}}`.
 * Writes are atomic (temporary file, then rename or link), so a crash never leaves half a file.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Role } from '@switchboard/protocol';
import type { DeviceIdentity, DeviceTokenStore } from './client.js';

/** The identity file's content. */
export interface StoredIdentity {
  version: 1;
  deviceId: string;
  /** Base64url raw 32-byte public key. */
  publicKey: string;
  publicKeyPem: string;
  privateKeyPem: string;
  createdAtMs: number;
}

/** A signing identity loaded from (or created in) a file. */
export interface NodeDeviceIdentity extends DeviceIdentity {
  readonly path: string;
  readonly createdAtMs: number;
}

const SPKI_PREFIX_LENGTH = 12;
/** Gateways remembered in one token file; the least recently updated are dropped beyond it. */
const MAX_GATEWAYS = 64;

function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX_LENGTH);
}

/** Creates a new Ed25519 identity (not saved). */
export function createIdentity(now = Date.now()): StoredIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  return {
    version: 1,
    deviceId: createHash('sha256').update(raw).digest('hex'),
    publicKey: raw.toString('base64url'),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    createdAtMs: now,
  };
}

/** Checks a stored identity is whole and consistent; returns the private key. */
function validate(stored: StoredIdentity, path: string): KeyObject {
  const damaged = (why: string) => new Error(`the device identity in ${path} is damaged (${why}); delete the file to create a new identity (the device must then be paired again)`);
  if (stored?.version !== 1 || typeof stored.privateKeyPem !== 'string') throw damaged('unknown format');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(stored.privateKeyPem);
  } catch {
    throw damaged('unreadable private key');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw damaged('not an Ed25519 key');
  const raw = rawPublicKey(createPublicKey(privateKey));
  if (createHash('sha256').update(raw).digest('hex') !== stored.deviceId) throw damaged('deviceId does not match the key');
  return privateKey;
}

/** A signer over a stored identity. */
export function identityFromStored(stored: StoredIdentity, path = '(memory)'): NodeDeviceIdentity {
  const privateKey = validate(stored, path);
  const publicKey = rawPublicKey(createPublicKey(privateKey)).toString('base64url');
  return {
    deviceId: stored.deviceId,
    publicKey,
    path,
    createdAtMs: stored.createdAtMs,
    sign: (payload: string) => sign(null, Buffer.from(payload, 'utf8'), privateKey).toString('base64url'),
  };
}

/** Writes `text` to `path` atomically with mode 0600 (directory created 0700). */
function writePrivateFile(path: string, text: string, exclusive: boolean): boolean {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  try {
    if (!exclusive) {
      renameSync(tmp, path);
      return true;
    }
    // link() fails if the file exists: two processes creating at once agree on one identity.
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
  }
}

/** Loads the identity at `path`, creating it (once, race-free) if the file does not exist. */
export function loadOrCreateIdentity(path: string): NodeDeviceIdentity {
  if (!existsSync(path)) writePrivateFile(path, JSON.stringify(createIdentity(), null, 2) + '\n', true);
  let stored: StoredIdentity;
  try {
    stored = JSON.parse(readFileSync(path, 'utf8')) as StoredIdentity;
  } catch {
    throw new Error(`the device identity in ${path} is not valid JSON; delete the file to create a new identity (the device must then be paired again)`);
  }
  return identityFromStored(stored, path);
}

interface TokenFile {
  version: 1;
  deviceId: string;
  gateways: Record<string, Record<string, { token: string; scopes: string[]; updatedAtMs: number }>>;
}

/** The key a gateway's tokens are filed under: its URL without path or query (`ws://host:port`). */
export function gatewayKey(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`.toLowerCase();
}

/**
 * Device tokens for one identity and one gateway, kept in a 0600 JSON file shared by all
 * gateways. A token stored for another device id (the identity was replaced) is ignored.
 */
export class FileDeviceTokenStore implements DeviceTokenStore {
  private readonly key: string;

  constructor(readonly path: string, private readonly deviceId: string, gatewayUrl: string) {
    this.key = gatewayKey(gatewayUrl);
  }

  load(role: Role): string | undefined {
    return this.read().gateways[this.key]?.[role]?.token;
  }

  save(role: Role, token: string, scopes: readonly string[]): void {
    const file = this.read();
    file.gateways[this.key] = { ...file.gateways[this.key], [role]: { token, scopes: [...scopes], updatedAtMs: Date.now() } };
    this.write(file);
  }

  clear(role: Role): void {
    const file = this.read();
    if (!file.gateways[this.key]?.[role]) return;
    delete file.gateways[this.key][role];
    this.write(file);
  }

  private read(): TokenFile {
    try {
      const file = JSON.parse(readFileSync(this.path, 'utf8')) as TokenFile;
      if (file.version === 1 && file.deviceId === this.deviceId && file.gateways && typeof file.gateways === 'object') return file;
    } catch {
      // Missing or damaged: start empty (tokens can always be re-issued by a signed connect).
    }
    return { version: 1, deviceId: this.deviceId, gateways: {} };
  }

  private write(file: TokenFile): void {
    const entries = Object.entries(file.gateways);
    if (entries.length > MAX_GATEWAYS) {
      const newest = (roles: TokenFile['gateways'][string]) => Math.max(0, ...Object.values(roles).map((t) => t.updatedAtMs));
      entries.sort((a, b) => newest(b[1]) - newest(a[1]));
      file.gateways = Object.fromEntries(entries.slice(0, MAX_GATEWAYS));
    }
    writePrivateFile(this.path, JSON.stringify(file, null, 2) + '\n', false);
  }
}
