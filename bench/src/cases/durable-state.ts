/**
 * Durable-state cases (issue 4).
 *
 * - `idempotent-sends`: side-effect requests through the idempotency ledger — `chat.inject`, each
 *   with a new idempotency key, 4 connections × 8 in flight. Each answer waited for two durable
 *   commits (request accepted; effect and answer recorded), fsync included, shared between
 *   concurrent requests by group commit. Then the same keys again: answered from the ledger with no
 *   effect. The bare limit answers `chat.inject` at once, so the ratio is what the ledger, the
 *   transcript append and the fsyncs cost.
 * - `restart-100k`: a gateway restarting on a store that holds 100,000 transcript rows, from spawn
 *   to the first answered `health` and to the first answered `chat.history`, beside the same
 *   restart on an empty store. Gateway only: the limit has no store.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATABASE_FILE, SqliteStore } from '@switchboard/gateway';
import { BenchConnection, closeAll, failureSummary } from '../client.js';
import { cpuSeconds } from '../proc.js';
import { startGatewayIn, type BenchServer } from '../servers.js';
import { LatencyRecorder, median } from '../stats.js';
import type { BenchCase, CaseRun, Measurement, Timing } from './types.js';

const CONNECTIONS = 4;
const IN_FLIGHT = 8;
/** Upper bound on requests per phase, whatever the speed. */
const MAX_REQUESTS = 1_000_000;
const ADMIN = ['operator.admin'] as const;

interface Phase { ok: number; errors: string[]; seconds: number }

