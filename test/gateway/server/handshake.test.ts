// Conformance: every handshake rule of docs/protocol.md, over a real socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { newDevice, signedConnect } from '../../helpers/device.js';

const client = { id: 'test', version: '1.0.0', platform: 'linux', mode: 'test' };

describe('handshake', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ limits: { handshakeTimeoutMs: 300 } });
  });
  afterAll(() => gw.close());

  it('sends connect.challenge with a nonce and ts, and no seq, as soon as the socket opens', async () => {
    const r = await gw.raw();
    const f = await r.next();
    expect(f).toMatchObject({ type: 'event', event: 'connect.challenge' });
    expect(typeof f.payload.nonce).toBe('string');
    expect(Number.isInteger(f.payload.ts)).toBe(true);
    expect(f.seq).toBeUndefined();
    r.terminate();
  });

  it('closes (1008, no reply) when the first frame is not JSON', async () => {
    const r = await gw.raw();
    await r.next();
    r.sendText('{not json');
    expect((await r.closed).code).toBe(1008);
    expect(r.frames).toHaveLength(0);
  });

  it('closes (1008, no reply) when the first frame is JSON but not a request', async () => {
    const r = await gw.raw();
    await r.next();
    r.send({ type: 'event', event: 'x' });
    expect((await r.closed).code).toBe(1008);
    expect(r.frames).toHaveLength(0);
  });

  it('answers any other first request with INVALID_REQUEST, then closes 1008', async () => {
    const r = await gw.raw();
    await r.next();
    const res = await r.request('health', {});
    expect(res.ok).toBe(false);
    expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'invalid handshake: first request must be connect' });
    expect((await r.closed).code).toBe(1008);
  });

  it('rejects a protocol range without v4 with PROTOCOL_MISMATCH and close 1002', async () => {
    const r = await gw.raw();
    await r.next();
    const res = await r.request('connect', { minProtocol: 1, maxProtocol: 3, client, auth: { token: gw.token } });
    expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'protocol mismatch', details: { code: 'PROTOCOL_MISMATCH', expectedProtocol: 4 } });
    expect((await r.closed).code).toBe(1002);
  });

  it('lets a node offer the N-1 range (3..4) but not 3..3', async () => {
    const ok = await gw.raw();
    const res = await signedConnect(ok, newDevice(), { role: 'node', auth: { token: gw.token }, extra: { minProtocol: 3, maxProtocol: 4 } });
    expect(res.ok).toBe(true);
    expect(res.payload.protocol).toBe(4);
    ok.terminate();
    const old = await gw.raw();
    await old.next();
    const bad = await old.request('connect', { minProtocol: 3, maxProtocol: 3, client: { ...client, mode: 'node' }, role: 'node', auth: { token: gw.token } });
    expect(bad.error?.details?.code).toBe('PROTOCOL_MISMATCH');
    expect((await old.closed).code).toBe(1002);
  });

  it('answers bad connect params with a readable ajv message and closes 1008', async () => {
    const r = await gw.raw();
    await r.next();
    const res = await r.request('connect', { minProtocol: 4, maxProtocol: 4, client: { ...client, mode: 'robot' }, surprise: true });
    expect(res.error?.code).toBe('INVALID_REQUEST');
    expect(res.error?.message).toMatch(/^invalid connect params: /);
    expect(res.error?.message).toContain("unexpected property 'surprise'");
    expect(res.error?.message).toContain('at /client/mode: must be one of');
    expect((await r.closed).code).toBe(1008);
  });

  it('rejects an unknown role', async () => {
    const r = await gw.raw();
    await r.next();
    const res = await r.request('connect', { minProtocol: 4, maxProtocol: 4, client, role: 'admin', auth: { token: gw.token } });
    expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'invalid role' });
    expect((await r.closed).code).toBe(1008);
  });

  it('closes a socket that never sends connect within the handshake timeout', async () => {
    const r = await gw.raw();
    await r.next();
    const started = Date.now();
    const closed = await r.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toBe('handshake timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('refuses a missing or wrong token with the OpenClaw detail code', async () => {
    for (const [auth, detail] of [[undefined, 'AUTH_TOKEN_MISSING'], [{ token: 'wrong-token-wrong-token' }, 'AUTH_TOKEN_MISMATCH']] as const) {
      const r = await gw.raw();
      await r.next();
      const res = await r.request('connect', { minProtocol: 4, maxProtocol: 4, client, ...(auth ? { auth } : {}) });
      expect(res.error?.code).toBe('INVALID_REQUEST');
      expect(res.error?.details?.code).toBe(detail);
      expect(JSON.stringify(res)).not.toContain(gw.token);
      expect((await r.closed).code).toBe(1008);
    }
  });

  it('answers a valid connect with hello-ok shaped as OpenClaw v4', async () => {
    const r = await gw.raw();
    const challenge = await r.next();
    const res = await r.request('connect', { minProtocol: 4, maxProtocol: 4, client, role: 'operator', scopes: ['operator.read', 'operator.bogus'], auth: { token: gw.token } });
    expect(res.ok).toBe(true);
    const hello = res.payload;
    expect(hello.type).toBe('hello-ok');
    expect(hello.protocol).toBe(4);
    expect(hello.server.connId).toMatch(/[0-9a-f-]{36}/);
    expect(hello.server.connId).not.toBe(challenge.payload.nonce);
    expect(hello.features.methods).toContain('health');
    expect(hello.features.methods).not.toContain('connect');
    expect(hello.features.events).toEqual(expect.arrayContaining(['tick', 'presence', 'health', 'shutdown']));
    expect(hello.snapshot).toMatchObject({ presence: expect.any(Array), health: { ok: true }, stateVersion: { presence: expect.any(Number), health: expect.any(Number) } });
    expect(hello.snapshot.uptimeMs).toBeGreaterThanOrEqual(0);
    // Unknown scopes are dropped, never granted.
    expect(hello.auth).toEqual({ role: 'operator', scopes: ['operator.read'] });
    expect(hello.policy).toMatchObject({ maxPayload: expect.any(Number), maxBufferedBytes: expect.any(Number), tickIntervalMs: 30_000, handshakeTimeoutMs: 300 });
    r.terminate();
  });
});
