/**
 * Turns measurements into the results document (JSON) and its markdown tables: every figure
 * beside the bare limit and the ratio, the issue's targets with pass/fail, the OpenClaw baseline,
 * and — with `--referee` — the shared gateway-load.mjs figures beside the harness's.
 */
import type { MachineInfo } from './proc.js';
import { median } from './stats.js';
import type { BenchCase, FigureSpec, FigureTarget, Measurement, Timing } from './cases/types.js';

/** A case's outcome against one server: its measurement or why it failed. */
export type Outcome = Measurement | { error: string };

/** One figure's row. */
export interface FigureRow {
  key: string;
  label: string;
  unit: FigureSpec['unit'];
  gateway: number | null;
  limit: number | null;
  /** gateway / limit. */
  ratio: number | null;
  target?: FigureTarget;
  /** null when the figure could not be measured. */
  pass?: boolean | null;
  openclaw?: string;
  /** The shared gateway-load.mjs figures for the same thing, when `--referee` ran. */
  referee?: { gateway: number | null; limit: number | null };
}

export interface CaseResult {
  id: string;
  title: string;
  description: string;
  rows: FigureRow[];
  gateway: Outcome;
  /** Absent for a gateway-only case. */
  limit?: Outcome;
  /** Why the limit has no counterpart, for a gateway-only case. */
  gatewayOnly?: string;
  referee?: { gateway?: unknown; limit?: unknown };
  /** Long-lived servers that exited on their own during this case (a crash is a finding). */
  serverExits?: string[];
}

export interface BenchResults {
  tool: 'switchboard pnpm bench';
  quick: boolean;
  referee: boolean;
  machine: MachineInfo;
  timing: Timing;
  durationSeconds: number;
  loadAverageAtEnd: number[];
  cases: CaseResult[];
}

const figureOf = (o: Outcome | undefined, key: string): number | null => (o && 'figures' in o ? o.figures[key] ?? null : null);

/**
 * The median of gateway/limit over rounds run next to each other in time, when both outcomes have
 * per-round figures for `key`; undefined otherwise.
 */
export function pairedRatio(gateway: Outcome, limit: Outcome | undefined, key: string): number | undefined {
  const g = 'rounds' in gateway ? gateway.rounds : undefined;
  const l = limit && 'rounds' in limit ? limit.rounds : undefined;
  if (!g || !l || g.length === 0 || g.length !== l.length) return undefined;
  const ratios: number[] = [];
  for (let i = 0; i < g.length; i++) {
    const a = g[i][key];
    const b = l[i][key];
    if (typeof a !== 'number' || typeof b !== 'number' || b === 0) return undefined;
    ratios.push(a / b);
  }
  return Math.round(median(ratios) * 1000) / 1000;
}

/** Whether `value` meets `target`. */
export function meets(target: FigureTarget, value: number): boolean {
  return target.op === '<' ? value < target.threshold : value >= target.threshold;
}

/**
 * Builds one case's rows from its two outcomes (and referee figures, keyed like the case's); a
 * gateway-only case has no limit outcome.
 */
export function caseResult(spec: BenchCase, gateway: Outcome, limit: Outcome | undefined, referee?: { gateway?: Outcome; limit?: Outcome }): CaseResult {
  const rows = spec.figures.map((f): FigureRow => {
    const g = figureOf(gateway, f.key);
    const l = figureOf(limit, f.key);
    const ratio = pairedRatio(gateway, limit, f.key) ?? (g !== null && l !== null && l !== 0 ? Math.round((g / l) * 1000) / 1000 : null);
    const row: FigureRow = { key: f.key, label: f.label, unit: f.unit, gateway: g, limit: l, ratio };
    if (f.target) {
      const value = f.target.on === 'ratio' ? ratio : g;
      row.target = f.target;
      row.pass = value === null ? null : meets(f.target, value);
    }
    if (f.openclaw) row.openclaw = f.openclaw;
    const byReferee = referee && { gateway: figureOf(referee.gateway, f.key), limit: figureOf(referee.limit, f.key) };
    if (byReferee && (byReferee.gateway !== null || byReferee.limit !== null)) row.referee = byReferee;
    return row;
  });
  return {
    id: spec.id, title: spec.title, description: spec.description, rows, gateway,
    ...(limit ? { limit } : {}),
    ...(spec.gatewayOnly ? { gatewayOnly: spec.gatewayOnly } : {}),
    ...(referee ? { referee: { gateway: referee.gateway, limit: referee.limit } } : {}),
  };
}

/** Formats a figure with its unit. */
export function formatFigure(value: number | null | undefined, unit: FigureSpec['unit']): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const grouped = (x: number) => Math.round(x).toLocaleString('en-US');
  switch (unit) {
    case 'ms':
      return value < 10 ? `${value.toFixed(3)} ms` : value < 100 ? `${value.toFixed(1)} ms` : `${grouped(value)} ms`;
    case 'µs':
      return `${value < 100 ? value.toFixed(1) : grouped(value)} µs`;
    case 'MiB':
      return `${value.toFixed(1)} MiB`;
    case '%':
      return `${value.toFixed(2)} %`;
    default:
      return `${grouped(value)} ${unit}`;
  }
}

