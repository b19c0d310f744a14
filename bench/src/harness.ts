/**
 * Runs cases against the gateway and the bare limit with their rounds interleaved, so both see the
 * same machine load; the long-lived servers are shared between cases and stopped at the end.
 */
import type { BenchCase, CaseContext, CaseRun, Timing } from './cases/types.js';
import { caseResult, type CaseResult, type Outcome } from './report.js';
import { refereeCold, refereeLive, REFEREE } from './referee.js';
import { startServer, type BenchPaths, type ServerKind, type ServerProcess } from './servers.js';

export const SERVER_KINDS: readonly ServerKind[] = ['gateway', 'limit'];

/** Long-lived servers, started on first use. `stop()` stops them all; idempotent. */
export class ServerPool {
  private readonly servers = new Map<ServerKind, Promise<ServerProcess>>();

  constructor(private readonly paths: BenchPaths) {}

  get(kind: ServerKind): Promise<ServerProcess> {
    let s = this.servers.get(kind);
    if (!s) {
      s = startServer(this.paths, kind);
      this.servers.set(kind, s);
    }
    return s;
  }

  /**
   * Servers that exited on their own since the last call, described with their exit and last
   * output; they are forgotten, so the next case starts a fresh one. A death is a finding: it goes
   * into the report instead of silently failing every later case.
   */
  async reapExited(): Promise<string[]> {
    const deaths: string[] = [];
    for (const [kind, pending] of this.servers) {
      const server = await pending.catch(() => undefined);
      if (server?.exit === undefined) continue;
      this.servers.delete(kind);
      deaths.push(`the ${kind} (pid ${server.pid}) exited on its own (${server.exit}); its last output: ${server.output().trim().slice(-1500) || '(none)'}`);
    }
    return deaths;
  }

  async stop(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(all.map((p) => p.then((s) => s.stop(), () => undefined)));
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Runs one case against both servers: starts a run on each, alternates their rounds
 * (gateway first on even rounds, limit first on odd ones) and collects their figures. A failure
 * becomes that server's outcome; the other server's run carries on.
 */
export async function runCase(spec: BenchCase, ctx: CaseContext, kinds: readonly ServerKind[] = SERVER_KINDS): Promise<Partial<Record<ServerKind, Outcome>>> {
  const runs = new Map<ServerKind, CaseRun>();
  const outcomes: Partial<Record<ServerKind, Outcome>> = {};
  for (const kind of kinds) {
    try {
      runs.set(kind, await spec.start(kind, ctx));
    } catch (err) {
      outcomes[kind] = { error: `start: ${message(err)}` };
    }
  }
  const rounds = spec.rounds(ctx.timing);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      const run = runs.get(kind);
      if (!run) continue;
      try {
        await run.round(r);
      } catch (err) {
        outcomes[kind] = { error: `round ${r + 1}: ${message(err)}` };
        runs.delete(kind);
        await run.abort().catch(() => undefined);
      }
    }
  }
  for (const [kind, run] of runs) {
    try {
      outcomes[kind] = await run.finish();
    } catch (err) {
      outcomes[kind] = { error: `finish: ${message(err)}` };
      await run.abort().catch(() => undefined);
    }
  }
  return outcomes;
}

async function runReferee(spec: BenchCase, kind: ServerKind, ctx: CaseContext): Promise<Outcome | undefined> {
  try {
    if (spec.id === 'cold-start') return await refereeCold(kind, ctx.paths, ctx.timing);
    if (!REFEREE[spec.id]) return undefined;
    return await refereeLive(spec.id, await ctx.server(kind), ctx.paths, ctx.timing);
  } catch (err) {
    return { error: message(err) };
  }
}

export interface HarnessOptions {
  timing: Timing;
  paths: BenchPaths;
  referee: boolean;
  log(message: string): void;
}

/** Runs every case in order and returns their results; stops the servers it started. */
export async function runCases(cases: readonly BenchCase[], options: HarnessOptions): Promise<CaseResult[]> {
  const pool = new ServerPool(options.paths);
  const ctx: CaseContext = { timing: options.timing, paths: options.paths, server: (kind) => pool.get(kind), log: options.log };
  const results: CaseResult[] = [];
  try {
    for (const spec of cases) {
      options.log(`${spec.id}: ${spec.rounds(options.timing)} rounds, ${spec.gatewayOnly ? `gateway only (${spec.gatewayOnly})` : 'gateway and limit alternating'}…`);
      const outcomes = await runCase(spec, ctx, spec.gatewayOnly ? ['gateway'] : SERVER_KINDS);
      let referee: { gateway?: Outcome; limit?: Outcome } | undefined;
      if (options.referee && (spec.id === 'cold-start' || REFEREE[spec.id])) {
        referee = {};
        for (const kind of SERVER_KINDS) {
          options.log(`${spec.id}: gateway-load.mjs against the ${kind}…`);
          referee[kind] = await runReferee(spec, kind, ctx);
        }
      }
      const missing: Outcome = { error: 'not run' };
      const result = caseResult(spec, outcomes.gateway ?? missing, spec.gatewayOnly ? undefined : outcomes.limit ?? missing, referee);
      const deaths = await pool.reapExited();
      if (deaths.length) {
        result.serverExits = deaths;
        for (const d of deaths) options.log(`  ${d}`);
      }
      for (const row of result.rows) {
        options.log(`  ${row.label}: ${row.gateway} vs ${row.limit}${row.referee ? ` (referee ${row.referee.gateway} vs ${row.referee.limit})` : ''}`);
      }
      for (const kind of SERVER_KINDS) {
        const o = outcomes[kind];
        if (o && 'error' in o) options.log(`  ${kind} failed: ${o.error}`);
      }
      results.push(result);
    }
  } finally {
    await pool.stop();
  }
  return results;
}
