// Conformance: frame rules after the handshake, over a real socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { newDevice, signedConnect } from '../../helpers/device.js';

describe('frames after the handshake', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ limits: { maxPayload: 4096 } });
  });
  afterAll(() => gw.close());

  it('answers an unknown method with INVALID_REQUEST and keeps the connection open', async () => {
    const r = await gw.rawConnected();
    const res = await r.request('no.such.method', {});
    expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown method: no.such.method', retryable: false });
    expect((await r.request('health', {})).ok).toBe(true);
    r.terminate();
  });

  it('answers an invalid request frame with its id (or "invalid") and stays open', async () => {
    const r = await gw.rawConnected();
    r.send({ type: 'req', id: 'x1', method: '' });
    const a = await r.next((f) => f.id === 'x1');
    expect(a.error?.code).toBe('INVALID_REQUEST');
    expect(a.error?.message).toMatch(/^invalid request frame: /);
    r.send({ type: 'res', ok: true });
    const b = await r.next((f) => f.id === 'invalid');
    expect(b.error?.code).toBe('INVALID_REQUEST');
    r.sendText('not json at all');
    expect((await r.request('health', {})).ok).toBe(true);
    r.terminate();
  });

  it('validates params with a readable message', async () => {
    const r = await gw.rawConnected();
    const res = await r.request('talk.mode', { enabled: 'yes', extra: 1 });
    expect(res.error?.code).toBe('INVALID_REQUEST');
    expect(res.error?.message).toBe("invalid talk.mode params: at /: unexpected property 'extra'; at /enabled: must be boolean");
    r.terminate();
  });

  it('refuses a second connect', async () => {
    const r = await gw.rawConnected();
    const res = await r.request('connect', {});
    expect(res.error?.code).toBe('INVALID_REQUEST');
    expect(res.error?.message).toMatch(/already connected/);
    r.terminate();
  });

  it('answers FORBIDDEN with missingScope when a scope is missing', async () => {
    const r = await gw.rawConnected({ scopes: ['operator.read'] });
    const res = await r.request('talk.mode', { enabled: true });
    expect(res.error).toMatchObject({ code: 'FORBIDDEN', message: 'missing scope: operator.write', details: { code: 'MISSING_SCOPE', missingScope: 'operator.write' } });
    r.terminate();
  });

  it('treats operator.write as implying operator.read, and admin as everything', async () => {
    const w = await gw.rawConnected({ scopes: ['operator.write'] });
    expect((await w.request('status', {})).ok).toBe(true);
    w.terminate();
    const a = await gw.rawConnected({ scopes: ['operator.admin'] });
    expect((await a.request('talk.mode', { enabled: false })).ok).toBe(true);
    a.terminate();
  });

  it('keeps operator methods away from nodes', async () => {
    const r = await gw.raw();
    expect((await signedConnect(r, newDevice(), { role: 'node', client: { id: 'node-host', version: '1' }, auth: { token: gw.token } })).ok).toBe(true);
    const res = await r.request('status', {});
    expect(res.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'ROLE_NOT_ALLOWED' } });
    r.terminate();
  });

  it('answers an oversize frame with PAYLOAD_TOO_LARGE and stays open', async () => {
    const r = await gw.rawConnected();
    r.send({ type: 'req', id: 'big', method: 'talk.mode', params: { enabled: true, phase: 'x'.repeat(5000) } });
    const res = await r.next((f) => f.id === 'big');
    expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'PAYLOAD_TOO_LARGE', maxPayload: 4096 } });
    expect((await r.request('health', {})).ok).toBe(true);
    r.terminate();
  });

  it('closes with 1009 for a frame above the pre-auth limit', async () => {
    const r = await gw.raw();
    await r.next();
    r.sendText('x'.repeat(70 * 1024));
    expect((await r.closed).code).toBe(1009);
  });

  it('closes with 1009 for a frame above twice maxPayload, without crashing', async () => {
    const r = await gw.rawConnected();
    r.sendText('y'.repeat(9000));
    expect((await r.closed).code).toBe(1009);
    const again = await gw.rawConnected();
    expect((await again.request('health', {})).ok).toBe(true);
    again.terminate();
  });
});
