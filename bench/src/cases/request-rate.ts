/**
 * Request rate: N clients, each sending `health` requests one after another (one in flight per
 * client); per round a warm-up, then the timed phase. Each figure is the median over the rounds
 * (the pooled numbers over all rounds are in the detail).
 *
 * The gateway closes a connection that exceeds `policy.requestBudget` (advertised in hello-ok),
 * which one fast client does within seconds. Like a well-behaved client, each client slot moves
 * to a fresh, already-open connection before it spends 80 % of a budget window; the handshake of
 * the spare happens in the background and is never inside a measured request.
 */
import { BenchConnection, DEFAULT_SCOPES, failureSummary, openMany, closeAll, type ConnectOptions, type OpenManyResult } from '../client.js';
import { cpuSeconds } from '../proc.js';
import type { BenchServer } from '../servers.js';
import { LatencyRecorder, median } from '../stats.js';
import type { BenchCase, CaseRun, FigureSpec, Measurement, Timing } from './types.js';

/** Upper bound on requests per phase, whatever the speed. */
const MAX_REQUESTS = 5_000_000;

/** One sequential client that may switch connections to stay inside the request budget. */
class ClientSlot {
  private used = 0;
  private spare: Promise<BenchConnection> | undefined;
  private readonly retired: BenchConnection[] = [];
  /** `policy.requestBudget.maxRequests` from hello-ok; the limit server advertises none. */
  private readonly budget: number;

  constructor(private conn: BenchConnection, private readonly options: ConnectOptions) {
    const b = conn.hello?.policy?.requestBudget?.maxRequests;
    this.budget = typeof b === 'number' ? b : Infinity;
  }

  /** The connection for the next request. */
  async next(): Promise<BenchConnection> {
    this.used++;
    if (this.used >= this.budget * 0.5 && !this.spare) {
      this.spare = BenchConnection.open(this.options);
      this.spare.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
    }
    if (this.used >= this.budget * 0.8 && this.spare) {
      const fresh = await this.spare;
      this.retired.push(this.conn);
      this.conn.close();
      this.conn = fresh;
      this.used = 1;
      this.spare = undefined;
    }
    return this.conn;
  }

  get current(): BenchConnection {
    return this.conn;
  }

  async close(): Promise<void> {
    const spare = await this.spare?.catch(() => undefined);
    await closeAll([this.conn, ...this.retired, ...(spare ? [spare] : [])]);
  }
}

interface PhaseResult {
  ok: number;
  errors: string[];
  seconds: number;
}

/** Drives every slot until `until` (or the request cap); records latencies when given a recorder. */
async function drive(slots: ClientSlot[], seconds: number, recorder?: LatencyRecorder): Promise<PhaseResult> {
  const errors: string[] = [];
  let ok = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(slots.map(async (slot) => {
    while (performance.now() < until && ok + errors.length < MAX_REQUESTS) {
      const conn = await slot.next();
      const start = performance.now();
      try {
        const answer = await conn.request('health');
        if (answer.ok) {
          ok++;
          recorder?.add(performance.now() - start);
        } else errors.push(`${answer.error?.code}: ${answer.error?.message}`);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
        if (slot.current.closed) break;
      }
    }
  }));
  return { ok, errors, seconds: (performance.now() - t0) / 1000 };
}

interface RoundFigures {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** One request-rate run against one server: its client slots and what the rounds measured. */
class RequestRateRun implements CaseRun {
  private readonly pooled = new LatencyRecorder();
  private readonly perRound: RoundFigures[] = [];
  private readonly errors: string[] = [];
  private ok = 0;
  private seconds = 0;
  private serverCpuSeconds = 0;
  private clientCpuSeconds = 0;
  private closed = false;

  constructor(
    private readonly server: BenchServer,
    private readonly slots: ClientSlot[],
    private readonly opened: OpenManyResult,
    private readonly timing: Timing,
  ) {}

