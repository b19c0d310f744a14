// Smoke test of the benchmark harness: one short request-rate case against the real gateway
// (spawned from dist, as `pnpm bench` does). Checks the result's shape and that the values are
// sane — never performance targets (those live in `pnpm bench`).
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';
import {
  ServerPool, benchCases, benchPaths, caseResult, pairedRatio, renderMarkdown, requestRateCase, runCase,
  type CaseContext, type Measurement, type Timing,
} from '@switchboard/bench';

const ROOT = join(__dirname, '..', '..');
const TIMING: Timing = { rounds: 1, roundSeconds: 1, warmupSeconds: 0.2, firstWarmupSeconds: 0.2, coldRuns: 1, repeats: 1, idleSeconds: 0 };

describe('pnpm bench harness', () => {
  const paths = benchPaths(ROOT);
  const pool = new ServerPool(paths);
  afterAll(() => pool.stop());

  it('runs a request-rate case for a second against the real gateway and reports sane figures', async () => {
    const spec = requestRateCase('rr-smoke', 2, { rate: '', p50: '', p99: '' });
    const ctx: CaseContext = { timing: TIMING, paths, server: (kind) => pool.get(kind), log: () => {} };
    const outcomes = await runCase(spec, ctx, ['gateway']);
    const m = outcomes.gateway as Measurement;
    expect(m, JSON.stringify(outcomes.gateway)).toHaveProperty('figures');
    expect(Object.keys(m.figures).sort()).toEqual(['p50Ms', 'p99Ms', 'reqPerSec', 'serverCpuUsPerReq']);
    expect(m.figures.reqPerSec).toBeGreaterThan(50);
    expect(m.figures.p50Ms).toBeGreaterThan(0);
    expect(m.figures.p99Ms!).toBeGreaterThanOrEqual(m.figures.p50Ms!);
    expect(m.figures.serverCpuUsPerReq).toBeGreaterThan(0);
    expect(m.detail).toMatchObject({ clients: 2, errors: 0 });
    expect(m.detail.requests as number).toBeGreaterThan(50);
    expect(m.detail.seconds as number).toBeGreaterThan(0.9);
    expect(m.detail.seconds as number).toBeLessThan(3);

    // The report puts it beside a limit, computes the ratio and renders a table row.
    const limit: Measurement = { figures: { reqPerSec: m.figures.reqPerSec! * 2, p50Ms: 0.01, p99Ms: 0.02, serverCpuUsPerReq: 5 }, detail: {} };
    const result = caseResult(spec, m, limit);
    expect(result.rows.find((r) => r.key === 'reqPerSec')!.ratio).toBe(0.5);
    const md = renderMarkdown({
      tool: 'switchboard pnpm bench', quick: true, referee: false, timing: TIMING, durationSeconds: 1, loadAverageAtEnd: [0, 0, 0], cases: [result],
      machine: { cores: 2, cpuModel: 'test', totalMemMiB: 1, node: process.version, platform: 'linux-x64', loadAverageAtStart: [0, 0, 0], date: '2026-01-01T00:00:00Z', commit: null },
    });
    expect(md).toContain('| rr-smoke | 2-client health req/s |');
    expect(md).toContain('| 50 % |');
  }, 60_000);

  it('moves a fast client to a fresh connection before the gateway\'s request budget closes it', async () => {
    // 300 requests per minute: without moving on, the connection would be closed after 300.
    const gw = await startTestGateway({ limits: { requestBudget: { maxRequests: 300, windowMs: 60_000 } } });
    try {
      const server = { kind: 'gateway' as const, url: gw.url, token: gw.token, pid: process.pid };
      const ctx: CaseContext = { timing: { ...TIMING, roundSeconds: 1, warmupSeconds: 0, firstWarmupSeconds: 0 }, paths, server: async () => server, log: () => {} };
      const m = (await runCase(requestRateCase('rr-budget', 1, { rate: '', p50: '', p99: '' }), ctx, ['gateway'])).gateway as Measurement;
      expect(m.detail, JSON.stringify(m)).toMatchObject({ errors: 0 });
      expect(m.detail.requests as number).toBeGreaterThan(700); // at least two moves (each at 240 requests)
    } finally {
      await gw.close();
    }
  }, 30_000);

  it('takes the ratio as the median of per-round ratios, so one noisy pair of rounds cannot decide it', () => {
    const rounds = (values: number[]) => values.map((v) => ({ reqPerSec: v }));
    const gateway: Measurement = { figures: { reqPerSec: 900 }, detail: {}, rounds: rounds([900, 100, 950, 880, 1000]) };
    const limit: Measurement = { figures: { reqPerSec: 1000 }, detail: {}, rounds: rounds([1000, 1000, 1000, 1000, 1000]) };
    expect(pairedRatio(gateway, limit, 'reqPerSec')).toBe(0.9);
    expect(pairedRatio(gateway, { ...limit, rounds: rounds([1000]) }, 'reqPerSec')).toBeUndefined();
    expect(pairedRatio(gateway, { error: 'x' }, 'reqPerSec')).toBeUndefined();
  });

  it('registers every case the issue asks for, each with figures and the issue targets', () => {
    expect(benchCases.map((c) => c.id)).toEqual([
      'cold-start', 'rr-1', 'rr-50', 'connect-5000', 'fanout-1000', 'signed-5000',
      'node-invoke-1', 'node-invoke-8', 'idempotent-sends', 'restart-100k', 'agent-delta-latency', 'agent-streams-200', 'telegram-echo',
    ]);
    const targets = benchCases.flatMap((c) => c.figures.filter((f) => f.target).map((f) => `${c.id}.${f.key} ${f.target!.text}`));
    expect(targets).toEqual([
      'cold-start.coldStartMs < 0.5 s',
      'cold-start.idleRssMiB < 90 MiB',
      'rr-1.reqPerSec ≥ 70 % of the limit',
      'rr-50.reqPerSec ≥ 60 % of the limit',
      'rr-50.p99Ms < 3 ms',
      'connect-5000.totalMs < 4 s',
      'signed-5000.connectsPerSec ≥ 2,000/s',
      'signed-5000.firstConnectsPerSec ≥ 2,000/s',
      'agent-delta-latency.p99Ms < 2 ms',
    ]);
    // Cases without a counterpart in the bare limit say why; every other case runs against both.
    expect(benchCases.filter((c) => c.gatewayOnly).map((c) => c.id)).toEqual(['restart-100k', 'agent-delta-latency', 'agent-streams-200', 'telegram-echo']);
  });

  it('reports a gateway-only case without a limit figure, and not as a failed run', () => {
    const spec = benchCases.find((c) => c.id === 'restart-100k')!;
    const gateway: Measurement = { figures: { restartMs: 300, historyMs: 320, emptyRestartMs: 290 }, detail: {} };
    const result = caseResult(spec, gateway, undefined);
    expect(result.gatewayOnly).toBe(spec.gatewayOnly);
    expect(result.rows.every((r) => r.limit === null && r.ratio === null)).toBe(true);
    const md = renderMarkdown({
      tool: 'switchboard pnpm bench', quick: true, referee: false, timing: TIMING, durationSeconds: 1, loadAverageAtEnd: [0, 0, 0], cases: [result],
      machine: { cores: 2, cpuModel: 'test', totalMemMiB: 1, node: process.version, platform: 'linux-x64', loadAverageAtStart: [0, 0, 0], date: '2026-01-01T00:00:00Z', commit: null },
    });
    expect(md).toContain('| restart-100k | restart with 100k transcript rows, spawn → first answered health | 300 ms | n/a | — |');
    expect(md).toContain(`- restart-100k: ${spec.gatewayOnly}`);
    expect(md).not.toContain('Runs that failed');
  });
});
