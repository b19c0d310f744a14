// The config file: ${ENV} interpolation, validation errors that name path, value and fix, unknown
// keys kept as warnings, migrations before validation with a backup, comment-preserving edits,
// and precedence flags > env > file > defaults.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, getConfigValue, loadConfigFile, mergeRunOptions, setConfigValue, settingsFromConfig } from '@switchboard/gateway/admin';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'switchboard-config-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (text: string) => writeFileSync(join(dir, 'config.yaml'), text);
const read = () => readFileSync(join(dir, 'config.yaml'), 'utf8');
const load = (env: NodeJS.ProcessEnv = {}, write = false) => loadConfigFile(dir, { env, write });

function issues(fn: () => unknown): ConfigError['issues'] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config file', () => {
  it('is optional', () => {
    expect(load()).toMatchObject({ exists: false, config: {}, warnings: [] });
  });

  it('interpolates ${ENV}, with defaults, escapes and typed whole-value references', () => {
    write([
      'version: 1',
      'gateway:',
      '  port: ${PORT}',
      '  bind: ${BIND:-loopback}',
      '  auth: { mode: token, token: "${TOKEN}" }',
      '  allowedOrigins: ["https://$${literal}.example", "https://${HOST}"]',
    ].join('\n'));
    const { config, secrets } = load({ PORT: '8080', TOKEN: 'abcdefghijklmnop1234', HOST: 'chat.example.com' });
    expect(config.gateway).toEqual({
      port: 8080,
      bind: 'loopback',
      auth: { mode: 'token', token: 'abcdefghijklmnop1234' },
      allowedOrigins: ['https://${literal}.example', 'https://chat.example.com'],
    });
    expect(secrets).toEqual(['abcdefghijklmnop1234']);
  });

  it('names the path, the value and the fix; never echoes a secret', () => {
    write('version: 1\ngateway:\n  port: "abc"\n  auth:\n    token: short-secret\nlog:\n  level: loud\n');
    const found = issues(() => load());
    expect(found.map((i) => i.path)).toEqual(['gateway.port', 'gateway.auth.token', 'log.level']);
    expect(found[0].message).toContain('"abc" is not valid: expected an integer port from 0 to 65535');
    expect(found[0].message).toContain('switchboard config set gateway.port');
    expect(found[1].message).toContain('a 12-character value');
    expect(JSON.stringify(found)).not.toContain('short-secret');
    expect(found[2].message).toMatch(/trace, debug, info/);
  });

  it('fails on an unset variable, naming it', () => {
    write('version: 1\ngateway:\n  auth:\n    token: ${NOT_SET_ANYWHERE}\n');
    expect(issues(() => load())).toEqual([{ path: 'gateway.auth.token', message: expect.stringContaining('NOT_SET_ANYWHERE is not set') }]);
  });

  it('warns about unknown keys and keeps them in the file', () => {
    write('version: 1\ncron:\n  telegram: {}\ngateway:\n  prot: 1\n');
    const { warnings, config } = load();
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/unknown key "cron"[\s\S]*unknown key "gateway.prot"/);
    expect(config).toEqual({ version: 1, gateway: {} });
    setConfigValue(dir, 'gateway.port', '9000', {});
    expect(read()).toContain('telegram: {}');
    expect(read()).toContain('prot: 1');
  });

  it('reports YAML syntax errors with a line number', () => {
    write('version: 1\ngateway:\n  port: [1, 2\n');
    expect(issues(() => load())[0].path).toMatch(/^line \d+/);
  });

  it('refuses a file from a newer Switchboard', () => {
    write('version: 99\n');
    expect(issues(() => load())[0]).toMatchObject({ path: 'version', message: expect.stringContaining('upgrade Switchboard') });
  });

  it('migrates an unversioned file before validating it, keeping comments and a backup', () => {
    const original = '# my gateway\nport: 9100 # the port\nbind: lan\nauth: password\npassword: ${PW}\nlogLevel: debug\n';
    write(original);
    const loaded = load({ PW: 'correct horse' }, true);
    expect(loaded.migrated).toHaveLength(1);
    expect(loaded.config).toEqual({ version: 1, gateway: { port: 9100, bind: 'lan', auth: { mode: 'password', password: 'correct horse' } }, log: { level: 'debug' } });
    expect(readFileSync(loaded.backupPath!, 'utf8')).toBe(original);
    const migrated = read();
    expect(migrated).toContain('# my gateway');
    expect(migrated).toContain('# the port');
    expect(migrated).toContain('password: ${PW}');
    // Idempotent: the next start finds a current file and changes nothing.
    expect(load({ PW: 'correct horse' }, true).migrated).toEqual([]);
    expect(read()).toBe(migrated);
  });

  it('migrates in memory only when not asked to write (config validate)', () => {
    write('port: 9100\n');
    expect(load({}, false).migrated).toHaveLength(1);
    expect(read()).toBe('port: 9100\n');
  });

  it('sets values in place, preserving comments, and refuses invalid ones without touching the file', () => {
    write('# header comment\nversion: 1\ngateway:\n  port: 1000 # keep me\n');
    setConfigValue(dir, 'gateway.port', '2000', {});
    setConfigValue(dir, 'gateway.trustedProxies', '[10.0.0.1, 10.0.0.2]', {});
    setConfigValue(dir, 'idempotency.ttl', '12h', {});
    expect(read()).toContain('# header comment');
    expect(read()).toContain('port: 2000 # keep me');
    expect(getConfigValue(dir, 'gateway.trustedProxies')).toEqual(['10.0.0.1', '10.0.0.2']);
    const before = read();
    expect(() => setConfigValue(dir, 'gateway.port', '70000', {})).toThrow(ConfigError);
    expect(() => setConfigValue(dir, 'idempotency.ttl', 'tomorrow', {})).toThrow(/30s, 5m, 24h/);
    expect(read()).toBe(before);
    expect(() => setConfigValue(dir, 'gateway..port', '1', {})).toThrow(/dotted names/);
  });

  it('creates the file on the first set, mode 0600', () => {
    setConfigValue(dir, 'log.level', 'warn', {});
    expect(existsSync(join(dir, 'config.yaml'))).toBe(true);
    expect(load().config).toEqual({ version: 1, log: { level: 'warn' } });
  });
});

