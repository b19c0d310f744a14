// DM pairing codes on a real SQLite store: alphabet, expiry, rate limits, pending cap, lockout,
// only a hash stored.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairingService, PAIRING_ALPHABET, PAIRING_LIMITS, generateCode } from '../../../gateway/src/channels/pairing.js';
import { tempStore, type TempStore } from '../../helpers/store.js';

let t: TempStore;
let clock: number;
let pairing: PairingService;
beforeEach(() => {
  t = tempStore();
  clock = 1_000_000;
  pairing = new PairingService(t.store, () => clock);
});
afterEach(() => t.cleanup());

const sender = (userId: string) => ({ platform: 'telegram', accountId: 'default', userId, chatId: userId, displayName: `User ${userId}` });

describe('pairing codes', () => {
  it('are 8 characters of the unambiguous alphabet', () => {
    for (let i = 0; i < 200; i++) {
      const code = generateCode();
      expect(code).toHaveLength(8);
      for (const ch of code) expect(PAIRING_ALPHABET).toContain(ch);
    }
    expect(PAIRING_ALPHABET).not.toMatch(/[01OI]/);
  });

  it('stores only a salted hash; approving pairs the user and consumes the code', async () => {
    const r = await pairing.request(sender('u1'));
    if (!r.issued) throw new Error('expected a code');
    const rows = (t.store as any).db.prepare('SELECT * FROM channel_pairing_requests').all();
    expect(JSON.stringify(rows)).not.toContain(r.code);
    expect(pairing.list().pending).toHaveLength(1);
    const approved = await pairing.approve('telegram', r.code.toLowerCase().replace(/(.{4})/, '$1-'));
    expect(approved).toMatchObject({ platform: 'telegram', userId: 'u1', displayName: 'User u1' });
    expect(pairing.isPaired('telegram', 'u1')).toBe(true);
    await expect(pairing.approve('telegram', r.code)).rejects.toMatchObject({ details: { code: 'PAIRING_CODE_INVALID' } });
    expect(await pairing.revoke('telegram', 'u1')).toBe(true);
    expect(pairing.isPaired('telegram', 'u1')).toBe(false);
  });

  it('one request per user per 10 minutes, at most 3 pending per platform, 1 hour validity', async () => {
    expect((await pairing.request(sender('u1'))).issued).toBe(true);
    expect(await pairing.request(sender('u1'))).toEqual({ issued: false, reason: 'rate_limited' });
    expect((await pairing.request(sender('u2'))).issued).toBe(true);
    expect((await pairing.request(sender('u3'))).issued).toBe(true);
    expect(await pairing.request(sender('u4'))).toEqual({ issued: false, reason: 'too_many_pending' });
    clock += PAIRING_LIMITS.requestIntervalMs;
    // u1 may ask again: its new code replaces its old one (still 3 pending).
    const again = await pairing.request(sender('u1'));
    expect(again.issued).toBe(true);
    expect(pairing.list('telegram').pending).toHaveLength(3);
    clock += PAIRING_LIMITS.ttlMs;
    expect(pairing.list('telegram').pending).toHaveLength(0);
    if (again.issued) await expect(pairing.approve('telegram', again.code)).rejects.toMatchObject({ details: { code: 'PAIRING_CODE_INVALID' } });
  });

  it('locks approvals after 5 wrong codes, even for a valid one, for an hour', async () => {
    const r = await pairing.request(sender('u1'));
    if (!r.issued) throw new Error('expected a code');
    for (let i = 0; i < PAIRING_LIMITS.maxFailedApprovals; i++) {
      await expect(pairing.approve('telegram', 'WRONGCDE')).rejects.toMatchObject({ details: { code: i < 4 ? 'PAIRING_CODE_INVALID' : 'PAIRING_LOCKED' } });
    }
    await expect(pairing.approve('telegram', r.code)).rejects.toMatchObject({ details: { code: 'PAIRING_LOCKED' } });
    expect(pairing.isPaired('telegram', 'u1')).toBe(false);
    clock += PAIRING_LIMITS.lockoutMs + 1;
    const fresh = await pairing.request(sender('u9'));
    if (!fresh.issued) throw new Error('expected a code');
    await expect(pairing.approve('telegram', fresh.code)).resolves.toMatchObject({ userId: 'u9' });
  });
});
