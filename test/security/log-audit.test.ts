// The log-secret audit itself (test/helpers/secrets.ts, run for real in the global teardown): it
// finds a planted secret, reports it without revealing it, and passes clean logs.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanLogsForSecrets, readNotedSecrets } from '../helpers/secret-scan.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('log-secret audit', () => {
  it('finds a planted secret and names the file and a fingerprint, never the secret', () => {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const secret = 'planted-device-token-0123456789abcdef';
    writeFileSync(join(logs, 'a.log'), '{"msg":"clean line"}\n');
    writeFileSync(join(logs, 'b.log'), `{"msg":"oops ${secret}"}\n`);
    const leaks = scanLogsForSecrets([secret, 'another-secret-never-logged'], logs);
    expect(leaks).toEqual([{ file: 'b.log', fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{12}$/) }]);
    expect(JSON.stringify(leaks)).not.toContain(secret.slice(0, 8));
  });

  it('reads the secrets noted by every worker', () => {
    const secrets = join(dir, 'secrets');
    mkdirSync(secrets);
    writeFileSync(join(secrets, '1.txt'), `${Buffer.from('one-secret-value').toString('base64')}\n`);
    writeFileSync(join(secrets, '2.txt'), `${Buffer.from('two-secret-value').toString('base64')}\n${Buffer.from('one-secret-value').toString('base64')}\n`);
    expect(readNotedSecrets(secrets).sort()).toEqual(['one-secret-value', 'two-secret-value']);
  });
});
