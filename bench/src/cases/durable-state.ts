/**
 * Durable-state benchmarks (issue 4), self-contained: each function spawns its own daemon from
 * `gateway/dist/main.js` (run `pnpm build` first) on a temporary state directory and returns plain
 * numbers for the `pnpm bench` harness to report.
 *
 * - {@link idempotentSendsPerSecond}: side-effect requests (`chat.inject`, each with a new
 *   idempotency key) per second through the ledger, fsync included: every answer waited for two
 *   durable commits (accepted, then effect + answer), shared between concurrent requests by group
 *   commit. Also the replay rate (same keys again: answered from the ledger, no effect).
 * - {@link restartTimeWithTranscriptRows}: time from process start to "gateway ready" and to the
 *   first answered `chat.history`, with N transcript rows in the store, against an empty store.
 *
 * Needs the bench package to depend on `ws` and `@switchboard/gateway` (workspace).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { SqliteStore } from '@switchboard/gateway';

const TOKEN = 'bench-token-0123456789abcdef-0123456789';
const DEFAULT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/** Where the daemon comes from. */
export interface DaemonTarget {
  /** Repository root (where gateway/dist/main.js is). Default: found from this file. */
  repoRoot?: string;
}

/** Load shape of {@link idempotentSendsPerSecond}. */
export interface SendsOptions extends DaemonTarget {
  /** Measurement time (default 5 s), after a 1 s warm-up. */
  durationMs?: number;
  /** Connections, each with `inFlight` requests outstanding (defaults 4 × 8). */
  connections?: number;
  inFlight?: number;
}

/** Throughput and latency of fresh side-effect requests, and the replay rate. */
export interface SendsResult {
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** Retries of already-answered keys per second (ledger lookups, no effect). */
  replaysPerSecond: number;
}

/** How {@link restartTimeWithTranscriptRows} measures. */
export interface RestartOptions extends DaemonTarget {
  /** Starts measured per store (median reported; default 3). */
  runs?: number;
  /** Rows per session (default 1000). */
  rowsPerSession?: number;
}

/** Start-up times with a full and with an empty store, in milliseconds. */
export interface RestartResult {
  rows: number;
  databaseBytes: number;
  /** Process start → "gateway ready" (median). */
  readyMs: number;
  /** Process start → first chat.history answered (median). */
  firstHistoryMs: number;
  /** The same two figures with an empty store. */
  emptyReadyMs: number;
  emptyFirstHistoryMs: number;
}

