/**
 * `switchboard channels status | start | stop | login` and `switchboard pairing list | approve |
 * revoke`: the messaging channels of a running gateway.
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import type { ChannelsStatusResult, PairingListResult } from '@switchboard/protocol';
import type { ConnectionFlags } from '../connection.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatDuration, printJson, printLines } from '../output.js';
import { connectionOptions, withClient } from './rpc.js';

interface JsonFlags extends ConnectionFlags {
  json?: boolean;
  account?: string;
}

const PLATFORMS = ['telegram', 'discord', 'whatsapp'] as const;

function platformArg(value: string): (typeof PLATFORMS)[number] {
  const p = value.toLowerCase();
  if (!(PLATFORMS as readonly string[]).includes(p)) throw new CliError(ExitCode.USAGE, `unknown platform "${value}": use telegram, discord or whatsapp`);
  return p as (typeof PLATFORMS)[number];
}

/** A pairing code as the gateway compares it: upper case, no spaces or dashes. */
function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

/**
 * The idempotency key of `pairing approve`: the same for the same platform and code, so running
 * the command again after a lost reply gets the recorded answer instead of a wrong-code strike.
 */
export function pairingApproveKey(platform: string, code: string): string {
  return `cli-pairing-approve-${createHash('sha256').update(`${platform}\u0000${normaliseCode(code)}`).digest('base64url').slice(0, 32)}`;
}

function ago(ts: number | null | undefined, now: number): string {
  return ts ? `${formatDuration(Math.max(0, now - ts))} ago` : 'never';
}

/** Human-readable `channels status`. */
export function formatChannelsStatus(s: ChannelsStatusResult, now = Date.now()): string[] {
  if (s.channelOrder.length === 0) return ['No channels configured. Add a channels section to config.yaml (see docs/channels.md).'];
  const lines: string[] = [];
  for (const platform of s.channelOrder) {
    for (const a of s.channelAccounts[platform]) {
      lines.push(`${s.channelLabels[platform]} (${a.accountId}): ${a.state}${a.detail && a.state !== 'connected' ? ` — ${a.detail}` : ''}`);
      lines.push(`  last inbound ${ago(a.lastInboundAt, now)} · last outbound ${ago(a.lastOutboundAt, now)} · restarts ${a.reconnectAttempts}${a.mode ? ` · ${a.mode}` : ''} · DMs ${a.dmPolicy ?? 'pairing'}`);
      if (a.lastError && a.state !== 'connected') lines.push(`  last error: ${a.lastError}`);
      if (a.fix) lines.push(`  fix: ${a.fix}`);
    }
  }
  return lines;
}

/** Human-readable `pairing list`. */
export function formatPairingList(list: PairingListResult, now = Date.now()): string[] {
  const lines: string[] = [];
  if (list.pending.length) lines.push(`Pending (${list.pending.length}) — approve with \`switchboard pairing approve <platform> <CODE>\` (the code the user received)`);
  for (const p of list.pending) lines.push(`  ${p.platform}  ${p.userId}  ${p.displayName ?? ''}  expires in ${formatDuration(Math.max(0, p.expiresAt - now))}`);
  if (list.paired.length) lines.push(`Paired (${list.paired.length}) — revoke with \`switchboard pairing revoke <platform> <user>\``);
  for (const u of list.paired) lines.push(`  ${u.platform}  ${u.userId}  ${u.displayName ?? ''}  since ${new Date(u.approvedAt).toISOString()}`);
  if (!lines.length) lines.push('No pending pairing requests and no paired users.');
  return lines;
}

