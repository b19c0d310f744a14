/**
 * `switchboard devices list | approve [requestId | --latest] | reject | remove | rotate | revoke`:
 * pairing and device tokens. Every command works online (through the gateway) or `--offline`
 * (on the state directory), and falls back to offline by itself when the gateway on this machine
 * is unreachable or refuses the CLI's credentials.
 */
import type { Command } from 'commander';
import { resolveStateDir } from '@switchboard/gateway/local';
import type { DevicePairListResult, PairedDevice, PendingDevicePairing } from '@switchboard/protocol';
import { connectCli, resolveTarget, toCliError, type ConnectionFlags } from '../connection.js';
import { canFallBackOffline, offlineOps, onlineOps, type DeviceOps } from '../device-ops.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatDuration, printJson, printLines } from '../output.js';
import { connectionOptions } from './rpc.js';

interface DeviceFlags extends ConnectionFlags {
  json?: boolean;
  offline?: boolean;
}

/** Opens the online or offline operations, falling back to offline when that is safe. */
async function openOps(flags: DeviceFlags): Promise<DeviceOps> {
  const stateDir = resolveStateDir();
  if (flags.offline) return offlineOps(stateDir);
  const target = await resolveTarget(flags);
  try {
    return onlineOps(await connectCli(target));
  } catch (err) {
    const { hasStateDatabase } = await import('@switchboard/gateway');
    if (!canFallBackOffline(err, target.url) || !hasStateDatabase(stateDir)) throw err;
    process.stderr.write(`switchboard: ${(err as Error).message}\nswitchboard: working on the state directory ${stateDir} directly instead (offline)\n`);
    return offlineOps(stateDir);
  }
}

async function withOps<T>(flags: DeviceFlags, fn: (ops: DeviceOps) => Promise<T>): Promise<T> {
  const ops = await openOps(flags);
  try {
    return await fn(ops);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw toCliError(err, flags.url ?? 'the gateway');
  } finally {
    ops.close();
  }
}

function deviceOptions(cmd: Command): Command {
  return connectionOptions(cmd)
    .option('--offline', 'operate on the state directory (SWITCHBOARD_HOME) directly, without the gateway')
    .option('--json', 'print JSON');
}

/** The latest pending request (by request time), or a usage error when there is none. */
function latestPending(list: DevicePairListResult): PendingDevicePairing {
  const latest = [...list.pending].sort((a, b) => b.ts - a.ts)[0];
  if (!latest) throw new CliError(ExitCode.ERROR_REPLY, 'no pending pairing requests (they expire after 5 minutes; reconnect the device to make a new one)');
  return latest;
}

function scopesList(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Registers `switchboard devices …`. */
export function registerDevices(program: Command): void {
  const devices = program.command('devices').description('pair devices and manage their tokens');

  deviceOptions(devices.command('list'))
    .description('pending pairing requests and paired devices')
    .action(async (flags: DeviceFlags) => {
      const list = await withOps(flags, (ops) => ops.list());
      if (flags.json) return printJson(list, true);
      printLines(...formatDeviceList(list));
    });

  deviceOptions(devices.command('approve [requestId]'))
    .description('approve a pending pairing request (or the latest one with --latest)')
    .option('--latest', 'approve the most recent pending request')
    .action(async (requestId: string | undefined, flags: DeviceFlags & { latest?: boolean }) => {
      if (!requestId && !flags.latest) throw new CliError(ExitCode.USAGE, 'pass a requestId or --latest (see `switchboard devices list`)');
      const result = await withOps(flags, async (ops) => ops.approve(requestId ?? latestPending(await ops.list()).requestId));
      if (flags.json) return printJson(result, true);
      printLines(`approved ${result.requestId}: device ${label(result.device)} (${result.device.deviceId}) · roles ${result.device.roles.join(', ')} · scopes ${result.device.scopes.join(', ') || 'none'}`);
    });

  deviceOptions(devices.command('reject <requestId>'))
    .description('reject a pending pairing request')
    .action(async (requestId: string, flags: DeviceFlags) => {
      const result = await withOps(flags, (ops) => ops.reject(requestId));
      if (flags.json) return printJson(result, true);
      printLines(`rejected ${result.requestId} (device ${result.deviceId})`);
    });

  deviceOptions(devices.command('remove <deviceId>'))
    .description('forget a paired device and its tokens (it must pair again)')
    .action(async (deviceId: string, flags: DeviceFlags) => {
      const result = await withOps(flags, (ops) => ops.remove(deviceId));
      if (flags.json) return printJson(result, true);
      printLines(`removed device ${result.deviceId}`);
    });

  deviceOptions(devices.command('rotate'))
    .description('replace a device token; the device receives the new one on its next signed connect')
    .requiredOption('--device <deviceId>', 'the paired device')
    .requiredOption('--role <role>', 'operator or node')
    .option('--scopes <list>', 'comma-separated scopes for the new token (within the approved ones)')
    .action(async (flags: DeviceFlags & { device: string; role: string; scopes?: string }) => {
      const result = await withOps(flags, (ops) => ops.rotate(flags.device, flags.role, scopesList(flags.scopes)));
      // The CLI prints no token: only the device itself is ever handed one.
      const { token: _token, ...shown } = result;
      if (flags.json) return printJson(shown, true);
      printLines(`rotated the ${result.role} token of ${result.deviceId} · scopes ${result.scopes.join(', ') || 'none'} · the device gets its new token on its next signed connect`);
    });

  deviceOptions(devices.command('revoke'))
    .description('revoke a device token (connections using it are closed)')
    .requiredOption('--device <deviceId>', 'the paired device')
    .requiredOption('--role <role>', 'operator or node')
    .action(async (flags: DeviceFlags & { device: string; role: string }) => {
      const result = await withOps(flags, (ops) => ops.revoke(flags.device, flags.role));
      if (flags.json) return printJson(result, true);
      printLines(`revoked the ${result.role} token of ${result.deviceId}`);
    });
}

function label(d: { displayName?: string; clientId?: string; deviceId: string }): string {
  return d.displayName ?? d.clientId ?? d.deviceId.slice(0, 12);
}

/** Human-readable `devices list`. */
export function formatDeviceList(list: DevicePairListResult, now = Date.now()): string[] {
  const lines: string[] = [];
  if (list.pending.length) lines.push(`Pending (${list.pending.length}) — approve with \`switchboard devices approve <requestId>\``);
  for (const p of list.pending) {
    const expires = p.expiresAtMs ? ` · expires in ${formatDuration(Math.max(0, p.expiresAtMs - now))}` : '';
    lines.push(`  ${p.requestId}  ${label(p)}  ${p.deviceId.slice(0, 12)}…  ${p.remoteIp ?? ''}  role ${p.role ?? 'operator'} · scopes ${(p.scopes ?? []).join(', ') || 'none'}${p.isRepair ? ' · upgrade' : ''}${expires}`);
  }
  if (list.paired.length) lines.push(`Paired (${list.paired.length})`);
  for (const d of list.paired) lines.push(`  ${d.deviceId}  ${label(d)}  roles ${d.roles.join(', ')} · scopes ${d.scopes.join(', ') || 'none'} · tokens ${formatTokens(d)}${d.remoteIp ? ` · ${d.remoteIp}` : ''}`);
  if (!lines.length) lines.push('No pending requests and no paired devices.');
  return lines;
}

function formatTokens(d: PairedDevice): string {
  if (!d.tokens.length) return 'none';
  return d.tokens.map((t) => `${t.role}${t.revokedAtMs ? ' (revoked)' : ''}`).join(', ');
}
