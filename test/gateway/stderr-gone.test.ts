// The daemon keeps working and still stops in order when whatever read its stderr has gone away
// (a supervisor's log pipe closed, `switchboard gateway run | head`, a test runner that died): log
// writes then fail with EPIPE, and must neither crash the daemon nor keep it from exiting.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeClient } from '@switchboard/sdk/node';
import { spawnDaemon } from '../helpers/daemon.js';

const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-stderr-gone-'));
const TOKEN = 'stderr-gone-test-token-0123456789abcdef';
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

async function stopsWithin(daemon: ReturnType<typeof spawnDaemon>, ms: number): Promise<unknown> {
  daemon.kill('SIGTERM');
  return Promise.race([daemon.exited, new Promise((r) => setTimeout(() => r(`still running ${ms} ms after SIGTERM`), ms))]);
}

describe('a daemon whose stderr reader has gone', () => {
  it('still stops on SIGTERM with exit 0 when its first failed log line is the stop itself', async () => {
    // The stop's log lines are the first to meet EPIPE, still in flight when the process exits.
    const daemon = spawnDaemon({ stateDir, token: TOKEN });
    await daemon.ready;
    daemon.proc.stderr!.destroy();
    expect(await stopsWithin(daemon, 10_000)).toBe(0);
  }, 30_000);

  it('keeps answering after log lines failed, and then stops with exit 0', async () => {
    const daemon = spawnDaemon({ stateDir, token: TOKEN });
    const url = await daemon.ready;
    daemon.proc.stderr!.destroy();
    // Work that logs (a refused handshake, connects) after the reader is gone.
    const refused = createNodeClient({ url, token: 'wrong-token-0123456789abcdef-0000', client: { id: 'test', mode: 'test' }, reconnect: false });
    await expect(refused.start()).rejects.toThrow();
    const client = createNodeClient({ url, token: TOKEN, client: { id: 'test', mode: 'test' }, scopes: ['operator.read'], reconnect: false });
    await client.start();
    expect(await client.call('health', {})).toMatchObject({ ok: true });
    client.close();
    expect(await stopsWithin(daemon, 10_000)).toBe(0);
  }, 30_000);
});
