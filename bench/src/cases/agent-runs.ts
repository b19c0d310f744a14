/**
 * Agent-run cases (issue 5), both against a gateway of their own whose agent streams from a fake
 * OpenAI-compatible provider in a process of its own (agent-fixture.ts). Gateway only: the bare
 * limit has no agent.
 *
 * - `agent-delta-latency`: one run at a time, deltas 5 ms apart so each is measured alone: from the
 *   provider writing a delta to the client receiving its `agent` event. Target p99 < 2 ms.
 * - `agent-streams-200`: 200 sessions streaming at once, 25 deltas/s each like a hosted model
 *   (5,000 deltas/s offered): deltas per second delivered to one client, their latency under that
 *   load, and the gateway's memory idle and at its peak.
 */
import { cpuSeconds, rssMiB } from '../proc.js';
import { LatencyRecorder, median } from '../stats.js';
import { AgentClient, startAgentGateway, startFakeProvider, type FakeProvider, type StreamScript } from '../agent-fixture.js';
import type { ServerProcess } from '../servers.js';
import { sleep, type BenchCase, type CaseContext, type CaseRun, type Measurement } from './types.js';

const NO_AGENT = 'the limit has no agent to stream from a provider';

/** Provider, gateway and client of one agent case; `close()` is idempotent. */
interface AgentSetup {
  provider: FakeProvider;
  server: ServerProcess;
  client: AgentClient;
  close(): Promise<void>;
}

async function setUp(ctx: CaseContext, script: StreamScript): Promise<AgentSetup> {
  const provider = await startFakeProvider(ctx.paths, script);
  let gateway: Awaited<ReturnType<typeof startAgentGateway>> | undefined;
  try {
    gateway = await startAgentGateway(ctx.paths, provider);
    const client = await AgentClient.open(gateway.server);
    let closed: Promise<void> | undefined;
    const g = gateway;
    return {
      provider, server: g.server, client,
      close: () => (closed ??= (async () => {
        client.close();
        await g.close();
        await provider.close();
      })()),
    };
  } catch (err) {
    await gateway?.close();
    await provider.close();
    throw err;
  }
}

/** Records every latency of a run. */
function record(latencies: readonly number[], into: LatencyRecorder): void {
  for (const ms of latencies) into.add(ms);
}

const DELTA_INTERVAL_MS = 5;

/** Issue 5: provider delta → client event latency, one run at a time (target p99 < 2 ms; gateway only). */
export const agentDeltaLatencyCase: BenchCase = {
  id: 'agent-delta-latency',
  title: 'Agent delta latency, provider → client',
  description: `One streaming run at a time; the fake provider (its own process) writes a delta every ${DELTA_INTERVAL_MS} ms, one round's worth per run, each stamped with the monotonic clock; the client times its agent event against the stamp. Percentiles over every delta of every round.`,
  gatewayOnly: NO_AGENT,
  figures: [
    { key: 'p50Ms', label: 'provider delta → client agent event, p50', unit: 'ms', better: 'lower' },
    { key: 'p99Ms', label: 'provider delta → client agent event, p99', unit: 'ms', better: 'lower', target: { on: 'value', op: '<', threshold: 2, text: '< 2 ms' } },
    { key: 'serverCpuUsPerDelta', label: 'server CPU per streamed delta', unit: 'µs', better: 'lower' },
  ],
  rounds: (timing) => timing.rounds,
  async start(_kind, ctx): Promise<CaseRun> {
    const deltasPerRun = Math.max(20, Math.round((ctx.timing.roundSeconds * 1000) / DELTA_INTERVAL_MS));
    const setup = await setUp(ctx, { deltasPerRun, intervalMs: DELTA_INTERVAL_MS });
    const pooled = new LatencyRecorder(100_000);
    const perRound: Array<{ p50Ms: number; p99Ms: number }> = [];
    let cpu = 0;
    let deltas = 0;
    const id = Date.now().toString(36);
    try {
      await setup.client.run('main', `warm-${id}`);
    } catch (err) {
      await setup.close();
      throw err;
    }
    return {
      async round(index) {
        const cpu0 = cpuSeconds(setup.server.pid);
        const latencies = await setup.client.run('main', `lat-${id}-${index}`);
        cpu += cpuSeconds(setup.server.pid) - cpu0;
        deltas += latencies.length;
        const recorder = new LatencyRecorder(latencies.length);
        record(latencies, recorder);
        recorder.copyInto(pooled);
        const s = recorder.summary();
        perRound.push({ p50Ms: s.p50, p99Ms: s.p99 });
      },
      async finish(): Promise<Measurement> {
        await setup.close();
        const all = pooled.summary();
        return {
          figures: { p50Ms: all.p50, p99Ms: all.p99, serverCpuUsPerDelta: deltas ? Math.round((cpu / deltas) * 1e7) / 10 : null },
          detail: { deltasPerRun, intervalMs: DELTA_INTERVAL_MS, samples: all.n, expected: perRound.length * deltasPerRun, latencyMs: all, rounds: perRound },
        };
      },
      abort: () => setup.close(),
    };
  },
};

const SESSIONS = 200;
const STREAM_INTERVAL_MS = 40;

