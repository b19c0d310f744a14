// Conformance: abuse controls over real sockets — failed-auth lockout (loopback included), the
// pre-auth socket cap per address, the per-connection request budget, the Origin check, and
// de-duplicated refusal logs.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { request } from 'node:http';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLog } from '@switchboard/gateway';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { newDevice, signedConnect } from '../../helpers/device.js';
import { openRaw, type RawConnection } from '../../helpers/raw.js';
import { noteSecret, processLogFile } from '../../helpers/secrets.js';

const testDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const client = { id: 'test', version: '1.0.0', platform: 'linux', mode: 'test' };

async function connectWith(gw: TestGateway, token: string, localAddress = '127.0.0.1'): Promise<{ r: RawConnection; res: Awaited<ReturnType<RawConnection['request']>> }> {
  // Wrong guesses must stay out of the logs as much as the right token.
  noteSecret(token);
  const r = await openRaw(gw.url, undefined, { localAddress });
  await r.next((f) => f.event === 'connect.challenge');
  const res = await r.request('connect', { minProtocol: 4, maxProtocol: 4, client, scopes: ['operator.read'], auth: { token } });
  return { r, res };
}

/** Sends a WebSocket upgrade that is expected to be refused; resolves with the HTTP status and body. */
function refusedUpgrade(gw: TestGateway, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: gw.gateway.port, path: '/',
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('upgrade', () => reject(new Error('the upgrade was accepted')));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('abuse controls', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('locks an address out after 10 failures in 60 s, loopback included: the 11th gets AUTH_RATE_LIMITED with retryAfterMs', async () => {
    gw = await startTestGateway();
    for (let i = 1; i <= 10; i++) {
      const { r, res } = await connectWith(gw, `wrong-token-number-${i}-xxxxxxxx`);
      expect(res.error?.details.code, `attempt ${i}`).toBe('AUTH_TOKEN_MISMATCH');
      await r.closed;
    }
    const eleventh = await connectWith(gw, 'wrong-token-number-11-xxxxxxxx');
    expect(eleventh.res.error).toMatchObject({ code: 'INVALID_REQUEST', retryable: true, details: { code: 'AUTH_RATE_LIMITED' } });
    expect(eleventh.res.error!.retryAfterMs).toBeGreaterThan(4 * 60_000);
    expect(eleventh.res.error!.retryAfterMs).toBeLessThanOrEqual(5 * 60_000);
    expect((await eleventh.r.closed).code).toBe(1008);
    // Locked out means locked out: the right token does not get through either…
    const right = await connectWith(gw, gw.token);
    expect(right.res.error?.details.code).toBe('AUTH_RATE_LIMITED');
    // …while another address is unaffected.
    const other = await connectWith(gw, gw.token, '127.0.0.2');
    expect(other.res.ok).toBe(true);
    other.r.terminate();
  });

  it('counts IPv6 clients per /64 behind a trusted proxy: rotating addresses inside it buys no fresh attempts', async () => {
    gw = await startTestGateway({ limits: { authFailures: { maxAttempts: 3, windowMs: 60_000, lockoutMs: 60_000 } }, extra: { trustedProxies: ['127.0.0.1'] } });
    const attempt = async (address: string, token: string) => {
      noteSecret(token);
      const r = await openRaw(gw!.url, { 'X-Forwarded-For': address });
      await r.next((f) => f.event === 'connect.challenge');
      const res = await r.request('connect', { minProtocol: 4, maxProtocol: 4, client, scopes: ['operator.read'], auth: { token } });
      r.terminate();
      return res.error?.details.code;
    };
    const codes: string[] = [];
    for (let i = 1; i <= 4; i++) codes.push(await attempt(`2001:db8:7:7::${i}`, `wrong-token-v6-${i}-xxxxxxxxxx`));
    expect(codes).toEqual(['AUTH_TOKEN_MISMATCH', 'AUTH_TOKEN_MISMATCH', 'AUTH_TOKEN_MISMATCH', 'AUTH_RATE_LIMITED']);
    expect(await attempt('2001:db8:7:7:ffff::99', 'wrong-token-v6-5-xxxxxxxxxx')).toBe('AUTH_RATE_LIMITED');
    expect(await attempt('2001:db8:7:8::1', 'wrong-token-v6-6-xxxxxxxxxx')).toBe('AUTH_TOKEN_MISMATCH');
  });

  it('counts bad device signatures as failures too', async () => {
    gw = await startTestGateway({ limits: { authFailures: { maxAttempts: 3, windowMs: 60_000, lockoutMs: 60_000 } } });
    const device = newDevice();
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await openRaw(gw.url, undefined, { localAddress: '127.0.0.3' });
      const res = await signedConnect(r, device, { auth: { token: gw.token }, device: { signature: newDevice().sign('x') } });
      codes.push(res.error!.details.code);
    }
    expect(codes).toEqual(['DEVICE_AUTH_SIGNATURE_INVALID', 'DEVICE_AUTH_SIGNATURE_INVALID', 'DEVICE_AUTH_SIGNATURE_INVALID', 'AUTH_RATE_LIMITED']);
  });

  it('caps pre-auth sockets per address (HTTP 429 past the cap) while a client from elsewhere still connects', async () => {
    gw = await startTestGateway();
    // The flood comes from another process, so it cannot starve this one of CPU.
    const flood = spawn(process.execPath, [join(testDir, 'fixtures', 'preauth-flood.mjs'), gw.url, '1000', '127.0.0.1'], { cwd: testDir, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: flood.stdout! })[Symbol.asyncIterator]();
    try {
      expect((await lines.next()).value).toBe('flooding');
      await new Promise((r) => setTimeout(r, 50));
      // Functional only: how fast it gets in under a flood is a benchmark's business, not a test's.
      const legit = await connectWith(gw, gw.token, '127.0.0.2');
      expect(legit.res.ok).toBe(true);
      legit.r.terminate();
      expect(JSON.parse((await lines.next()).value as string)).toEqual({ opened: 32, refused: 968, other: 0 });
    } finally {
      flood.stdin!.end();
      await new Promise((r) => flood.once('exit', r));
    }
  });

  it('frees a pre-auth slot when the handshake completes', async () => {
    gw = await startTestGateway({ limits: { maxPreauthSocketsPerAddress: 2 } });
    for (let i = 0; i < 5; i++) {
      const { r, res } = await connectWith(gw, gw.token);
      expect(res.ok).toBe(true);
      r.terminate();
    }
    expect(gw.gateway.services.auth.preauth.count('127.0.0.1')).toBeLessThanOrEqual(2);
  });

  it('answers the request over budget with RATE_LIMITED (CONNECTION_BUDGET_EXCEEDED, retryAfterMs), then closes 1008', async () => {
    gw = await startTestGateway({ limits: { requestBudget: { maxRequests: 50, windowMs: 60_000 } } });
    const r = await gw.rawConnected();
    expect(r.hello.policy.requestBudget).toEqual({ maxRequests: 50, windowMs: 60_000 });
    for (let i = 0; i < 60; i++) r.send({ type: 'req', id: `b${i}`, method: 'health', params: {} });
    expect(await r.closed).toEqual({ code: 1008, reason: 'request budget exceeded' });
    const answers = r.frames.filter((f) => f.type === 'res');
    expect(answers.filter((f) => f.ok)).toHaveLength(50);
    const refusal = answers.find((f) => !f.ok)!;
    expect(refusal.id).toBe('b50');
    expect(refusal.error).toMatchObject({ code: 'RATE_LIMITED', retryable: true, details: { code: 'CONNECTION_BUDGET_EXCEEDED', maxRequests: 50, windowMs: 60_000 } });
    expect(refusal.error!.retryAfterMs).toBeGreaterThan(0);
    expect(refusal.error!.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(refusal.error!.message).toMatch(/reconnect after retryAfterMs/);
    expect(answers).toHaveLength(51);
  });

  it('has a default budget a real client lives with and an abusive one does not', async () => {
    gw = await startTestGateway();
    const r = await gw.rawConnected();
    expect(r.hello.policy.requestBudget).toEqual({ maxRequests: 2_000, windowMs: 10_000 });
    for (let i = 0; i < 2_100; i++) r.send({ type: 'req', id: `d${i}`, method: 'health', params: {} });
    expect(await r.closed).toEqual({ code: 1008, reason: 'request budget exceeded' });
    expect(r.frames.filter((f) => f.type === 'res' && f.ok)).toHaveLength(2_000);
  });

  it('refuses cross-origin browser upgrades with HTTP 403, accepts its own origin, an allowlisted one, and no origin', async () => {
    gw = await startTestGateway({ extra: { allowedOrigins: ['https://ops.example.com'] } });
    const port = gw.gateway.port;
    await expect(openRaw(gw.url, { Origin: 'https://evil.example' })).rejects.toMatchObject({ statusCode: 403 });
    await expect(openRaw(gw.url, { Origin: `http://localhost:${port}` })).rejects.toMatchObject({ statusCode: 403 });
    await expect(openRaw(gw.url, { Origin: 'null' })).rejects.toMatchObject({ statusCode: 403 });
    for (const origin of [`http://127.0.0.1:${port}`, 'https://ops.example.com', undefined]) {
      const r = await openRaw(gw.url, origin ? { Origin: origin } : undefined);
      expect((await r.next()).event).toBe('connect.challenge');
      r.terminate();
    }
  });

  it('refuses DNS-rebound browser upgrades on a loopback bind: the page\'s own origin must name this machine', async () => {
    gw = await startTestGateway({ extra: { allowedOrigins: ['https://mine.example'] } });
    const port = gw.gateway.port;
    // A page of attacker.example, rebound to 127.0.0.1, is same-origin with itself: Origin and Host agree.
    const rebound = await refusedUpgrade(gw, { Origin: `http://attacker.example:${port}`, Host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('host not allowed: this gateway listens on loopback');
    expect(rebound.body).toContain('allowedOrigins (SWITCHBOARD_ALLOWED_ORIGINS)');
    // The WebChat served at http://127.0.0.1:PORT, localhost, [::1] and this machine's name keep working.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${hostname()}:${port}`]) {
      const r = await openRaw(gw.url, { Origin: `http://${host}`, Host: host });
      expect((await r.next()).event, host).toBe('connect.challenge');
      r.terminate();
    }
    // A CLI sends no Origin: any Host passes (OpenClaw's CLI connects to ws://$(hostname)).
    const cli = await openRaw(gw.url, { Host: `attacker.example:${port}` });
    expect((await cli.next()).event).toBe('connect.challenge');
    cli.terminate();
    // A name of your own behind a reverse proxy is allowlisted explicitly.
    const mine = await openRaw(gw.url, { Origin: 'https://mine.example', Host: 'mine.example' });
    expect((await mine.next()).event).toBe('connect.challenge');
    mine.terminate();
  });

  it('logs a flood of identical refusals once, with the count of repeats', async () => {
    const lines: string[] = [];
    const file = processLogFile('abuse-dedupe');
    const log = await createLog({ level: 'debug', destination: { write: (line: string) => { lines.push(line); appendFileSync(file, line); } } });
    gw = await startTestGateway({ log, limits: { authFailures: { maxAttempts: 1000, windowMs: 60_000, lockoutMs: 1_000 } } });
    for (let i = 0; i < 15; i++) {
      const { r } = await connectWith(gw, `wrong-token-flood-${i}-xxxxxxxxx`);
      await r.closed;
    }
    const refusals = lines.filter((l) => l.includes('handshake refused: AUTH_TOKEN_MISMATCH'));
    expect(refusals).toHaveLength(1);
    // The same refusal from another address is another event: logged too.
    const { r } = await connectWith(gw, 'wrong-token-other-address-xxxxxxxxx', '127.0.0.2');
    await r.closed;
    const after = lines.filter((l) => l.includes('handshake refused: AUTH_TOKEN_MISMATCH')).map((l) => JSON.parse(l).addr);
    expect(after).toEqual(['127.0.0.1', '127.0.0.2']);
  });
});
