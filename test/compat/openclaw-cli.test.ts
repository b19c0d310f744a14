// Compatibility: OpenClaw's own CLI (the real package, installed beside the project by
// ../shared/tools/openclaw-peer.sh on first use) against a real Switchboard.
//
// - Token-only: for a loopback URL with a token, OpenClaw's CLI sends no device at all and asks for
//   just the scopes the command needs; `gateway call health|status|system-presence` and `devices
//   list` must work.
// - Device-signed: OpenClaw 2026.9 keeps its identity in its state database and, from read-only
//   commands such as `gateway call`, signs only when that identity already exists and the URL is
//   not a loopback literal. So the test gives it an identity (a legacy identity/device.json imported
//   by `openclaw doctor --fix`) and calls this machine's host name. Switchboard sees a loopback
//   socket naming a non-local Host: remote policy, so the first call is NOT_PAIRED; OpenClaw's own
//   `devices approve` approves it, and then signed calls succeed and `devices list` shows the device.
//
// Set SWITCHBOARD_SKIP_COMPAT=1 to skip (no network for the first install).
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PEER = join(repo, '..', 'shared', 'tools', 'openclaw-peer.sh');
const TOKEN = 'compat-token-T3BlbkNsYXctY29tcGF0LXRlc3QtMDEyMzQ1Njc4OQ';
const skip = process.env.SWITCHBOARD_SKIP_COMPAT === '1';

interface Run { code: number; stdout: string; stderr: string }

/** Runs the OpenClaw peer script with a fixed throwaway HOME. */
function peer(args: string[], home: string, timeoutMs = 60_000, extraEnv: Record<string, string> = {}): Promise<Run> {
  // OpenClaw changes behaviour under a test runner (VITEST, NODE_ENV=test): give it a user's environment.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) =>
    !/^(OPENCLAW_|SWITCHBOARD_|VITEST|__VITEST)/.test(k) && !['NODE_ENV', 'TEST', 'NODE_OPTIONS'].includes(k)));
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [PEER, ...args], { env: { ...env, PEER_HOME: home, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The JSON document a `--json` command printed (OpenClaw may print notices around it). */
function json(run: Run): any {
  const text = run.stdout.trim();
  const start = text.search(/^[[{]/m);
  if (start < 0) throw new Error(`no JSON in output (exit ${run.code}): ${text.slice(0, 500)} ${run.stderr.slice(0, 500)}`);
  return JSON.parse(text.slice(start));
}

/** Writes an OpenClaw legacy identity file (OpenClaw's format) and returns its device id. */
function writeLegacyIdentity(home: string): string {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  const deviceId = createHash('sha256').update(raw).digest('hex');
  mkdirSync(join(home, '.openclaw', 'identity'), { recursive: true, mode: 0o700 });
  writeFileSync(join(home, '.openclaw', 'identity', 'device.json'), JSON.stringify({
    version: 1, deviceId,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }), privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }),
    createdAtMs: Date.now(),
  }), { mode: 0o600 });
  return deviceId;
}

/** This machine's host name and whether the test gateway must listen beyond 127.0.0.1 to be reached by it. */
async function signingHost(): Promise<{ name: string; bind: string } | undefined> {
  const name = hostname();
  try {
    const addresses = (await lookup(name, { all: true })).map((a) => a.address);
    if (addresses.includes('127.0.0.1')) return { name, bind: '127.0.0.1' };
    return addresses.length ? { name, bind: '0.0.0.0' } : undefined;
  } catch {
    return undefined;
  }
}

