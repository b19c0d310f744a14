/**
 * Channel status as `channels.status`, the health summary and `/readyz` show it, with the fix for
 * each bad state in words (docs/channels.md, "States and how to fix each").
 */
import type { ChannelAccountSnapshot, ChannelsStatusResult } from '@switchboard/protocol';
import { DEFAULT_ACCOUNT, type AccountConfig, type ChannelName, type PlatformPolicy } from './config.js';
import type { AccountStatus } from './supervisor.js';

/** Display names. */
export const CHANNEL_LABELS: Record<ChannelName, string> = { telegram: 'Telegram', discord: 'Discord', whatsapp: 'WhatsApp', webchat: 'WebChat' };
/** A degraded account counts as not ready after this long (a reconnect is usually quicker). */
export const READY_GRACE_MS = 60_000;

/** What to do about an account's state, or undefined when nothing is needed. */
export function fixFor(status: AccountStatus, account: AccountConfig): string | undefined {
  const where = `channels.${account.platform}${account.accountId === DEFAULT_ACCOUNT ? '' : `.accounts.${account.accountId}`}`;
  switch (status.state) {
    case 'needs_relink': return `link the account again: switchboard channels login ${account.platform}${account.accountId === DEFAULT_ACCOUNT ? '' : ` --account ${account.accountId}`}`;
    case 'conflict': return account.platform === 'telegram'
      ? 'another program polls this bot token (Telegram answered 409): stop it, or give this gateway its own bot; the account retries by itself'
      : 'another session replaced this one: stop the other client; the account retries by itself';
    case 'stopped': return account.enabled ? `start it with switchboard channels start ${account.platform}${status.lastError ? ` after fixing: ${status.lastError}` : ''}` : `enable it with ${where}.enabled: true`;
    case 'degraded': return status.detail === 'connecting' ? undefined : `the account retries by itself with backoff; check ${where} (token, apiRoot) and the network if it stays degraded`;
    default: return undefined;
  }
}

/** One account entry of `channels.status`. */
export function accountSnapshot(status: AccountStatus, account: AccountConfig, policy: PlatformPolicy): ChannelAccountSnapshot {
  const fix = fixFor(status, account);
  return {
    accountId: account.accountId,
    enabled: account.enabled,
    configured: true,
    running: status.running,
    connected: status.state === 'connected',
    reconnectAttempts: status.restarts,
    lastConnectedAt: status.lastConnectedAt ?? null,
    lastError: status.lastError ?? null,
    healthState: status.state,
    lastStartAt: status.lastStartAt ?? null,
    lastStopAt: status.lastStopAt ?? null,
    lastInboundAt: status.lastInboundAt ?? null,
    lastOutboundAt: status.lastOutboundAt ?? null,
    mode: account.platform === 'telegram' ? account.mode : 'socket',
    dmPolicy: policy.dmPolicy,
    ...(account.apiRoot ? { baseUrl: account.apiRoot } : {}),
    ...(account.platform === 'telegram' ? { webhookPath: account.mode === 'webhook' ? webhookPath(account) : null } : {}),
    allowUnmentionedGroups: policy.groupPolicy === 'always',
    state: status.state,
    ...(status.detail ? { detail: status.detail } : {}),
    ...(fix ? { fix } : {}),
    since: status.since,
    ...(account.platform === 'whatsapp' ? { linked: status.state !== 'needs_relink' } : {}),
  };
}

/** The gateway path a Telegram webhook posts to. */
export function webhookPath(account: Pick<AccountConfig, 'platform' | 'accountId'>): string {
  return `/channels/${account.platform}/${account.accountId}/webhook`;
}

/** Builds `channels.status` from the accounts and their supervisors' snapshots. */
export function statusResult(entries: Array<{ account: AccountConfig; status: AccountStatus; policy: PlatformPolicy }>, only?: string): ChannelsStatusResult {
  const result: ChannelsStatusResult = { ts: Date.now(), channelOrder: [], channelLabels: {}, channels: {}, channelAccounts: {}, channelDefaultAccountId: {} };
  for (const { account, status, policy } of entries) {
    if (only && account.platform !== only) continue;
    const p = account.platform;
    if (!result.channelAccounts[p]) {
      result.channelOrder.push(p);
      result.channelLabels[p] = CHANNEL_LABELS[p];
      result.channelAccounts[p] = [];
      result.channelDefaultAccountId[p] = DEFAULT_ACCOUNT;
    }
    result.channelAccounts[p].push(accountSnapshot(status, account, policy));
  }
  for (const p of result.channelOrder) {
    const accounts = result.channelAccounts[p];
    result.channels[p] = {
      configured: true,
      running: accounts.some((a) => a.running),
      connected: accounts.some((a) => a.connected),
      state: worst(accounts.map((a) => a.state)),
      accounts: accounts.length,
    };
  }
  return result;
}

const ORDER = ['connected', 'degraded', 'conflict', 'needs_relink', 'stopped'] as const;
function worst(states: string[]): string {
  return states.reduce((w, s) => (ORDER.indexOf(s as never) > ORDER.indexOf(w as never) ? s : w), 'connected');
}

/** `/readyz`: ready when every enabled account is connected (or degraded for less than a minute). */
export function readiness(entries: Array<{ account: AccountConfig; status: AccountStatus }>, now = Date.now()): { ready: boolean; accounts: Record<string, unknown> } {
  let ready = true;
  const accounts: Record<string, unknown> = {};
  for (const { account, status } of entries) {
    if (!account.enabled) continue;
    const ok = status.state === 'connected' || (status.state === 'degraded' && now - status.since < READY_GRACE_MS);
    if (!ok) ready = false;
    accounts[`${account.platform}:${account.accountId}`] = {
      state: status.state,
      connected: status.state === 'connected',
      lastInboundAt: status.lastInboundAt ?? null,
      lastError: status.lastError ?? null,
    };
  }
  return { ready, accounts };
}
