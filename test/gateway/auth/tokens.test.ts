// Conformance: device tokens — stored as hashes only, rotated (in-band for the device itself,
// withheld for anyone else), revoked (connections using them close), and who may do which.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { newDevice, signedConnect, type TestDevice } from '../../helpers/device.js';
import { noteSecret } from '../../helpers/secrets.js';
import type { RawConnection } from '../../helpers/raw.js';

describe('device tokens', () => {
  let gw: TestGateway;
  let admin: RawConnection;
  beforeAll(async () => {
    gw = await startTestGateway({ limits: { authFailures: { maxAttempts: 1000, windowMs: 60_000, lockoutMs: 1_000 } } });
    admin = await gw.rawConnected({ scopes: ['operator.admin'] });
  });
  afterAll(() => gw.close());

  /** Pairs `device` on direct loopback and returns its token. */
  async function pair(device: TestDevice, scopes = ['operator.read', 'operator.write', 'operator.pairing'], role: 'operator' | 'node' = 'operator') {
    const r = await gw.raw();
    const res = await signedConnect(r, device, { auth: { token: gw.token }, scopes, role });
    r.terminate();
    return res.payload.auth.deviceToken as string;
  }

  async function withToken(device: TestDevice, token: string, scopes = ['operator.read'], role: 'operator' | 'node' = 'operator') {
    const r = await gw.raw();
    const res = await signedConnect(r, device, { auth: { deviceToken: token }, scopes, role });
    return { r, res };
  }

  it('stores only a hash of each token', async () => {
    const device = newDevice();
    const token = await pair(device);
    const row = gw.gateway.services.store.db.prepare('SELECT * FROM device_tokens WHERE device_id = ?').get(device.deviceId) as Record<string, unknown>;
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hands a device its own rotated token in-band; the old one stops working', async () => {
    const device = newDevice();
    const old = await pair(device);
    // A non-admin caller cannot rotate a token broader than its own session: ask for all of them.
    const { r } = await withToken(device, old, ['operator.pairing', 'operator.read', 'operator.write']);
    const rotated = await r.request('device.token.rotate', { deviceId: device.deviceId, role: 'operator' });
    expect(rotated.payload).toMatchObject({ deviceId: device.deviceId, role: 'operator', tokenDelivery: 'in-band', token: expect.any(String), rotatedAtMs: expect.any(Number) });
    expect(rotated.payload.token).not.toBe(old);
    r.terminate();
    expect((await withToken(device, old)).res.error?.details.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
    const fresh = await withToken(device, rotated.payload.token);
    expect(fresh.res.ok).toBe(true);
    fresh.r.terminate();
  });

  it('withholds a token another caller rotated: the device gets it on its next signed connect, and token sessions close', async () => {
    const device = newDevice();
    const old = await pair(device);
    const live = await withToken(device, old);
    const rotated = await admin.request('device.token.rotate', { deviceId: device.deviceId, role: 'operator', scopes: ['operator.read'] });
    expect(rotated.payload).toMatchObject({ tokenDelivery: 'withheld-cross-device', scopes: ['operator.read'] });
    expect(rotated.payload.token).toBeUndefined();
    expect(await live.r.closed).toEqual({ code: 1008, reason: 'device token rotated' });
    expect((await withToken(device, old)).res.error?.details.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
    const next = await pair(device, ['operator.read']);
    expect(next).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The narrowed token covers read, not write.
    expect((await withToken(device, next, ['operator.read'])).res.ok).toBe(true);
    expect((await withToken(device, next, ['operator.write'])).res.error?.details).toMatchObject({ code: 'PAIRING_REQUIRED', reason: 'scope-upgrade' });
  });

  it('revokes a token: its sessions close, it is refused, and the list shows it revoked', async () => {
    const device = newDevice();
    const token = await pair(device);
    const live = await withToken(device, token);
    const revoked = await admin.request('device.token.revoke', { deviceId: device.deviceId, role: 'operator' });
    expect(revoked.payload).toMatchObject({ deviceId: device.deviceId, role: 'operator', revokedAtMs: expect.any(Number) });
    expect(await live.r.closed).toEqual({ code: 1008, reason: 'device token revoked' });
    expect((await withToken(device, token)).res.error?.details.code).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
    const list = await admin.request('device.pair.list', {});
    const entry = list.payload.paired.find((d: { deviceId: string }) => d.deviceId === device.deviceId);
    expect(entry.tokens).toEqual([expect.objectContaining({ role: 'operator', revokedAtMs: revoked.payload.revokedAtMs })]);
    expect(JSON.stringify(list.payload)).not.toContain(token);
  });

  it('keeps managers within their own authority', async () => {
    const self = newDevice();
    const other = newDevice();
    const otherToken = await pair(other);
    noteSecret(otherToken);
    const nodeDevice = newDevice();
    await pair(nodeDevice, [], 'node');
    const { r } = await withToken(self, await pair(self, ['operator.pairing', 'operator.read']), ['operator.pairing', 'operator.read']);
    // A device-token session manages only its own device…
    const cross = await r.request('device.token.revoke', { deviceId: other.deviceId, role: 'operator' });
    expect(cross.error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.admin' } });
    // …node tokens need admin…
    const node = await r.request('device.token.rotate', { deviceId: nodeDevice.deviceId, role: 'node' });
    expect(node.error?.details.missingScope).toBe('operator.admin');
    // …and nobody mints scopes they do not hold.
    const pairingOnly = await gw.rawConnected({ scopes: ['operator.pairing'] });
    const wider = await pairingOnly.request('device.token.rotate', { deviceId: other.deviceId, role: 'operator', scopes: ['operator.write'] });
    expect(wider.error).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.write' } });
    const never = await admin.request('device.token.rotate', { deviceId: other.deviceId, role: 'operator', scopes: ['operator.admin'] });
    expect(never.error?.code).toBe('INVALID_REQUEST');
    const noRole = await admin.request('device.token.revoke', { deviceId: other.deviceId, role: 'node' });
    expect(noRole.error?.details.code).toBe('ROLE_NOT_APPROVED');
    const unknown = await admin.request('device.token.rotate', { deviceId: 'f'.repeat(64), role: 'operator' });
    expect(unknown.error?.details.code).toBe('UNKNOWN_DEVICE_ID');
    r.terminate();
  });
});
