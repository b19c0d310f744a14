// The real `switchboard` bin: output, exit codes, and `gateway run` with the generated token and SIGTERM.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort, runCli as runCliIn, spawnCli, waitForHealthz } from '../helpers/cli.js';
import { openRaw } from '../helpers/raw.js';

describe('switchboard CLI against a running gateway', () => {
  let gw: TestGateway;
  let flags: string[];
  let home: string;
  // Every call gets its own state directory so no identity or device token carries over.
  const runCli = (args: string[]) => runCliIn(args, { SWITCHBOARD_HOME: mkdtempSync(join(home, 'h-')) });
  beforeAll(async () => {
    gw = await startTestGateway();
    flags = ['--url', gw.url, '--token', gw.token];
    home = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
  });
  afterAll(async () => {
    await gw.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('health: human output and exit 0', async () => {
    const r = await runCli(['health', ...flags]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`gateway ok at ${gw.url}`);
    expect(r.stdout).toMatch(/event loop: p99 [\d.]+ ms/);
  });

  it('status --json prints one JSON document', async () => {
    const r = await runCli(['status', '--json', ...flags]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ state: 'ready', authMode: 'token', bind: { host: '127.0.0.1', port: gw.gateway.port } });
  });

  it('call prints the result; --json is compact', async () => {
    const pretty = await runCli(['call', 'system-presence', ...flags]);
    expect(pretty.code).toBe(0);
    expect(JSON.parse(pretty.stdout)).toEqual([]);
    const r = await runCli(['call', 'talk.mode', '--params', '{"enabled":true,"phase":"cli"}', '--json', ...flags]);
    expect(r.stdout.trim()).toBe('{"ok":true}');
  });

  it('exit 1 for an error reply, with the code on stderr', async () => {
    const r = await runCli(['call', 'no.such', ...flags]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('INVALID_REQUEST: unknown method: no.such');
  });

  it('exit 1 for a refused handshake, naming the detail code and never echoing the token', async () => {
    const r = await runCli(['health', '--url', gw.url, '--token', 'wrong-token-wrong-token']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AUTH_TOKEN_MISMATCH');
    expect(r.stderr + r.stdout).not.toContain('wrong-token-wrong-token');
  });

  it('exit 2 for usage errors', async () => {
    expect((await runCli(['call', 'health', '--params', 'not json', ...flags])).code).toBe(2);
    expect((await runCli(['call', 'health', '--params', '[1]', ...flags])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['health', '--timeout', 'soon', ...flags])).code).toBe(2);
  });

  it('exit 3 when nothing listens', async () => {
    const port = await freePort();
    const r = await runCli(['health', '--url', `ws://127.0.0.1:${port}`, '--token', 'x'.repeat(20)]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('is the gateway running?');
  });
});

describe('switchboard gateway run', () => {
  it('generates a 0600 token on first run, lets the local CLI in without flags, and stops cleanly on SIGTERM', async () => {
    const home = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
    const port = await freePort();
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_GATEWAY_TOKEN: '', SWITCHBOARD_PORT: String(port) };
    const daemon = spawnCli(['gateway', 'run'], env);
    try {
      await waitForHealthz(port);
      expect(statSync(join(home, 'gateway.token')).mode & 0o777).toBe(0o600);
      const token = (await import('node:fs')).readFileSync(join(home, 'gateway.token'), 'utf8').trim();
      expect(daemon.output()).not.toContain(token);

      const health = await runCliIn(['health'], env);
      expect(health.code).toBe(0);

      const raw = await openRaw(`ws://127.0.0.1:${port}`);
      await raw.next();
      const res = await raw.request('connect', { minProtocol: 4, maxProtocol: 4, client: { id: 'test', version: '1', platform: 'linux', mode: 'test' }, auth: { token } });
      expect(res.ok).toBe(true);

      const exited = new Promise<number | null>((r) => daemon.on('exit', (code) => r(code)));
      daemon.kill('SIGTERM');
      const shutdown = await raw.next((f) => f.event === 'shutdown');
      expect(shutdown.payload.reason).toContain('SIGTERM');
      expect((await raw.closed).code).toBe(1012);
      expect(await exited).toBe(0);
      expect(daemon.output()).not.toContain(token);
    } finally {
      daemon.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a bad --port with exit 2', async () => {
    const r = await runCliIn(['gateway', 'run', '--port', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port must be an integer');
  });
});