/** Fresh `chat.inject` requests per second through the idempotency ledger (fsync included), with latency percentiles; then the replay rate of the same keys. */
export async function idempotentSendsPerSecond(options: SendsOptions = {}): Promise<SendsResult> {
  const durationMs = options.durationMs ?? 5_000;
  const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const daemon = await startDaemon(options.repoRoot ?? DEFAULT_ROOT, stateDir);
  try {
    const clients = await Promise.all(Array.from({ length: options.connections ?? 4 }, () => RpcClient.connect(daemon.url)));
    const inFlight = options.inFlight ?? 8;
    let counter = 0;
    const keys: string[] = [];
    const run = async (ms: number, record: boolean, pick: () => string) => {
      const latencies: number[] = [];
      const end = performance.now() + ms;
      await Promise.all(clients.flatMap((c) => Array.from({ length: inFlight }, async () => {
        while (performance.now() < end) {
          const key = pick();
          const t0 = performance.now();
          await c.call('chat.inject', { sessionKey: 'main', message: `bench ${key}`, idempotencyKey: key });
          if (record) latencies.push(performance.now() - t0);
        }
      })));
      return latencies;
    };
    const fresh = () => { const k = `k${counter++}`; keys.push(k); return k; };
    await run(1_000, false, fresh);
    const latencies = await run(durationMs, true, fresh);
    let replay = 0;
    const replays = await run(Math.min(durationMs, 2_000), true, () => keys[replay++ % keys.length]);
    clients.forEach((c) => c.close());
    latencies.sort((a, b) => a - b);
    return {
      requestsPerSecond: Math.round(latencies.length / (durationMs / 1000)),
      requests: latencies.length,
      p50Ms: round(latencies[Math.floor(latencies.length * 0.5)]),
      p99Ms: round(latencies[Math.floor(latencies.length * 0.99)]),
      replaysPerSecond: Math.round(replays.length / (Math.min(durationMs, 2_000) / 1000)),
    };
  } finally {
    await daemon.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Start-up time of a daemon whose store holds `rows` transcript entries, beside an empty store (medians). */
export async function restartTimeWithTranscriptRows(rows = 100_000, options: RestartOptions = {}): Promise<RestartResult> {
  const root = options.repoRoot ?? DEFAULT_ROOT;
  const runs = options.runs ?? 3;
  const empty = mkdtempSync(join(tmpdir(), 'switchboard-bench-empty-'));
  const full = mkdtempSync(join(tmpdir(), 'switchboard-bench-full-'));
  try {
    seedTranscripts(full, rows, options.rowsPerSession ?? 1000);
    const measure = async (dir: string) => {
      const ready: number[] = [];
      const history: number[] = [];
      for (let i = 0; i < runs; i++) {
        const d = await startDaemon(root, dir);
        ready.push(d.readyMs);
        const c = await RpcClient.connect(d.url);
        await c.call('chat.history', { sessionKey: 'main', limit: 200 });
        history.push(performance.now() - d.spawnedAt);
        c.close();
        await d.stop();
      }
      return { ready: median(ready), history: median(history) };
    };
    const e = await measure(empty);
    const f = await measure(full);
    return {
      rows,
      databaseBytes: statSync(join(full, 'switchboard.db')).size,
      readyMs: round(f.ready),
      firstHistoryMs: round(f.history),
      emptyReadyMs: round(e.ready),
      emptyFirstHistoryMs: round(e.history),
    };
  } finally {
    rmSync(empty, { recursive: true, force: true });
    rmSync(full, { recursive: true, force: true });
  }
}

/** Fills a state directory with `rows` transcript entries over sessions of `perSession` entries. */
function seedTranscripts(stateDir: string, rows: number, perSession: number): void {
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

interface Daemon {
  url: string;
  spawnedAt: number;
  readyMs: number;
  stop(): Promise<void>;
}

function startDaemon(root: string, stateDir: string): Promise<Daemon> {
  const spawnedAt = performance.now();
  const proc: ChildProcess = spawn(process.execPath, [join(root, 'gateway', 'dist', 'main.js')], {
    env: { PATH: process.env.PATH, SWITCHBOARD_HOME: stateDir, SWITCHBOARD_PORT: '0', SWITCHBOARD_GATEWAY_TOKEN: TOKEN, SWITCHBOARD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  return new Promise((resolveReady, reject) => {
    let log = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      log += chunk;
      const m = /"url":"(ws:\/\/[^"]+)"[^\n]*"msg":"gateway ready"/.exec(log);
      if (!m) return;
      proc.stderr!.removeAllListeners('data');
      proc.stderr!.resume();
      resolveReady({
        url: m[1],
        spawnedAt,
        readyMs: performance.now() - spawnedAt,
        stop: async () => { proc.kill('SIGTERM'); await exited; },
      });
    });
    void exited.then(() => reject(new Error(`the daemon exited before it was ready:\n${log}`)));
  });
}

/** A bare protocol client: handshake with the token, then request/response by id. */
class RpcClient {
  private next = 0;
  private readonly waiting = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; id?: string; ok?: boolean; payload?: unknown; error?: { message: string } };
      if (frame.type !== 'res' || !frame.id) return;
      const w = this.waiting.get(frame.id);
      if (!w) return;
      this.waiting.delete(frame.id);
      if (frame.ok) w.resolve(frame.payload);
      else w.reject(new Error(frame.error?.message ?? 'request failed'));
    });
  }

  static connect(url: string): Promise<RpcClient> {
    return new Promise((resolveClient, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('error', reject);
      ws.once('message', () => {
        const client = new RpcClient(ws);
        client.call('connect', {
          minProtocol: 4, maxProtocol: 4, role: 'operator', scopes: ['operator.admin'], auth: { token: TOKEN },
          client: { id: 'test', version: '1.0.0', platform: process.platform, mode: 'test' },
        }).then(() => resolveClient(client), reject);
      });
    });
  }

  call(method: string, params: unknown): Promise<unknown> {
    const id = String(++this.next);
    return new Promise((resolveCall, reject) => {
      this.waiting.set(id, { resolve: resolveCall, reject });
      this.ws.send(JSON.stringify({ type: 'req', id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function round(n: number | undefined): number {
  return Math.round((n ?? 0) * 100) / 100;
}
