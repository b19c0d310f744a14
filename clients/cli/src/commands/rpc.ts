/** `switchboard call`, `health`, `status`: talking to a running gateway. */
import type { Command } from 'commander';
import type { HealthSummary, StatusResult } from '@switchboard/protocol';
import { connectCli, resolveTarget, toCliError, type ConnectionFlags } from '../connection.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatBytes, formatDuration, printJson, printLines } from '../output.js';

interface OutputFlags extends ConnectionFlags {
  json?: boolean;
}

/** Connects, runs `fn`, and always closes the client. */
export async function withClient<T>(flags: ConnectionFlags, fn: (client: Awaited<ReturnType<typeof connectCli>>) => Promise<T>): Promise<T> {
  const target = await resolveTarget(flags);
  const client = await connectCli(target);
  try {
    return await fn(client);
  } catch (err) {
    throw toCliError(err, target.url);
  } finally {
    client.close();
  }
}

/**
 * Adds --url, --token, --password and the connect timeout flag: `--timeout <ms>`, or
 * `--connect-timeout <ms>` for a command whose own `--timeout` means something else (`nodes run`;
 * it then passes `flags.connectTimeout` on as `timeout`).
 */
export function connectionOptions(cmd: Command, o: { connectTimeoutFlag?: '--timeout' | '--connect-timeout' } = {}): Command {
  return cmd
    .option('--url <url>', 'gateway WebSocket URL (default ws://127.0.0.1:18789, or SWITCHBOARD_URL)')
    .option('--token <token>', 'gateway token (default: SWITCHBOARD_GATEWAY_TOKEN, else gateway.auth in config.yaml, else the local generated token)')
    .option('--password <password>', 'gateway password')
    .option(`${o.connectTimeoutFlag ?? '--timeout'} <ms>`, 'connect and request timeout in milliseconds (default 10000)');
}

export function registerRpc(program: Command): void {
  connectionOptions(program.command('call <method>'))
    .description('call any gateway method and print its result')
    .option('--params <json>', 'method params as a JSON object', '{}')
    .option('--expect-final', 'for two-answer methods (agent): wait for the final answer')
    .option('--json', 'print compact JSON (default: pretty JSON)')
    .action(async (method: string, flags: OutputFlags & { params: string; expectFinal?: boolean }) => {
      let params: unknown;
      try {
        params = JSON.parse(flags.params);
      } catch {
        throw new CliError(ExitCode.USAGE, `--params must be JSON, got ${flags.params}`);
      }
      if (typeof params !== 'object' || params === null || Array.isArray(params)) {
        throw new CliError(ExitCode.USAGE, '--params must be a JSON object');
      }
      const result = await withClient(flags, (c) => c.request(method, params, { expectFinal: flags.expectFinal }));
      printJson(result, flags.json === true);
    });

  connectionOptions(program.command('health'))
    .description('is the gateway up, and how are its channels')
    .option('--json', 'print JSON')
    .action(async (flags: OutputFlags) => {
      const h = await withClient(flags, (c) => c.call('health', { probe: true }));
      if (flags.json) return printJson(h, true);
      printLines(...formatHealth(h, (await resolveTarget(flags)).url));
    });

  connectionOptions(program.command('status'))
    .description('what the gateway is doing: version, uptime, bind, connections, memory')
    .option('--json', 'print JSON')
    .action(async (flags: OutputFlags) => {
      const s = await withClient(flags, (c) => c.call('status'));
      if (flags.json) return printJson(s, true);
      printLines(...formatStatus(s));
    });
}

export function formatHealth(h: HealthSummary, url: string): string[] {
  const lines = [`gateway ok at ${url}`];
  if (h.eventLoop) {
    lines.push(`event loop: p99 ${h.eventLoop.delayP99Ms} ms, utilisation ${Math.round(h.eventLoop.utilization * 100)} %${h.eventLoop.degraded ? ` (degraded: ${h.eventLoop.reasons.join(', ')})` : ''}`);
  }
  const channels = h.channelOrder.length ? h.channelOrder : Object.keys(h.channels);
  if (channels.length === 0) lines.push('channels: none configured');
  for (const name of channels) {
    const c = h.channels[name] as { state?: string; lastError?: string } | undefined;
    lines.push(`channel ${h.channelLabels[name] ?? name}: ${c?.state ?? 'unknown'}${c?.lastError ? ` (${c.lastError})` : ''}`);
  }
  return lines;
}

export function formatStatus(s: StatusResult): string[] {
  return [
    `switchboard ${s.version} · ${s.state} · up ${formatDuration(s.uptimeMs)} · pid ${s.pid} · node ${s.node}`,
    `listening on ${s.bind.host}:${s.bind.port} · auth ${s.authMode}${s.stateDir ? ` · state ${s.stateDir}` : ''}`,
    `connections: ${s.connections.total} (${s.connections.operators} operators, ${s.connections.nodes} nodes) · memory ${formatBytes(s.memory.rssBytes)} RSS, ${formatBytes(s.memory.heapUsedBytes)} heap`,
  ];
}
