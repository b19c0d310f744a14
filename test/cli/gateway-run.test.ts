// `switchboard gateway run` refuses unsafe credentials before binding anything: exit code 78
// (EX_CONFIG, so supervisors stop restarting it) and a message that says how to fix it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const home = mkdtempSync(join(tmpdir(), 'switchboard-run-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('switchboard gateway run (fail closed)', () => {
  it('refuses a LAN bind without a configured token', async () => {
    const { code, stderr } = await runCli(['gateway', 'run', '--bind', 'lan', '--port', '0'], { SWITCHBOARD_HOME: home });
    expect(code).toBe(78);
    expect(stderr).toContain('refusing to listen on 0.0.0.0 without a configured token');
    expect(stderr).toContain('openssl rand -base64 32');
  });

  it('refuses placeholder tokens from flags and from the environment', async () => {
    const flag = await runCli(['gateway', 'run', '--token', 'changeme', '--port', '0'], { SWITCHBOARD_HOME: home });
    expect(flag.code).toBe(78);
    expect(flag.stderr).toContain('placeholder');
    const envToken = await runCli(['gateway', 'run', '--port', '0'], { SWITCHBOARD_HOME: home, SWITCHBOARD_GATEWAY_TOKEN: 'undefined' });
    expect(envToken.code).toBe(78);
    expect(envToken.stderr).toContain('"undefined"');
  });

  it('refuses auth none beyond loopback', async () => {
    const { code, stderr } = await runCli(['gateway', 'run', '--bind', 'lan', '--auth', 'none', '--port', '0'], { SWITCHBOARD_HOME: home });
    expect(code).toBe(78);
    expect(stderr).toContain('auth mode none');
  });
});
