// Conformance: abuse controls over real sockets — failed-auth lockout (loopback included), the
// pre-auth socket cap per address, the per-connection request budget, the Origin check, and
// de-duplicated refusal logs.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
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

  it('caps pre-auth sockets per address (HTTP 429 past the cap) while a client from elsewhere still connects in under a second', async () => {
    gw = await startTestGateway();
    // The flood comes from another process, so this process only measures the legitimate client.
    const flood = spawn(process.execPath, [join(testDir, 'fixtures', 'preauth-flood.mjs'), gw.url, '1000', '127.0.0.1'], { cwd: testDir, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: flood.stdout! })[Symbol.asyncIterator]();
    try {
      expect((await lines.next()).value).toBe('flooding');
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      const legit = await connectWith(gw, gw.token, '127.0.0.2');
      const elapsed = Date.now() - started;
      expect(legit.res.ok).toBe(true);
      expect(elapsed).toBeLessThan(1_000);
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
