/**
 * What a benchmark case is. The harness runs every registered case against the gateway and against
 * the bare-`ws` limit in the same run, then puts each figure beside the limit, the ratio, the
 * issue's target and the OpenClaw baseline. A case is one file in this folder plus one line in
 * `index.ts`.
 */
import type { BenchPaths, BenchServer, ServerKind } from '../servers.js';

/** A goal from the issue, checked against the gateway's figure or its ratio to the limit. */
export interface FigureTarget {
  on: 'value' | 'ratio';
  op: '<' | '>=';
  threshold: number;
  /** As the issue states it, e.g. "< 0.5 s" or "≥ 70 % of the limit". */
  text: string;
}

/** One figure a case reports. */
export interface FigureSpec {
  key: string;
  label: string;
  unit: 'ms' | 'µs' | 'MiB' | 'req/s' | 'conn/s' | 'events/s' | 'deltas/s' | 'msg/s' | '%';
  better: 'higher' | 'lower';
  target?: FigureTarget;
  /** OpenClaw 2026.9.6 on a 2-core machine, from ../shared/bench/README.md. */
  openclaw?: string;
}

/** What one run of a case against one server produced. */
export interface Measurement {
  /** By FigureSpec.key; null when it could not be measured. */
  figures: Record<string, number | null>;
  /** Everything else worth keeping in the JSON (errors, counts, CPU). */
  detail: Record<string, unknown>;
  /**
   * The figures of each round, in round order. When both servers have them, the report's ratio is
   * the median of the per-round ratios (each gateway round against the limit round next to it in
   * time), which outside load shifts far less than a ratio of totals.
   */
  rounds?: Array<Record<string, number | null>>;
}

/** Durations and repetitions; `--quick` shortens them. */
export interface Timing {
  /** Measured rounds per server for load cases; gateway and limit alternate round by round. */
  rounds: number;
  /** Timed seconds of each round. */
  roundSeconds: number;
  /** Warm-up before each round (not measured). */
  warmupSeconds: number;
  /** Warm-up before the first round, while a fresh server's hot paths are still being optimised. */
  firstWarmupSeconds: number;
  /** Cold starts per server (the median is reported). */
  coldRuns: number;
  /** Repetitions of one-shot cases such as 5,000 connections (the median is reported). */
  repeats: number;
  /** Idle time before reading idle RSS. */
  idleSeconds: number;
}

export const FULL_TIMING: Timing = { rounds: 7, roundSeconds: 1.5, warmupSeconds: 0.25, firstWarmupSeconds: 2, coldRuns: 7, repeats: 3, idleSeconds: 10 };
export const QUICK_TIMING: Timing = { rounds: 3, roundSeconds: 0.5, warmupSeconds: 0.1, firstWarmupSeconds: 0.5, coldRuns: 3, repeats: 1, idleSeconds: 3 };

/** What a case gets from the harness. */
export interface CaseContext {
  readonly timing: Timing;
  readonly paths: BenchPaths;
  /** The long-lived server of this kind, started on first use and shared by the cases. */
  server(kind: ServerKind): Promise<BenchServer>;
  log(message: string): void;
}

/** A case in progress against one server. */
export interface CaseRun {
  /** One measured round. Must bound every loop in time and count. */
  round(index: number): Promise<void>;
  /** Combines the rounds into figures and releases what the run opened. */
  finish(): Promise<Measurement>;
  /** Releases what the run opened after a failure. Idempotent. */
  abort(): Promise<void>;
}

/**
 * One benchmark. The harness starts a run against the gateway and one against the limit, then
 * alternates their rounds (g, l, l, g, g, l, …) so a burst of load from elsewhere on the shared
 * machine hits both alike, and finally asks each for its figures.
 */
export interface BenchCase {
  /** Stable id used in results and `--only`. */
  readonly id: string;
  readonly title: string;
  /** One or two sentences for docs and the report: what is measured and how. */
  readonly description: string;
  readonly figures: readonly FigureSpec[];
  /**
   * Set when the bare limit has no counterpart (it has no store, no agent): why, in a few words.
   * The case then runs against the gateway alone and the report says so instead of a limit figure.
   */
  readonly gatewayOnly?: string;
  /** How many rounds to run with this timing. */
  rounds(timing: Timing): number;
  /** Prepares a run against one kind of server (opens connections, makes keys, ...). */
  start(kind: ServerKind, ctx: CaseContext): Promise<CaseRun>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
