// Fail closed at start-up: placeholder, short and weak credentials, and non-loopback binds without
// an explicitly configured strong credential, refused with a message that says how to fix it.
// The generated token serves direct loopback only: never a connection that came through a proxy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway, StartupError, EXIT_CONFIG, type GatewayOptionsInput } from '@switchboard/gateway';
import { noteSecret, testLog } from '../../helpers/secrets.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { newDevice, signedConnect } from '../../helpers/device.js';

const STRONG = 'Qm9vc3RlZC1yYW5kb20tdG9rZW4tMTIzNDU2Nzg5MA';
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

async function start(host: string, auth: GatewayOptionsInput['auth']): Promise<StartupError | Gateway> {
  const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-cred-'));
  dirs.push(stateDir);
  try {
    const gateway = await Gateway.start({ log: await testLog(), stateDir, host, port: 0, auth });
    // Only credentials the gateway accepted are secrets; refused placeholders are quoted back on purpose.
    noteSecret(gateway.options.auth.token);
    noteSecret(gateway.options.auth.password);
    return gateway;
  } catch (err) {
    if (err instanceof StartupError) return err;
    throw err;
  }
}

async function refusal(host: string, auth: GatewayOptionsInput['auth']): Promise<string> {
  const result = await start(host, auth);
  if (result instanceof Gateway) {
    await result.stop();
    throw new Error(`gateway started on ${host} with ${JSON.stringify(auth?.mode)} auth; expected a refusal`);
  }
  expect(result.exitCode).toBe(EXIT_CONFIG);
  return result.message;
}

describe('start-up credential policy', () => {
  it('refuses placeholder credentials on any bind, naming the fix', async () => {
    for (const token of ['undefined', 'changeme', 'CHANGEME', '${SWITCHBOARD_GATEWAY_TOKEN}', '[redacted]', '****************', 'your-token-here']) {
      const message = await refusal('127.0.0.1', { mode: 'token', token });
      expect(message, token).toMatch(/placeholder/);
      expect(message).toContain('openssl rand -base64 32');
    }
    expect(await refusal('127.0.0.1', { mode: 'password', password: 'password' })).toMatch(/placeholder/);
  });

  it('refuses anything under 16 characters', async () => {
    expect(await refusal('127.0.0.1', { mode: 'token', token: 'a8F!k2Lq9zX' })).toMatch(/shorter than 16 characters/);
  });

  it('refuses a non-loopback bind with auth none, with the generated token, or with a weak secret', async () => {
    expect(await refusal('0.0.0.0', { mode: 'none' })).toMatch(/auth mode none/);
    expect(await refusal('0.0.0.0', { mode: 'token' })).toMatch(/generated token serves loopback only/);
    expect(await refusal('0.0.0.0', { mode: 'token', token: 'abcdefghijklmnopqrst' })).toMatch(/too weak for a non-loopback bind .* at least 128 needed/);
    expect(await refusal('::', { mode: 'password', password: 'correcthorsebattery' })).toMatch(/too weak/);
  });

  it('starts on a non-loopback bind with a strong configured token, and on loopback with a generated one', async () => {
    const remote = await start('0.0.0.0', { mode: 'token', token: STRONG });
    expect(remote).toBeInstanceOf(Gateway);
    await (remote as Gateway).stop();
    const local = await start('127.0.0.1', { mode: 'token' });
    expect(local).toBeInstanceOf(Gateway);
    expect((local as Gateway).options.auth.generated).toBe(true);
    await (local as Gateway).stop();
    const none = await start('127.0.0.1', { mode: 'none' });
    expect(none).toBeInstanceOf(Gateway);
    await (none as Gateway).stop();
  });
});

describe('the generated token', () => {
  let gw: TestGateway;
  let generated: string;
  beforeAll(async () => {
    // Even a trusted local proxy does not make a forwarded connection "this machine".
    gw = await startTestGateway({ auth: { mode: 'token' }, extra: { trustedProxies: ['127.0.0.1'] } });
    generated = gw.gateway.options.auth.token!;
  });
  afterAll(() => gw.close());

  it('works on a direct loopback connection', async () => {
    const res = await signedConnect(await gw.raw(), newDevice(), { auth: { token: generated }, scopes: ['operator.read'] });
    expect(res.ok).toBe(true);
  });

  it('is refused on a loopback socket that carries forwarding headers (a local reverse proxy), saying what to configure', async () => {
    for (const headers of [{ 'X-Forwarded-For': '198.51.100.23' }, { Forwarded: 'for=198.51.100.23' }]) {
      const r = await gw.raw(headers);
      const res = await signedConnect(r, newDevice(), { auth: { token: generated }, scopes: ['operator.read'] });
      expect(res.error, JSON.stringify(headers)).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'AUTH_UNAUTHORIZED' } });
      expect(res.error!.message).toContain('not through a proxy; configure a token');
      expect((await r.closed).code).toBe(1008);
    }
  });
});
