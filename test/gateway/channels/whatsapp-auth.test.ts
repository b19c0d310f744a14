// WhatsApp credentials are written atomically: kill -9 of a process in the middle of writing them,
// at random instants, never leaves an unusable creds.json; writes are serialised; clear forgets.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BufferJSON } from '@whiskeysockets/baileys';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicAuthStore } from '../../../gateway/src/channels/whatsapp/auth-state.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-wa-auth-'));
const WRITER = fileURLToPath(new URL('../../fixtures/wa-creds-writer.mjs', import.meta.url));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('whatsapp credentials on disk', () => {
  it('survive 10 kill -9 mid-write: creds.json always parses, no temp file is ever read', async () => {
    const account = join(dir, 'kill');
    for (let i = 0; i < 10; i++) {
      const child = spawn(process.execPath, [WRITER, account], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const text = readFileSync(join(account, 'creds.json'), 'utf8');
      const creds = JSON.parse(text, BufferJSON.reviver);
      expect(creds.advSecretKey).toMatch(/^secret-\d+-x+$/);
      const store = new AtomicAuthStore(account);
      expect(store.load().creds.nextPreKeyId).toBe(creds.nextPreKeyId);
    }
    for (const f of readdirSync(join(account, 'keys'))) if (!f.endsWith('.tmp')) JSON.parse(readFileSync(join(account, 'keys', f), 'utf8'));
  }, 60_000);

  it('serialises writes, reads keys back through Baileys types, and clear() forgets the device', async () => {
    const store = new AtomicAuthStore(join(dir, 'unit'));
    const state = store.load();
    expect(store.isLinked()).toBe(false);
    state.creds.me = { id: '15550000000:1@s.whatsapp.net' };
    await Promise.all([store.saveCreds(), state.keys.set({ session: { a: Buffer.from('one') } }), state.keys.set({ session: { a: Buffer.from('two') } })]);
    expect(store.isLinked()).toBe(true);
    expect(Buffer.from((await state.keys.get('session', ['a'])).a as Uint8Array).toString()).toBe('two');
    await state.keys.set({ session: { a: null } });
    expect(await state.keys.get('session', ['a'])).toEqual({});
    await store.clear();
    expect(existsSync(join(dir, 'unit'))).toBe(false);
    expect(store.isLinked()).toBe(false);
  });
});
