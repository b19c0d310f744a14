// kill -9 at random moments while a writer issues idempotent chat.inject requests (transcript
// appends) against a real daemon process. After every restart: the store opens, every acknowledged
// request's answer is replayed unchanged, an unacknowledged one completes on retry, and in the end
// every key produced exactly one transcript row. CYCLES counts kills during writes; before every
// seventh one the daemon is also killed during start-up (extra cycles, not counted in CYCLES).
// `pnpm soak:crash` runs hundreds of cycles.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { createNodeClient, type GatewayClient } from '@switchboard/sdk/node';
import { ALL_OPERATOR_SCOPES } from '@switchboard/protocol';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { TEST_TOKEN } from '../helpers/gateway.js';

const CYCLES = Number(process.env.SWITCHBOARD_CRASH_CYCLES ?? 50);
const WINDOW = 16;
const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-crash-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

interface Answer { ok: true; messageId: string; sessionId: string; seq: number }

/**
 * The final round retries every key ever sent on one connection, far more than the default request
 * budget allows in 10 s; what is under test here is the store, not that guard.
 */
const UNBUDGETED = { SWITCHBOARD_REQUEST_BUDGET: '1000000/10000' };

const message = (key: string) => `crash-test payload for ${key}`;

async function connect(url: string): Promise<GatewayClient> {
  const client = createNodeClient({ url, token: TEST_TOKEN, client: { id: 'test', mode: 'test' }, scopes: [...ALL_OPERATOR_SCOPES], reconnect: false, requestTimeoutMs: 10_000 });
  await client.start();
  return client;
}

const inject = (c: GatewayClient, key: string) => c.call('chat.inject', { sessionKey: 'main', message: message(key), idempotencyKey: key }) as Promise<Answer>;

/** Runs `fn` over `items`, at most `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => { while (i < items.length) await fn(items[i++]); }));
}

describe('crash consistency', () => {
  it(`keeps exactly-once and every acknowledged request through ${CYCLES} kill -9 cycles`, async () => {
    const acked = new Map<string, Answer>();
    const sent: string[] = [];
    let previous: string[] = [];
    let nextKey = 0;
    let daemon: DaemonProcess | undefined;
    let startupKills = 0;

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      if (cycle % 7 === 6) {
        // Now and then also die during start-up itself (opening, migrating, recovering), in addition
        // to this cycle's kill during writes.
        daemon = spawnDaemon({ stateDir, token: TEST_TOKEN, env: UNBUDGETED });
        await new Promise((r) => setTimeout(r, Math.random() * 300));
        daemon.kill('SIGKILL');
        await daemon.exited;
        startupKills++;
      }
      daemon = spawnDaemon({ stateDir, token: TEST_TOKEN, env: UNBUDGETED });
      const url = await daemon.ready;
      const client = await connect(url);

      // After the restart: what was acknowledged before is replayed as is; the rest now completes.
      await pool(previous, WINDOW, async (key) => {
        const answer = await inject(client, key);
        const before = acked.get(key);
        if (before) expect(answer, `replay of ${key}`).toEqual(before);
        else acked.set(key, answer);
      });

      // Write until the kill.
      const killAt = 10 + Math.random() * 200;
      const issued: string[] = [];
      let alive = true;
      const writer = (async () => {
        const worker = async () => {
          while (alive) {
            const key = `k${nextKey++}`;
            issued.push(key);
            sent.push(key);
            try {
              acked.set(key, await inject(client, key));
            } catch {
              return; // the daemon is gone
            }
          }
        };
        await Promise.all(Array.from({ length: WINDOW }, worker));
      })();
      await new Promise((r) => setTimeout(r, killAt));
      alive = false;
      daemon.kill('SIGKILL');
      await daemon.exited;
      await writer;
      client.close();
      previous = issued;
    }

    // Final round: retry every key ever sent, then count rows per key in the database itself.
    daemon = spawnDaemon({ stateDir, token: TEST_TOKEN, env: UNBUDGETED });
    const client = await connect(await daemon.ready);
    await pool(sent, WINDOW, async (key) => {
      const answer = await inject(client, key);
      const before = acked.get(key);
      if (before) expect(answer, `final replay of ${key}`).toEqual(before);
      else acked.set(key, answer);
    });
    client.close();
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);

    const db = new BetterSqlite3(join(stateDir, 'switchboard.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const rows = db.prepare(`SELECT idempotency_key AS key, id, COUNT(*) OVER (PARTITION BY idempotency_key) AS n FROM transcript_entries WHERE idempotency_key IS NOT NULL`).all() as { key: string; id: string; n: number }[];
      const duplicates = rows.filter((r) => r.n > 1);
      expect(duplicates, 'side effects that ran twice').toEqual([]);
      expect(rows.length).toBe(sent.length);
      const byKey = new Map(rows.map((r) => [r.key, r.id]));
      for (const [key, answer] of acked) expect(byKey.get(key), `row of acknowledged ${key}`).toBe(answer.messageId);
      const entries = db.prepare(`SELECT COUNT(*) AS n FROM transcript_entries`).get() as { n: number };
      expect(entries.n).toBe(sent.length);
    } finally {
      db.close();
    }
    console.log(`crash test: ${CYCLES} kills during writes, ${startupKills} during start-up, ${sent.length} requests, ${acked.size} answers checked`);
  }, Math.max(180_000, CYCLES * 3_500));
});
