/**
 * Runs the built `switchboard` CLI (clients/cli/dist) as a child process, as a user would. Its
 * output is appended to the log-secret audit (./secrets.ts). Build first: `pnpm build`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noteSecret, processLogFile } from './secrets.js';

export const CLI_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'clients', 'cli', 'dist', 'bin.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `switchboard …args` with `env` added to a clean environment (no SWITCHBOARD_* leaking in). */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 15_000): Promise<CliResult> {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: run \`pnpm build\` first`);
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      appendFileSync(processLogFile('cli'), `$ switchboard ${redactArgs(args)}\n${stdout}${stderr}\n`);
      noteCliTokens(env.SWITCHBOARD_HOME);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Notes the device tokens the CLI stored in a state directory, for the log-secret audit. */
function noteCliTokens(home: string | undefined): void {
  const file = home && join(home, 'identity', 'cli-tokens.json');
  if (!file || !existsSync(file)) return;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { gateways?: Record<string, Record<string, { token?: string }>> };
    for (const roles of Object.values(stored.gateways ?? {})) for (const t of Object.values(roles)) noteSecret(t.token);
  } catch {
    // A half-written file is the CLI's problem, not the audit's.
  }
}

/** Starts a long-running CLI command (e.g. `gateway run`). */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): ChildProcess & { output: () => string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...base, SWITCHBOARD_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  child.on('close', () => appendFileSync(processLogFile('cli'), `$ switchboard ${redactArgs(args)}\n${out}\n`));
  return Object.assign(child, { output: () => out });
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls the gateway's /healthz until it answers. */
export async function waitForHealthz(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`gateway on port ${port} did not come up`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The command line as the audit log records it: the test's own credential flags are not output of the product. */
function redactArgs(args: string[]): string {
  return args.map((a, i) => (['--token', '--password'].includes(args[i - 1] ?? '') ? '<redacted>' : a)).join(' ');
}
