/**
 * How the CLI reaches the gateway: URL from --url, SWITCHBOARD_URL or the default loopback port;
 * credential from --token/--password, the environment, or the token the daemon generated in the
 * state directory (so a CLI on the gateway's host needs no setup).
 */
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

export function resolveTarget(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ResolvedTarget {
  const url = flags.url ?? env.SWITCHBOARD_URL ?? `ws://127.0.0.1:${env.SWITCHBOARD_PORT ?? DEFAULT_PORT}`;
  const password = flags.password ?? env.SWITCHBOARD_GATEWAY_PASSWORD;
  let token = flags.token ?? env.SWITCHBOARD_GATEWAY_TOKEN;
  if (!token && !password) token = readGeneratedToken(resolveStateDir());
  const timeoutMs = flags.timeout ? Number(flags.timeout) : 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CliError(ExitCode.USAGE, `--timeout must be a positive number of milliseconds, got "${flags.timeout}"`);
  return { url, token, password, timeoutMs };
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
