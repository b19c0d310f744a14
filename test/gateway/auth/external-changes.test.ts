// Device changes written by another process (the CLI's offline path opens the state database
// directly) close live sessions like the online path: a revoked token's sessions, a removed
// device's sessions. Real gateway, real SQLite file, a second connection to it as the CLI has.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOfflineDevices, type OfflineDevices } from '@switchboard/gateway';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { newDevice, signedConnect, type TestDevice } from '../../helpers/device.js';
import type { RawConnection } from '../../helpers/raw.js';

/** Resolves with the close, or with 'still open' after `ms`. */
function closedWithin(r: RawConnection, ms: number): Promise<{ code: number; reason: string } | 'still open'> {
  return Promise.race([r.closed, new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), ms))]);
}

describe('device changes made offline', () => {
  let gw: TestGateway;
  let offline: OfflineDevices;
  beforeAll(async () => {
    gw = await startTestGateway();
    offline = openOfflineDevices(gw.stateDir);
  });
  afterAll(async () => {
    offline.close();
    await gw.close();
  });

  /** Pairs `device` on direct loopback (shared secret) and returns its device token. */
  async function pair(device: TestDevice): Promise<string> {
    const r = await gw.raw();
    const res = await signedConnect(r, device, { auth: { token: gw.token }, scopes: ['operator.read'] });
    r.terminate();
    return res.payload.auth.deviceToken as string;
  }

  /** An open session authenticated by the device token alone. */
  async function tokenSession(device: TestDevice, token: string): Promise<RawConnection> {
    const r = await gw.raw();
    const res = await signedConnect(r, device, { auth: { deviceToken: token }, scopes: ['operator.read'] });
    expect(res.ok).toBe(true);
    return r;
  }

  it('an offline revoke closes the sessions using that device token within a few seconds, and only those', async () => {
    const device = newDevice();
    const token = await pair(device);
    const session = await tokenSession(device, token);
    const bystander = newDevice();
    const other = await tokenSession(bystander, await pair(bystander));
    // The same device on the shared secret is not a session of the token: it stays, as online.
    const viaSecret = await gw.raw();
    expect((await signedConnect(viaSecret, device, { auth: { token: gw.token }, scopes: ['operator.read'] })).ok).toBe(true);

    expect(offline.devices.revokeToken(device.deviceId, 'operator')).toEqual(expect.any(Number));
    expect(await closedWithin(session, 5_000)).toEqual({ code: 1008, reason: 'device token revoked' });
    expect(await closedWithin(other, 1_500)).toBe('still open');
    expect(await closedWithin(viaSecret, 100)).toBe('still open');
    other.terminate();
    viaSecret.terminate();
  });

  it('an offline remove closes every session of the device within a few seconds', async () => {
    const device = newDevice();
    const session = await tokenSession(device, await pair(device));
    const viaSecret = await gw.raw();
    expect((await signedConnect(viaSecret, device, { auth: { token: gw.token }, scopes: ['operator.read'] })).ok).toBe(true);

    expect(offline.devices.remove(device.deviceId)).toBe(true);
    expect(await closedWithin(session, 5_000)).toEqual({ code: 1008, reason: 'device removed' });
    expect(await closedWithin(viaSecret, 5_000)).toEqual({ code: 1008, reason: 'device removed' });
  });

  it('leaves sessions alone when another process changes nothing about them', async () => {
    const device = newDevice();
    const session = await tokenSession(device, await pair(device));
    const unrelated = newDevice();
    await pair(unrelated);
    expect(offline.devices.revokeToken(unrelated.deviceId, 'operator')).toEqual(expect.any(Number));
    expect(await closedWithin(session, 2_500)).toBe('still open');
    session.terminate();
  });
});
