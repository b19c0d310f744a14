/**
 * `--referee`: runs the shared load client (../shared/bench/gateway-load.mjs, not project code)
 * against the same servers and maps its JSON onto the harness's figure keys, so the report shows
 * both tools' numbers side by side. The shared tool does not honour `policy.requestBudget`, so its
 * 1-client run is kept short enough to stay inside one budget.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Measurement, Timing } from './cases/types.js';
import { BENCH_TOKEN, freePort, type BenchPaths, type BenchServer, type ServerKind } from './servers.js';
import { median } from './stats.js';

type Json = Record<string, any>;

/** How one case is run with the shared tool, and how its output maps to the case's figures. */
interface RefereeSpec {
  /** Arguments for a run against a live server (cold start builds its own). */
  args(timing: Timing): string[];
  figures(out: Json): Record<string, number | null>;
}

/** The timed seconds the harness spends per server, for one long referee phase. */
const total = (t: Timing): number => t.rounds * t.roundSeconds;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const RR = (clients: number, seconds: (t: Timing) => number, warmup: (t: Timing) => number): RefereeSpec => ({
  args: (t) => ['--mode', 'rr', '--clients', String(clients), '--concurrency', '25', '--seconds', String(seconds(t)), '--warmup', String(warmup(t)), '--method', 'health', '--device', 'none'],
  figures: (o) => ({ reqPerSec: num(o.reqPerSec), p50Ms: num(o.latencyMs?.p50), p99Ms: num(o.latencyMs?.p99) }),
});

const CONNECT = (device: 'none' | 'per-client'): RefereeSpec => ({
  args: () => ['--mode', 'connect', '--clients', '5000', '--concurrency', '25', '--hold', '1', '--method', 'health', '--device', device],
  // With a new key per client every connect is a first connect (the device is paired on loopback).
  figures: (o): Record<string, number | null> => (device === 'per-client'
    ? { firstConnectsPerSec: num(o.connectsPerSec), rssAfterMiB: num(o.serverRssAfterConnect?.mainRssMiB) }
    : { totalMs: num(o.connectAllMs), connectsPerSec: num(o.connectsPerSec), rssAfterMiB: num(o.serverRssAfterConnect?.mainRssMiB) }),
});

/** Referee runs by case id; cases without an entry have no referee figures. */
export const REFEREE: Readonly<Record<string, RefereeSpec>> = {
  // 4 s after 1 s warm-up: a fast single client would otherwise exceed the per-connection request budget.
  'rr-1': RR(1, (t) => Math.min(total(t), 4), () => 1),
  'rr-50': RR(50, total, () => 1),
  'connect-5000': CONNECT('none'),
  'signed-5000': CONNECT('per-client'),
  'fanout-1000': {
    args: (t) => ['--mode', 'fanout', '--clients', '1000', '--concurrency', '25', '--seconds', String(total(t)), '--method', 'talk.mode',
      '--params', '{"enabled":true}', '--event', 'talk.mode', '--device', 'none'],
    figures: (o) => ({
      eventsPerSec: num(o.deliveredEventsPerSec), latencyP50Ms: num(o.deliveryLatencyMs?.p50),
      latencyP99Ms: num(o.deliveryLatencyMs?.p99), deliveredPct: num(o.deliveredPct),
    }),
  },
};

/** Runs the shared tool once; resolves with its JSON output. */
function runTool(paths: BenchPaths, args: string[], timeoutMs: number): Promise<Json> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [paths.gatewayLoad, '--ws-from', paths.wsFrom, '--quiet', ...args], { cwd: paths.repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(out));
      } catch (e) {
        reject(new Error(`gateway-load.mjs ${args.slice(0, 2).join(' ')} failed (${e instanceof Error ? e.message : e}): ${err.trim().slice(-300)}`));
      }
    });
  });
}

/** The shared tool against a live server, for one case. */
export async function refereeLive(caseId: string, server: BenchServer, paths: BenchPaths, timing: Timing): Promise<Measurement | undefined> {
  const spec = REFEREE[caseId];
  if (!spec) return undefined;
  const args = [...spec.args(timing), '--url', server.url, '--token', server.token, '--pid', String(server.pid)];
  const out = await runTool(paths, args, (total(timing) + 240) * 1000);
  return { figures: spec.figures(out), detail: { tool: out } };
}

/** The shared tool's cold mode (it spawns the server itself), repeated like the harness's case. */
export async function refereeCold(kind: ServerKind, paths: BenchPaths, timing: Timing): Promise<Measurement> {
  const runs: number[] = [];
  let idleRss: number | null = null;
  const outputs: Json[] = [];
  for (let i = 0; i < timing.coldRuns; i++) {
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), 'switchboard-referee-'));
    const command = kind === 'gateway'
      ? `env SWITCHBOARD_HOME=${home} SWITCHBOARD_GATEWAY_TOKEN=${BENCH_TOKEN} SWITCHBOARD_PORT=${port} SWITCHBOARD_BIND=127.0.0.1 SWITCHBOARD_LOG_LEVEL=warn ${process.execPath} ${paths.gatewayMain}`
      : `env WS_RESOLVE_FROM=${paths.wsFrom} ${process.execPath} ${paths.bareLimit} ${port}`;
    const last = i === timing.coldRuns - 1;
    try {
      const out = await runTool(paths, ['--mode', 'cold', '--spawn', command, '--url', `ws://127.0.0.1:${port}`, '--token', BENCH_TOKEN,
        '--method', 'health', '--device', 'none', '--deadline', '60', '--poll-ms', '10', '--idle', last ? String(timing.idleSeconds) : '0'], 180_000);
      outputs.push(out);
      if (typeof out.msToFirstOkResponse === 'number') runs.push(out.msToFirstOkResponse);
      if (last) idleRss = num(out.rssAfterIdle?.mainRssMiB);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  return { figures: { coldStartMs: runs.length ? median(runs) : null, idleRssMiB: idleRss }, detail: { runsMs: runs, tool: outputs.at(-1) } };
}
