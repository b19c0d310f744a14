/**
 * Agent-run benchmarks (issue 5), self-contained: each function starts a local fake
 * OpenAI-compatible server in this process, spawns a daemon from `gateway/dist/main.js` (run
 * `pnpm build` first) whose `config.yaml` points its agent at that server, drives it over a bare
 * WebSocket client, and returns plain numbers for the `pnpm bench` harness to report.
 *
 * - {@link agentDeltaLatency}: gateway latency from a provider delta arriving to the client
 *   receiving its `agent` event. The fake server stamps each SSE chunk just before writing it and
 *   the client stamps the matching event on arrival (same process, same clock), so the figure is
 *   loopback in + parse + run manager + transcript + fan-out + loopback out. One run at a time,
 *   deltas spaced so each is measured alone. Target (issue 5): p99 < 2 ms.
 * - {@link concurrentStreamingSessions}: N sessions (default 200) streaming at once against the
 *   fake provider: agent deltas per second delivered to one client, their latency under that load,
 *   and the daemon's RSS (idle before, peak during, after).
 *
 * Needs `ws` (the bench package's dependency); nothing else beyond Node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const TOKEN = 'bench-token-0123456789abcdef-0123456789';
const DEFAULT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

/** Where the daemon comes from. */
export interface AgentBenchTarget {
  /** Repository root (where gateway/dist/main.js is). Default: found from this file. */
  repoRoot?: string;
  /** Extra Node arguments for the daemon (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

/** Shape of {@link agentDeltaLatency}. */
export interface DeltaLatencyOptions extends AgentBenchTarget {
  /** Measured runs (default 10) after one warm-up run, one at a time. */
  runs?: number;
  /** Deltas per run (default 200). */
  deltasPerRun?: number;
  /** Pause between two deltas of a run (default 5 ms). */
  intervalMs?: number;
}

/** Provider-delta → client-event latency, in milliseconds. */
export interface DeltaLatencyResult {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Shape of {@link concurrentStreamingSessions}. */
export interface ConcurrentOptions extends AgentBenchTarget {
  /** Sessions streaming at once (default 200). */
  sessions?: number;
  /** Deltas per run (default 100). */
  deltasPerRun?: number;
  /**
   * Pause between two deltas of one run (default 40 ms, 25 tokens/s like a typical hosted model):
   * 200 sessions offer 5,000 deltas/s. 0 streams as fast as the gateway reads (its ceiling).
   */
  intervalMs?: number;
}

/** Throughput, latency and memory of many concurrent streaming runs. */
export interface ConcurrentResult {
  sessions: number;
  deltasDelivered: number;
  deltasExpected: number;
  deltasPerSecond: number;
  /** Provider delta → client event under this load. */
  p50Ms: number;
  p99Ms: number;
  /** Send of the first message → final of the last run. */
  elapsedMs: number;
  rssIdleMiB: number;
  rssPeakMiB: number;
  rssAfterMiB: number;
}

/** Latency of single streaming runs, delta by delta. */
export async function agentDeltaLatency(options: DeltaLatencyOptions = {}): Promise<DeltaLatencyResult> {
  const runs = options.runs ?? 10;
  return withSetup(options, { deltasPerRun: options.deltasPerRun ?? 200, intervalMs: options.intervalMs ?? 5 }, async ({ client, stamps }) => {
    const latencies: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const done = client.runEnd(`lat-${i}`);
      await client.call('chat.send', { sessionKey: 'main', message: `run lat-${i}`, idempotencyKey: `lat-${i}` });
      const arrivals = await done;
      if (i > 0) for (const [delta, at] of arrivals) latencies.push(at - stamps.get(delta)!);
    }
    return { samples: latencies.length, ...percentiles(latencies) };
  });
}

/** `sessions` runs streaming at once. */
export async function concurrentStreamingSessions(options: ConcurrentOptions = {}): Promise<ConcurrentResult> {
  const sessions = options.sessions ?? 200;
  const deltasPerRun = options.deltasPerRun ?? 100;
  return withSetup(options, { deltasPerRun, intervalMs: options.intervalMs ?? 40 }, async ({ client, stamps, pid }) => {
    // Warm up the paths once, then let the daemon settle before reading idle memory.
    await client.call('chat.send', { sessionKey: 'agent:main:warm', message: 'run warm', idempotencyKey: 'warm' });
    await client.runEnd('warm');
    await sleep(1_000);
    const rssIdle = rssMiB(pid);
    let rssPeak = rssIdle;
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, rssMiB(pid)); }, 100);
    const ids = Array.from({ length: sessions }, (_, i) => `c-${i}`);
    const ends = ids.map((id) => client.runEnd(id, 120_000));
    const t0 = performance.now();
    await Promise.all(ids.map((id, i) => client.call('chat.send', { sessionKey: `agent:main:bench-${i}`, message: `run ${id}`, idempotencyKey: id })));
    const arrivals = (await Promise.all(ends)).flat();
    const elapsedMs = performance.now() - t0;
    clearInterval(sampler);
    await sleep(1_000);
    const latencies = arrivals.map(([delta, at]) => at - stamps.get(delta)!);
    return {
      sessions,
      deltasDelivered: arrivals.length,
      deltasExpected: sessions * deltasPerRun,
      deltasPerSecond: Math.round(arrivals.length / (elapsedMs / 1000)),
      ...pick(percentiles(latencies), 'p50Ms', 'p99Ms'),
      elapsedMs: round(elapsedMs),
      rssIdleMiB: rssIdle,
      rssPeakMiB: rssPeak,
      rssAfterMiB: rssMiB(pid),
    };
  });
}

