// Each benchmark case of issues 4–7 runs for a moment against the real gateway (spawned from dist,
// as `pnpm bench` does) and produces sane figures with no errors. Shapes and sanity only: the
// performance targets live in `pnpm bench`, never in tests.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ServerPool, benchCases, benchPaths, connectionsCase, runCase, type CaseContext, type Measurement, type Timing } from '@switchboard/bench';

const ROOT = join(__dirname, '..', '..');
const TIMING: Timing = { rounds: 1, roundSeconds: 0.3, warmupSeconds: 0.1, firstWarmupSeconds: 0.1, coldRuns: 1, repeats: 1, idleSeconds: 0 };

describe('benchmark cases of the later issues', () => {
  const paths = benchPaths(ROOT);
  const pool = new ServerPool(paths);
  const ctx: CaseContext = { timing: TIMING, paths, server: (kind) => pool.get(kind), log: () => {} };
  afterAll(() => pool.stop());

  async function measure(id: string, kinds: Array<'gateway' | 'limit'> = ['gateway']): Promise<Record<string, Measurement>> {
    const spec = benchCases.find((c) => c.id === id)!;
    const outcomes = await runCase(spec, ctx, kinds);
    for (const kind of kinds) expect(outcomes[kind], `${id} against the ${kind}: ${JSON.stringify(outcomes[kind])}`).toHaveProperty('figures');
    return outcomes as Record<string, Measurement>;
  }

  it('idempotent-sends: new keys go through the ledger, retries are answered from it, the limit answers too', async () => {
    const { gateway, limit } = await measure('idempotent-sends', ['gateway', 'limit']);
    expect(gateway.figures.sendsPerSec).toBeGreaterThan(20);
    expect(gateway.figures.replaysPerSec).toBeGreaterThan(20);
    expect(gateway.figures.p99Ms!).toBeGreaterThanOrEqual(gateway.figures.p50Ms!);
    expect(gateway.detail).toMatchObject({ errors: 0 });
    expect(limit.figures.sendsPerSec).toBeGreaterThan(20);
  }, 60_000);

  it('restart-100k: restarts on a store with 100,000 transcript rows and on an empty one', async () => {
    const { gateway } = await measure('restart-100k');
    expect(gateway.figures.restartMs).toBeGreaterThan(0);
    expect(gateway.figures.historyMs!).toBeGreaterThanOrEqual(gateway.figures.restartMs!);
    expect(gateway.figures.emptyRestartMs).toBeGreaterThan(0);
    expect(gateway.detail).toMatchObject({ rows: 100_000 });
    expect(gateway.detail.databaseMiB as number).toBeGreaterThan(5);
  }, 120_000);

  it('agent-delta-latency: every delta the fake provider streams arrives and is timed', async () => {
    const { gateway } = await measure('agent-delta-latency');
    expect(gateway.detail.samples).toBe(gateway.detail.expected);
    expect(gateway.figures.p50Ms).toBeGreaterThan(0);
    expect(gateway.figures.p99Ms!).toBeGreaterThanOrEqual(gateway.figures.p50Ms!);
  }, 60_000);

  it('agent-streams-200: 200 sessions stream at once and every delta is delivered', async () => {
    const { gateway } = await measure('agent-streams-200');
    expect(gateway.figures.deliveredPct).toBe(100);
    expect(gateway.figures.deltasPerSec).toBeGreaterThan(100);
    expect(gateway.figures.rssPeakMiB!).toBeGreaterThanOrEqual(gateway.figures.rssIdleMiB! * 0.5);
  }, 60_000);

  it('signed connects: new devices are paired and handed a token, then reconnect with it and get none', async () => {
    const spec = connectionsCase('signed-smoke', 40, true, benchCases.find((c) => c.id === 'signed-5000')!.figures.slice());
    const { gateway } = (await runCase(spec, ctx, ['gateway'])) as Record<string, Measurement>;
    const [first, again] = gateway.detail.rounds as Array<Record<string, unknown>>;
    expect(first).toMatchObject({ connected: 40, failures: 0, verifiedOk: 40, tokensIssued: 40 });
    expect(again).toMatchObject({ connected: 40, failures: 0, verifiedOk: 40, tokensIssued: 0 });
    expect(gateway.figures.connectsPerSec).toBeGreaterThan(0);
    expect(gateway.figures.firstConnectsPerSec).toBeGreaterThan(0);
  }, 60_000);

  it('node-invoke-1: round trips through a real node host', async () => {
    const { gateway } = await measure('node-invoke-1');
    expect(gateway.figures.invokesPerSec).toBeGreaterThan(5);
    expect(gateway.detail).toMatchObject({ errors: 0 });
  }, 60_000);

  it('telegram-echo: every message of the burst gets its reply through the fake Bot API, and is timed', async () => {
    const { gateway } = await measure('telegram-echo');
    expect(gateway.detail).toMatchObject({ lost: 0 });
    expect(gateway.detail.delivered as number).toBeGreaterThanOrEqual(30);
    expect(gateway.figures.messagesPerSec).toBeGreaterThan(5);
    expect(gateway.figures.p50Ms).toBeGreaterThan(0);
    expect(gateway.figures.p99Ms!).toBeGreaterThanOrEqual(gateway.figures.p50Ms!);
    expect(gateway.figures.rssPeakMiB).toBeGreaterThan(10);
  }, 120_000);
});
