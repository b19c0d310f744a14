/**
 * The health summary: built from contributors (channels, sessions, ...), cached, refreshed on a
 * timer and on demand, versioned, and published as a `health` event after each refresh.
 * Event-loop delay and utilisation come from perf_hooks and cost nothing per request.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import type { HealthSummary } from '@switchboard/protocol';
import { frozenSnapshot } from '../json-cache.js';

/** A part of the daemon that adds to the health summary (channels add `channels`, sessions add `sessions`). */
export type HealthContributor = () => Partial<Omit<HealthSummary, 'ok' | 'ts' | 'durationMs'>>;

const DELAY_DEGRADED_MS = 100;
const UTILIZATION_DEGRADED = 0.9;

export class HealthMonitor {
  private readonly contributors: HealthContributor[] = [];
  private cached: HealthSummary;
  private versionCounter = 1;
  private timer: NodeJS.Timeout | undefined;
  private readonly delay: IntervalHistogram;
  private lastElu = performance.eventLoopUtilization();
  private lastCpu = process.cpuUsage();
  private lastCpuAt = performance.now();

  constructor(private readonly publish: (summary: HealthSummary) => void, private readonly defaultAgentId = 'main') {
    this.delay = monitorEventLoopDelay({ resolution: 20 });
    this.delay.enable();
    this.cached = frozenSnapshot(this.build());
  }

  get version(): number {
    return this.versionCounter;
  }

  addContributor(contributor: HealthContributor): void {
    this.contributors.push(contributor);
  }

  /** The cached summary (immutable; its JSON is serialised once per refresh). */
  summary(): HealthSummary {
    return this.cached;
  }

  /** Rebuilds the summary, bumps the version and publishes it. */
  refresh(): HealthSummary {
    // A frozen snapshot: every health answer reuses its JSON instead of serialising it again.
    this.cached = frozenSnapshot(this.build());
    this.versionCounter++;
    this.publish(this.cached);
    return this.cached;
  }

  /** Refreshes every `intervalMs` until {@link stop}. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => this.refresh(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.delay.disable();
  }

  private build(): HealthSummary {
    const started = performance.now();
    const summary: HealthSummary = {
      ok: true,
      ts: Date.now(),
      durationMs: 0,
      eventLoop: this.eventLoop(),
      channels: {},
      channelOrder: [],
      channelLabels: {},
      defaultAgentId: this.defaultAgentId,
    };
    for (const contribute of this.contributors) {
      try {
        Object.assign(summary, contribute());
      } catch {
        // A broken contributor must not take health down; its section is simply missing.
      }
    }
    summary.durationMs = Math.round(performance.now() - started);
    return summary;
  }

  private eventLoop(): NonNullable<HealthSummary['eventLoop']> {
    const elu = performance.eventLoopUtilization(this.lastElu);
    this.lastElu = performance.eventLoopUtilization();
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const wallMs = Math.max(1, now - this.lastCpuAt);
    this.lastCpu = process.cpuUsage();
    this.lastCpuAt = now;
    const p99 = this.delay.count > 0 ? this.delay.percentile(99) / 1e6 : 0;
    const max = this.delay.count > 0 ? this.delay.max / 1e6 : 0;
    this.delay.reset();
    const reasons: string[] = [];
    // A window shorter than a second (the first summary at boot) says nothing about load.
    if (wallMs < 1_000) return { degraded: false, reasons, intervalMs: Math.round(wallMs), delayP99Ms: round2(p99), delayMaxMs: round2(max), utilization: 0, cpuCoreRatio: 0 };
    if (p99 > DELAY_DEGRADED_MS) reasons.push('event_loop_delay');
    if (elu.utilization > UTILIZATION_DEGRADED) reasons.push('event_loop_utilization');
    return {
      degraded: reasons.length > 0,
      reasons,
      intervalMs: Math.round(wallMs),
      delayP99Ms: round2(p99),
      delayMaxMs: round2(max),
      utilization: round2(elu.utilization),
      cpuCoreRatio: round2((cpu.user + cpu.system) / 1000 / wallMs),
    };
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
