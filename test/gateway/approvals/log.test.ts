// The durable side of nodes and approvals on a real SQLite file: migration 6, the approval record
// (first answer wins, leftovers closed at start-up, bounded), and node records that go with their
// device. Both services get the store through its interface only (`store.approvals`, `store.nodes`,
// `commitSync`): a test store that refuses access to the SQLite handle proves it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecApprovalEntry } from '@switchboard/protocol';
import { SqliteStore, type Store } from '../../../gateway/src/store/store.js';
import { SCHEMA_VERSION } from '../../../gateway/src/store/migrations.js';
import { ApprovalLog } from '../../../gateway/src/approvals/log.js';
import { NodeRecords } from '../../../gateway/src/nodes/records.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-approval-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open = () => new SqliteStore(join(dir, `db-${++n}.sqlite`));

/** `store` as the rest of the gateway may see it: the Store interface, never the SQLite handle. */
function interfaceOnly(store: SqliteStore): Store {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'db') throw new Error('a service reached for the SQLite handle instead of the Store interface');
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function entry(id: string, nodeId = 'node-1', at = 1_000): ExecApprovalEntry {
  return { id, approvalKind: 'exec', createdAtMs: at, expiresAtMs: at + 60_000, request: { command: 'uname -a', commandArgv: ['uname', '-a'], nodeId, host: 'node', requestedBy: 'agent' } };
}

function pairNode(store: SqliteStore, deviceId: string): void {
  store.devices.pairNow({ deviceId, publicKey: `pk-${deviceId}`, role: 'node', scopes: [] }, Date.now());
}

describe('migration 6', () => {
  it('creates the node and approval tables on a fresh database', () => {
    const store = open();
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(6);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const tables = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['node_records', 'node_exec_allowlist', 'exec_approvals']));
    store.close();
  });
});

describe('approval record', () => {
  it('records a request, then its ending once (first answer wins), and reads it back newest first', () => {
    const store = open();
    const log = new ApprovalLog(interfaceOnly(store), 100);
    log.opened(entry('a', 'node-1', 1_000));
    log.opened(entry('b', 'node-1', 2_000));
    expect(log.get('a')).toMatchObject({ id: 'a', decision: null, ending: null, request: { commandArgv: ['uname', '-a'] } });
    expect(log.ended('a', 'allow-once', 'decided', 'device-x', 5_000)).toBe(true);
    expect(log.ended('a', 'deny', 'decided', 'device-y')).toBe(false);
    expect(log.get('a')).toMatchObject({ decision: 'allow-once', ending: 'decided', resolvedBy: 'device-x', resolvedAtMs: 5_000 });
    expect(log.recent(10).map((r) => r.id)).toEqual(['b', 'a']);
    store.close();
  });

  it('closes requests a crashed process left open as expired (deny), surviving a reopen', () => {
    const path = join(dir, 'crash.sqlite');
    const first = new SqliteStore(path);
    new ApprovalLog(interfaceOnly(first), 100).opened(entry('left-open'));
    first.close();
    const second = new SqliteStore(path);
    const log = new ApprovalLog(interfaceOnly(second), 100);
    expect(log.closeLeftovers(9_000)).toBe(1);
    expect(log.get('left-open')).toMatchObject({ decision: 'deny', ending: 'expired', resolvedBy: 'gateway restart', resolvedAtMs: 9_000 });
    expect(log.closeLeftovers()).toBe(0);
    second.close();
  });

  it('drops the oldest ended records beyond its bound, never pending ones', () => {
    const store = open();
    const log = new ApprovalLog(interfaceOnly(store), 3);
    log.opened(entry('pending', 'n', 0));
    for (let i = 1; i <= 5; i++) {
      log.opened(entry(`e${i}`, 'n', i));
      log.ended(`e${i}`, 'deny', 'decided', 'x');
    }
    expect(log.prune()).toBe(3);
    expect(log.recent(10).map((r) => r.id)).toEqual(['e5', 'e4', 'pending']);
    store.close();
  });
});

describe('node records', () => {
  it('stores what a paired node declared, its label and allowlist, and forgets them with the device', () => {
    const store = open();
    const records = new NodeRecords(interfaceOnly(store));
    expect(records.sighted({ nodeId: 'unpaired', caps: [], commands: [], connectedAtMs: 1 })).toBe(false);
    pairNode(store, 'n1');
    expect(records.sighted({ nodeId: 'n1', displayName: 'box', platform: 'linux', caps: ['system'], commands: ['system.run'], connectedAtMs: 10 })).toBe(true);
    records.gone('n1', 20);
    expect(records.setLabel('n1', 'kitchen')).toBe(true);
    expect(records.setLabel('nope', 'x')).toBe(false);
    records.allow('n1', ['uname', '-a'], undefined, 'allow-always');
    records.allow('n1', ['uname', '-a'], undefined, 'allow-always');
    records.allow('n1', ['make', 'test'], '/src', 'allow-always');
    expect(records.get('n1')).toMatchObject({ label: 'kitchen', displayName: 'box', caps: ['system'], commands: ['system.run'], lastConnectedAtMs: 10, lastDisconnectedAtMs: 20 });
    expect(records.allowlist('n1')).toEqual([['uname', '-a'], { command: ['make', 'test'], cwd: '/src' }]);
    expect(records.isAllowed('n1', ['uname', '-a'])).toBe(true);
    expect(records.isAllowed('n1', ['uname'])).toBe(false);
    // An entry binds its cwd: none matches only without one, /src only in /src.
    expect(records.isAllowed('n1', ['uname', '-a'], '/etc')).toBe(false);
    expect(records.isAllowed('n1', ['make', 'test'], '/src')).toBe(true);
    expect(records.isAllowed('n1', ['make', 'test'], '/home')).toBe(false);
    expect(records.isAllowed('n1', ['make', 'test'])).toBe(false);
    // A new sighting keeps the operator's label.
    records.sighted({ nodeId: 'n1', displayName: 'renamed by itself', caps: [], commands: [], connectedAtMs: 30 });
    expect(records.get('n1')?.label).toBe('kitchen');
    store.devices.remove('n1');
    expect(records.get('n1')).toBeUndefined();
    expect(records.allowlist('n1')).toEqual([]);
    store.close();
  });
});
