/**
 * The two servers a run measures, as child processes: the real gateway from its built dist
 * (`node gateway/dist/main.js`, temp SWITCHBOARD_HOME, fixed token, free port, log level warn) and
 * the bare-`ws` limit server from ../shared/bench. Only processes started here are ever signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchConnection } from './client.js';

/** A fixed, strong token: the gateway refuses nothing but the bench never needs a secret. */
export const BENCH_TOKEN = 'bench-6b1f0c9e47a24d3c8e5a17f2d9b40c6e-switchboard-token';

export type ServerKind = 'gateway' | 'limit';

/** What a benchmark case needs to know about a running server. */
export interface BenchServer {
  readonly kind: ServerKind;
  readonly url: string;
  readonly token: string;
  /** Process id, for its CPU time and RSS. */
  readonly pid: number;
}

/** Where the harness finds what it runs. */
export interface BenchPaths {
  repoRoot: string;
  gatewayMain: string;
  bareLimit: string;
  gatewayLoad: string;
  /** A folder whose node_modules has `ws` (for the shared tools). */
  wsFrom: string;
}

/** Resolves the paths from the repository root, checking each exists. */
export function benchPaths(repoRoot: string): BenchPaths {
  const paths = {
    repoRoot,
    gatewayMain: join(repoRoot, 'gateway', 'dist', 'main.js'),
    bareLimit: join(repoRoot, '..', 'shared', 'bench', 'bare-ws-limit.mjs'),
    gatewayLoad: join(repoRoot, '..', 'shared', 'bench', 'gateway-load.mjs'),
    wsFrom: join(repoRoot, 'bench'),
  };
  if (!existsSync(paths.gatewayMain)) throw new Error(`${paths.gatewayMain} is missing; run pnpm build first`);
  if (!existsSync(paths.bareLimit)) throw new Error(`${paths.bareLimit} is missing; the shared folder must sit beside the repository (../shared)`);
  return paths;
}

/** Asks the OS for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const OUTPUT_KEEP = 8 * 1024;

/** Every server this process started and has not seen exit, so an interrupted run can stop them. */
const live = new Set<ServerProcess>();

/** Stops every server this process started (on Ctrl-C or a failed run). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
}

/** One server child process. `stop()` is idempotent. */
export class ServerProcess implements BenchServer {
  private out = '';
  private exitInfo: string | undefined;
  private readonly exited: Promise<void>;
  private stopping: Promise<void> | undefined;

  /**
   * @param spawnedAt performance.now() just before spawn(), where cold start is measured from
   * @param cleanup runs after the process exited (removes its temp state)
   */
  constructor(
    readonly kind: ServerKind,
    readonly url: string,
    readonly token: string,
    private readonly child: ChildProcess,
    readonly spawnedAt: number,
    private readonly cleanup: () => void = () => {},
  ) {
    const keep = (chunk: Buffer) => {
      this.out = (this.out + chunk.toString()).slice(-OUTPUT_KEEP);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    live.add(this);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.exitInfo = signal ? `signal ${signal}` : `code ${code}`;
      live.delete(this);
      resolve();
    }));
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Set once the process has exited. */
  get exit(): string | undefined {
    return this.exitInfo;
  }

  /** The last few KiB of its output, for error messages. */
  output(): string {
    return this.out;
  }

  /** SIGTERM, then SIGKILL after 10 s; removes its temp state. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.exitInfo === undefined) {
        this.child.kill('SIGTERM');
        const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
        await this.exited;
        clearTimeout(killer);
      }
      this.cleanup();
    })();
    return this.stopping;
  }
}

/**
 * The request budget of every gateway the bench spawns (`SWITCHBOARD_REQUEST_BUDGET`): 100,000 per
 * 10 s, fifty times the default, the value earlier results were measured with.
 */
export const BENCH_REQUEST_BUDGET = '100000/10000';

/** Where a spawned gateway keeps its state. */
export interface GatewayHome {
  /** An existing state directory (kept when the gateway stops). Default: a fresh temporary one, removed afterwards. */
  home?: string;
  /** Extra environment for the daemon (e.g. a secret its config.yaml names as `${VAR}`). */
  env?: Record<string, string>;
}

/**
 * Spawns the gateway from dist on `port` with a fresh state directory, or with `home` (a prepared
 * store or config.yaml). Does not wait for it.
 */
export function spawnGateway(paths: BenchPaths, port: number, options: GatewayHome = {}): ServerProcess {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const cleanup = options.home ? () => {} : () => rmSync(home, { recursive: true, force: true });
  const t0 = performance.now();
  const child = spawn(process.execPath, [paths.gatewayMain], {
    cwd: paths.repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SWITCHBOARD_HOME: home,
      SWITCHBOARD_GATEWAY_TOKEN: BENCH_TOKEN,
      SWITCHBOARD_PORT: String(port),
      SWITCHBOARD_BIND: '127.0.0.1',
      SWITCHBOARD_LOG_LEVEL: 'warn',
      // Load generators send far more than the default budget (2,000 requests per 10 s) on one
      // connection; a real client that did would be closed with RATE_LIMITED.
      SWITCHBOARD_REQUEST_BUDGET: BENCH_REQUEST_BUDGET,
      ...options.env,
    },
  });
  return new ServerProcess('gateway', `ws://127.0.0.1:${port}`, BENCH_TOKEN, child, t0, cleanup);
}

/** Spawns a gateway on a free port with `home` and waits until it answers; stops it on failure. */
export async function startGatewayIn(paths: BenchPaths, home: string, env?: Record<string, string>): Promise<ServerProcess> {
  const server = spawnGateway(paths, await freePort(), { home, ...(env ? { env } : {}) });
  try {
    await waitUntilAnswering(server);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Spawns the bare-ws limit server on `port`. Does not wait for it. */
export function spawnLimit(paths: BenchPaths, port: number): ServerProcess {
  const t0 = performance.now();
  const child = spawn(process.execPath, [paths.bareLimit, String(port)], {
    cwd: paths.repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WS_RESOLVE_FROM: paths.wsFrom },
  });
  return new ServerProcess('limit', `ws://127.0.0.1:${port}`, BENCH_TOKEN, child, t0);
}

/** Spawns a server of `kind` on a free port. */
export async function spawnServer(paths: BenchPaths, kind: ServerKind): Promise<ServerProcess> {
  const port = await freePort();
  return kind === 'gateway' ? spawnGateway(paths, port) : spawnLimit(paths, port);
}

/**
 * Polls (connect + `health`) until the server answers; resolves with milliseconds from spawn to
 * the first ok answer. Rejects if the process exits or `timeoutMs` passes.
 */
export async function waitUntilAnswering(server: ServerProcess, timeoutMs = 30_000, pollMs = 10): Promise<number> {
  const deadline = server.spawnedAt + timeoutMs;
  let lastError = '';
  while (performance.now() < deadline) {
    if (server.exit !== undefined) throw new Error(`${server.kind} exited (${server.exit}) before answering: ${server.output().slice(-500)}`);
    try {
      const conn = await BenchConnection.open({ url: server.url, token: server.token, timeoutMs: 5_000 });
      const answer = await conn.request('health');
      conn.terminate();
      if (answer.ok) return performance.now() - server.spawnedAt;
      lastError = `health answered ${answer.error?.code}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`${server.kind} did not answer health within ${timeoutMs} ms (last error: ${lastError})`);
}

/** Spawns a server and waits until it answers. */
export async function startServer(paths: BenchPaths, kind: ServerKind): Promise<ServerProcess> {
  const server = await spawnServer(paths, kind);
  try {
    await waitUntilAnswering(server);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
