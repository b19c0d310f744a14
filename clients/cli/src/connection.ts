/**
 * How the CLI reaches the gateway: URL from --url, SWITCHBOARD_URL or the default loopback port;
 * credential from --token/--password, the environment, `gateway.auth` of config.yaml (with its
 * `${ENV}` references resolved), or the token the daemon generated in the state directory — so a
 * CLI on the gateway's host needs no setup.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readGeneratedToken, resolveStateDir, DEFAULT_PORT } from '@switchboard/gateway/local';
import { GatewayError, ALL_OPERATOR_SCOPES } from '@switchboard/protocol';
import { createNodeClient, loadOrCreateIdentity, FileDeviceTokenStore, type GatewayClient } from '@switchboard/sdk/node';
import { CliError, ExitCode } from './exit-codes.js';

/** Where the CLI keeps its device identity and the device tokens gateways issued to it. */
export function cliIdentityPaths(stateDir: string = resolveStateDir()): { identity: string; tokens: string } {
  return { identity: join(stateDir, 'identity', 'cli.json'), tokens: join(stateDir, 'identity', 'cli-tokens.json') };
}

export interface ConnectionFlags {
  url?: string;
  token?: string;
  password?: string;
  timeout?: string;
}

export interface ResolvedTarget {
  url: string;
  token?: string;
  password?: string;
  timeoutMs: number;
}

/**
 * The gateway URL, credential and timeout. The credential comes from, in this order: --token or
 * --password, SWITCHBOARD_GATEWAY_TOKEN or SWITCHBOARD_GATEWAY_PASSWORD, `gateway.auth.token` or
 * `.password` in config.yaml, the generated token file. A config file that cannot be read is a
 * warning on stderr (the generated token is tried next).
 */
export async function resolveTarget(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedTarget> {
  const url = flags.url ?? env.SWITCHBOARD_URL ?? `ws://127.0.0.1:${env.SWITCHBOARD_PORT ?? DEFAULT_PORT}`;
  let password = flags.password ?? env.SWITCHBOARD_GATEWAY_PASSWORD;
  let token = flags.token ?? env.SWITCHBOARD_GATEWAY_TOKEN;
  if (!token && !password) ({ token, password } = await configCredential(resolveStateDir(undefined, env), env));
  if (!token && !password) token = readGeneratedToken(resolveStateDir(undefined, env));
  const timeoutMs = flags.timeout ? Number(flags.timeout) : 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CliError(ExitCode.USAGE, `--timeout must be a positive number of milliseconds, got "${flags.timeout}"`);
  return { url, token, password, timeoutMs };
}

/**
 * `gateway.auth` of the state directory's config.yaml, through the gateway's config loader (so
 * `${ENV}` references resolve exactly as the daemon resolves them). The loader is imported only
 * when the file exists, keeping the CLI's start-up light otherwise.
 */
async function configCredential(stateDir: string, env: NodeJS.ProcessEnv): Promise<{ token?: string; password?: string }> {
  // CONFIG_FILE of gateway/src/config/file.ts, checked before the loader is imported.
  const path = join(stateDir, 'config.yaml');
  if (!existsSync(path)) return {};
  const { loadConfigFile } = await import('@switchboard/gateway/admin');
  try {
    const auth = loadConfigFile(stateDir, { env }).config.gateway?.auth;
    if (auth?.mode === 'password') return { password: auth.password };
    if (auth?.mode === 'none') return {};
    return auth?.token ? { token: auth.token } : { password: auth?.password };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    process.stderr.write(`warning: could not read gateway.auth from ${path}, so the generated token is tried instead: ${reason}\nwarning: fix the file (switchboard config validate), or pass --token / set SWITCHBOARD_GATEWAY_TOKEN\n`);
    return {};
  }
}

/**
 * Connects as the `cli` client with every operator scope, signing with the CLI's device identity
 * (created on first use) and presenting the device token the gateway issued it; maps failures to
 * exit codes.
 */
export async function connectCli(target: ResolvedTarget): Promise<GatewayClient> {
  let identity;
  try {
    identity = loadOrCreateIdentity(cliIdentityPaths().identity);
  } catch (err) {
    throw new CliError(ExitCode.ERROR_REPLY, err instanceof Error ? err.message : String(err));
  }
  const client = createNodeClient({
    url: target.url,
    token: target.token,
    password: target.password,
    device: identity,
    deviceTokens: new FileDeviceTokenStore(cliIdentityPaths().tokens, identity.deviceId, target.url),
    client: { id: 'cli', mode: 'cli' },
    role: 'operator',
    scopes: [...ALL_OPERATOR_SCOPES],
    reconnect: false,
    requestTimeoutMs: target.timeoutMs,
    connectTimeoutMs: target.timeoutMs,
  });
  try {
    await client.start();
    return client;
  } catch (err) {
    throw toCliError(err, target.url);
  }
}

/** Maps a client error to the CLI's exit codes and a message that says what to do. */
export function toCliError(err: unknown, url: string): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof GatewayError) {
    const details = err.details as { code?: string } | undefined;
    if (details?.code === 'CONNECT_FAILED') {
      return new CliError(ExitCode.CANNOT_CONNECT, `cannot connect to ${url}: is the gateway running? Start it with \`switchboard gateway run\`.`, { cause: err });
    }
    return new CliError(ExitCode.ERROR_REPLY, `${err.code}: ${err.message}${details?.code ? ` (${details.code})` : ''}`, { cause: err });
  }
  return new CliError(ExitCode.ERROR_REPLY, err instanceof Error ? err.message : String(err), { cause: err });
}
