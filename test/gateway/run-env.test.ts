// Daemon settings from the environment: the access-control lists added with issue 3.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionsFromEnv } from '@switchboard/gateway';
import { DAEMON_MAIN } from '../helpers/daemon.js';

describe('optionsFromEnv', () => {
  it('reads trusted proxies and allowed origins as comma-separated lists', () => {
    const o = optionsFromEnv({ SWITCHBOARD_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.2,', SWITCHBOARD_ALLOWED_ORIGINS: 'https://ops.example.com' });
    expect(o.trustedProxies).toEqual(['127.0.0.1', '10.0.0.2']);
    expect(o.allowedOrigins).toEqual(['https://ops.example.com']);
    expect(optionsFromEnv({}).trustedProxies).toBeUndefined();
  });

  it('reads the request budget as <maxRequests> or <maxRequests>/<windowMs>, and refuses anything else with exit 78', () => {
    expect(optionsFromEnv({ SWITCHBOARD_REQUEST_BUDGET: '100000/10000' }).limits).toEqual({ requestBudget: { maxRequests: 100_000, windowMs: 10_000 } });
    expect(optionsFromEnv({ SWITCHBOARD_REQUEST_BUDGET: '500' }).limits).toEqual({ requestBudget: { maxRequests: 500, windowMs: 10_000 } });
    expect(optionsFromEnv({}).limits).toBeUndefined();
    for (const bad of ['lots', '0', '10/5', '-1', '1e6']) {
      expect(() => optionsFromEnv({ SWITCHBOARD_REQUEST_BUDGET: bad })).toThrow(expect.objectContaining({ exitCode: 78, message: expect.stringMatching(/SWITCHBOARD_REQUEST_BUDGET must be .* for example 2000\/10000/) }));
    }
  });

  it('stops the daemon process (dist/main.js) with exit 78 and the message alone on an invalid budget', () => {
    const home = mkdtempSync(join(tmpdir(), 'switchboard-env-'));
    try {
      const run = spawnSync(process.execPath, [DAEMON_MAIN], { env: { PATH: process.env.PATH, SWITCHBOARD_HOME: home, SWITCHBOARD_PORT: '0', SWITCHBOARD_REQUEST_BUDGET: 'lots' }, encoding: 'utf8', timeout: 20_000 });
      expect(run.status).toBe(78);
      expect(run.stderr.trim()).toBe('switchboard: SWITCHBOARD_REQUEST_BUDGET must be <maxRequests> or <maxRequests>/<windowMs> (at least 1 request, at least 100 ms), for example 2000/10000; got "lots"');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
