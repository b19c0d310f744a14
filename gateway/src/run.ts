/**
 * Running the daemon as a process: logging, signals (SIGTERM/SIGINT → orderly stop, exit 0), and
 * last-resort handlers so no stray exception takes the daemon down. Used by `switchboard gateway run`
 * and by `gateway/dist/main.js`.
 */
import { EXIT_CONFIG, Gateway, StartupError } from './gateway.js';
import { createLog, registerSecret } from './log.js';
import { resolveStateDir, ensureStateDir } from './state-dir.js';
import type { GatewayOptionsInput } from './options.js';
import type { AuthMode } from './auth/shared-secret.js';
import { DEFAULT_LIMITS, type Limits } from './config/limits.js';
import { ConfigError, loadConfigFile, type LoadedConfig } from './config/file.js';
import { mergeRunOptions, settingsFromConfig } from './config/apply.js';
import { AgentConfigError, agentConfigFromEnv, type AgentConfig } from './agent/config.js';
import type { NodesOptionsInput } from './nodes/options.js';
import type { ChannelsConfig } from './channels/config.js';

/** Re-exported for the process entry (main.ts), which must match the class of the bundle it loads. */
export { StartupError };

export interface RunOptions {
  port?: number;
  host?: string;
  token?: string;
  password?: string;
  authMode?: AuthMode;
  stateDir?: string;
  logLevel?: string;
  /** Proxies whose forwarded headers are believed (addresses or CIDR ranges). */
  trustedProxies?: string[];
  /** Extra browser origins allowed to open a WebSocket. */
  allowedOrigins?: string[];
  limits?: Partial<Limits>;
  /** `agent` settings; SWITCHBOARD_AGENT_* environment variables win over them, the config file fills the rest. */
  agent?: AgentConfig;
  /** Device-node settings (the config file's `nodes` section). */
  nodes?: NodesOptionsInput;
  /** The `channels` section (config file only). */
  channels?: ChannelsConfig;
}

function list(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((s) => s.trim()).filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

/**
 * `SWITCHBOARD_REQUEST_BUDGET`: `<maxRequests>` (per the default 10 s window) or
 * `<maxRequests>/<windowMs>`. Throws a {@link StartupError} (exit 78) on anything else.
 */
function requestBudget(value: string | undefined): Pick<Limits, 'requestBudget'> | undefined {
  if (!value) return undefined;
  const m = /^\s*([0-9]+)\s*(?:\/\s*([0-9]+)\s*)?$/.exec(value);
  const maxRequests = m ? Number(m[1]) : NaN;
  const windowMs = m?.[2] !== undefined ? Number(m[2]) : DEFAULT_LIMITS.requestBudget.windowMs;
  if (!(maxRequests >= 1) || !(windowMs >= 100)) {
    throw new StartupError(`SWITCHBOARD_REQUEST_BUDGET must be <maxRequests> or <maxRequests>/<windowMs> (at least 1 request, at least 100 ms), for example 2000/10000; got "${value}"`, EXIT_CONFIG);
  }
  return { requestBudget: { maxRequests, windowMs } };
}

/** Reads daemon settings from the environment (flags override them). Throws a {@link StartupError} on an invalid value. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): RunOptions {
  const limits = requestBudget(env.SWITCHBOARD_REQUEST_BUDGET);
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
    ...(limits ? { limits } : {}),
  };
}

/**
 * Reads config.yaml (migrating it in memory only: the file is rewritten by the daemon that owns the
 * state directory, after it took the lock). Prints the problems and returns undefined when invalid.
 */
function readConfig(stateDir: string): LoadedConfig | undefined {
  try {
    return loadConfigFile(stateDir, { write: false });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const warning of err.warnings) process.stderr.write(`switchboard: warning: ${warning}\n`);
    process.stderr.write(`switchboard: ${err.message}\n`);
    return undefined;
  }
}

/**
 * Starts the daemon in this process and keeps it running until a signal. Resolves with the exit code.
 * `flagsAndEnv` wins over `config.yaml` in the state directory, which wins over the defaults.
 */
export async function runGatewayProcess(flagsAndEnv: RunOptions): Promise<number> {
  // Signals are caught from the first moment: one that arrives while the daemon is still starting
  // stops it as soon as it is up (shutdown event, 1012, exit 0) instead of killing it mid-start.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const stateDir = ensureStateDir(resolveStateDir(flagsAndEnv.stateDir));
  const loaded = readConfig(stateDir);
  if (!loaded) return EXIT_CONFIG;
  loaded.secrets.forEach(registerSecret);
  let run: RunOptions;
  try {
    const agent = { ...flagsAndEnv.agent, ...agentConfigFromEnv(process.env) };
    run = mergeRunOptions({ ...flagsAndEnv, agent }, settingsFromConfig(loaded.config));
  } catch (err) {
    if (!(err instanceof AgentConfigError)) throw err;
    process.stderr.write(`switchboard: ${err.message}\n`);
    return EXIT_CONFIG;
  }
  const log = await createLog({ level: run.logLevel });
  const configLog = log.child({ ns: 'gateway:config' });
  for (const warning of loaded.warnings) configLog.warn(warning);
  const authMode: AuthMode = run.authMode ?? (run.password && !run.token ? 'password' : 'token');
  const input: GatewayOptionsInput = {
    log,
    stateDir,
    port: run.port,
    host: run.host,
    auth: { mode: authMode, token: run.token, password: run.password },
    trustedProxies: run.trustedProxies,
    allowedOrigins: run.allowedOrigins,
    limits: run.limits,
    agent: run.agent,
    nodes: run.nodes,
    channels: run.channels,
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
  if (loaded.migrated.length > 0) {
    // Now that this daemon owns the state directory: write the migrated file, keeping a backup.
    const written = loadConfigFile(stateDir, { write: true });
    for (const step of written.migrated) configLog.warn({ file: written.path, backup: written.backupPath }, `config migrated ${step}`);
  }
  const signal = await stopSignal;
  log.info({ signal }, 'signal received, stopping');
  try {
    await gateway.stop({ reason: `gateway stopping (${signal})` });
    return 0;
  } catch (err) {
    log.error({ err }, 'error while stopping');
    return 1;
  }
}
