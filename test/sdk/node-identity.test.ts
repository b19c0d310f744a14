// Node client identity: one Ed25519 key per file (0600), created once even by racing processes,
// damaged files explained, device tokens filed per gateway; and the SDK using both against a real
// gateway (token issued once, then reused; a rejected token dropped).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileDeviceTokenStore, createNodeClient, gatewayKey, loadOrCreateIdentity } from '@switchboard/sdk/node';
import { startTestGateway } from '../helpers/gateway.js';
import { noteSecret } from '../helpers/secrets.js';

const testDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const home = mkdtempSync(join(tmpdir(), 'switchboard-identity-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('node identity', () => {
  it('creates an Ed25519 identity once, in a 0600 file inside a 0700 directory', () => {
    const path = join(home, 'id', 'a.json');
    const a = loadOrCreateIdentity(path);
    const b = loadOrCreateIdentity(path);
    expect(b.deviceId).toBe(a.deviceId);
    expect(a.deviceId).toBe(createHash('sha256').update(Buffer.from(a.publicKey, 'base64url')).digest('hex'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(stored).sort()).toEqual(['createdAtMs', 'deviceId', 'privateKeyPem', 'publicKey', 'publicKeyPem', 'version']);
  });

  it('agrees on one identity when several processes create it at once', async () => {
    const path = join(home, 'race', 'id.json');
    const script = `import { loadOrCreateIdentity } from '@switchboard/sdk/node'; process.stdout.write(loadOrCreateIdentity(${JSON.stringify(path)}).deviceId);`;
    const ids = await Promise.all(Array.from({ length: 6 }, () => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: testDir });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
    })));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBe(loadOrCreateIdentity(path).deviceId);
  });

  it('explains a damaged identity file instead of silently replacing it', () => {
    const path = join(home, 'bad.json');
    writeFileSync(path, '{"version":1,"deviceId":"00","privateKeyPem":"nope"}');
    expect(() => loadOrCreateIdentity(path)).toThrow(/damaged .* delete the file to create a new identity/);
    const other = loadOrCreateIdentity(join(home, 'other.json'));
    const mine = JSON.parse(readFileSync(join(home, 'id', 'a.json'), 'utf8'));
    writeFileSync(path, JSON.stringify({ ...mine, deviceId: other.deviceId }));
    expect(() => loadOrCreateIdentity(path)).toThrow(/deviceId does not match the key/);
  });

  it('files tokens per gateway and role, ignores another identity\'s tokens, and clears', () => {
    const path = join(home, 'tokens.json');
    const one = new FileDeviceTokenStore(path, 'dev-a', 'ws://127.0.0.1:1/');
    const two = new FileDeviceTokenStore(path, 'dev-a', 'ws://127.0.0.1:2');
    one.save('operator', 'token-one-xxxxxxxxxxxx', ['operator.read']);
    two.save('node', 'token-two-xxxxxxxxxxxx', []);
    expect(one.load('operator')).toBe('token-one-xxxxxxxxxxxx');
    expect(one.load('node')).toBeUndefined();
    expect(two.load('node')).toBe('token-two-xxxxxxxxxxxx');
    expect(new FileDeviceTokenStore(path, 'dev-b', 'ws://127.0.0.1:1').load('operator')).toBeUndefined();
    one.clear('operator');
    expect(one.load('operator')).toBeUndefined();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(gatewayKey('WS://Example.com:18789/path?x=1')).toBe('ws://example.com:18789');
  });

  it('lets the SDK pair, keep its token, and reconnect with it', async () => {
    const gw = await startTestGateway();
    try {
      const identity = loadOrCreateIdentity(join(home, 'sdk.json'));
      const tokens = new FileDeviceTokenStore(join(home, 'sdk-tokens.json'), identity.deviceId, gw.url);
      const options = { url: gw.url, token: gw.token, device: identity, deviceTokens: tokens, scopes: ['operator.read'], reconnect: false };
      const first = createNodeClient(options);
      const hello = await first.start();
      noteSecret(hello.auth.deviceToken);
      expect(hello.auth.deviceToken).toBeDefined();
      expect(tokens.load('operator')).toBe(hello.auth.deviceToken);
      first.close();
      // Device token only (no shared secret): accepted, nothing new issued.
      const second = createNodeClient({ ...options, token: undefined });
      expect((await second.start()).auth.deviceToken).toBeUndefined();
      second.close();
      // A token the gateway no longer knows is dropped by the client.
      tokens.save('operator', 'x'.repeat(43), ['operator.read']);
      const third = createNodeClient({ ...options, token: undefined });
      await expect(third.start()).rejects.toMatchObject({ details: { code: 'AUTH_DEVICE_TOKEN_MISMATCH' } });
      expect(tokens.load('operator')).toBeUndefined();
    } finally {
      await gw.close();
    }
  });
});
