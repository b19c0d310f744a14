// Conformance: the signed handshake over real sockets — verify order, every DEVICE_AUTH_* code with
// close 1008, single-use nonces, expiry, v2 payloads, device tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { newDevice, signedConnect, signedConnectParams, type TestDevice } from '../../helpers/device.js';

describe('signed handshake', () => {
  let gw: TestGateway;
  let device: TestDevice;
  beforeAll(async () => {
    // Generous failure budget: this file fails on purpose many times from one address.
    gw = await startTestGateway({ limits: { authFailures: { maxAttempts: 1000, windowMs: 60_000, lockoutMs: 1_000 } } });
    device = newDevice();
  });
  afterAll(() => gw.close());

  async function refused(o: Parameters<typeof signedConnect>[2], d: TestDevice = device) {
    const r = await gw.raw();
    const res = await signedConnect(r, d, { auth: { token: gw.token }, ...o });
    expect(res.ok).toBe(false);
    const closed = await r.closed;
    return { error: res.error!, close: closed.code };
  }

  it('accepts a v3 signature and issues a device token in hello-ok', async () => {
    const r = await gw.raw();
    const res = await signedConnect(r, device, { auth: { token: gw.token }, scopes: ['operator.read'] });
    expect(res.ok).toBe(true);
    expect(res.payload.auth).toMatchObject({ role: 'operator', scopes: ['operator.read'], deviceToken: expect.any(String), issuedAtMs: expect.any(Number) });
    expect(res.payload.auth.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const presence = await r.request('system-presence', {});
    expect(presence.payload.map((p: { deviceId?: string }) => p.deviceId)).toContain(device.deviceId);
    r.terminate();
  });

  it('accepts the v2 payload too', async () => {
    const r = await gw.raw();
    const res = await signedConnect(r, device, { auth: { token: gw.token }, version: 'v2', scopes: ['operator.read'] });
    expect(res.ok).toBe(true);
    r.terminate();
  });

  it('answers a malformed device block with DEVICE_AUTH_INVALID; other bad params carry no device code', async () => {
    const r = await gw.raw();
    const res = await r.request('connect', {
      minProtocol: 4, maxProtocol: 4, client: { id: 'test', version: '1', platform: 'linux', mode: 'test' }, auth: { token: gw.token },
      device: { id: 'abc', publicKey: 'key', signature: 'sig', nonce: 'n', extra: true },
    });
    expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'DEVICE_AUTH_INVALID' } });
    expect(res.error!.message).toMatch(/^invalid connect params: .*device must be \{id, publicKey, signature, signedAt, nonce\}/);
    expect((await r.closed).code).toBe(1008);
    const r2 = await gw.raw();
    const res2 = await r2.request('connect', { minProtocol: 4, maxProtocol: 4, client: { id: 'test' }, auth: { token: gw.token } });
    expect(res2.error).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(res2.error!.details).toBeUndefined();
    await r2.closed;
  });

  it('checks the public key first: an unparseable key is DEVICE_AUTH_PUBLIC_KEY_INVALID', async () => {
    const { error, close } = await refused({ device: { publicKey: 'not a key!' }, signedAt: 1 });
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'DEVICE_AUTH_PUBLIC_KEY_INVALID', reason: 'device-public-key' } });
    expect(close).toBe(1008);
  });

  it('then the id: an id that is not the key hash is DEVICE_AUTH_DEVICE_ID_MISMATCH (even if stale, wrong nonce, bad signature)', async () => {
    const { error, close } = await refused({ device: { id: newDevice().deviceId, signature: 'AAAA' }, signedAt: 1, nonce: 'other' });
    expect(error.details.code).toBe('DEVICE_AUTH_DEVICE_ID_MISMATCH');
    expect(close).toBe(1008);
  });

  it('then the time: signedAt more than two minutes off is DEVICE_AUTH_SIGNATURE_EXPIRED (even with a wrong nonce)', async () => {
    for (const offset of [-121_000, 121_000]) {
      const r = await gw.raw();
      const challenge = await r.next((f) => f.event === 'connect.challenge');
      const res = await r.request('connect', signedConnectParams(device, challenge.payload, {
        auth: { token: gw.token }, signedAt: challenge.payload.ts + offset, nonce: 'other', device: { signature: 'AAAA' },
      }));
      expect(res.error?.details).toMatchObject({ code: 'DEVICE_AUTH_SIGNATURE_EXPIRED', reason: 'device-signature-stale' });
      expect((await r.closed).code).toBe(1008);
    }
  });

  it('accepts a signedAt within the skew that is not the challenge ts', async () => {
    const r = await gw.raw();
    const res = await signedConnect(r, device, { auth: { token: gw.token }, signedAt: Date.now() - 60_000 });
    expect(res.ok).toBe(true);
    r.terminate();
  });

  it('then the nonce: blank is DEVICE_AUTH_NONCE_REQUIRED, another one DEVICE_AUTH_NONCE_MISMATCH', async () => {
    const blank = await refused({ nonce: '   ' });
    expect(blank.error.details).toMatchObject({ code: 'DEVICE_AUTH_NONCE_REQUIRED', reason: 'device-nonce-missing' });
    expect(blank.close).toBe(1008);
    const other = await refused({ nonce: 'a-nonce-this-connection-never-saw', device: { signature: 'AAAA' } });
    expect(other.error.details).toMatchObject({ code: 'DEVICE_AUTH_NONCE_MISMATCH', reason: 'device-nonce-mismatch' });
    expect(other.close).toBe(1008);
  });

  it('then the signature: a tampered payload or another key is DEVICE_AUTH_SIGNATURE_INVALID', async () => {
    // Signed for operator.read, sent asking for operator.admin.
    const r = await gw.raw();
    const challenge = await r.next((f) => f.event === 'connect.challenge');
    const params = signedConnectParams(device, challenge.payload, { auth: { token: gw.token }, scopes: ['operator.read'] });
    const res = await r.request('connect', { ...params, scopes: ['operator.admin'] });
    expect(res.error?.details).toMatchObject({ code: 'DEVICE_AUTH_SIGNATURE_INVALID', reason: 'device-signature' });
    expect((await r.closed).code).toBe(1008);
    const foreign = newDevice();
    const other = await refused({ device: { signature: foreign.sign('v3|whatever') } });
    expect(other.error.details.code).toBe('DEVICE_AUTH_SIGNATURE_INVALID');
  });

  it('spends a nonce once: a signed connect replayed on another connection is refused', async () => {
    const a = await gw.raw();
    const challenge = await a.next((f) => f.event === 'connect.challenge');
    const params = signedConnectParams(device, challenge.payload, { auth: { token: gw.token } });
    expect((await a.request('connect', params)).ok).toBe(true);
    const b = await gw.raw();
    await b.next((f) => f.event === 'connect.challenge');
    const replay = await b.request('connect', params);
    expect(replay.error?.details.code).toBe('DEVICE_AUTH_NONCE_MISMATCH');
    expect((await b.closed).code).toBe(1008);
    a.terminate();
  });

  it('authenticates a paired device by its device token alone, without issuing another', async () => {
    const d = newDevice();
    const first = await gw.raw();
    const hello = await signedConnect(first, d, { auth: { token: gw.token }, scopes: ['operator.read', 'operator.write'] });
    const token = hello.payload.auth.deviceToken as string;
    first.terminate();
    for (const auth of [{ deviceToken: token }, { token }]) {
      const r = await gw.raw();
      const res = await signedConnect(r, d, { auth, scopes: ['operator.read'] });
      expect(res.ok).toBe(true);
      expect(res.payload.auth.deviceToken).toBeUndefined();
      expect(res.payload.auth.scopes).toEqual(['operator.read']);
      r.terminate();
    }
  });

  it('refuses a wrong device token with AUTH_DEVICE_TOKEN_MISMATCH, and a token used for another role', async () => {
    const d = newDevice();
    const first = await gw.raw();
    const hello = await signedConnect(first, d, { auth: { token: gw.token } });
    first.terminate();
    const wrong = await refused({ auth: { deviceToken: 'x'.repeat(43) } }, d);
    expect(wrong.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'AUTH_DEVICE_TOKEN_MISMATCH' } });
    expect(wrong.close).toBe(1008);
    const asNode = await refused({ auth: { deviceToken: hello.payload.auth.deviceToken }, role: 'node' }, d);
    expect(asNode.error.details.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
  });

  it('needs the shared secret or a device token: a signed connect with neither is refused', async () => {
    const { error, close } = await refused({ auth: undefined }, newDevice());
    expect(error.details.code).toBe('AUTH_TOKEN_MISSING');
    expect(close).toBe(1008);
  });
});
