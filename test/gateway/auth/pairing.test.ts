// Conformance: pairing over real sockets — remote policy for proxied and non-local connections,
// NOT_PAIRED with the request id and the approve command, pairing events only for pairing/admin
// operators, approval rules, auto-approval only for direct loopback, expiry, reject and remove.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { newDevice, signedConnect, type TestDevice } from '../../helpers/device.js';
import type { Frame, RawConnection } from '../../helpers/raw.js';

const XFF = { 'X-Forwarded-For': '198.51.100.23' };

/** Frames of `event` that arrived on `r` before a talk.mode marker broadcast (events are ordered per connection). */
async function eventsBefore(gw: TestGateway, r: RawConnection, event: string): Promise<Frame[]> {
  const driver = await gw.rawConnected({ scopes: ['operator.write'] });
  const phase = `marker-${Math.random()}`;
  await driver.request('talk.mode', { enabled: true, phase });
  await r.next((f) => f.event === 'talk.mode' && f.payload.phase === phase);
  driver.terminate();
  const seen = r.frames.filter((f) => f.event === event);
  r.frames.length = 0;
  return seen;
}

describe('pairing', () => {
  let gw: TestGateway;
  let reader: RawConnection;
  let pairer: RawConnection;
  let admin: RawConnection;
  beforeAll(async () => {
    gw = await startTestGateway({ limits: { authFailures: { maxAttempts: 1000, windowMs: 60_000, lockoutMs: 1_000 } } });
    reader = await gw.rawConnected({ scopes: ['operator.read'] });
    pairer = await gw.rawConnected({ scopes: ['operator.pairing', 'operator.read'] });
    admin = await gw.rawConnected({ scopes: ['operator.admin'] });
  });
  afterAll(() => gw.close());

  async function remoteConnect(device: TestDevice, o: Parameters<typeof signedConnect>[2] = {}, headers: Record<string, string> = XFF) {
    const r = await gw.raw(headers);
    const res = await signedConnect(r, device, { auth: { token: gw.token }, scopes: ['operator.read'], ...o });
    return { r, res };
  }

  it('treats a loopback peer with X-Forwarded-For (no trusted proxy) as remote: NOT_PAIRED with requestId and the approve command', async () => {
    const device = newDevice();
    const { r, res } = await remoteConnect(device);
    expect(res.error).toMatchObject({ code: 'NOT_PAIRED', details: { code: 'PAIRING_REQUIRED', reason: 'not-paired', deviceId: device.deviceId } });
    const requestId = res.error!.details.requestId as string;
    expect(res.error!.details.approveCommand).toBe(`switchboard devices approve ${requestId}`);
    expect(res.error!.message).toContain(`switchboard devices approve ${requestId}`);
    const closed = await r.closed;
    expect(closed).toEqual({ code: 1008, reason: `pairing required (requestId: ${requestId})` });

    // Asked again: the same request, announced once.
    const again = await remoteConnect(device);
    expect(again.res.error!.details.requestId).toBe(requestId);
    expect((await eventsBefore(gw, pairer, 'device.pair.requested')).map((f) => f.payload.requestId)).toEqual([requestId]);
    expect(await eventsBefore(gw, reader, 'device.pair.requested')).toEqual([]);
    const list = await pairer.request('device.pair.list', {});
    const pending = list.payload.pending.find((p: { requestId: string }) => p.requestId === requestId);
    expect(pending).toMatchObject({ deviceId: device.deviceId, publicKey: device.publicKey, role: 'operator', scopes: ['operator.read'], remoteIp: '127.0.0.1', clientId: 'test' });
    // Five minutes from the latest attempt (a repeat refreshes the request).
    expect(pending.expiresAtMs - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    expect(pending.expiresAtMs - Date.now()).toBeGreaterThan(5 * 60_000 - 10_000);
  });

  it('delivers device.pair.requested only to operators with operator.pairing or admin', async () => {
    admin.frames.length = 0;
    pairer.frames.length = 0;
    reader.frames.length = 0;
    const { res } = await remoteConnect(newDevice());
    const id = res.error!.details.requestId;
    expect((await eventsBefore(gw, admin, 'device.pair.requested')).map((f) => f.payload.requestId)).toEqual([id]);
    expect((await eventsBefore(gw, pairer, 'device.pair.requested')).map((f) => f.payload.requestId)).toEqual([id]);
    expect(await eventsBefore(gw, reader, 'device.pair.requested')).toEqual([]);
  });

  it('lets a caller approve only scopes it holds; approval lets the device in and is announced to pairing operators only', async () => {
    const device = newDevice();
    const { res } = await remoteConnect(device, { scopes: ['operator.read', 'operator.write'] });
    const requestId = res.error!.details.requestId;
    const denied = await pairer.request('device.pair.approve', { requestId });
    expect(denied.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE', missingScope: 'operator.write' } });
    pairer.frames.length = 0;
    reader.frames.length = 0;
    const approved = await admin.request('device.pair.approve', { requestId });
    expect(approved.payload).toMatchObject({ requestId, device: { deviceId: device.deviceId, roles: ['operator'], scopes: ['operator.read', 'operator.write'] } });
    const resolved = await eventsBefore(gw, pairer, 'device.pair.resolved');
    expect(resolved.map((f) => f.payload)).toEqual([expect.objectContaining({ requestId, deviceId: device.deviceId, decision: 'approved' })]);
    expect(await eventsBefore(gw, reader, 'device.pair.resolved')).toEqual([]);

    const back = await remoteConnect(device, { scopes: ['operator.write'] });
    expect(back.res.ok).toBe(true);
    expect(back.res.payload.auth).toMatchObject({ scopes: ['operator.write'], deviceToken: expect.any(String) });
    expect((await admin.request('device.pair.approve', { requestId })).error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'UNKNOWN_REQUEST_ID' } });
    back.r.terminate();
  });

  it('asks again for a scope or role upgrade (isRepair)', async () => {
    const device = newDevice();
    const first = await remoteConnect(device);
    await admin.request('device.pair.approve', { requestId: first.res.error!.details.requestId });
    const upgrade = await remoteConnect(device, { scopes: ['operator.admin'] });
    expect(upgrade.res.error!.details).toMatchObject({ code: 'PAIRING_REQUIRED', reason: 'scope-upgrade' });
    const asNode = await remoteConnect(device, { role: 'node', scopes: [] });
    expect(asNode.res.error!.details).toMatchObject({ code: 'PAIRING_REQUIRED', reason: 'role-upgrade' });
    const pending = (await admin.request('device.pair.list', {})).payload.pending.find((p: { deviceId: string }) => p.deviceId === device.deviceId);
    expect(pending).toMatchObject({ isRepair: true, roles: ['node', 'operator'], scopes: ['operator.admin'] });
  });

  it('needs operator.admin to approve a device as a node, new or as a role upgrade', async () => {
    const node = newDevice();
    const asked = await remoteConnect(node, { role: 'node', scopes: [] });
    const nodeRequest = asked.res.error!.details.requestId as string;
    const denied = await pairer.request('device.pair.approve', { requestId: nodeRequest });
    expect(denied.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin' } });
    expect(denied.error.message).toContain('role node');
    expect((await remoteConnect(node, { role: 'node', scopes: [] })).res.error?.details.code).toBe('PAIRING_REQUIRED');

    const operator = newDevice();
    const first = await remoteConnect(operator);
    await admin.request('device.pair.approve', { requestId: first.res.error!.details.requestId });
    const upgrade = await remoteConnect(operator, { role: 'node', scopes: [] });
    const upgradeRequest = upgrade.res.error!.details.requestId as string;
    expect((await pairer.request('device.pair.approve', { requestId: upgradeRequest })).error?.details.missingScope).toBe('operator.admin');
    expect((await admin.request('device.pair.approve', { requestId: nodeRequest })).payload.device.roles).toEqual(['node']);
    expect((await admin.request('device.pair.approve', { requestId: upgradeRequest })).payload.device.roles).toEqual(['node', 'operator']);
  });

  it('treats a loopback peer naming a non-local Host as remote (DNS rebinding)', async () => {
    const { res } = await remoteConnect(newDevice(), {}, { Host: `gateway.example:${gw.gateway.port}` });
    expect(res.error?.details.code).toBe('PAIRING_REQUIRED');
  });

  it('requires a device identity from anything but direct loopback', async () => {
    const r = await gw.raw(XFF);
    await r.next();
    const res = await r.request('connect', { minProtocol: 4, maxProtocol: 4, client: { id: 'test', version: '1', platform: 'linux', mode: 'test' }, auth: { token: gw.token } });
    expect(res.error).toMatchObject({ code: 'NOT_PAIRED', details: { code: 'DEVICE_IDENTITY_REQUIRED' } });
    expect((await r.closed).code).toBe(1008);
  });

  it('auto-approves a signed direct-loopback connect with the shared secret, and announces it', async () => {
    pairer.frames.length = 0;
    const device = newDevice();
    const r = await gw.raw();
    const res = await signedConnect(r, device, { auth: { token: gw.token }, scopes: ['operator.admin'] });
    expect(res.ok).toBe(true);
    expect(res.payload.auth).toMatchObject({ scopes: ['operator.admin'], deviceToken: expect.any(String) });
    const resolved = await eventsBefore(gw, pairer, 'device.pair.resolved');
    expect(resolved.map((f) => f.payload)).toEqual([expect.objectContaining({ deviceId: device.deviceId, decision: 'approved' })]);
    r.terminate();
  });

  it('pairs the same-origin browser on direct loopback without a secret, for read/write only', async () => {
    const origin = { Origin: `http://127.0.0.1:${gw.gateway.port}` };
    const browser = newDevice();
    const r = await gw.raw(origin);
    const res = await signedConnect(r, browser, { auth: undefined, client: { id: 'webchat-ui', mode: 'webchat' }, scopes: ['operator.read', 'operator.write'] });
    expect(res.ok).toBe(true);
    expect(res.payload.auth).toMatchObject({ scopes: ['operator.read', 'operator.write'], deviceToken: expect.any(String) });
    r.terminate();
    const greedy = await gw.raw(origin);
    const more = await signedConnect(greedy, newDevice(), { auth: undefined, client: { id: 'webchat-ui', mode: 'webchat' }, scopes: ['operator.admin'] });
    expect(more.error).toMatchObject({ code: 'NOT_PAIRED', details: { code: 'PAIRING_REQUIRED' } });
    const noOrigin = await gw.raw();
    const bare = await signedConnect(noOrigin, newDevice(), { auth: undefined, scopes: ['operator.read'] });
    expect(bare.error?.details.code).toBe('AUTH_TOKEN_MISSING');
  });

  it('drops requests after five minutes', async () => {
    const { res } = await remoteConnect(newDevice());
    const requestId = res.error!.details.requestId;
    gw.gateway.services.store.db.prepare('UPDATE pairing_requests SET expires_at = ? WHERE request_id = ?').run(Date.now() - 1, requestId);
    expect((await admin.request('device.pair.approve', { requestId })).error?.details.code).toBe('UNKNOWN_REQUEST_ID');
    const list = await admin.request('device.pair.list', {});
    expect(list.payload.pending.map((p: { requestId: string }) => p.requestId)).not.toContain(requestId);
  });

  it('rejects a request (announced as rejected) and the device has to ask again', async () => {
    const device = newDevice();
    const { res } = await remoteConnect(device);
    const requestId = res.error!.details.requestId;
    pairer.frames.length = 0;
    const rejected = await admin.request('device.pair.reject', { requestId });
    expect(rejected.payload).toEqual({ requestId, deviceId: device.deviceId });
    expect((await eventsBefore(gw, pairer, 'device.pair.resolved')).map((f) => f.payload.decision)).toEqual(['rejected']);
    const again = await remoteConnect(device);
    expect(again.res.error!.details.requestId).not.toBe(requestId);
  });

  it('removes a device: its connections close and it must pair again', async () => {
    const device = newDevice();
    const first = await remoteConnect(device);
    await admin.request('device.pair.approve', { requestId: first.res.error!.details.requestId });
    const live = await remoteConnect(device);
    expect(live.res.ok).toBe(true);
    const removed = await admin.request('device.pair.remove', { deviceId: device.deviceId });
    expect(removed.payload).toEqual({ deviceId: device.deviceId });
    expect(await live.r.closed).toEqual({ code: 1008, reason: 'device removed' });
    expect((await remoteConnect(device)).res.error?.details.code).toBe('PAIRING_REQUIRED');
    expect((await admin.request('device.pair.remove', { deviceId: device.deviceId })).error?.details.code).toBe('UNKNOWN_DEVICE_ID');
  });
});

describe('pairing behind a trusted proxy', () => {
  let gw: TestGateway;
  let admin: RawConnection;
  beforeAll(async () => {
    gw = await startTestGateway({ extra: { trustedProxies: ['127.0.0.1', '10.0.0.0/8'] } });
    admin = await gw.rawConnected({ scopes: ['operator.admin'] });
  });
  afterAll(() => gw.close());

  async function pendingIpFor(headers: Record<string, string>): Promise<string> {
    const device = newDevice();
    const r = await gw.raw(headers);
    const res = await signedConnect(r, device, { auth: { token: gw.token }, scopes: ['operator.read'] });
    expect(res.error?.details.code).toBe('PAIRING_REQUIRED');
    const list = await admin.request('device.pair.list', {});
    return list.payload.pending.find((p: { deviceId: string }) => p.deviceId === device.deviceId).remoteIp;
  }

  it('reads X-Forwarded-For right to left: the first hop that is not a trusted proxy, never the client-written first entry', async () => {
    // 6.6.6.6 was written by the client; the proxy chain appended 203.0.113.7 and then the inner proxy 10.0.0.1.
    expect(await pendingIpFor({ 'X-Forwarded-For': '6.6.6.6, 203.0.113.7, 10.0.0.1' })).toBe('203.0.113.7');
    expect(await pendingIpFor({ 'X-Forwarded-For': '10.1.1.1, 198.51.100.9' })).toBe('198.51.100.9');
  });

  it('reads RFC 7239 Forwarded when there is no X-Forwarded-For (quoted IPv6 with a port)', async () => {
    expect(await pendingIpFor({ Forwarded: 'for=6.6.6.6, for="[2001:db8::7]:4711";proto=https, for=10.0.0.1' })).toBe('2001:db8::7');
  });
});
