/**
 * node.invoke round trips: an operator calls `node.invoke` of a no-op command (`system.which` with
 * no programs to look up) on a real node host, one call in flight per operator connection, and
 * waits for the answer — operator → gateway → `node.invoke.request` to the node's socket → the
 * node's `node.invoke.result` → gateway → operator. Round trips per second and latency
 * percentiles over all rounds.
 *
 * Against the gateway, the node is `@switchboard/nodes`' NodeHost running in this (the bench)
 * process, paired automatically on loopback with its own identity. The bare-ws limit has no nodes:
 * it answers `node.invoke` itself, so its figure is one plain request round trip — the floor the
 * two-hop path through the gateway is measured against (a ratio near 50 % is the ideal).
 *
 * Register it in cases/index.ts; the bench package needs `@switchboard/nodes` (workspace).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHost } from '@switchboard/nodes';
import { BenchConnection, DEFAULT_SCOPES, closeAll } from '../client.js';
import { cpuSeconds } from '../proc.js';
import { LatencyRecorder } from '../stats.js';
import type { BenchCase, CaseRun } from './types.js';

/** Upper bound on calls per phase, whatever the speed. */
const MAX_CALLS = 2_000_000;
const NOOP = { command: 'system.which', params: { bins: [] as string[] } };

interface Phase {
  ok: number;
  errors: string[];
  seconds: number;
}

/** Starts a node host against `url` and waits until the gateway lists it as connected. */
async function startNode(url: string, token: string, operator: BenchConnection, identityDir: string): Promise<{ host: NodeHost; nodeId: string }> {
  const host = new NodeHost({ url, token, identityDir, displayName: 'bench-node', commands: ['system.which'], log: () => {} });
  await host.start();
  for (let i = 0; i < 200; i++) {
    const list = await operator.request('node.list');
    const nodes = (list.payload as { nodes?: Array<{ nodeId: string; connected: boolean }> } | undefined)?.nodes ?? [];
    if (nodes.some((n) => n.nodeId === host.nodeId && n.connected)) return { host, nodeId: host.nodeId };
    await new Promise((r) => setTimeout(r, 25));
  }
  await host.stop();
  throw new Error('the node host connected but the gateway never listed it');
}

/** Each operator sequentially until `seconds` pass (or the call cap). */
async function drive(operators: BenchConnection[], nodeId: string, seconds: number, keyPrefix: string, recorder?: LatencyRecorder): Promise<Phase> {
  const errors: string[] = [];
  let ok = 0;
  let n = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(operators.map(async (op) => {
    while (performance.now() < until && ok + errors.length < MAX_CALLS) {
      const start = performance.now();
      try {
        const answer = await op.request('node.invoke', { nodeId, ...NOOP, idempotencyKey: `${keyPrefix}-${n++}` });
        if (answer.ok) {
          ok++;
          recorder?.add(performance.now() - start);
        } else errors.push(`${answer.error?.code}: ${answer.error?.message}`);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
        if (op.closed) break;
      }
    }
  }));
  return { ok, errors, seconds: (performance.now() - t0) / 1000 };
}

/** A node.invoke case with `clients` operators, each with one call in flight. */
export function nodeInvokeCase(id: string, clients: number): BenchCase {
  const plural = clients === 1 ? '' : 's';
  return {
    id,
    title: `node.invoke round trips, ${clients} operator${plural}`,
    description: `${clients} operator${plural}, each with one node.invoke (a no-op system.which) in flight, through the gateway to a real node host and back. The limit answers node.invoke itself (one hop), so its figure is the floor.`,
    figures: [
      { key: 'invokesPerSec', label: `node.invoke round trips/s (${clients} op${plural})`, unit: 'req/s', better: 'higher' },
      { key: 'p50Ms', label: `node.invoke latency p50 (${clients} op${plural})`, unit: 'ms', better: 'lower' },
      { key: 'p99Ms', label: `node.invoke latency p99 (${clients} op${plural})`, unit: 'ms', better: 'lower' },
      { key: 'serverCpuUsPerInvoke', label: `server CPU per node.invoke (${clients} op${plural})`, unit: 'µs', better: 'lower' },
    ],
    rounds: (timing) => timing.rounds,
    async start(kind, ctx): Promise<CaseRun> {
      const server = await ctx.server(kind);
      const options = { url: server.url, token: server.token, scopes: DEFAULT_SCOPES };
      const operators = await Promise.all(Array.from({ length: clients }, () => BenchConnection.open(options)));
      const identityDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-node-'));
      let host: NodeHost | undefined;
      let nodeId = 'limit-has-no-node';
      try {
        if (kind === 'gateway') ({ host, nodeId } = await startNode(server.url, server.token, operators[0], identityDir));
      } catch (err) {
        await closeAll(operators);
        rmSync(identityDir, { recursive: true, force: true });
        throw err;
      }
      const recorder = new LatencyRecorder();
      const errors: string[] = [];
      let ok = 0;
      let seconds = 0;
      let serverCpu = 0;
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await closeAll(operators);
        await host?.stop();
        rmSync(identityDir, { recursive: true, force: true });
      };
      return {
        async round(index) {
          await drive(operators, nodeId, ctx.timing.warmupSeconds, `${id}-w${index}`);
          const cpu0 = cpuSeconds(server.pid);
          const phase = await drive(operators, nodeId, ctx.timing.roundSeconds, `${id}-r${index}`, recorder);
          serverCpu += cpuSeconds(server.pid) - cpu0;
          ok += phase.ok;
          seconds += phase.seconds;
          errors.push(...phase.errors.slice(0, 100));
        },
        async finish() {
          await close();
          const latency = recorder.summary();
          return {
            figures: {
              invokesPerSec: Math.round(ok / seconds),
              p50Ms: latency.p50,
              p99Ms: latency.p99,
              serverCpuUsPerInvoke: ok ? Math.round((serverCpu / ok) * 1e7) / 10 : null,
            },
            detail: { operators: clients, invokes: ok, errors: errors.length, errorSamples: errors.slice(0, 3), seconds: Math.round(seconds * 1000) / 1000, latencyMs: latency },
          };
        },
        abort: close,
      };
    },
  };
}

/** One operator: latency of a single node.invoke round trip. */
export const nodeInvoke1Case = nodeInvokeCase('node-invoke-1', 1);
/** Eight operators: throughput of concurrent node.invoke round trips. */
export const nodeInvoke8Case = nodeInvokeCase('node-invoke-8', 8);
