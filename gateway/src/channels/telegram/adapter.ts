/**
 * Telegram through grammY: long polling by default, or a webhook with a required secret — never
 * both. One poller per bot token per host is enforced by a token lock taken before the first
 * `getUpdates` and released only after the last one returned; the long poll is aborted with the
 * adapter's signal, so a restart never overlaps its predecessor. A 409 (another poller elsewhere)
 * parks the account in `conflict`, never `connected`.
 *
 * Record before ack: an update's offset is confirmed to Telegram (by the next `getUpdates`) only
 * after `runtime.receive()` resolved; a webhook answers 200 only then.
 */
import { timingSafeEqual } from 'node:crypto';
import { Bot, GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import { backoffDelay, sleep } from '../../net/retry.js';
import type { AccountConfig } from '../config.js';
import { TokenLock, tokenLockPath } from '../token-lock.js';
import { AdapterFatalError, type AdapterDeps, type AdapterLimits, type AdapterRuntime, type ChannelAdapter, type OutboundMessage, type WebhookHandler } from '../types.js';
import { classifyTelegram, isNotModified } from './errors.js';
import { normalizeUpdate, type BotIdentity } from './normalize.js';

/** Telegram's default Bot API root. */
export const TELEGRAM_API_ROOT = 'https://api.telegram.org';
/** How often webhook mode checks that its webhook is still the one set. */
export const WEBHOOK_CHECK_MS = 5 * 60_000;

/** One Telegram bot account (see the file comment): polling or webhook, sends, edits, typing. */
export class TelegramAdapter implements ChannelAdapter {
  readonly platform = 'telegram' as const;
  readonly accountId: string;
  // Telegram: 4096 UTF-16 units per message; about one message per second per chat, 20 per minute
  // in a group, 30 per second for the whole bot. Group chat ids are negative.
  readonly limits: AdapterLimits;
  readonly bot: Bot;
  private identity: BotIdentity | undefined;

  constructor(private readonly account: AccountConfig, private readonly deps: AdapterDeps) {
    this.accountId = account.accountId;
    this.limits = {
      maxMessageLength: 4096, lengthUnit: 'utf16', canEdit: true, perChatPerSecond: 1, burst: 3,
      perAccountPerSecond: account.rateLimits?.perSecond ?? 30,
      perGroupPerMinute: account.rateLimits?.groupPerMinute ?? 20,
      isGroupChat: (chatId) => chatId.startsWith('-'),
    };
    this.bot = new Bot(account.token ?? '', { client: { apiRoot: account.apiRoot ?? TELEGRAM_API_ROOT } });
  }

  get botUsername(): string | undefined {
    return this.identity?.username;
  }

  classify = classifyTelegram;

  async start(runtime: AdapterRuntime, signal: AbortSignal): Promise<void> {
    if (!this.account.token) throw new AdapterFatalError('stopped', 'no bot token: set channels.telegram.token');
    const lock = TokenLock.tryAcquire('telegram', this.account.token);
    if (!lock) {
      throw new AdapterFatalError('conflict', `another Switchboard gateway on this host already uses this bot token (lock ${tokenLockPath('telegram', this.account.token)}); stop it or give this gateway its own bot`);
    }
    try {
      await this.init(signal);
      if (this.account.mode === 'webhook') await this.runWebhook(runtime, signal);
      else await this.poll(runtime, signal);
    } finally {
      lock.release();
    }
  }

  private async init(signal: AbortSignal): Promise<void> {
    try {
      const me = await this.bot.api.getMe(g(signal));
      this.identity = { id: me.id, username: me.username };
    } catch (err) {
      throw this.fatalOrSelf(err);
    }
  }

  /** 401/404 on getMe: the token is wrong; retrying will not help. */
  private fatalOrSelf(err: unknown): unknown {
    if (err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404)) {
      return new AdapterFatalError('stopped', `Telegram refused the bot token (${err.error_code}); set a valid one in channels.telegram.token (from @BotFather)`);
    }
    if (err instanceof GrammyError && err.error_code === 409) return conflict();
    return err;
  }

  private async poll(runtime: AdapterRuntime, signal: AbortSignal): Promise<void> {
    // Polling and webhook are exclusive: a webhook left from webhook mode would make getUpdates fail.
    await this.bot.api.deleteWebhook({ drop_pending_updates: false }, g(signal)).catch((err) => { throw this.fatalOrSelf(err); });
    let offset = 0;
    let failures = 0;
    while (!signal.aborted) {
      let updates: Update[];
      try {
        updates = await this.bot.api.getUpdates({ offset, timeout: this.account.pollTimeoutSeconds, allowed_updates: ['message'] }, g(signal));
      } catch (err) {
        if (signal.aborted) return;
        const fatal = this.fatalOrSelf(err);
        if (fatal instanceof AdapterFatalError) throw fatal;
        const failure = classifyTelegram(err);
        if (!failure?.retryable) throw err;
        failures++;
        runtime.setState('degraded', `getUpdates failed (${failure.reason}); retrying`);
        await sleep(failure.retryAfterMs ?? backoffDelay(failures, 500, 30_000), signal).catch(() => undefined);
        continue;
      }
      failures = 0;
      runtime.setState('connected');
      for (const update of updates) {
        const event = normalizeUpdate(update, this.identity!, this.accountId);
        // Not advancing the offset when the store refuses: Telegram redelivers, the ledger dedupes.
        if (event) await runtime.receive(event);
        offset = update.update_id + 1;
      }
    }
  }

  private async runWebhook(runtime: AdapterRuntime, signal: AbortSignal): Promise<void> {
    const { url, secret } = this.account.webhook ?? {};
    if (!url || !secret) throw new AdapterFatalError('stopped', 'webhook mode needs channels.telegram.webhook.url and .secret');
    await this.bot.api.setWebhook(url, { secret_token: secret, allowed_updates: ['message'], drop_pending_updates: false }, g(signal));
    runtime.setWebhookHandler?.(this.webhookHandler(runtime, secret));
    runtime.setState('connected');
    while (!signal.aborted) {
      await sleep(WEBHOOK_CHECK_MS, signal).catch(() => undefined);
      if (signal.aborted) return;
      try {
        const info = await this.bot.api.getWebhookInfo(g(signal));
        if (info.url !== url) {
          runtime.setState('degraded', 'the webhook was replaced by someone else; setting it again');
          await this.bot.api.setWebhook(url, { secret_token: secret, allowed_updates: ['message'] }, g(signal));
        }
        runtime.setState(info.last_error_message && info.url === url ? 'degraded' : 'connected', info.last_error_message ? `Telegram reports: ${info.last_error_message}` : undefined);
      } catch (err) {
        if (signal.aborted) return;
        runtime.setState('degraded', `getWebhookInfo failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private webhookHandler(runtime: AdapterRuntime, secret: string): WebhookHandler {
    const expected = Buffer.from(secret);
    return async ({ headers, body }) => {
      const given = headers['x-telegram-bot-api-secret-token'];
      const got = Buffer.from(typeof given === 'string' ? given : '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) return 401;
      let update: Update;
      try {
        update = JSON.parse(body.toString('utf8')) as Update;
      } catch {
        return 400;
      }
      const event = typeof update === 'object' && update ? normalizeUpdate(update, this.identity!, this.accountId) : undefined;
      if (event) await runtime.receive(event);
      return 200;
    };
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<{ messageId: string }> {
    const sent = await this.bot.api.sendMessage(message.chatId, message.text, {
      link_preview_options: { is_disabled: true },
      ...(message.threadId ? { message_thread_id: Number(message.threadId) } : {}),
      ...(message.replyToMessageId ? { reply_parameters: { message_id: Number(message.replyToMessageId), allow_sending_without_reply: true } } : {}),
    }, g(signal));
    return { messageId: String(sent.message_id) };
  }

  async edit(chatId: string, messageId: string, text: string, signal: AbortSignal): Promise<void> {
    try {
      await this.bot.api.editMessageText(chatId, Number(messageId), text, { link_preview_options: { is_disabled: true } }, g(signal));
    } catch (err) {
      if (!isNotModified(err)) throw err;
    }
  }

  async typing(chatId: string, signal: AbortSignal, threadId?: string): Promise<void> {
    await this.bot.api.sendChatAction(chatId, 'typing', threadId ? { message_thread_id: Number(threadId) } : {}, g(signal));
  }
}

/** grammY types its signals with the abort-controller shim; Node's AbortSignal is what it really gets. */
function g(signal: AbortSignal): Parameters<Bot['api']['getMe']>[0] {
  return signal as unknown as Parameters<Bot['api']['getMe']>[0];
}

function conflict(): AdapterFatalError {
  return new AdapterFatalError('conflict', 'Telegram answered 409: another program is polling this bot token (or a webhook is set elsewhere); stop it or give this gateway its own bot');
}