interface StreamsRound { deltasPerSec: number; deliveredPct: number; p50Ms: number; p99Ms: number; rssPeakMiB: number }

/** Issue 5: 200 concurrent streaming sessions — deltas/s delivered, latency, RSS (gateway only). */
export const agentStreamsCase: BenchCase = {
  id: 'agent-streams-200',
  title: `${SESSIONS} concurrent streaming sessions`,
  description: `${SESSIONS} sessions each start a run at once; the fake provider (its own process) streams a delta every ${STREAM_INTERVAL_MS} ms per run (${(SESSIONS * 1000) / STREAM_INTERVAL_MS} deltas/s offered). One client receives every agent event; deltas/s is counted from its first to its last delta; the gateway's RSS is sampled every 100 ms.`,
  gatewayOnly: NO_AGENT,
  figures: [
    { key: 'deltasPerSec', label: `${SESSIONS} streaming sessions: deltas delivered/s`, unit: 'deltas/s', better: 'higher' },
    { key: 'deliveredPct', label: `${SESSIONS} streaming sessions: deltas delivered`, unit: '%', better: 'higher' },
    { key: 'p50Ms', label: `${SESSIONS} streaming sessions: delta latency p50`, unit: 'ms', better: 'lower' },
    { key: 'p99Ms', label: `${SESSIONS} streaming sessions: delta latency p99`, unit: 'ms', better: 'lower' },
    { key: 'rssIdleMiB', label: 'gateway RSS before the streams (agent configured)', unit: 'MiB', better: 'lower' },
    { key: 'rssPeakMiB', label: `gateway RSS at its peak with ${SESSIONS} streams`, unit: 'MiB', better: 'lower' },
    { key: 'serverCpuUsPerDelta', label: `server CPU per delta with ${SESSIONS} streams`, unit: 'µs', better: 'lower' },
  ],
  rounds: (timing) => Math.ceil(timing.rounds / 2),
  async start(_kind, ctx): Promise<CaseRun> {
    // A round streams for about roundSeconds × 2.5 (1.5 s → 94 deltas per run, about 4 s).
    const deltasPerRun = Math.max(10, Math.round((ctx.timing.roundSeconds * 2500) / STREAM_INTERVAL_MS));
    const setup = await setUp(ctx, { deltasPerRun, intervalMs: STREAM_INTERVAL_MS });
    const perRound: StreamsRound[] = [];
    const id = Date.now().toString(36);
    let rssIdle: number | null = null;
    let cpu = 0;
    let delivered = 0;
    try {
      await setup.client.run('agent:main:warm', `warm-${id}`);
      await sleep(1_000);
      rssIdle = rssMiB(setup.server.pid);
    } catch (err) {
      await setup.close();
      throw err;
    }
    return {
      async round(index) {
        let peak = rssMiB(setup.server.pid) ?? 0;
        const sampler = setInterval(() => { peak = Math.max(peak, rssMiB(setup.server.pid) ?? 0); }, 100);
        const cpu0 = cpuSeconds(setup.server.pid);
        setup.client.resetWindow();
        try {
          const runs = Array.from({ length: SESSIONS }, (_, i) => setup.client.run(`agent:main:bench-${i}`, `s-${id}-${index}-${i}`, 120_000));
          const latencies = (await Promise.all(runs)).flat();
          const { first, last } = setup.client.window;
          // Delivery rate while the streams ran: first delta to last delta seen by the client.
          const seconds = first !== undefined && last !== undefined && last > first ? Number(last - first) / 1e9 : NaN;
          cpu += cpuSeconds(setup.server.pid) - cpu0;
          delivered += latencies.length;
          const recorder = new LatencyRecorder(latencies.length);
          record(latencies, recorder);
          const s = recorder.summary();
          perRound.push({
            deltasPerSec: Math.round(latencies.length / seconds),
            deliveredPct: Math.round((latencies.length / (SESSIONS * deltasPerRun)) * 10000) / 100,
            p50Ms: s.p50,
            p99Ms: s.p99,
            rssPeakMiB: peak,
          });
        } finally {
          clearInterval(sampler);
        }
      },
      async finish(): Promise<Measurement> {
        const rssAfter = rssMiB(setup.server.pid);
        await setup.close();
        const pick = (k: keyof StreamsRound) => median(perRound.map((r) => r[k]));
        return {
          figures: {
            deltasPerSec: pick('deltasPerSec'),
            deliveredPct: pick('deliveredPct'),
            p50Ms: pick('p50Ms'),
            p99Ms: pick('p99Ms'),
            rssIdleMiB: rssIdle,
            rssPeakMiB: Math.max(...perRound.map((r) => r.rssPeakMiB)),
            serverCpuUsPerDelta: delivered ? Math.round((cpu / delivered) * 1e7) / 10 : null,
          },
          detail: { sessions: SESSIONS, deltasPerRun, intervalMs: STREAM_INTERVAL_MS, offeredPerSec: (SESSIONS * 1000) / STREAM_INTERVAL_MS, rssAfterMiB: rssAfter, rounds: perRound },
        };
      },
      abort: () => setup.close(),
    };
  },
};
