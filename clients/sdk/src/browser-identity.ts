/**
 * Device identity for browser clients (the WebChat): an Ed25519 key pair from WebCrypto, created
 * once and kept in IndexedDB with a **non-extractable** private key (page scripts can sign with it
 * but never read it out). Where IndexedDB is unavailable, `localStorage` is the explicit fallback;
 * it has to keep the private key as a JWK, which any script on the origin can read.
 *
 * Opened from the gateway's own origin on direct loopback (`http://127.0.0.1:18789/`), a signed
 * connect with this identity is paired automatically for `operator.read`/`operator.write`; the
 * device token in hello-ok is then kept by {@link BrowserDeviceTokenStore}.
 *
 * Browser-safe: no Node imports.
 */
import type { Role } from '@switchboard/protocol';
import type { DeviceIdentity, DeviceTokenStore } from './client.js';

/** The persisted identity record. */
interface IdentityRecord {
  version: 1;
  deviceId: string;
  /** Base64url raw public key. */
  publicKey: string;
  createdAtMs: number;
  /** IndexedDB keeps the CryptoKey itself; localStorage keeps a JWK. */
  privateKey: CryptoKey | JsonWebKey;
}

/** Where the identity record lives. */
export interface IdentityStorage {
  /** Whether stored private keys can stay non-extractable CryptoKeys (IndexedDB) or must be JWKs. */
  readonly keepsCryptoKeys: boolean;
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

/** A browser identity: signs with WebCrypto. */
export interface BrowserDeviceIdentity extends DeviceIdentity {
  readonly createdAtMs: number;
  /** Whether the private key is non-extractable (IndexedDB) rather than a readable JWK (localStorage). */
  readonly nonExtractable: boolean;
}

const ED25519 = { name: 'Ed25519' } as const;
const RECORD_KEY = 'switchboard.device-identity.v1';

/** Base64url of bytes, without Buffer. */
export function toBase64Url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (const b of view) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function toHex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** IndexedDB-backed storage (one object store in database `switchboard`), or undefined without IndexedDB. */
export function indexedDbStorage(idb: IDBFactory | undefined = globalThis.indexedDB, dbName = 'switchboard'): IdentityStorage | undefined {
  if (!idb) return undefined;
  const open = () => new Promise<IDBDatabase>((resolve, reject) => {
    const req = idb.open(dbName, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('identity');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('cannot open IndexedDB'));
  });
  const run = async <T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const db = await open();
    try {
      return await new Promise<T>((resolve, reject) => {
        const req = fn(db.transaction('identity', mode).objectStore('identity'));
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
      });
    } finally {
      db.close();
    }
  };
  return {
    keepsCryptoKeys: true,
    get: (key) => run('readonly', (s) => s.get(key)),
    set: async (key, value) => { await run('readwrite', (s) => s.put(value, key)); },
  };
}

/** localStorage-backed storage (JSON), or undefined without localStorage. */
export function localStorageStorage(storage: Storage | undefined = globalThis.localStorage): IdentityStorage | undefined {
  if (!storage) return undefined;
  return {
    keepsCryptoKeys: false,
    get: async (key) => {
      const text = storage.getItem(key);
      return text === null ? undefined : JSON.parse(text);
    },
    set: async (key, value) => storage.setItem(key, JSON.stringify(value)),
  };
}

export interface BrowserIdentityOptions {
  /** Default: IndexedDB, else localStorage. */
  storage?: IdentityStorage;
  /** Default: `globalThis.crypto.subtle`. */
  subtle?: SubtleCrypto;
}

/**
 * Loads the browser's identity, creating it on first use. Throws when neither WebCrypto Ed25519
 * nor any storage is available (for example an insecure context), with a sentence that says so.
 */
export async function loadOrCreateBrowserIdentity(options: BrowserIdentityOptions = {}): Promise<BrowserDeviceIdentity> {
  const subtle = options.subtle ?? globalThis.crypto?.subtle;
  if (!subtle) throw new Error('WebCrypto is unavailable (the page is not a secure context): open the WebChat from http://127.0.0.1 or https');
  const storage = options.storage ?? indexedDbStorage() ?? localStorageStorage();
  if (!storage) throw new Error('no IndexedDB or localStorage to keep the device identity in; allow site storage for this page');
  let record = (await storage.get(RECORD_KEY)) as IdentityRecord | undefined;
  if (record?.version !== 1) {
    record = await createRecord(subtle, storage.keepsCryptoKeys);
    await storage.set(RECORD_KEY, record);
  }
  const privateKey = isCryptoKey(record.privateKey)
    ? record.privateKey
    : await subtle.importKey('jwk', record.privateKey, ED25519, false, ['sign']);
  return {
    deviceId: record.deviceId,
    publicKey: record.publicKey,
    createdAtMs: record.createdAtMs,
    nonExtractable: !privateKey.extractable,
    sign: async (payload: string) => toBase64Url(await subtle.sign(ED25519, privateKey, new TextEncoder().encode(payload))),
  };
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof value === 'object' && value !== null && 'algorithm' in value && 'type' in value && !('kty' in value);
}

async function createRecord(subtle: SubtleCrypto, keepsCryptoKeys: boolean): Promise<IdentityRecord> {
  // A JWK must be exported for localStorage, so only then is the key generated extractable.
  const pair = (await subtle.generateKey(ED25519, !keepsCryptoKeys, ['sign', 'verify'])) as CryptoKeyPair;
  const raw = await subtle.exportKey('raw', pair.publicKey);
  return {
    version: 1,
    deviceId: toHex(await subtle.digest('SHA-256', raw)),
    publicKey: toBase64Url(raw),
    createdAtMs: Date.now(),
    privateKey: keepsCryptoKeys ? pair.privateKey : await subtle.exportKey('jwk', pair.privateKey),
  };
}

/** Device tokens in localStorage, per gateway (`ws[s]://host:port`) and role. */
export class BrowserDeviceTokenStore implements DeviceTokenStore {
  private readonly prefix: string;

  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>, gatewayUrl: string, deviceId: string) {
    const u = new URL(gatewayUrl);
    this.prefix = `switchboard.device-token.v1:${u.protocol}//${u.host}:${deviceId}:`;
  }

  load(role: Role): string | undefined {
    const text = this.storage.getItem(this.prefix + role);
    if (!text) return undefined;
    try {
      return (JSON.parse(text) as { token?: string }).token;
    } catch {
      return undefined;
    }
  }

  save(role: Role, token: string, scopes: readonly string[]): void {
    this.storage.setItem(this.prefix + role, JSON.stringify({ token, scopes, updatedAtMs: Date.now() }));
  }

  clear(role: Role): void {
    this.storage.removeItem(this.prefix + role);
  }
}
