/**
 * The daemon as a real process (`node gateway/dist/main.js`, built by `pnpm build`), for tests that
 * need what only a process has: kill -9, several daemons at once, the CLI against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DAEMON_MAIN = join(REPO_ROOT, 'gateway', 'dist', 'main.js');
export const CLI_BIN = join(REPO_ROOT, 'clients', 'cli', 'dist', 'bin.js');

/**
 * Daemons still running. A test that fails midway (an assertion between spawn and kill) would leave
 * its daemon behind, bound to a port and holding its state directory; whatever is left is killed
 * once the test file is done (vitest's worker is itself killed, so a process 'exit' hook never runs).
 */
const live = new Set<ChildProcess>();
afterAll(() => {
  for (const proc of live) proc.kill('SIGKILL');
});

export interface DaemonProcess {
  proc: ChildProcess;
  pid: number;
  /** Everything written to stderr so far (JSON log lines). */
  readonly stderr: string;
  /** Resolves with the control-plane URL once the daemon logged "gateway ready"; rejects if it exits first. */
  ready: Promise<string>;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

export interface SpawnDaemonOptions {
  stateDir: string;
  token?: string;
  /** SWITCHBOARD_PORT (default 0); `null` leaves it unset so the config file decides. */
  port?: number | null;
  env?: NodeJS.ProcessEnv;
  /** Extra Node arguments before the script (e.g. `--import` of a test preload). */
  nodeArgs?: string[];
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI_BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    proc.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export function spawnDaemon(options: SpawnDaemonOptions): DaemonProcess {
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), DAEMON_MAIN], {
    env: {
      PATH: process.env.PATH,
      SWITCHBOARD_HOME: options.stateDir,
      ...(options.port === null ? {} : { SWITCHBOARD_PORT: String(options.port ?? 0) }),
      SWITCHBOARD_LOG_LEVEL: 'info',
      ...(options.token ? { SWITCHBOARD_GATEWAY_TOKEN: options.token } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(proc);
  let stderr = '';
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => {
    live.delete(proc);
    resolve(code ?? signal ?? 'unknown');
  }));
  const ready = new Promise<string>((resolve, reject) => {
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const m = /"url":"(ws:\/\/[^"]+)"[^\n]*"msg":"gateway ready"/.exec(stderr);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`daemon exited (${code}) before it was ready:\n${stderr}`)));
  });
  ready.catch(() => undefined);
  return {
    proc,
    pid: proc.pid!,
    get stderr() { return stderr; },
    ready,
    exited,
    kill: (signal = 'SIGTERM') => { proc.kill(signal); },
  };
}
