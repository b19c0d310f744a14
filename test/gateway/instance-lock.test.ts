// One daemon per state directory: an OS lock held through an open file, released by the kernel
// when the owner dies however it dies; a second daemon exits naming the first.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Gateway, InstanceLock, InstanceLockedError, LOCK_INFO_FILE, readLockOwner, silentLog, StartupError } from '@switchboard/gateway';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { TEST_TOKEN } from '../helpers/gateway.js';

let dir: string;
const daemons: DaemonProcess[] = [];
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'switchboard-lock-')); });
afterEach(async () => {
  for (const d of daemons.splice(0)) { d.kill('SIGKILL'); await d.exited; }
  rmSync(dir, { recursive: true, force: true });
});

describe('instance lock', () => {
  it('is exclusive within one process and free again after release', () => {
    const lock = InstanceLock.acquire(dir, { port: 1234 });
    const err = (() => { try { InstanceLock.acquire(dir, {}, 0); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(InstanceLockedError);
    expect((err as InstanceLockedError).owner).toMatchObject({ pid: process.pid, port: 1234 });
    lock.release();
    lock.release();
    InstanceLock.acquire(dir).release();
  });

  it('ignores owner details left by a dead process', () => {
    writeFileSync(join(dir, LOCK_INFO_FILE), JSON.stringify({ pid: 999_999_999, startedAt: 1, port: 1 }));
    expect(readLockOwner(dir)).toBeUndefined();
    InstanceLock.acquire(dir).release();
  });

  it('stops a second in-process gateway with a startup error naming the first', async () => {
    const first = await Gateway.start({ log: silentLog(), stateDir: dir, port: 0, auth: { mode: 'token', token: TEST_TOKEN } });
    try {
      await expect(Gateway.start({ log: silentLog(), stateDir: dir, port: 0, auth: { mode: 'token', token: TEST_TOKEN } }))
        .rejects.toThrow(new RegExp(`pid ${process.pid}, listening on 127\\.0\\.0\\.1:${first.port}`));
      await expect(Gateway.start({ log: silentLog(), stateDir: dir, port: 0 })).rejects.toBeInstanceOf(StartupError);
    } finally {
      await first.stop();
    }
    const again = await Gateway.start({ log: silentLog(), stateDir: dir, port: 0, auth: { mode: 'token', token: TEST_TOKEN } });
    await again.stop();
  });

  it('lets exactly one of ten daemons started at once run; the others name it and exit 1', async () => {
    const started = Array.from({ length: 10 }, () => spawnDaemon({ stateDir: dir, token: TEST_TOKEN }));
    daemons.push(...started);
    const outcomes = await Promise.all(started.map((d) => Promise.race([d.ready.then(() => 'ready' as const), d.exited])));
    const winners = started.filter((_, i) => outcomes[i] === 'ready');
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((o) => o === 1)).toHaveLength(9);
    const port = new URL(await winners[0].ready).port;
    for (const loser of started.filter((d) => d !== winners[0])) {
      expect(loser.stderr).toContain(`another Switchboard gateway (pid ${winners[0].pid}, listening on 127.0.0.1:${port})`);
    }
  });

  it('is released by the kernel when the owner is killed with SIGKILL', async () => {
    const first = spawnDaemon({ stateDir: dir, token: TEST_TOKEN });
    daemons.push(first);
    await first.ready;
    first.kill('SIGKILL');
    await first.exited;
    const second = spawnDaemon({ stateDir: dir, token: TEST_TOKEN });
    daemons.push(second);
    await expect(second.ready).resolves.toMatch(/^ws:\/\//);
  });
});