// ── setup: fake provider, daemon, client ─────────────────────────────────────────────────────

interface Setup {
  client: BenchClient;
  /** Delta text → when the fake wrote it (performance.now()). */
  stamps: Map<string, number>;
  pid: number;
}

async function withSetup<T>(target: AgentBenchTarget, script: { deltasPerRun: number; intervalMs: number }, body: (s: Setup) => Promise<T>): Promise<T> {
  const stamps = new Map<string, number>();
  const fake = await startFakeProvider(script, stamps);
  const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-agent-'));
  writeFileSync(join(stateDir, 'config.yaml'), `version: 1\nagent:\n  provider: openai\n  baseUrl: ${fake.baseUrl}\n  model: bench-model\n`);
  const daemon = await startDaemon(target.repoRoot ?? DEFAULT_ROOT, stateDir, target.nodeArgs ?? []);
  try {
    const client = await BenchClient.connect(daemon.url);
    try {
      return await body({ client, stamps, pid: daemon.pid });
    } finally {
      client.close();
    }
  } finally {
    await daemon.stop();
    await new Promise<void>((r) => fake.server.close(() => r()));
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Streams `deltasPerRun` chunks `<run>:<i> ` per request, stamping each just before it is written. */
async function startFakeProvider(script: { deltasPerRun: number; intervalMs: number }, stamps: Map<string, number>): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const messages = (JSON.parse(body) as { messages: Array<{ role: string; content: string }> }).messages;
      const run = /run (\S+?)"/.exec(messages[messages.length - 1].content)?.[1] ?? 'unknown';
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      void (async () => {
        for (let i = 0; i < script.deltasPerRun && !res.destroyed; i++) {
          if (i > 0 && script.intervalMs > 0) await sleep(script.intervalMs);
          else if (i > 0) await new Promise((r) => setImmediate(r));
          const delta = `${run}:${i} `;
          stamps.set(delta, performance.now());
          res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: delta }, finish_reason: null }] })}\n\n`);
        }
        res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

interface Daemon { url: string; pid: number; stop(): Promise<void> }

function startDaemon(root: string, stateDir: string, nodeArgs: string[]): Promise<Daemon> {
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, join(root, 'gateway', 'dist', 'main.js')], {
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
      resolveReady({ url: m[1], pid: proc.pid!, stop: async () => { proc.kill('SIGTERM'); await exited; } });
    });
    void exited.then(() => reject(new Error(`the daemon exited before it was ready:\n${log}`)));
  });
}

/** A bare protocol client that collects `agent` assistant deltas per run with their arrival time. */
class BenchClient {
  private next = 0;
  private readonly waiting = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly arrivals = new Map<string, Array<[string, number]>>();
  private readonly ends = new Map<string, () => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const at = performance.now();
      const frame = JSON.parse(data.toString()) as { type: string; id?: string; ok?: boolean; payload?: any; error?: { message: string }; event?: string };
      if (frame.type === 'event' && frame.event === 'agent') return this.onAgent(frame.payload, at);
      if (frame.type !== 'res' || !frame.id) return;
      const w = this.waiting.get(frame.id);
      if (!w) return;
      this.waiting.delete(frame.id);
      if (frame.ok) w.resolve(frame.payload);
      else w.reject(new Error(frame.error?.message ?? 'request failed'));
    });
  }

  static connect(url: string): Promise<BenchClient> {
    return new Promise((resolveClient, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('error', reject);
      ws.once('message', () => {
        const client = new BenchClient(ws);
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

  /** Resolves with the run's (delta, arrival) pairs when its lifecycle ends. */
  runEnd(runId: string, timeoutMs = 60_000): Promise<Array<[string, number]>> {
    this.arrivals.set(runId, []);
    return new Promise((resolveEnd, reject) => {
      const timer = setTimeout(() => reject(new Error(`run ${runId} did not end within ${timeoutMs} ms`)), timeoutMs);
      this.ends.set(runId, () => {
        clearTimeout(timer);
        resolveEnd(this.arrivals.get(runId)!);
      });
    });
  }

  close(): void {
    this.ws.close();
  }

  private onAgent(p: { runId: string; stream: string; data: { delta?: string; phase?: string } }, at: number): void {
    if (p.stream === 'assistant' && p.data.delta) this.arrivals.get(p.runId)?.push([p.data.delta, at]);
    else if (p.stream === 'lifecycle' && (p.data.phase === 'end' || p.data.phase === 'error')) this.ends.get(p.runId)?.();
  }
}

// ── numbers ──────────────────────────────────────────────────────────────────────────────────

function percentiles(values: number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]);
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round(sorted[sorted.length - 1]) };
}

function rssMiB(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return round(kb / 1024);
  } catch {
    return 0;
  }
}

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

function round(n: number | undefined): number {
  return Math.round((n ?? 0) * 100) / 100;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
