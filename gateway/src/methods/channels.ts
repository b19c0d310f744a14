/**
 * Channel handlers: channels.status/start/stop, send, web.login.start/wait (WhatsApp linking) and
 * pairing.list/approve/revoke. Every one delegates to `services.channels` (gateway/src/channels/).
 */
import type { Handler } from '../context.js';
import { DEFAULT_ACCOUNT } from '../channels/config.js';
import { PAIRING_LIMITS } from '../channels/pairing.js';
import { sendMessage } from '../channels/send.js';
import { webLoginStart, webLoginWait } from '../channels/whatsapp/login.js';

export const channelsStatus: Handler<'channels.status'> = (ctx, params) => ctx.services.channels.status(params.channel);

export const channelsStart: Handler<'channels.start'> = async (ctx, params) => {
  const accountId = params.accountId || DEFAULT_ACCOUNT;
  return { channel: params.channel, accountId, started: await ctx.services.channels.startAccount(params.channel, accountId) };
};

export const channelsStop: Handler<'channels.stop'> = async (ctx, params) => {
  const accountId = params.accountId || DEFAULT_ACCOUNT;
  return { channel: params.channel, accountId, stopped: await ctx.services.channels.stopAccount(params.channel, accountId) };
};

// Not ctx.commit: the ledger then records the answer given after the platform acknowledged (the
// enqueue is durable by itself and keyed by the idempotencyKey, so a retry never sends twice).
export const send: Handler<'send'> = (ctx, params) => sendMessage(ctx.services.channels, params, (work) => ctx.services.store.commit(work));

export const webLoginStartHandler: Handler<'web.login.start'> = (ctx, params) => webLoginStart(ctx.services.channels, params);
export const webLoginWaitHandler: Handler<'web.login.wait'> = (ctx, params) => webLoginWait(ctx.services.channels, params);

export const pairingList: Handler<'pairing.list'> = (ctx, params) => {
  const { pending, paired } = ctx.services.channels.pairing.list(params.platform);
  return {
    pending: pending.map((p) => ({ requestId: p.id, platform: p.platform, accountId: p.accountId, userId: p.userId, ...(p.displayName ? { displayName: p.displayName } : {}), createdAt: p.createdAt, expiresAt: p.expiresAt })),
    paired,
    limits: { ttlMs: PAIRING_LIMITS.ttlMs, pendingPerPlatform: PAIRING_LIMITS.pendingPerPlatform, requestIntervalMs: PAIRING_LIMITS.requestIntervalMs, maxFailedApprovals: PAIRING_LIMITS.maxFailedApprovals, lockoutMs: PAIRING_LIMITS.lockoutMs },
  };
};

export const pairingApprove: Handler<'pairing.approve'> = async (ctx, params) => {
  const by = ctx.caller.deviceId ?? ctx.caller.client.id;
  const paired = await ctx.services.channels.pairing.approve(params.platform, params.code, by);
  ctx.log.info({ platform: params.platform, by }, 'channel user paired');
  return { platform: paired.platform, userId: paired.userId, requestId: paired.requestId, ...(paired.displayName ? { displayName: paired.displayName } : {}) };
};

export const pairingRevoke: Handler<'pairing.revoke'> = async (ctx, params) => ({
  platform: params.platform,
  userId: params.userId,
  revoked: await ctx.services.channels.pairing.revoke(params.platform, params.userId),
});

/** The channels area of the handler table. */
export const channelHandlers = {
  'channels.status': channelsStatus,
  'channels.start': channelsStart,
  'channels.stop': channelsStop,
  send,
  'web.login.start': webLoginStartHandler,
  'web.login.wait': webLoginWaitHandler,
  'pairing.list': pairingList,
  'pairing.approve': pairingApprove,
  'pairing.revoke': pairingRevoke,
};
