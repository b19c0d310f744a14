// Browser identity with real WebCrypto Ed25519 (Node's implementation of the same API): created
// once, non-extractable when the storage keeps CryptoKeys (IndexedDB), JWK in the localStorage
// fallback; and the same-origin WebChat path pairing itself on direct loopback.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BrowserDeviceTokenStore, GatewayClient, loadOrCreateBrowserIdentity, type IdentityStorage, type WebSocketLike } from '@switchboard/sdk';
import { startTestGateway } from '../helpers/gateway.js';
import { noteSecret } from '../helpers/secrets.js';

/** Structured-clone storage, as IndexedDB keeps values. */
function cloneStorage(): IdentityStorage & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return { data, keepsCryptoKeys: true, get: async (k) => data.get(k), set: async (k, v) => { data.set(k, structuredClone(v)); } };
}

/** A Storage stand-in with localStorage's string-only semantics. */
function memoryStorage() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => { m.set(k, String(v)); },
    removeItem: (k: string) => { m.delete(k); },
    get length() { return m.size; },
    clear: () => m.clear(),
    key: (i: number) => [...m.keys()][i] ?? null,
  };
}

describe('browser identity', () => {
  it('creates one non-extractable identity in CryptoKey-keeping storage', async () => {
    const storage = cloneStorage();
    const a = await loadOrCreateBrowserIdentity({ storage });
    const b = await loadOrCreateBrowserIdentity({ storage });
    expect(b.deviceId).toBe(a.deviceId);
    expect(a.deviceId).toMatch(/^[0-9a-f]{64}$/);
    expect(a.nonExtractable).toBe(true);
    expect(await a.sign('v3|x')).toMatch(/^[A-Za-z0-9_-]{86}$/);
  });

  it('falls back to localStorage with a JWK', async () => {
    const storage = memoryStorage();
    const { localStorageStorage } = await import('@switchboard/sdk');
    const s = localStorageStorage(storage as unknown as Storage)!;
    const a = await loadOrCreateBrowserIdentity({ storage: s });
    const b = await loadOrCreateBrowserIdentity({ storage: s });
    expect(b.deviceId).toBe(a.deviceId);
    expect(storage.getItem('switchboard.device-identity.v1')).toContain('"kty":"OKP"');
  });

  it('pairs itself from the gateway\'s own origin on direct loopback, without any secret, and keeps its token', async () => {
    const gw = await startTestGateway();
    try {
      const identity = await loadOrCreateBrowserIdentity({ storage: cloneStorage() });
      const storage = memoryStorage();
      const tokens = new BrowserDeviceTokenStore(storage, gw.url, identity.deviceId);
      const origin = `http://127.0.0.1:${gw.gateway.port}`;
      // A browser sends its page's Origin with the upgrade; ws lets the test do the same.
      const webSocket = (url: string) => new WebSocket(url, { origin, perMessageDeflate: false }) as unknown as WebSocketLike;
      const options = { url: gw.url, webSocket, device: identity, deviceTokens: tokens, reconnect: false, scopes: ['operator.read', 'operator.write'], client: { id: 'webchat-ui' as const, mode: 'webchat' as const } };
      const page = new GatewayClient(options);
      const hello = await page.start();
      noteSecret(hello.auth.deviceToken);
      expect(hello.auth).toMatchObject({ scopes: ['operator.read', 'operator.write'], deviceToken: expect.any(String) });
      expect(tokens.load('operator')).toBe(hello.auth.deviceToken);
      page.close();
      const reload = new GatewayClient(options);
      expect((await reload.start()).auth.deviceToken).toBeUndefined();
      reload.close();
    } finally {
      await gw.close();
    }
  });
});
