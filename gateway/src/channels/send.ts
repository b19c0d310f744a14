/**
 * `send`: text to a chat on the gateway's initiative, through the outbound ledger, after the one
 * authorisation function allowed the recipient (user-pain row 6: outbound sends obey the allowlist).
 */
import { GatewayError, type SendParams, type SendResult } from '@switchboard/protocol';
import { DEFAULT_ACCOUNT, Platforms, type Platform } from './config.js';
import { authorizeOutbound } from './policy.js';
import type { ChannelService } from './service.js';

/** How long `send` waits for the platform to acknowledge before answering `queued`. */
export const SEND_WAIT_MS = 10_000;

const MEDIA_PARAMS = ['mediaUrl', 'mediaUrls', 'buffer', 'filename', 'contentType', 'asVoice', 'gifPlayback', 'forceDocument', 'parseMode'] as const;

/** Where `to` points: `channel` param or a `platform:` prefix, and the chat id. */
export function parseTarget(params: Pick<SendParams, 'to' | 'channel'>): { platform: Platform; chatId: string } {
  let platform = params.channel?.toLowerCase();
  let chatId = params.to.trim();
  const prefixed = /^([a-z]+):(.+)$/.exec(chatId);
  if (prefixed && (Platforms as readonly string[]).includes(prefixed[1])) {
    if (platform && platform !== prefixed[1]) throw new GatewayError('INVALID_REQUEST', `to names ${prefixed[1]} but channel is ${platform}; use one`);
    platform = prefixed[1];
    chatId = prefixed[2];
  }
  if (!platform || !(Platforms as readonly string[]).includes(platform)) {
    throw new GatewayError('INVALID_REQUEST', `say which channel to send through: channel: telegram | discord | whatsapp, or to: "telegram:<chat id>"`, { details: { code: 'UNKNOWN_CHANNEL' } });
  }
  return { platform: platform as Platform, chatId };
}

/**
 * Validates, authorises and enqueues (durably, keyed by the idempotencyKey, so a retried request
 * never sends twice), then waits up to {@link SEND_WAIT_MS} for the platform's id.
 */
export async function sendMessage(channels: ChannelService, params: SendParams, commit: <T>(work: () => T) => Promise<T>): Promise<SendResult> {
  for (const key of MEDIA_PARAMS) {
    if (params[key] !== undefined) {
      throw new GatewayError('INVALID_REQUEST', `${key} is not supported by this gateway: send text only`, { details: { code: 'UNSUPPORTED_PARAM', param: key } });
    }
  }
  const text = params.message?.trim();
  if (!text) throw new GatewayError('INVALID_REQUEST', 'message is empty; give the text to send');
  const { platform, chatId } = parseTarget(params);
  const accountId = params.accountId || DEFAULT_ACCOUNT;
  channels.entry(platform, accountId);
  const decision = authorizeOutbound({ platform, chatId, paired: channels.pairing.isPaired(platform, chatId) }, channels.policy(platform), channels.resolved.global);
  if (decision.decision !== 'allow') {
    throw new GatewayError('FORBIDDEN', `${platform} chat ${chatId} is not allowed to receive messages (${decision.reason}); add it to channels.${platform}.allowFrom or allowChats`, {
      details: { code: 'RECIPIENT_NOT_ALLOWED' },
    });
  }
  const chat = { channel: platform, accountId, chatId };
  const answer = await commit(() => {
    const ids = channels.outbound.enqueueTextSync(chat, text, `send:${params.idempotencyKey}`, { threadId: params.threadId, replyTo: params.replyToId, purpose: 'send' });
    return { runId: params.idempotencyKey, channel: platform, chatId, deliveryId: ids[0], status: 'queued' as const };
  });
  channels.outbound.kick(chat);
  const done = await channels.outbound.waitFor(answer.deliveryId, SEND_WAIT_MS);
  if (done?.status === 'sent') return { ...answer, status: 'sent', ...(done.platformMessageId ? { messageId: done.platformMessageId } : {}) };
  if (done?.status === 'failed') return { ...answer, status: 'failed', ...(done.lastError ? { error: done.lastError } : {}) };
  return answer;
}
