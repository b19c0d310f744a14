/**
 * Event fan-out: N listener connections and one driver that calls `talk.mode` one call after
 * another; every call makes the server broadcast a `talk.mode` event to every listener. Per round:
 * the timed calls, then a bounded drain. Delivered events per second (until the last delivery)
 * and send-to-delivery latency: each figure is the median over the rounds.
 */
import { closeAll, DEFAULT_SCOPES, failureSummary, openMany, BenchConnection, type EventFrame, type OpenManyResult } from '../client.js';
import { cpuSeconds } from '../proc.js';
import type { BenchServer } from '../servers.js';
import { LatencyRecorder, median } from '../stats.js';
import { sleep, type BenchCase, type CaseRun, type Measurement, type Timing } from './types.js';

/** Upper bound on broadcasts per round, whatever the speed. */
const MAX_BROADCASTS = 1_000_000;
/** How long to wait for deliveries to stop after the last call of a round. */
const DRAIN_MS = 15_000;

interface RoundFigures {
  eventsPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

/** One fan-out run against one server: listeners, the driver, and what the rounds measured. */
class FanoutRun implements CaseRun {
  private readonly sentAt = new Map<string, number>();
  private recorder = new LatencyRecorder(1);
  private readonly pooled = new LatencyRecorder(4_000_000);
  private readonly perRound: RoundFigures[] = [];
  private readonly totals = { sent: 0, expected: 0, delivered: 0, seconds: 0, sendSeconds: 0, serverCpuSeconds: 0, errors: [] as string[] };
  private measuring = false;
  private delivered = 0;
  private lastDeliveryAt = 0;
  private tagCounter = 0;
  private closed = false;

  constructor(
    private readonly server: BenchServer,
    private readonly opened: OpenManyResult,
    private readonly driver: BenchConnection,
    private readonly timing: Timing,
  ) {
    for (const c of opened.conns) c.onEvent = (frame) => this.onEvent(frame);
  }

  private onEvent(frame: EventFrame): void {
    if (!this.measuring || frame.event !== 'talk.mode') return;
    this.delivered++;
    this.lastDeliveryAt = performance.now();
    const sent = this.sentAt.get(frame.payload?.phase);
    if (sent !== undefined) this.recorder.add(this.lastDeliveryAt - sent);
  }

  /** Calls talk.mode one call after another until `until`; returns how many calls succeeded. */
  private async broadcast(until: number): Promise<number> {
    let sent = 0;
    while (performance.now() < until && sent < MAX_BROADCASTS && !this.driver.closed) {
      const tag = `b${this.tagCounter++}`;
      this.sentAt.set(tag, performance.now());
      const answer = await this.driver.request('talk.mode', { enabled: true, phase: tag })
        .catch((err: Error) => ({ ok: false, error: { code: 'CLIENT', message: err.message } }));
      if (answer.ok) sent++;
      else this.totals.errors.push(`${answer.error?.code}: ${answer.error?.message}`);
    }
    return sent;
  }

  /** Waits (bounded) until every expected event arrived or deliveries stopped growing. */
  private async drain(expected: number): Promise<void> {
    const end = performance.now() + DRAIN_MS;
    let last = -1;
    while (this.delivered < expected && this.delivered !== last && performance.now() < end) {
      last = this.delivered;
      await sleep(250);
    }
  }

  async round(): Promise<void> {
    await sleep(250); // connect-time events settle
    this.delivered = 0;
    this.recorder = new LatencyRecorder(2_000_000);
    this.sentAt.clear();
    this.measuring = true;
    const cpuBefore = cpuSeconds(this.server.pid);
    const t0 = performance.now();
    const sent = await this.broadcast(t0 + this.timing.roundSeconds * 1000);
    const sendSeconds = (performance.now() - t0) / 1000;
    const expected = sent * this.opened.conns.length;
    await this.drain(expected);
    this.measuring = false;
    const seconds = Math.max(sendSeconds, (this.lastDeliveryAt - t0) / 1000);
    const latency = this.recorder.summary();
    this.recorder.copyInto(this.pooled);
    this.perRound.push({ eventsPerSec: Math.round(this.delivered / seconds), latencyP50Ms: latency.p50, latencyP99Ms: latency.p99 });
    Object.assign(this.totals, {
      serverCpuSeconds: this.totals.serverCpuSeconds + cpuSeconds(this.server.pid) - cpuBefore,
      sent: this.totals.sent + sent,
      expected: this.totals.expected + expected,
      delivered: this.totals.delivered + this.delivered,
      sendSeconds: this.totals.sendSeconds + sendSeconds,
      seconds: this.totals.seconds + seconds,
    });
    if (this.driver.closed) throw new Error(`the driver's connection closed: ${this.driver.closeInfo}`);
  }

  async finish(): Promise<Measurement> {
    await this.abort();
    const t = this.totals;
    const pick = (k: keyof RoundFigures) => median(this.perRound.map((r) => r[k]));
    return {
      rounds: this.perRound.map((r) => ({ ...r })),
      // The median round: a burst of outside load in one round does not decide the figure.
      figures: {
        eventsPerSec: pick('eventsPerSec'),
        latencyP50Ms: pick('latencyP50Ms'),
        latencyP99Ms: pick('latencyP99Ms'),
        deliveredPct: t.expected ? Math.round((t.delivered / t.expected) * 10000) / 100 : null,
        serverCpuUsPerEvent: t.delivered ? Math.round((t.serverCpuSeconds / t.delivered) * 1e7) / 10 : null,
      },
      detail: {
        listeners: this.opened.conns.length,
        connectFailures: failureSummary(this.opened.failures),
        broadcasts: t.sent,
        broadcastsPerSec: Math.round(t.sent / t.sendSeconds),
        sendErrors: failureSummary(t.errors),
        delivered: t.delivered,
        expected: t.expected,
        seconds: Math.round(t.seconds * 1000) / 1000,
        rounds: this.perRound,
        allRounds: { eventsPerSec: Math.round(t.delivered / t.seconds), latencyMs: this.pooled.summary() },
        serverCpuPct: Math.round((t.serverCpuSeconds / t.seconds) * 100),
      },
    };
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeAll([this.driver, ...this.opened.conns]);
    await sleep(500);
  }
}

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
      try {
        return new FanoutRun(server, opened, await BenchConnection.open(options), ctx.timing);
      } catch (err) {
        await closeAll(opened.conns);
        throw err;
      }
    },
  };
}

export const fanout1000Case = fanoutCase('fanout-1000', 1000);
