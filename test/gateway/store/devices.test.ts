// The device repository on a real SQLite file: migration 2, hash-only tokens, expiry, the pending
// cap, merging approvals, and two processes' worth of connections sharing the file (WAL), which is
// what the CLI's offline path relies on.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../gateway/src/store/database.js';
import { SCHEMA_VERSION } from '../../../gateway/src/store/migrations.js';
import { SqliteStore } from '../../../gateway/src/store/store.js';
import { MAX_PENDING_REQUESTS, PAIRING_REQUEST_TTL_MS, type DeviceClaim } from '../../../gateway/src/store/devices.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => new SqliteStore(join(dir, `db-${++n}.sqlite`));
const claim = (i: number, scopes = ['operator.read']): DeviceClaim => ({
  deviceId: `${i}`.padStart(64, 'a'), publicKey: `key-${i}`, role: 'operator', scopes, clientId: 'test', remoteIp: '198.51.100.1',
});

describe('device store', () => {
  it('migrates a version-1 database to the latest version and keeps its data', () => {
    const path = join(dir, 'v1.sqlite');
    const v1 = openDatabase(path, { targetVersion: 1 });
    expect(v1.pragma('user_version', { simple: true })).toBe(1);
    v1.close();
    const store = new SqliteStore(path);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.prepare("SELECT value FROM meta WHERE key = 'created_at'").get()).toBeDefined();
    expect(store.devices.listDevices()).toEqual([]);
    store.close();
  });

  it('stores a token only as its hash, and verifies it in constant time', () => {
    const store = fresh();
    const { token } = store.devices.pairNow(claim(1));
    expect(store.devices.verifyToken(claim(1).deviceId, 'operator', token)).toEqual({ scopes: ['operator.read'] });
    expect(store.devices.verifyToken(claim(1).deviceId, 'operator', token.slice(0, -1) + 'x')).toBeUndefined();
    expect(store.devices.verifyToken(claim(1).deviceId, 'node', token)).toBeUndefined();
    store.close();
    for (const file of [store.path, `${store.path}-wal`]) {
      try {
        expect(readFileSync(file).includes(Buffer.from(token))).toBe(false);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  });

  it('records last use and last seen at most once a minute, writing nothing in between', () => {
    const store = fresh();
    const id = claim(9).deviceId;
    const t0 = 1_000_000_000_000;
    const { token } = store.devices.pairNow(claim(9), t0);
    const changes = () => (store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const seen = () => store.devices.getDevice(id)!.lastSeenAt;
    const used = () => (store.db.prepare('SELECT last_used_at AS t FROM device_tokens WHERE device_id = ?').get(id) as { t: number | null }).t;

    store.devices.verifyToken(id, 'operator', token, t0 + 1_000);
    store.devices.touch(id, t0 + 1_000, seen());
    expect(used()).toBe(t0 + 1_000);
    expect(seen()).toBe(t0); // paired at t0: seen then
    const before = changes();
    store.devices.verifyToken(id, 'operator', token, t0 + 30_000);
    store.devices.touch(id, t0 + 30_000, seen());
    expect(changes()).toBe(before);
    store.devices.verifyToken(id, 'operator', token, t0 + 62_000);
    store.devices.touch(id, t0 + 62_000, seen());
    expect(used()).toBe(t0 + 62_000);
    expect(seen()).toBe(t0 + 62_000);
    store.close();
  });

  it('keeps one request per device, refreshes it, and drops it after five minutes', () => {
    const store = fresh();
    const t0 = 1_000_000;
    const first = store.devices.requestPairing(claim(2), t0);
    const again = store.devices.requestPairing(claim(2, ['operator.write']), t0 + 1_000);
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, request: { requestId: first.request.requestId, scopes: ['operator.read', 'operator.write'] } });
    expect(store.devices.listPending(t0 + 1_000 + PAIRING_REQUEST_TTL_MS - 1)).toHaveLength(1);
    expect(store.devices.listPending(t0 + 1_000 + PAIRING_REQUEST_TTL_MS)).toHaveLength(0);
    expect(store.devices.approve(first.request.requestId, t0 + 1_000 + PAIRING_REQUEST_TTL_MS)).toBeUndefined();
    store.close();
  });

  it('caps pending requests', () => {
    const store = fresh();
    for (let i = 0; i < MAX_PENDING_REQUESTS; i++) store.devices.requestPairing(claim(1000 + i));
    expect(() => store.devices.requestPairing(claim(99_999))).toThrow(expect.objectContaining({ code: 'UNAVAILABLE', details: { code: 'PAIRING_QUEUE_FULL' } }));
    store.close();
  });

  it('merges an upgrade approval into the device and widens its operator token', () => {
    const store = fresh();
    const { token } = store.devices.pairNow(claim(3, ['operator.read']));
    const upgrade = store.devices.requestPairing({ ...claim(3, ['operator.admin']), role: 'node' });
    expect(upgrade.request.isRepair).toBe(true);
    const approved = store.devices.approve(upgrade.request.requestId)!;
    expect(approved.device).toMatchObject({ roles: ['node', 'operator'], scopes: ['operator.admin', 'operator.read'], role: 'operator' });
    expect(store.devices.verifyToken(claim(3).deviceId, 'operator', token)?.scopes).toEqual(['operator.admin', 'operator.read']);
    store.close();
  });

  it('sees another connection\'s approval at once (the CLI offline path, WAL)', () => {
    const path = join(dir, 'shared.sqlite');
    const daemon = new SqliteStore(path);
    const cli = new SqliteStore(path);
    const { request } = daemon.devices.requestPairing(claim(4));
    expect(cli.devices.approve(request.requestId)).toBeDefined();
    expect(daemon.devices.getDevice(claim(4).deviceId)).toMatchObject({ roles: ['operator'], scopes: ['operator.read'] });
    cli.close();
    daemon.close();
  });
});