  async round(index: number): Promise<void> {
    // A fresh process needs longer before its hot paths are optimised.
    await drive(this.slots, index === 0 ? this.timing.firstWarmupSeconds : this.timing.warmupSeconds);
    const serverCpu = cpuSeconds(this.server.pid);
    const selfCpu = process.cpuUsage();
    const recorder = new LatencyRecorder(1_000_000);
    const phase = await drive(this.slots, this.timing.roundSeconds, recorder);
    this.serverCpuSeconds += cpuSeconds(this.server.pid) - serverCpu;
    const self = process.cpuUsage(selfCpu);
    this.clientCpuSeconds += (self.user + self.system) / 1e6;
    const latency = recorder.summary();
    recorder.copyInto(this.pooled);
    this.perRound.push({ reqPerSec: Math.round(phase.ok / phase.seconds), p50Ms: latency.p50, p99Ms: latency.p99 });
    this.ok += phase.ok;
    this.seconds += phase.seconds;
    this.errors.push(...phase.errors.slice(0, 1000));
  }

  async finish(): Promise<Measurement> {
    await this.abort();
    const pick = (k: keyof RoundFigures) => median(this.perRound.map((r) => r[k]));
    const { ok, seconds } = this;
    return {
      rounds: this.perRound.map((r) => ({ ...r })),
      // The median round: a burst of outside load in one round does not decide the figure.
      figures: {
        reqPerSec: pick('reqPerSec'),
        p50Ms: pick('p50Ms'),
        p99Ms: pick('p99Ms'),
        serverCpuUsPerReq: ok ? Math.round((this.serverCpuSeconds / ok) * 1e7) / 10 : null,
      },
      detail: {
        clients: this.opened.conns.length,
        connectFailures: failureSummary(this.opened.failures),
        requests: ok,
        errors: this.errors.length,
        errorSamples: failureSummary(this.errors),
        seconds: Math.round(seconds * 1000) / 1000,
        rounds: this.perRound,
        allRounds: { reqPerSec: Math.round(ok / seconds), latencyMs: this.pooled.summary() },
        serverCpuPct: Math.round((this.serverCpuSeconds / seconds) * 100),
        clientCpuPct: Math.round((this.clientCpuSeconds / seconds) * 100),
      },
    };
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.close()));
  }
}

/** A request-rate case for `clients` clients (25 handshakes in flight while connecting). */
export function requestRateCase(
  id: string,
  clients: number,
  openclaw: { rate: string; p50: string; p99: string },
  targets: Array<Pick<FigureSpec, 'target'>> = [],
): BenchCase {
  const plural = clients === 1 ? '' : 's';
  return {
    id,
    title: `health requests, ${clients} client${plural}`,
    description: `${clients} client${plural}, each with one health request in flight at a time; a short warm-up, then the timed phase, in rounds alternating with the other server.`,
    figures: [
      { key: 'reqPerSec', label: `${clients}-client health req/s`, unit: 'req/s', better: 'higher', ...targets[0], openclaw: openclaw.rate },
      { key: 'p50Ms', label: `${clients}-client latency p50`, unit: 'ms', better: 'lower', openclaw: openclaw.p50 },
      { key: 'p99Ms', label: `${clients}-client latency p99`, unit: 'ms', better: 'lower', ...targets[1], openclaw: openclaw.p99 },
      { key: 'serverCpuUsPerReq', label: `${clients}-client server CPU per request`, unit: 'µs', better: 'lower' },
    ],
    rounds: (timing) => timing.rounds,
    async start(kind, ctx): Promise<CaseRun> {
      const server = await ctx.server(kind);
      const options: ConnectOptions = { url: server.url, token: server.token, scopes: DEFAULT_SCOPES };
      const opened = await openMany(clients, Math.min(25, clients), () => options);
      if (opened.conns.length === 0) throw new Error(`no connection to the ${kind}: ${JSON.stringify(failureSummary(opened.failures))}`);
      return new RequestRateRun(server, opened.conns.map((c) => new ClientSlot(c, options)), opened, ctx.timing);
    },
  };
}

export const requestRate1Case = requestRateCase('rr-1', 1, { rate: '~1,000 req/s', p50: '0.85 ms', p99: '2–4 ms' }, [
  { target: { on: 'ratio', op: '>=', threshold: 0.7, text: '≥ 70 % of the limit' } },
]);

export const requestRate50Case = requestRateCase('rr-50', 50, { rate: '~2,100 req/s', p50: '21 ms', p99: '42–48 ms' }, [
  { target: { on: 'ratio', op: '>=', threshold: 0.6, text: '≥ 60 % of the limit' } },
  { target: { on: 'value', op: '<', threshold: 3, text: '< 3 ms' } },
]);
