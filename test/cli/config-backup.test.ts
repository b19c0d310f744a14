// The CLI's config and backup commands as a user runs them (the built bin), against a real daemon
// process where one is needed.
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { TEST_TOKEN } from '../helpers/gateway.js';

let work: string;
let home: string;
const daemons: DaemonProcess[] = [];
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
  home = join(work, 'home');
});
afterEach(async () => {
  for (const d of daemons.splice(0)) { d.kill('SIGKILL'); await d.exited; }
  rmSync(work, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(args, { SWITCHBOARD_HOME: home, SWITCHBOARD_GATEWAY_TOKEN: TEST_TOKEN });

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('switchboard config', () => {
  it('sets, gets and validates values; refuses bad ones with the path, value and fix', async () => {
    expect((await cli('config', 'path')).stdout.trim()).toBe(join(home, 'config.yaml'));
    expect(await cli('config', 'get', 'gateway.port')).toMatchObject({ code: 1, stderr: expect.stringContaining('is not set') });
    expect((await cli('config', 'set', 'gateway.port', '19123')).code).toBe(0);
    expect((await cli('config', 'get', 'gateway.port')).stdout.trim()).toBe('19123');
    const bad = await cli('config', 'set', 'gateway.port', 'many');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('gateway.port: "many" is not valid: expected an integer port from 0 to 65535');
    expect(readFileSync(join(home, 'config.yaml'), 'utf8')).toContain('port: 19123');
    expect(await cli('config', 'validate')).toMatchObject({ code: 0, stdout: expect.stringContaining('is valid') });
    await cli('config', 'set', 'gateway.auth.password', 'literal-password-1');
    await cli('config', 'set', 'gateway.auth.token', '${SB_TOKEN}');
    const shown = await cli('config', 'get', '--json');
    expect(shown.stdout).not.toContain('literal-password-1');
    expect(JSON.parse(shown.stdout).gateway.auth).toEqual({ password: '[hidden: use --show-secrets]', token: '${SB_TOKEN}' });
    expect((await cli('config', 'get', 'gateway.auth.password', '--show-secrets')).stdout.trim()).toBe('literal-password-1');
    writeFileSync(join(home, 'config.yaml'), 'version: 1\nlog:\n  level: chatty\nextra: 1\n');
    const invalid = await cli('config', 'validate');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('log.level');
    expect(invalid.stderr).toContain('unknown key "extra"');
  });

  it('is read by the daemon: the file sets the port, the environment overrides it', async () => {
    const port = await freePort();
    await cli('config', 'set', 'gateway.port', String(port));
    await cli('config', 'set', 'unknownSection.flag', 'true');
    const fromFile = spawnDaemon({ stateDir: home, token: TEST_TOKEN, port: null });
    daemons.push(fromFile);
    expect(await fromFile.ready).toBe(`ws://127.0.0.1:${port}`);
    expect(fromFile.stderr).toContain('unknown key \\"unknownSection\\"');
    fromFile.kill('SIGTERM');
    expect(await fromFile.exited).toBe(0);
    const fromEnv = spawnDaemon({ stateDir: home, token: TEST_TOKEN, port: 0 });
    daemons.push(fromEnv);
    expect(await fromEnv.ready).not.toBe(`ws://127.0.0.1:${port}`);
  });

  it('lets the CLI reach a gateway whose token is in config.yaml as a ${ENV} reference; flags and env come first', async () => {
    const literal = await cli('config', 'set', 'gateway.auth.token', 'literal-token-0123456789');
    expect(literal.code).toBe(0);
    expect(literal.stderr).toContain('gateway.auth.token is stored in plain text');
    expect(literal.stderr).toContain("switchboard config set gateway.auth.token '${GATEWAY_AUTH_TOKEN}'");
    expect(literal.stderr).not.toContain('literal-token-0123456789');
    const reference = await cli('config', 'set', 'gateway.auth.token', '${GW_SECRET}');
    expect(reference.code).toBe(0);
    expect(reference.stderr).not.toContain('plain text');
    const daemon = spawnDaemon({ stateDir: home, env: { GW_SECRET: TEST_TOKEN } });
    daemons.push(daemon);
    const url = await daemon.ready;
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_URL: url };
    // (Failures first: after one successful connect the CLI holds a device token and needs no other.)
    // The reference unset here: a warning that says what to do, then the handshake is refused.
    const unset = await runCli(['status'], env);
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('could not read gateway.auth from');
    expect(unset.stderr).toContain('GW_SECRET');
    expect(unset.stderr).toContain('pass --token');
    // A flag, or the environment, wins over the file.
    const wrong = 'wrong-token-0123456789abcdef';
    expect(await runCli(['status', '--token', wrong], { ...env, GW_SECRET: TEST_TOKEN })).toMatchObject({ code: 1, stderr: expect.stringContaining('AUTH_TOKEN_MISMATCH') });
    expect(await runCli(['status'], { ...env, GW_SECRET: TEST_TOKEN, SWITCHBOARD_GATEWAY_TOKEN: wrong })).toMatchObject({ code: 1, stderr: expect.stringContaining('AUTH_TOKEN_MISMATCH') });
    // No flag, no SWITCHBOARD_GATEWAY_TOKEN: the credential comes from config.yaml.
    const status = await runCli(['status', '--json'], { ...env, GW_SECRET: TEST_TOKEN });
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toHaveProperty('version');
  });

  it('migrates an old file when the daemon starts, keeping a backup', async () => {
    const port = await freePort();
    writeFileSync(join(work, 'legacy.yaml'), `# from an early build\nport: ${port}\nlogLevel: info\n`);
    await cli('config', 'set', 'log.level', 'info'); // creates the state directory
    writeFileSync(join(home, 'config.yaml'), readFileSync(join(work, 'legacy.yaml')));
    const d = spawnDaemon({ stateDir: home, token: TEST_TOKEN, port: null });
    daemons.push(d);
    expect(await d.ready).toBe(`ws://127.0.0.1:${port}`);
    await expect.poll(() => readFileSync(join(home, 'config.yaml'), 'utf8')).toContain('version: 1');
    expect(readFileSync(join(home, 'config.yaml'), 'utf8')).toContain('# from an early build');
    expect(readFileSync(join(home, 'config.yaml.v0.bak'), 'utf8')).toBe(readFileSync(join(work, 'legacy.yaml'), 'utf8'));
  });

  it('stops the daemon on an invalid file, naming the problem', async () => {
    await cli('config', 'set', 'log.level', 'info');
    writeFileSync(join(home, 'config.yaml'), 'version: 1\ngateway:\n  port: -5\n');
    const d = spawnDaemon({ stateDir: home, token: TEST_TOKEN, port: null });
    daemons.push(d);
    // EX_CONFIG, like every refused configuration.
    expect(await d.exited).toBe(78);
    expect(d.stderr).toContain('gateway.port: -5 is not valid');
  });
});

describe('switchboard backup', () => {
  it('creates a backup of a running daemon, refuses to restore under it, restores after it stops', async () => {
    const d = spawnDaemon({ stateDir: home, token: TEST_TOKEN });
    daemons.push(d);
    const url = await d.ready;
    const call = (method: string, params: object) => runCli(['call', method, '--params', JSON.stringify(params), '--url', url, '--json'], { SWITCHBOARD_HOME: home, SWITCHBOARD_GATEWAY_TOKEN: TEST_TOKEN });
    expect((await call('chat.inject', { sessionKey: 'main', message: 'before the backup', idempotencyKey: 'a' })).code).toBe(0);
    const file = join(work, 'state.tar.gz');
    const created = await cli('backup', 'create', file);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('transcript_entries 1');
    expect(created.stdout).toContain('secrets: left out');
    await call('chat.inject', { sessionKey: 'main', message: 'after the backup', idempotencyKey: 'b' });

    const refused = await cli('backup', 'restore', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`another Switchboard gateway (pid ${d.pid}`);
    d.kill('SIGTERM');
    await d.exited;

    const dry = await cli('backup', 'restore', file, '--dry-run');
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringContaining('dry run, nothing changed') });
    expect((await cli('backup', 'restore', file)).code).toBe(0);
    const again = spawnDaemon({ stateDir: home, token: TEST_TOKEN });
    daemons.push(again);
    const url2 = await again.ready;
    const history = await runCli(['call', 'chat.history', '--params', '{"sessionKey":"main"}', '--url', url2, '--json'], { SWITCHBOARD_HOME: home, SWITCHBOARD_GATEWAY_TOKEN: TEST_TOKEN });
    const texts = (JSON.parse(history.stdout) as { messages: { content: { text: string }[] }[] }).messages.map((m) => m.content[0].text);
    expect(texts).toEqual(['before the backup']);
  });

  it('reports a damaged backup and changes nothing', async () => {
    writeFileSync(join(work, 'bad.tar.gz'), 'garbage');
    const r = await cli('backup', 'restore', join(work, 'bad.tar.gz'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/switchboard: /);
  });
});