describe('precedence', () => {
  it('maps the file to settings and lets flags and environment win', () => {
    write('version: 1\ngateway: { port: 9000, bind: lan, trustedProxies: [10.0.0.1] }\nlog: { level: debug }\nidempotency: { ttl: 2h, maxEntries: 500 }\nlimits: { historyMaxBytes: 4096 }\n');
    const fromFile = settingsFromConfig(load().config);
    expect(fromFile).toEqual({
      port: 9000, host: '0.0.0.0', logLevel: 'debug', trustedProxies: ['10.0.0.1'],
      limits: { historyMaxBytes: 4096, idempotencyTtlMs: 7_200_000, maxIdempotencyEntries: 500 },
    });
    const merged = mergeRunOptions({ port: 7000, logLevel: undefined, limits: { historyMaxBytes: 8192 } }, fromFile);
    expect(merged).toMatchObject({ port: 7000, host: '0.0.0.0', logLevel: 'debug', limits: { historyMaxBytes: 8192, idempotencyTtlMs: 7_200_000 } });
  });

  it('takes the request budget from limits.requestBudget; SWITCHBOARD_REQUEST_BUDGET wins over it', () => {
    write('version: 1\nlimits: { requestBudget: { maxRequests: 5000, windowMs: 20000 } }\n');
    const fromFile = settingsFromConfig(load().config);
    expect(fromFile.limits).toEqual({ requestBudget: { maxRequests: 5000, windowMs: 20_000 } });
    const merged = mergeRunOptions({ limits: { requestBudget: { maxRequests: 100_000, windowMs: 10_000 } } }, fromFile);
    expect(merged.limits).toEqual({ requestBudget: { maxRequests: 100_000, windowMs: 10_000 } });
    write('version: 1\nlimits: { requestBudget: { maxRequests: 0, windowMs: 20000 } }\n');
    expect(issues(() => load()).map((i) => i.path)).toEqual(['limits.requestBudget.maxRequests']);
  });
});