const ratioText = (r: number | null): string => (r === null ? '—' : `${Math.round(r * 100)} %`);
/** The limit's cell: its figure, or "n/a" where the limit has no counterpart. */
const limitText = (c: CaseResult, r: FigureRow): string => (c.gatewayOnly ? 'n/a' : formatFigure(r.limit, r.unit));
const RATIO_NOTE = 'Ratio: Switchboard ÷ limit; for figures measured in rounds, the median of the per-round ratios (each gateway round against the limit round beside it in time).';
const passText = (p: boolean | null | undefined): string => (p === undefined ? '' : p === null ? 'not measured' : p ? '**pass**' : '**FAIL**');
const errorOf = (o: Outcome | undefined): string | undefined => (o && 'error' in o ? o.error : undefined);

/** The markdown report. */
export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const t = results.timing;
  const lines = [
    '# Switchboard benchmarks',
    '',
    `${results.quick ? 'Quick run (`pnpm bench --quick`, shortened phases — not for comparison)' : 'Full run (`pnpm bench`)'}` +
      ` on ${m.date.slice(0, 10)}: ${m.cores} cores (${m.cpuModel}), ${m.totalMemMiB.toLocaleString('en-US')} MiB, Node ${m.node}, ${m.platform}` +
      `${m.commit ? `, commit ${m.commit}` : ''}. Load average ${m.loadAverageAtStart.join(' / ')} at the start and ${results.loadAverageAtEnd.join(' / ')} at the end` +
      ' — the machine is shared with other developers, so absolute figures drift; the ratio to the bare limit measured in the same run is the figure to read.',
    `Load cases: ${t.rounds} rounds of ${t.roundSeconds} s per server (after ${t.warmupSeconds} s warm-up each, ${t.firstWarmupSeconds} s before the first), gateway and limit alternating round by round, each figure the median round;` +
      ` ${t.coldRuns} cold starts and ${t.repeats} repeat${t.repeats === 1 ? '' : 's'} of the connection cases per server (medians); idle RSS after ${t.idleSeconds} s. Whole run ${Math.round(results.durationSeconds)} s.`,
    '',
    '## Targets (from the issues)',
    '',
    RATIO_NOTE,
    '',
    '| figure | target | Switchboard | bare ws limit | ratio | result |',
    '|---|---|---|---|---|---|',
  ];
  for (const c of results.cases) {
    for (const r of c.rows.filter((row) => row.target)) {
      lines.push(`| ${r.label} | ${r.target!.text} | ${formatFigure(r.gateway, r.unit)} | ${limitText(c, r)} | ${ratioText(r.ratio)} | ${passText(r.pass)} |`);
    }
  }
  lines.push('', '## Every figure', '', '| case | figure | Switchboard | bare ws limit | ratio | OpenClaw 2026.9.6 |', '|---|---|---|---|---|---|');
  for (const c of results.cases) {
    for (const r of c.rows) {
      lines.push(`| ${c.id} | ${r.label} | ${formatFigure(r.gateway, r.unit)} | ${limitText(c, r)} | ${ratioText(r.ratio)} | ${r.openclaw ?? ''} |`);
    }
  }
  lines.push('', 'OpenClaw figures are the baseline in `../shared/bench/README.md` (same kind of 2-core machine, not this run); empty where it has none.');
  const gatewayOnly = results.cases.filter((c) => c.gatewayOnly);
  if (gatewayOnly.length) {
    lines.push('', 'Measured against the gateway alone (n/a), because the bare limit has no counterpart:', '', ...gatewayOnly.map((c) => `- ${c.id}: ${c.gatewayOnly}`));
  }
  const failed: string[] = [];
  for (const c of results.cases) {
    const outcomes: Array<[string, unknown]> = [['the gateway', c.gateway], ['the limit', c.limit], ['the gateway (referee)', c.referee?.gateway], ['the limit (referee)', c.referee?.limit]];
    for (const [who, o] of outcomes) {
      const err = o ? errorOf(o as Outcome) : undefined;
      if (err) failed.push(`- ${c.id} against ${who}: ${err}`);
    }
  }
  for (const c of results.cases) for (const exit of c.serverExits ?? []) failed.push(`- during ${c.id}: ${exit.replace(/\s+/g, ' ')}`);
  if (failed.length) lines.push('', '## Runs that failed', '', ...failed);
  if (results.referee) {
    lines.push('', '## Cross-check: `../shared/bench/gateway-load.mjs` against the same servers', '',
      '| case | figure | harness: Switchboard | referee: Switchboard | harness: limit | referee: limit |', '|---|---|---|---|---|---|');
    for (const c of results.cases) {
      for (const r of c.rows.filter((row) => row.referee)) {
        lines.push(`| ${c.id} | ${r.label} | ${formatFigure(r.gateway, r.unit)} | ${formatFigure(r.referee!.gateway, r.unit)} | ${formatFigure(r.limit, r.unit)} | ${formatFigure(r.referee!.limit, r.unit)} |`);
      }
    }
  }
  lines.push('', 'Case by case: see `docs/benchmarks.md`; every number above is also in the JSON beside this file, with errors, CPU and sample counts.', '');
  return lines.join('\n');
}
