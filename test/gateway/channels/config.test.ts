// The `channels` config section: validated with the rest of config.yaml (tokens through ${ENV},
// bad values named), resolved into accounts and policies, and refused at start-up when it cannot
// run (webhook without a secret, a bot without a token).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile, ConfigError } from '../../../gateway/src/config/file.js';
import { settingsFromConfig } from '../../../gateway/src/config/apply.js';
import { checkChannels, resolveChannels } from '../../../gateway/src/channels/config.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'switchboard-chcfg-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (text: string) => writeFileSync(join(dir, 'config.yaml'), text);

describe('channels config', () => {
  it('reads tokens from the environment (as secrets) and resolves accounts and policies', () => {
    write([
      'version: 1',
      'channels:',
      '  allowFrom: ["telegram:1"]',
      '  telegram:',
      '    token: ${TG}',
      '    apiRoot: http://127.0.0.1:9/',
      '    dmPolicy: allowlist',
      '    groups: { policy: always, sessions: shared }',
      '    accounts:',
      '      work:',
      '        token: ${TG_WORK}',
      '        mode: webhook',
      '        webhook: { url: "https://x.example/h", secret: "0123456789abcdef" }',
      '  whatsapp: {}',
      '',
    ].join('\n'));
    const loaded = loadConfigFile(dir, { env: { TG: 'telegram-token-aaaa', TG_WORK: 'telegram-token-bbbb' } });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.secrets).toEqual(expect.arrayContaining(['telegram-token-aaaa', 'telegram-token-bbbb']));
    const resolved = resolveChannels(settingsFromConfig(loaded.config).channels);
    expect(resolved.accounts.map((a) => `${a.platform}:${a.accountId}:${a.mode}`)).toEqual(['telegram:default:polling', 'telegram:work:webhook', 'whatsapp:default:polling']);
    expect(resolved.accounts[0].apiRoot).toBe('http://127.0.0.1:9');
    expect(resolved.policies.telegram).toMatchObject({ dmPolicy: 'allowlist', groupPolicy: 'always', groupSessions: 'shared', streaming: true });
    expect(resolved.policies.whatsapp).toMatchObject({ dmPolicy: 'pairing', streaming: false });
    expect(resolved.global.allowFrom.has('telegram:1')).toBe(true);
    expect(checkChannels(resolved)).toEqual([]);
  });

  it('names a bad value and how to fix it', () => {
    write('version: 1\nchannels:\n  telegram:\n    dmPolicy: everyone\n');
    try {
      loadConfigFile(dir, {});
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues[0]).toMatchObject({ path: 'channels.telegram.dmPolicy', message: expect.stringContaining('pairing, allowlist, open or disabled') });
    }
  });

  it('refuses what cannot run: webhook without a secret or URL, a bot without a token', () => {
    const problems = checkChannels(resolveChannels({ telegram: { token: 'x'.repeat(20), mode: 'webhook' }, discord: { allowFrom: ['1'], accounts: { a: {} } } } as never));
    expect(problems.join('\n')).toMatch(/channels\.telegram\.webhook\.secret is required/);
    expect(problems.join('\n')).toMatch(/channels\.telegram\.webhook\.url is required/);
    expect(problems.join('\n')).toMatch(/channels\.discord\.accounts\.a\.token is missing/);
    expect(checkChannels(resolveChannels({ telegram: { token: 'x'.repeat(20), mode: 'webhook', enabled: false } } as never))).toEqual([]);
  });
});
