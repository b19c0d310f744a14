/**
 * Event fan-out: N listener connections and one driver that calls `talk.mode` one call after
 * another; every call makes the server broadcast a `talk.mode` event to every listener. Per round:
 * the timed calls, then a bounded drain. Delivered events per second (until the last delivery)
 * and send-to-delivery latency: each figure is the median over the rounds.
 */
import { closeAll, DEFAULT_SCOPES, failureSummary, openMany, BenchConnection } from '../client.js';
import { cpuSeconds } from '../proc.js';
import { LatencyRecorder, median } from '../stats.js';
import { sleep, type BenchCase, type CaseRun } from './types.js';

/** Upper bound on broadcasts per round, whatever the speed. */
const MAX_BROADCASTS = 1_000_000;
/** How long to wait for deliveries to stop after the last call of a round. */
const DRAIN_MS = 15_000;

export function fanoutCase(id: string, listeners: number): BenchCase {
  const n = listeners.toLocaleString('en-US');
  return {
    id,
    title: `event fan-out to ${n} listeners`,
    description: `${listeners} listeners and one driver calling talk.mode sequentially; each call broadcasts a talk.mode event to every listener. Rate counted until the last delivery of each round.`,
    figures: [
      { key: 'eventsPerSec', label: `fan-out to ${n}: delivered events/s`, unit: 'events/s', better: 'higher', openclaw: '75–91k events/s (client-bound)' },
      { key: 'latencyP50Ms', label: 'fan-out delivery latency p50', unit: 'ms', better: 'lower' },
      { key: 'latencyP99Ms', label: 'fan-out delivery latency p99', unit: 'ms', better: 'lower' },
      { key: 'deliveredPct', label: 'fan-out events delivered', unit: '%', better: 'higher' },
      { key: 'serverCpuUsPerEvent', label: 'fan-out server CPU per delivered event', unit: 'µs', better: 'lower' },
    ],
    rounds: (timing) => timing.rounds,
    async start(kind, ctx): Promise<CaseRun> {
      const server = await ctx.server(kind);
      const options = { url: server.url, token: server.token, scopes: DEFAULT_SCOPES };
      const opened = await openMany(listeners, 25, () => options);
      const conns = [...opened.conns];
      let closed = false;
      const release = async () => {
        if (closed) return;
        closed = true;
        await closeAll(conns);
        await sleep(500);
      };
      const sentAt = new Map<string, number>();
      let recorder = new LatencyRecorder(1);
      const pooled = new LatencyRecorder(4_000_000);
      const perRound: Array<{ eventsPerSec: number; latencyP50Ms: number; latencyP99Ms: number }> = [];
      let measuring = false;
      let delivered = 0;
      let lastDeliveryAt = 0;
      for (const c of opened.conns) {
        c.onEvent = (frame) => {
          if (!measuring || frame.event !== 'talk.mode') return;
          delivered++;
          lastDeliveryAt = performance.now();
          const sent = sentAt.get(frame.payload?.phase);
          if (sent !== undefined) recorder.add(lastDeliveryAt - sent);
        };
      }
      let driver: BenchConnection;
      try {
        driver = await BenchConnection.open(options);
        conns.push(driver);
      } catch (err) {
        await release();
        throw err;
      }
      const totals = { sent: 0, expected: 0, delivered: 0, seconds: 0, sendSeconds: 0, serverCpuSeconds: 0, errors: [] as string[] };
      let tagCounter = 0;
      return {
        async round() {
          await sleep(250); // connect-time events settle
          delivered = 0;
          recorder = new LatencyRecorder(2_000_000);
          measuring = true;
          sentAt.clear();
          const cpuBefore = cpuSeconds(server.pid);
          const t0 = performance.now();
          const until = t0 + ctx.timing.roundSeconds * 1000;
          let sent = 0;
          while (performance.now() < until && sent < MAX_BROADCASTS && !driver.closed) {
            const tag = `b${tagCounter++}`;
            sentAt.set(tag, performance.now());
            const answer = await driver.request('talk.mode', { enabled: true, phase: tag })
              .catch((err: Error) => ({ ok: false, error: { code: 'CLIENT', message: err.message } }));
            if (answer.ok) sent++;
            else totals.errors.push(`${answer.error?.code}: ${answer.error?.message}`);
          }
          const sendSeconds = (performance.now() - t0) / 1000;
          const expected = sent * opened.conns.length;
          const drainEnd = performance.now() + DRAIN_MS;
          let last = -1;
          while (delivered < expected && delivered !== last && performance.now() < drainEnd) {
            last = delivered;
            await sleep(250);
          }
          measuring = false;
          totals.serverCpuSeconds += cpuSeconds(server.pid) - cpuBefore;
          totals.sent += sent;
          totals.expected += expected;
          totals.delivered += delivered;
          totals.sendSeconds += sendSeconds;
          const roundSeconds = Math.max(sendSeconds, (lastDeliveryAt - t0) / 1000);
          totals.seconds += roundSeconds;
          const latency = recorder.summary();
          recorder.copyInto(pooled);
          perRound.push({ eventsPerSec: Math.round(delivered / roundSeconds), latencyP50Ms: latency.p50, latencyP99Ms: latency.p99 });
          if (driver.closed) throw new Error(`the driver's connection closed: ${driver.closeInfo}`);
        },
        async finish() {
          await release();
          const pick = (k: 'eventsPerSec' | 'latencyP50Ms' | 'latencyP99Ms') => median(perRound.map((r) => r[k]));
          return {
            rounds: perRound,
            // The median round: a burst of outside load in one round does not decide the figure.
            figures: {
              eventsPerSec: pick('eventsPerSec'),
              latencyP50Ms: pick('latencyP50Ms'),
              latencyP99Ms: pick('latencyP99Ms'),
              deliveredPct: totals.expected ? Math.round((totals.delivered / totals.expected) * 10000) / 100 : null,
              serverCpuUsPerEvent: totals.delivered ? Math.round((totals.serverCpuSeconds / totals.delivered) * 1e7) / 10 : null,
            },
            detail: {
              listeners: opened.conns.length,
              connectFailures: failureSummary(opened.failures),
              broadcasts: totals.sent,
              broadcastsPerSec: Math.round(totals.sent / totals.sendSeconds),
              sendErrors: failureSummary(totals.errors),
              delivered: totals.delivered,
              expected: totals.expected,
              seconds: Math.round(totals.seconds * 1000) / 1000,
              allRounds: { eventsPerSec: Math.round(totals.delivered / totals.seconds), latencyMs: pooled.summary() },
              serverCpuPct: Math.round((totals.serverCpuSeconds / totals.seconds) * 100),
            },
          };
        },
        abort: release,
      };
    },
  };
}

export const fanout1000Case = fanoutCase('fanout-1000', 1000);