/** Registers `switchboard channels …` and `switchboard pairing …`. */
export function registerChannels(program: Command): void {
  const channels = program.command('channels').description('messaging channels: state, start/stop, WhatsApp linking');

  connectionOptions(channels.command('status'))
    .description('every channel account: state, last error, last inbound, and how to fix it')
    .option('--json', 'print JSON')
    .action(async (flags: JsonFlags) => {
      const status = await withClient(flags, (c) => c.call('channels.status', {}));
      if (flags.json) return printJson(status, true);
      printLines(...formatChannelsStatus(status));
    });

  for (const verb of ['start', 'stop'] as const) {
    connectionOptions(channels.command(`${verb} <platform>`))
      .description(verb === 'start' ? 'start (or restart) a channel account' : 'stop a channel account (keeps its credentials)')
      .option('--account <id>', 'the account (default: default)')
      .action(async (platform: string, flags: JsonFlags) => {
        const p = platformArg(platform);
        await withClient(flags, (c) => c.call(`channels.${verb}`, { channel: p, ...(flags.account ? { accountId: flags.account } : {}) }));
        printLines(`${p}${flags.account ? ` (${flags.account})` : ''}: ${verb === 'start' ? 'started' : 'stopped'}`);
      });
  }

  connectionOptions(channels.command('login <platform>'))
    .description('link WhatsApp by scanning a QR code shown here')
    .option('--account <id>', 'the account (default: default)')
    .option('--force', 'forget the linked phone and link again')
    .option('--wait <seconds>', 'how long to wait for the scan (default 180)', '180')
    .action(async (platform: string, flags: JsonFlags & { force?: boolean; wait: string }) => {
      if (platformArg(platform) !== 'whatsapp') throw new CliError(ExitCode.USAGE, 'only WhatsApp is linked by QR; Telegram and Discord use a bot token in config.yaml');
      const waitMs = Number(flags.wait) * 1000;
      if (!Number.isFinite(waitMs) || waitMs <= 0) throw new CliError(ExitCode.USAGE, `--wait must be a positive number of seconds, got "${flags.wait}"`);
      const account = flags.account ? { accountId: flags.account } : {};
      const timeoutMs = Math.max(flags.timeout ? Number(flags.timeout) : 10_000, waitMs + 10_000);
      await withClient({ ...flags, timeout: String(timeoutMs) }, async (c) => {
        const start = await c.call('web.login.start', { ...account, ...(flags.force ? { force: true } : {}) });
        if (start.connected) return printLines(start.message);
        printLines(start.qrText ?? '', start.message);
        const deadline = Date.now() + waitMs;
        while (Date.now() < deadline) {
          const r = await c.call('web.login.wait', { ...account, timeoutMs: Math.min(30_000, deadline - Date.now()) });
          if (r.connected) return printLines(r.message);
          if (r.qrText) printLines(r.qrText, r.message);
        }
        throw new CliError(ExitCode.ERROR_REPLY, 'the QR code was not scanned in time; run the command again');
      });
    });

  const pairing = program.command('pairing').description('approve people who messaged the bot (DM pairing codes)');

  connectionOptions(pairing.command('list'))
    .description('pending pairing requests (never their codes) and paired users')
    .option('--json', 'print JSON')
    .action(async (flags: JsonFlags) => {
      const list = await withClient(flags, (c) => c.call('pairing.list', {}));
      if (flags.json) return printJson(list, true);
      printLines(...formatPairingList(list));
    });

  connectionOptions(pairing.command('approve <platform> <code>'))
    .description('approve the user who received this pairing code')
    .action(async (platform: string, code: string, flags: JsonFlags) => {
      const p = platformArg(platform);
      const normalised = normaliseCode(code);
      const r = await withClient(flags, (c) => c.call('pairing.approve', { platform: p, code: normalised, idempotencyKey: pairingApproveKey(p, normalised) }));
      printLines(`paired ${r.platform} user ${r.userId}${r.displayName ? ` (${r.displayName})` : ''}`);
    });

  connectionOptions(pairing.command('revoke <platform> <user>'))
    .description('forget a paired user')
    .action(async (platform: string, user: string, flags: JsonFlags) => {
      const p = platformArg(platform);
      const r = await withClient(flags, (c) => c.call('pairing.revoke', { platform: p, userId: user }));
      printLines(r.revoked ? `revoked ${r.platform} user ${r.userId}` : `${r.platform} user ${r.userId} was not paired`);
    });
}
