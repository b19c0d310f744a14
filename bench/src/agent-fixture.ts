/**
 * What the agent-run cases need: a fake OpenAI-compatible provider in a process of its own
 * (fake-provider.ts) that streams numbered deltas, each stamped with the machine's monotonic clock
 * just before it is written; a gateway whose `config.yaml` points its agent at that provider; and
 * a client that times each `agent` assistant delta on arrival against its stamp. Arrival − stamp is
 * the gateway's path: loopback in, SSE parse, run manager, transcript, fan-out, loopback out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BenchConnection, type EventFrame } from './client.js';
import { startGatewayIn, type BenchPaths, type ServerProcess } from './servers.js';

/** How the fake provider streams every run. */
export interface StreamScript {
  deltasPerRun: number;
  /** Pause between two deltas of a run; 0 streams as fast as the gateway reads. */
  intervalMs: number;
}

/** The fake provider process. `close()` is idempotent. */
export interface FakeProvider {
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** Starts bench/dist/fake-provider.js (built by pnpm build) and waits for its port. */
export async function startFakeProvider(paths: BenchPaths, script: StreamScript): Promise<FakeProvider> {
  const child: ChildProcess = spawn(process.execPath, [join(paths.repoRoot, 'bench', 'dist', 'fake-provider.js'), JSON.stringify(script)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    child.stdin?.end();
    child.kill('SIGTERM');
    await exited;
  })());
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the fake provider did not start within 10 s')), 10_000);
      createInterface({ input: child.stdout! }).once('line', (line) => {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      });
      void exited.then(() => reject(new Error('the fake provider exited before it listened')));
    });
    return { baseUrl: `http://127.0.0.1:${port}/v1`, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Milliseconds since a delta's stamp (`<i>.<hrtime ns>`, base 36), or undefined without one. */
export function deltaAge(delta: string, nowNs: bigint): number | undefined {
  const m = /\.([0-9a-z]+) $/.exec(delta);
  if (!m) return undefined;
  let ns = 0n;
  for (const c of m[1]) ns = ns * 36n + BigInt(parseInt(c, 36));
  return Number(nowNs - ns) / 1e6;
}

/** A gateway (its own state directory with config.yaml) whose agent streams from `provider`. */
export async function startAgentGateway(paths: BenchPaths, provider: FakeProvider): Promise<{ server: ServerProcess; close(): Promise<void> }> {
  const home = mkdtempSync(join(tmpdir(), 'switchboard-bench-agent-'));
  writeFileSync(join(home, 'config.yaml'), `version: 1\nagent:\n  provider: openai\n  baseUrl: ${provider.baseUrl}\n  model: bench-model\n`);
  try {
    const server = await startGatewayIn(paths, home);
    return { server, close: async () => { await server.stop(); rmSync(home, { recursive: true, force: true }); } };
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
}

/** An operator connection that times each run's assistant deltas on arrival. */
export class AgentClient {
  /** Per run: the latency of each delta in milliseconds, in arrival order. */
  private readonly latencies = new Map<string, number[]>();
  /** The first and the last delta's arrival (monotonic ns) since {@link resetWindow}. */
  window: { first?: bigint; last?: bigint } = {};
  private readonly ends = new Map<string, () => void>();

  private constructor(readonly conn: BenchConnection) {
    conn.onEvent = (frame) => this.onEvent(frame, process.hrtime.bigint());
  }

  static async open(server: ServerProcess): Promise<AgentClient> {
    return new AgentClient(await BenchConnection.open({ url: server.url, token: server.token, scopes: ['operator.admin'] }));
  }

  /** Sends one message to `sessionKey`; resolves with its deltas' latencies (ms) when the run ends. */
  async run(sessionKey: string, runId: string, timeoutMs = 60_000): Promise<number[]> {
    const ended = this.runEnd(runId, timeoutMs);
    const answer = await this.conn.request('chat.send', { sessionKey, message: `run ${runId}`, idempotencyKey: runId });
    if (!answer.ok) {
      this.forget(runId);
      throw new Error(`chat.send answered ${answer.error?.code}: ${answer.error?.message}`);
    }
    return ended;
  }

  /** Starts a new arrival window (see {@link window}). */
  resetWindow(): void {
    this.window = {};
  }

  close(): void {
    this.conn.close();
  }

  private runEnd(runId: string, timeoutMs: number): Promise<number[]> {
    this.latencies.set(runId, []);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(runId);
        reject(new Error(`run ${runId} did not end within ${timeoutMs} ms`));
      }, timeoutMs);
      this.ends.set(runId, () => {
        clearTimeout(timer);
        const got = this.latencies.get(runId) ?? [];
        this.forget(runId);
        resolve(got);
      });
    });
  }

  private forget(runId: string): void {
    this.latencies.delete(runId);
    this.ends.delete(runId);
  }

  private onEvent(frame: EventFrame, now: bigint): void {
    if (frame.event !== 'agent') return;
    const p = frame.payload as { runId: string; stream: string; data: { delta?: string; phase?: string } };
    if (p.stream === 'assistant' && p.data.delta) {
      const age = deltaAge(p.data.delta, now);
      if (age !== undefined) this.latencies.get(p.runId)?.push(age);
      this.window.first ??= now;
      this.window.last = now;
    }
    else if (p.stream === 'lifecycle' && (p.data.phase === 'end' || p.data.phase === 'error')) this.ends.get(p.runId)?.();
  }
}
