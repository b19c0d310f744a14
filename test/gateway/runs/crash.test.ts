// kill -9 at random instants while runs stream and call tools, against a real daemon process whose
// config.yaml points its agent at a local fake OpenAI server. After the last restart the
// transcript is consistent: nothing left partial, every tool call closed by exactly one result,
// every acknowledged message stored, seq without gaps, and a cut-off message re-submitted with its
// key runs again without a second copy — or, when the cut-off attempt had called a tool, is answered
// IDEMPOTENCY_OUTCOME_UNKNOWN instead of repeating the tool.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { createNodeClient, type GatewayClient } from '@switchboard/sdk/node';
import { ALL_OPERATOR_SCOPES } from '@switchboard/protocol';
import { spawnDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { TEST_TOKEN } from '../../helpers/gateway.js';
import { sse, startFakeOpenAI, type FakeOpenAI } from '../../helpers/fake-openai.js';

const CYCLES = Number(process.env.SWITCHBOARD_RUN_CRASH_CYCLES ?? 12);
const SESSIONS = ['agent:main:main', 'agent:main:crash-a', 'agent:main:crash-b'];
const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-run-crash-'));
let fake: FakeOpenAI;
/** The daemon of the moment, killed in afterAll if a failed assertion left it running. */
let live: DaemonProcess | undefined;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // First a tool call (an unknown tool: the loop answers it with an error result), then slow text.
  fake.fallback = (req) => {
    const last = req.body?.messages?.at(-1);
    if (last?.role === 'tool') return sse.text(Array.from({ length: 20 }, (_, i) => `part${i} `), { waitMs: 15 });
    return sse.toolCalls([{ id: `call_${randomUUID().slice(0, 8)}`, name: 'missing_tool', args: '{"q":1}' }], { text: 'Checking. ' });
  };
  writeFileSync(join(stateDir, 'config.yaml'), `version: 1\nagent:\n  provider: openai\n  baseUrl: ${fake.baseUrl}\n  model: fake-model\n`);
});
afterAll(async () => {
  if (live && live.proc.exitCode === null && live.proc.signalCode === null) {
    live.kill('SIGKILL');
    await live.exited;
  }
  await fake.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function connect(url: string): Promise<GatewayClient> {
  const client = createNodeClient({ url, token: TEST_TOKEN, client: { id: 'test', mode: 'test' }, scopes: [...ALL_OPERATOR_SCOPES], reconnect: false, requestTimeoutMs: 10_000 });
  await client.start();
  return client;
}

describe('runs under kill -9', () => {
  it(`leaves a consistent transcript through ${CYCLES} kill -9 cycles mid-stream`, async () => {
    const acked = new Set<string>();
    let daemon: DaemonProcess | undefined;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      daemon = live = spawnDaemon({ stateDir, token: TEST_TOKEN });
      const url = await daemon.ready;
      const client = await connect(url);
      const sends = SESSIONS.map(async (sessionKey) => {
        const key = `c${cycle}-${randomUUID().slice(0, 8)}`;
        try {
          await client.call('chat.send', { sessionKey, message: `message ${key}`, idempotencyKey: key });
          acked.add(key);
        } catch {
          // Killed before the ack: not acknowledged, so not required to be stored.
        }
      });
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 600));
      daemon.kill('SIGKILL');
      await daemon.exited;
      await Promise.allSettled(sends);
      client.close();
    }

    // One more start repairs what the last kill left; a cut-off message re-submitted runs again.
    daemon = live = spawnDaemon({ stateDir, token: TEST_TOKEN });
    const client = await connect(await daemon.ready);
    const db0 = new BetterSqlite3(join(stateDir, 'switchboard.db'), { readonly: true });
    const cutOffRun = (tools: boolean) => db0.prepare(`SELECT u.idempotency_key AS key, s.key AS session FROM transcript_entries u
      JOIN transcripts t ON t.session_id = u.session_id JOIN sessions s ON s.session_id = u.session_id
      WHERE u.role = 'user' AND EXISTS (SELECT 1 FROM transcript_entries a WHERE a.run_id = u.run_id AND a.state = 'interrupted')
        AND ${tools ? '' : 'NOT'} EXISTS (SELECT 1 FROM transcript_entries x WHERE x.run_id = u.run_id AND x.role = 'tool') LIMIT 1`).get() as { key: string; session: string } | undefined;
    const withTools = cutOffRun(true);
    const withoutTools = cutOffRun(false);
    db0.close();
    expect(withTools ?? withoutTools, 'some run was cut off mid-stream').toBeDefined();
    // chat.send's ledger answers a retry with its recorded ack; the run manager's re-submit (what a
    // channel does after a restart) is reached through `agent` with the same key and session.
    const resubmit = (run: { key: string; session: string }) => ({ sessionKey: run.session, message: `message ${run.key}`, idempotencyKey: run.key });
    if (withoutTools) {
      const final = await client.callFinal('agent', resubmit(withoutTools), { timeoutMs: 15_000 });
      expect(final).toMatchObject({ status: 'ok', summary: 'completed' });
    }
    if (withTools) {
      // Its tool may have had an effect: not run again.
      await expect(client.call('agent', resubmit(withTools))).rejects.toMatchObject({ details: { code: 'IDEMPOTENCY_OUTCOME_UNKNOWN' } });
    }
    client.close();
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);

    const db = new BetterSqlite3(join(stateDir, 'switchboard.db'), { readonly: true });
    try {
      expect(db.prepare("SELECT COUNT(*) AS n FROM transcript_entries WHERE state = 'partial'").get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT COUNT(*) AS n FROM pending_tool_calls').get()).toEqual({ n: 0 });
      const rows = db.prepare('SELECT session_id, seq, role, content, tool_call_id, idempotency_key FROM transcript_entries ORDER BY session_id, seq').all() as Array<{ session_id: string; seq: number; role: string; content: string; tool_call_id: string | null; idempotency_key: string | null }>;
      const bySession = new Map<string, typeof rows>();
      for (const r of rows) bySession.set(r.session_id, [...(bySession.get(r.session_id) ?? []), r]);
      let calls = 0;
      for (const list of bySession.values()) {
        expect(list.map((r) => r.seq)).toEqual(list.map((_, i) => i + 1));
        const results = new Map<string, number>();
        for (const r of list) if (r.tool_call_id) results.set(r.tool_call_id, (results.get(r.tool_call_id) ?? 0) + 1);
        for (const r of list.filter((x) => x.role === 'assistant')) {
          for (const block of JSON.parse(r.content) as Array<{ type: string; id?: string }>) {
            if (block.type !== 'toolCall') continue;
            calls++;
            expect(results.get(block.id!), `tool call ${block.id} closed exactly once`).toBe(1);
          }
        }
      }
      const stored = new Map<string, number>();
      for (const r of rows) if (r.role === 'user' && r.idempotency_key) stored.set(r.idempotency_key, (stored.get(r.idempotency_key) ?? 0) + 1);
      for (const key of acked) expect(stored.get(key), `acknowledged message ${key} stored once`).toBe(1);
      expect(acked.size).toBeGreaterThan(0);
      expect(calls).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  }, 180_000);
});
