/**
 * Cold start: spawn → first answered `health`, over several fresh processes (each with a new state
 * directory); the median is reported. Idle RSS: one more fresh process, read after it idled.
 */
import { median } from '../stats.js';
import { rssMiB } from '../proc.js';
import { spawnServer, waitUntilAnswering, type ServerKind } from '../servers.js';
import { sleep, type BenchCase, type CaseContext, type CaseRun } from './types.js';

async function idleRss(kind: ServerKind, ctx: CaseContext): Promise<number | null> {
  const server = await spawnServer(ctx.paths, kind);
  try {
    await waitUntilAnswering(server);
    await sleep(ctx.timing.idleSeconds * 1000);
    return rssMiB(server.pid);
  } finally {
    await server.stop();
  }
}

export const coldStartCase: BenchCase = {
  id: 'cold-start',
  title: 'Cold start and idle memory',
  description: 'Spawns a fresh process (new state directory) and polls connect + health every 10 ms until one is answered; the median over several starts. Idle RSS is read from a fresh process that answered one health request and then idled.',
  figures: [
    { key: 'coldStartMs', label: 'cold start, spawn → first answered health (median)', unit: 'ms', better: 'lower', target: { on: 'value', op: '<', threshold: 500, text: '< 0.5 s' }, openclaw: '9.5 s (7.1–10.6)' },
    { key: 'idleRssMiB', label: 'idle RSS after the idle period', unit: 'MiB', better: 'lower', target: { on: 'value', op: '<', threshold: 90, text: '< 90 MiB' }, openclaw: '~780 MiB' },
  ],
  rounds: (timing) => timing.coldRuns,
  async start(kind, ctx): Promise<CaseRun> {
    const runs: number[] = [];
    return {
      async round() {
        const server = await spawnServer(ctx.paths, kind);
        try {
          runs.push(Math.round(await waitUntilAnswering(server)));
        } finally {
          await server.stop();
        }
      },
      async finish() {
        return {
          rounds: runs.map((ms) => ({ coldStartMs: ms })),
          figures: { coldStartMs: median(runs), idleRssMiB: await idleRss(kind, ctx) },
          detail: { runsMs: runs, idleSeconds: ctx.timing.idleSeconds },
        };
      },
      async abort() {},
    };
  },
};
