/**
 * Running the daemon as a process: logging, signals (SIGTERM/SIGINT → orderly stop, exit 0), and
 * last-resort handlers so no stray exception takes the daemon down. Used by `switchboard gateway run`
 * and by `gateway/dist/main.js`.
 */
import { Gateway, StartupError } from './gateway.js';
import { createLog } from './log.js';
import { resolveStateDir } from './state-dir.js';
import type { GatewayOptionsInput } from './options.js';
import type { AuthMode } from './auth/shared-secret.js';

export interface RunOptions {
  port?: number;
  host?: string;
  token?: string;
  password?: string;
  authMode?: AuthMode;
  stateDir?: string;
  logLevel?: string;
  /** Proxies whose forwarded headers are believed (exact addresses). */
  trustedProxies?: string[];
  /** Extra browser origins allowed to open a WebSocket. */
  allowedOrigins?: string[];
}

function list(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((s) => s.trim()).filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

/** Reads daemon settings from the environment (flags override them). */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): RunOptions {
  return {
    port: env.SWITCHBOARD_PORT ? Number(env.SWITCHBOARD_PORT) : undefined,
    host: env.SWITCHBOARD_BIND || undefined,
    token: env.SWITCHBOARD_GATEWAY_TOKEN || undefined,
    password: env.SWITCHBOARD_GATEWAY_PASSWORD || undefined,
    authMode: (env.SWITCHBOARD_AUTH_MODE as AuthMode | undefined) || undefined,
    stateDir: env.SWITCHBOARD_HOME || undefined,
    logLevel: env.SWITCHBOARD_LOG_LEVEL || undefined,
    trustedProxies: list(env.SWITCHBOARD_TRUSTED_PROXIES),
    allowedOrigins: list(env.SWITCHBOARD_ALLOWED_ORIGINS),
  };
}

/** Starts the daemon in this process and keeps it running until a signal. Resolves with the exit code. */
export async function runGatewayProcess(run: RunOptions): Promise<number> {
  const log = await createLog({ level: run.logLevel });
  const authMode: AuthMode = run.authMode ?? (run.password && !run.token ? 'password' : 'token');
  const input: GatewayOptionsInput = {
    log,
    stateDir: resolveStateDir(run.stateDir),
    port: run.port,
    host: run.host,
    auth: { mode: authMode, token: run.token, password: run.password },
    trustedProxies: run.trustedProxies,
    allowedOrigins: run.allowedOrigins,
    handleSignals: true,
  };
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection (daemon keeps running)'));
  process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception (daemon keeps running)'));

  let gateway: Gateway;
  try {
    gateway = await Gateway.start(input);
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(`switchboard: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  return new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'signal received, stopping');
      gateway.stop({ reason: `gateway stopping (${signal})` }).then(() => resolve(0), (err) => {
        log.error({ err }, 'error while stopping');
        resolve(1);
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
