// The per-token lock directory must be private to this user: a directory someone else created
// first (other owner, writable by others, or a symlink) is refused with a message that says how
// to fix it — checked directly and through a real Telegram adapter (fake Bot API).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TokenLock, checkLockDir } from '../../../gateway/src/channels/token-lock.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { startFakeTelegram } from '../../helpers/fake-telegram.js';
import { noteSecret } from '../../helpers/secrets.js';
import { until } from '../../helpers/wait.js';

const root = mkdtempSync(join(tmpdir(), 'switchboard-lockdir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const uid = process.getuid!();

function dirWithMode(name: string, mode: number): string {
  const dir = join(root, name);
  mkdirSync(dir);
  chmodSync(dir, mode);
  return dir;
}

describe('token lock directory', () => {
  it('accepts a private directory of this user and takes the lock there', () => {
    const dir = dirWithMode('private', 0o700);
    expect(() => checkLockDir(dir)).not.toThrow();
    const lock = TokenLock.tryAcquire('telegram', 'token-a', dir);
    expect(lock).toBeDefined();
    expect(TokenLock.tryAcquire('telegram', 'token-a', dir)).toBeUndefined();
    lock!.release();
  });

  it('refuses a directory writable by others, and takes no lock in it', () => {
    const dir = dirWithMode('shared', 0o777);
    expect(() => TokenLock.tryAcquire('telegram', 'token-b', dir)).toThrow(/writable by other users \(mode 777\); chmod 700 .*SWITCHBOARD_LOCK_DIR/);
    expect(readdirSync(dir)).toEqual([]);
    chmodSync(dir, 0o1733);
    expect(() => checkLockDir(dir)).toThrow(/writable by other users/);
  });

  it('refuses a directory owned by another user', () => {
    const dir = dirWithMode('theirs', 0o700);
    expect(() => checkLockDir(dir, uid + 1)).toThrow(new RegExp(`belongs to another user \\(uid ${uid}, not ${uid + 1}\\); remove it`));
  });

  it('refuses a symlink in place of the directory', () => {
    const target = dirWithMode('elsewhere', 0o700);
    const link = join(root, 'link');
    symlinkSync(target, link);
    expect(() => TokenLock.tryAcquire('telegram', 'token-c', link)).toThrow(/not a directory \(a symlink or a file\)/);
    expect(readdirSync(target)).toEqual([]);
  });
});

describe('telegram with a lock directory someone else made', () => {
  let gw: TestGateway | undefined;
  const saved = process.env.SWITCHBOARD_LOCK_DIR;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    if (saved === undefined) delete process.env.SWITCHBOARD_LOCK_DIR;
    else process.env.SWITCHBOARD_LOCK_DIR = saved;
  });

  it('does not poll; the account reports what is wrong and how to fix it', async () => {
    const tg = await startFakeTelegram();
    noteSecret(tg.token);
    try {
      const dir = dirWithMode('gateway-shared', 0o777);
      process.env.SWITCHBOARD_LOCK_DIR = dir;
      gw = await startTestGateway({ extra: { channels: { telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1 } } as never } });
      const state = () => gw!.gateway.services.channels.status().channelAccounts.telegram[0];
      await until(() => /writable by other users/.test(state().lastError ?? ''), 10_000, 'lock directory refused');
      expect(state().state).not.toBe('connected');
      expect(state().lastError).toContain('chmod 700');
      expect(tg.calls.some((c) => c.method === 'getUpdates')).toBe(false);
      expect(existsSync(dir) && readdirSync(dir)).toEqual([]);
    } finally {
      await gw?.close();
      gw = undefined;
      await tg.close();
    }
  });
});