describe.skipIf(skip)('OpenClaw CLI against Switchboard', () => {
  let gw: TestGateway;
  let host: { name: string; bind: string } | undefined;
  const homes = mkdtempSync(join(tmpdir(), 'switchboard-compat-'));
  const tokenHome = join(homes, 'token-only');
  const signedHome = join(homes, 'signed');
  let deviceId = '';
  let localUrl = '';

  beforeAll(async () => {
    if (!existsSync(PEER)) throw new Error(`${PEER} is missing: the compatibility test needs ../shared beside the repository`);
    const installed = await peer(['install'], tokenHome, 240_000);
    if (installed.code !== 0) throw new Error(`installing the OpenClaw peer failed:\n${installed.stderr.slice(-2000)}`);
    host = await signingHost();
    gw = await startTestGateway({ token: TOKEN, extra: { host: host?.bind ?? '127.0.0.1' } });
    localUrl = `ws://127.0.0.1:${gw.gateway.port}`;
    mkdirSync(tokenHome, { recursive: true });
    deviceId = writeLegacyIdentity(signedHome);
    const doctor = await peer(['cli', 'doctor', '--fix', '--non-interactive'], signedHome, 120_000);
    if (doctor.code !== 0) throw new Error(`openclaw doctor --fix failed (exit ${doctor.code}):\n${doctor.stdout.slice(-1500)}${doctor.stderr.slice(-1500)}`);
  }, 400_000);
  afterAll(async () => {
    await gw?.close();
    rmSync(homes, { recursive: true, force: true });
  });

  it.each(['health', 'status', 'system-presence'])('token-only: `openclaw gateway call %s` succeeds', async (method) => {
    const run = await peer(['cli', 'gateway', 'call', method, '--url', localUrl, '--token', TOKEN, '--json'], tokenHome);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const result = json(run);
    if (method === 'health') expect(result).toMatchObject({ ok: true, ts: expect.any(Number) });
    if (method === 'status') expect(result).toMatchObject({ version: expect.any(String), authMode: 'token' });
    if (method === 'system-presence') expect(Array.isArray(result)).toBe(true);
  }, 60_000);

  it('token-only: `openclaw devices list` succeeds', async () => {
    const run = await peer(['cli', 'devices', 'list', '--url', localUrl, '--token', TOKEN, '--json'], tokenHome);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(json(run)).toMatchObject({ pending: expect.any(Array), paired: expect.any(Array) });
  }, 60_000);

  it('device-signed: pairing required first, approved with `openclaw devices approve`, then health/status/system-presence succeed and `devices list` shows the device', async (ctx) => {
    if (!host) ctx.skip(`${hostname()} does not resolve on this machine, so OpenClaw's CLI cannot be made to sign (it never signs for loopback literals)`);
    const signedUrl = `ws://${host!.name}:${gw.gateway.port}`;
    const env = { OPENCLAW_ALLOW_INSECURE_PRIVATE_WS: '1' };
    const first = await peer(['cli', 'gateway', 'call', 'health', '--url', signedUrl, '--token', TOKEN, '--json'], signedHome, 60_000, env);
    expect(first.code).not.toBe(0);
    const output = first.stdout + first.stderr;
    expect(output).toMatch(/pairing required/i);
    const list = json(await peer(['cli', 'devices', 'list', '--url', localUrl, '--token', TOKEN, '--json'], tokenHome));
    const pending = list.pending.find((p: { deviceId: string }) => p.deviceId === deviceId);
    expect(pending, `pending requests: ${JSON.stringify(list.pending)}`).toMatchObject({ clientId: 'cli', clientMode: 'cli', scopes: ['operator.read'] });
    expect(output).toContain(pending.requestId);

    const approve = await peer(['cli', 'devices', 'approve', pending.requestId, '--url', localUrl, '--token', TOKEN, '--json'], tokenHome);
    expect(approve.code, approve.stdout + approve.stderr).toBe(0);

    for (const method of ['health', 'status', 'system-presence']) {
      const run = await peer(['cli', 'gateway', 'call', method, '--url', signedUrl, '--token', TOKEN, '--json'], signedHome, 60_000, env);
      expect(run.code, `${method}: ${run.stdout}${run.stderr}`).toBe(0);
    }
    const after = json(await peer(['cli', 'devices', 'list', '--url', localUrl, '--token', TOKEN, '--json'], tokenHome));
    const paired = after.paired.find((d: { deviceId: string }) => d.deviceId === deviceId);
    expect(paired).toMatchObject({ clientId: 'cli', roles: ['operator'], scopes: ['operator.read'] });
    // Each signed call was authenticated as that device: its token was (re)issued and used.
    expect(paired.tokens[0]).toMatchObject({ role: 'operator', rotatedAtMs: expect.any(Number) });
  }, 240_000);
});
