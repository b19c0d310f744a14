/**
 * Latency samples and their summary. Samples go into a preallocated buffer (bounded: beyond its
 * capacity they are counted but not kept), so recording costs no allocation in the hot loop.
 */

/** Percentiles and mean of a set of samples, in milliseconds, rounded to microseconds. */
export interface LatencySummary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export class LatencyRecorder {
  private readonly samples: Float64Array;
  private kept = 0;
  /** Every sample offered, kept or not. */
  count = 0;

  /** @param capacity most samples kept (default two million, 16 MB). */
  constructor(capacity = 2_000_000) {
    this.samples = new Float64Array(capacity);
  }

  add(ms: number): void {
    this.count++;
    if (this.kept < this.samples.length) this.samples[this.kept++] = ms;
  }

  summary(): LatencySummary {
    return summarize(this.samples.subarray(0, this.kept));
  }

  /** Adds every kept sample to `other` (pooling rounds). */
  copyInto(other: LatencyRecorder): void {
    for (let i = 0; i < this.kept; i++) other.add(this.samples[i]);
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The nearest-rank percentile of sorted samples (NaN when there are none). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Summarises samples (not modified). */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const s of sorted) sum += s;
  return {
    n: sorted.length,
    mean: round3(sorted.length ? sum / sorted.length : NaN),
    p50: round3(percentile(sorted, 50)),
    p90: round3(percentile(sorted, 90)),
    p99: round3(percentile(sorted, 99)),
    max: round3(sorted.length ? sorted[sorted.length - 1] : NaN),
  };
}

/** The median of a few numbers. */
export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}
