// `switchboard devices …` as a user runs it (the built CLI in a child process) against a real
// gateway: listing, approving (by id and --latest), rejecting, rotating, revoking, removing, the
// offline path when the gateway's socket auth is broken, and a genuinely remote CLI being paired.
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { newDevice, signedConnect } from '../helpers/device.js';
import { runCli } from '../helpers/cli.js';
import { noteSecret } from '../helpers/secrets.js';

// A connection that is not direct loopback (it names another host), so it has to be approved. Not a
// forwarding header: the generated token is refused through a proxy altogether.
const REMOTE = { Host: 'gateway.example:18789' };

describe('switchboard devices', () => {
  let gw: TestGateway;
  let env: Record<string, string>;
  beforeAll(async () => {
    // The generated token: the CLI on this host finds it in the state directory by itself.
    gw = await startTestGateway({ auth: { mode: 'token' } });
    env = { SWITCHBOARD_HOME: gw.stateDir, SWITCHBOARD_URL: gw.url };
  });
  afterAll(() => gw.close());

  async function pendingDevice() {
    const device = newDevice();
    const r = await gw.raw(REMOTE);
    const res = await signedConnect(r, device, { auth: { token: gw.gateway.options.auth.token! }, scopes: ['operator.read'] });
    expect(res.error?.details.code).toBe('PAIRING_REQUIRED');
    return { device, requestId: res.error!.details.requestId as string };
  }

  async function connects(device: ReturnType<typeof newDevice>) {
    const r = await gw.raw(REMOTE);
    const res = await signedConnect(r, device, { auth: { token: gw.gateway.options.auth.token! }, scopes: ['operator.read'] });
    r.terminate();
    return res.ok === true;
  }

  it('lists the CLI itself as a paired device with every operator scope (auto-approved on loopback)', async () => {
    const { code, stdout } = await runCli(['devices', 'list', '--json'], env);
    expect(code).toBe(0);
    const list = JSON.parse(stdout);
    const cli = list.paired.find((d: { clientId?: string }) => d.clientId === 'cli');
    expect(cli).toMatchObject({ roles: ['operator'], scopes: ['operator.admin', 'operator.approvals', 'operator.pairing', 'operator.read', 'operator.write'] });
    expect(cli.tokens).toHaveLength(1);
  });

  it('shows pending requests and approves by id and with --latest', async () => {
    const a = await pendingDevice();
    const human = await runCli(['devices', 'list'], env);
    expect(human.stdout).toContain('Pending');
    expect(human.stdout).toContain(a.requestId);
    expect(human.stdout).toContain('switchboard devices approve');
    const approved = await runCli(['devices', 'approve', a.requestId], env);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`approved ${a.requestId}`);
    expect(await connects(a.device)).toBe(true);
    const b = await pendingDevice();
    const latest = await runCli(['devices', 'approve', '--latest', '--json'], env);
    expect(JSON.parse(latest.stdout)).toMatchObject({ requestId: b.requestId, device: { deviceId: b.device.deviceId } });
    expect(await connects(b.device)).toBe(true);
  });

  it('rejects, and explains bad input with the right exit codes', async () => {
    const c = await pendingDevice();
    expect((await runCli(['devices', 'reject', c.requestId], env)).code).toBe(0);
    expect(await connects(c.device)).toBe(false);
    const none = await runCli(['devices', 'approve'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('pass a requestId or --latest');
    const unknown = await runCli(['devices', 'approve', 'no-such-request'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown requestId');
  });

  it('rotates, revokes and removes', async () => {
    const d = await pendingDevice();
    await runCli(['devices', 'approve', d.requestId], env);
    const rotated = await runCli(['devices', 'rotate', '--device', d.device.deviceId, '--role', 'operator', '--json'], env);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ deviceId: d.device.deviceId, tokenDelivery: 'withheld-cross-device' });
    expect(rotated.stdout).not.toMatch(/"token"/);
    expect((await runCli(['devices', 'revoke', '--device', d.device.deviceId, '--role', 'operator'], env)).stdout).toContain('revoked');
    const list = JSON.parse((await runCli(['devices', 'list', '--json'], env)).stdout);
    expect(list.paired.find((x: { deviceId: string }) => x.deviceId === d.device.deviceId).tokens[0].revokedAtMs).toBeGreaterThan(0);
    expect((await runCli(['devices', 'remove', d.device.deviceId], env)).code).toBe(0);
    expect(await connects(d.device)).toBe(false);
  });

  it('approves offline when the socket auth is broken, and the running gateway honours it', async () => {
    const p = await pendingDevice();
    // A wrong configured token and no stored device token: the CLI cannot authenticate over the socket.
    rmSync(join(gw.stateDir, 'identity', 'cli-tokens.json'), { force: true });
    const broken = { ...env, SWITCHBOARD_GATEWAY_TOKEN: 'a-wrong-token-that-does-not-match-0123' };
    noteSecret(broken.SWITCHBOARD_GATEWAY_TOKEN);
    const res = await runCli(['devices', 'approve', p.requestId], broken);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('AUTH_TOKEN_MISMATCH');
    expect(res.stderr).toContain('working on the state directory');
    expect(await connects(p.device)).toBe(true);
    const explicit = await runCli(['devices', 'list', '--offline', '--json'], { SWITCHBOARD_HOME: gw.stateDir });
    expect(JSON.parse(explicit.stdout).paired.map((d: { deviceId: string }) => d.deviceId)).toContain(p.device.deviceId);
  });
});

const lan = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

describe.skipIf(!lan)('a remote CLI (over a non-loopback interface)', () => {
  const token = 'cli-remote-test-token-Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5';
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ token, extra: { host: '0.0.0.0' } });
  });
  afterAll(() => gw?.close());

  it('is told NOT_PAIRED with the approve command; the owner approves on the host; then it works', async () => {
    const port = gw.gateway.port;
    const remoteHome = mkdtempSync(join(tmpdir(), 'switchboard-remote-cli-'));
    const remote = { SWITCHBOARD_HOME: remoteHome, SWITCHBOARD_URL: `ws://${lan}:${port}`, SWITCHBOARD_GATEWAY_TOKEN: token };
    const first = await runCli(['status'], remote);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('NOT_PAIRED');
    const command = /switchboard devices approve ([0-9a-f-]{36})/.exec(first.stderr);
    expect(command).not.toBeNull();
    const owner = { SWITCHBOARD_HOME: gw.stateDir, SWITCHBOARD_URL: `ws://127.0.0.1:${port}`, SWITCHBOARD_GATEWAY_TOKEN: token };
    expect((await runCli(['devices', 'approve', command![1]], owner)).code).toBe(0);
    const second = await runCli(['status', '--json'], remote);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).bind.host).toBe('0.0.0.0');
    rmSync(remoteHome, { recursive: true, force: true });
  });
});