/** Runs `IN_FLIGHT` loops per connection for `seconds` (or until `nextKey` has none left), each sending `chat.inject` with the next key. */
async function drive(conns: BenchConnection[], seconds: number, nextKey: () => string | undefined, recorder?: LatencyRecorder): Promise<Phase> {
  const errors: string[] = [];
  let ok = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(conns.flatMap((conn) => Array.from({ length: IN_FLIGHT }, async () => {
    while (performance.now() < until && ok + errors.length < MAX_REQUESTS && !conn.closed) {
      const key = nextKey();
      if (key === undefined) break;
      const start = performance.now();
      try {
        const answer = await conn.request('chat.inject', { sessionKey: 'main', message: `bench ${key}`, idempotencyKey: key });
        if (answer.ok) {
          ok++;
          recorder?.add(performance.now() - start);
        } else errors.push(`${answer.error?.code}: ${answer.error?.message}`);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
  })));
  return { ok, errors, seconds: (performance.now() - t0) / 1000 };
}

interface SendsRound { sendsPerSec: number; p50Ms: number; p99Ms: number; replaysPerSec: number }

class IdempotentSendsRun implements CaseRun {
  private readonly perRound: SendsRound[] = [];
  private readonly errors: string[] = [];
  private sends = 0;
  private serverCpu = 0;
  private counter = 0;
  private closed = false;
  /** Unique per run: the long-lived gateway keeps every key for a day. */
  private readonly prefix = `sends-${Date.now().toString(36)}`;

  constructor(private readonly server: BenchServer, private readonly conns: BenchConnection[], private readonly timing: Timing) {}

  async round(index: number): Promise<void> {
    const fresh = (list?: string[]) => () => {
      const key = `${this.prefix}-${this.counter++}`;
      list?.push(key);
      return key;
    };
    await drive(this.conns, index === 0 ? this.timing.firstWarmupSeconds : this.timing.warmupSeconds, fresh());
    const used: string[] = [];
    const recorder = new LatencyRecorder(MAX_REQUESTS);
    const cpu0 = cpuSeconds(this.server.pid);
    const phase = await drive(this.conns, this.timing.roundSeconds, fresh(used), recorder);
    this.serverCpu += cpuSeconds(this.server.pid) - cpu0;
    // The same keys again, as a client retrying after a lost answer would send them.
    let next = 0;
    const replay = await drive(this.conns, this.timing.roundSeconds / 2, () => used[next++]);
    const latency = recorder.summary();
    this.perRound.push({
      sendsPerSec: Math.round(phase.ok / phase.seconds),
      p50Ms: latency.p50,
      p99Ms: latency.p99,
      replaysPerSec: Math.round(replay.ok / replay.seconds),
    });
    this.sends += phase.ok;
    this.errors.push(...phase.errors.slice(0, 100), ...replay.errors.slice(0, 100));
  }

  async finish(): Promise<Measurement> {
    await this.abort();
    const pick = (k: keyof SendsRound) => median(this.perRound.map((r) => r[k]));
    return {
      rounds: this.perRound.map((r) => ({ ...r })),
      figures: {
        sendsPerSec: pick('sendsPerSec'),
        p50Ms: pick('p50Ms'),
        p99Ms: pick('p99Ms'),
        replaysPerSec: pick('replaysPerSec'),
        serverCpuUsPerSend: this.sends ? Math.round((this.serverCpu / this.sends) * 1e7) / 10 : null,
      },
      detail: { connections: CONNECTIONS, inFlight: IN_FLIGHT, sends: this.sends, errors: this.errors.length, errorSamples: failureSummary(this.errors), rounds: this.perRound },
    };
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeAll(this.conns);
  }
}

/** Issue 4: idempotent side-effect requests per second through the ledger, fsync included, beside the limit. */
export const idempotentSendsCase: BenchCase = {
  id: 'idempotent-sends',
  title: 'Idempotent side-effect requests through the ledger',
  description: `chat.inject with a new idempotency key each, ${CONNECTIONS} connections × ${IN_FLIGHT} in flight: every answer waits for two fsynced commits (accepted; effect and answer), shared by group commit. Then the same keys again, answered from the ledger. The limit answers chat.inject at once, so the ratio is the cost of the ledger, the transcript append and the fsyncs.`,
  figures: [
    { key: 'sendsPerSec', label: 'idempotent chat.inject req/s (new keys, fsync included)', unit: 'req/s', better: 'higher' },
    { key: 'p50Ms', label: 'idempotent chat.inject latency p50', unit: 'ms', better: 'lower' },
    { key: 'p99Ms', label: 'idempotent chat.inject latency p99', unit: 'ms', better: 'lower' },
    { key: 'replaysPerSec', label: 'retries answered from the ledger req/s', unit: 'req/s', better: 'higher' },
    { key: 'serverCpuUsPerSend', label: 'server CPU per idempotent request', unit: 'µs', better: 'lower' },
  ],
  rounds: (timing) => timing.rounds,
  async start(kind, ctx): Promise<CaseRun> {
    const server = await ctx.server(kind);
    const conns: BenchConnection[] = [];
    try {
      for (let i = 0; i < CONNECTIONS; i++) conns.push(await BenchConnection.open({ url: server.url, token: server.token, scopes: ADMIN }));
    } catch (err) {
      await closeAll(conns);
      throw err;
    }
    return new IdempotentSendsRun(server, conns, ctx.timing);
  },
};

// ── restart with 100,000 transcript rows ─────────────────────────────────────────────────────

const ROWS = 100_000;
const ROWS_PER_SESSION = 1_000;

/** Fills a state directory with `rows` transcript entries over sessions of `perSession` entries. */
export function seedTranscripts(stateDir: string, rows: number, perSession = ROWS_PER_SESSION): void {
  const store = SqliteStore.openInStateDir(stateDir);
  try {
    const now = Date.now();
    store.transaction(() => {
      for (let s = 0; s * perSession < rows; s++) {
        const key = s === 0 ? 'agent:main:main' : `agent:main:bench:direct:${s}`;
        const { sessionId } = store.sessions.ensure(key, 'main', now);
        for (let i = 0; i < perSession && s * perSession + i < rows; i++) {
          const role = i % 2 === 0 ? 'user' : 'assistant';
          store.transcripts.append(sessionId, { role, content: [{ type: 'text', text: `${role} message ${i} of session ${s}: ${'lorem ipsum '.repeat(8)}` }] }, now + i);
        }
      }
    });
  } finally {
    store.close();
  }
}

/** One restart on `home`: spawn → first health (ms), → first chat.history answered (ms). */
async function restartOnce(ctx: Parameters<BenchCase['start']>[1], home: string): Promise<{ healthMs: number; historyMs: number }> {
  const server = await startGatewayIn(ctx.paths, home);
  try {
    const healthMs = performance.now() - server.spawnedAt;
    const conn = await BenchConnection.open({ url: server.url, token: server.token, scopes: ['operator.read'] });
    try {
      const answer = await conn.request('chat.history', { sessionKey: 'main', limit: 200 });
      if (!answer.ok) throw new Error(`chat.history answered ${answer.error?.code}: ${answer.error?.message}`);
      return { healthMs, historyMs: performance.now() - server.spawnedAt };
    } finally {
      conn.terminate();
    }
  } finally {
    await server.stop();
  }
}

/** Issue 4: restart time with 100,000 transcript rows in the store, beside an empty store (gateway only). */
export const restartCase: BenchCase = {
  id: 'restart-100k',
  title: 'Restart with 100,000 transcript rows',
  description: `A gateway restarting on a store with ${ROWS.toLocaleString('en-US')} transcript rows (${ROWS / ROWS_PER_SESSION} sessions): spawn → first answered health and → first answered chat.history of a 1,000-row session, beside restarts on an empty store; rounds alternate the two stores, medians.`,
  gatewayOnly: 'the limit has no store to restart on',
  figures: [
    { key: 'restartMs', label: 'restart with 100k transcript rows, spawn → first answered health', unit: 'ms', better: 'lower' },
    { key: 'historyMs', label: 'restart with 100k rows, spawn → first chat.history answered', unit: 'ms', better: 'lower' },
    { key: 'emptyRestartMs', label: 'restart on an empty store, spawn → first answered health', unit: 'ms', better: 'lower' },
  ],
  rounds: (timing) => timing.coldRuns,
  async start(_kind, ctx): Promise<CaseRun> {
    const full = mkdtempSync(join(tmpdir(), 'switchboard-bench-100k-'));
    const empty = mkdtempSync(join(tmpdir(), 'switchboard-bench-empty-'));
    const remove = () => {
      rmSync(full, { recursive: true, force: true });
      rmSync(empty, { recursive: true, force: true });
    };
    const seeded = performance.now();
    try {
      seedTranscripts(full, ROWS);
      SqliteStore.openInStateDir(empty).close();
    } catch (err) {
      remove();
      throw err;
    }
    const seedMs = Math.round(performance.now() - seeded);
    const databaseMiB = Math.round((statSync(join(full, DATABASE_FILE)).size / 1048576) * 10) / 10;
    const rounds: Array<{ restartMs: number; historyMs: number; emptyRestartMs: number }> = [];
    return {
      async round(index) {
        // Alternate which store goes first, so neither always meets a warmer page cache.
        const first = index % 2 === 0 ? full : empty;
        const a = await restartOnce(ctx, first);
        const b = await restartOnce(ctx, first === full ? empty : full);
        const [f, e] = first === full ? [a, b] : [b, a];
        rounds.push({ restartMs: Math.round(f.healthMs), historyMs: Math.round(f.historyMs), emptyRestartMs: Math.round(e.healthMs) });
      },
      async finish() {
        remove();
        const pick = (k: 'restartMs' | 'historyMs' | 'emptyRestartMs') => median(rounds.map((r) => r[k]));
        return {
          rounds,
          figures: { restartMs: pick('restartMs'), historyMs: pick('historyMs'), emptyRestartMs: pick('emptyRestartMs') },
          detail: { rows: ROWS, rowsPerSession: ROWS_PER_SESSION, databaseMiB, seedMs, rounds },
        };
      },
      async abort() {
        remove();
      },
    };
  },
};
