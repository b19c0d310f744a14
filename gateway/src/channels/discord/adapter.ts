/**
 * Discord through discord.js (no zlib-sync): the gateway WebSocket for inbound messages (DMs and
 * guild channels, threads included), REST for sends, edits and typing. The REST root is
 * configuration (`apiRoot`); discord.js asks it for the gateway URL, so a test server stands in
 * for both.
 *
 * Intents are checked at start and reported in plain words: a gateway that refuses them (close
 * 4014) parks the account in `stopped` saying which intent to enable; a READY without the message
 * content intent leaves it `degraded` ("message content intent not granted") since messages would
 * arrive empty. Rate limits come back as errors (`rejectOnRateLimit`), so the outbound ledger
 * honours `retry_after` instead of the library sleeping inside a send.
 */
import { Client, Events, GatewayIntentBits, Partials, REST, RateLimitError, DiscordAPIError, HTTPError, Routes, ApplicationFlags } from 'discord.js';
import type { FailureClass } from '../../net/retry.js';
import type { AccountConfig } from '../config.js';
import { AdapterFatalError, type AdapterDeps, type AdapterLimits, type AdapterRuntime, type ChannelAdapter, type OutboundMessage } from '../types.js';
import { normalizeMessage } from './normalize.js';

/** Discord's REST root. */
export const DISCORD_API_ROOT = 'https://discord.com/api';
const INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages, GatewayIntentBits.MessageContent];
/** What to do when the message content intent is missing. */
export const INTENT_FIX = 'message content intent not granted: enable "Message Content Intent" for the bot in the Discord developer portal (Bot → Privileged Gateway Intents), then run switchboard channels start discord';

/** One Discord bot account (see the file comment): gateway for inbound, REST for sends. */
export class DiscordAdapter implements ChannelAdapter {
  readonly platform = 'discord' as const;
  readonly accountId: string;
  // Discord: 2000 characters per message; about 5 messages per 5 s per channel.
  readonly limits: AdapterLimits = { maxMessageLength: 2000, lengthUnit: 'codepoints', canEdit: true, perChatPerSecond: 1, burst: 5 };
  private readonly rest: REST;
  private botId: string | undefined;
  botUsername: string | undefined;

  constructor(private readonly account: AccountConfig, private readonly deps: AdapterDeps) {
    this.accountId = account.accountId;
    this.rest = new REST({ api: account.apiRoot ?? DISCORD_API_ROOT, rejectOnRateLimit: () => true, retries: 1 }).setToken(account.token ?? '');
  }

  classify = classifyDiscord;

  async start(runtime: AdapterRuntime, signal: AbortSignal): Promise<void> {
    if (!this.account.token) throw new AdapterFatalError('stopped', 'no bot token: set channels.discord.token');
    const client = new Client({
      intents: INTENTS,
      // DM channels are not cached: without the partial, discord.js drops DMs.
      partials: [Partials.Channel],
      rest: { api: this.account.apiRoot ?? DISCORD_API_ROOT },
    });
    let fail: (err: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => { fail = reject; });
    failed.catch(() => undefined);
    client.on(Events.Error, (err) => runtime.log.warn({ err }, 'discord client error'));
    client.on(Events.ShardDisconnect, (event) => {
      if (event.code === 4014) fail(new AdapterFatalError('stopped', INTENT_FIX));
      else if (event.code === 4004) fail(new AdapterFatalError('stopped', 'Discord refused the bot token (4004); set a valid one in channels.discord.token'));
      else runtime.setState('degraded', `gateway disconnected (${event.code}); reconnecting`);
    });
    client.on(Events.ShardReconnecting, () => runtime.setState('degraded', 'gateway reconnecting'));
    client.on(Events.ShardResume, () => this.reportIntents(client, runtime));
    client.on(Events.Invalidated, () => fail(new Error('the Discord session was invalidated')));
    client.on(Events.MessageCreate, (message) => {
      const event = this.botId ? normalizeMessage(message, this.botId, this.accountId) : undefined;
      // Discord does not redeliver: a message the store refused is logged, not acknowledged anywhere.
      if (event) runtime.receive(event).catch((err) => runtime.log.error({ err }, 'could not record a Discord message'));
    });
    client.once(Events.ClientReady, (ready) => {
      this.botId = ready.user.id;
      this.botUsername = ready.user.username;
      this.reportIntents(client, runtime);
    });
    const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    try {
      await Promise.race([client.login(this.account.token).catch((err) => { throw mapLoginError(err); }), failed, stopped]);
      await Promise.race([failed, stopped]);
    } finally {
      await client.destroy().catch(() => undefined);
    }
  }

  /** READY tells which privileged intents the application has. */
  private reportIntents(client: Client, runtime: AdapterRuntime): void {
    const flags = client.application?.flags;
    const granted = flags ? flags.has(ApplicationFlags.GatewayMessageContent) || flags.has(ApplicationFlags.GatewayMessageContentLimited) : false;
    if (granted) runtime.setState('connected');
    else runtime.setState('degraded', INTENT_FIX);
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<{ messageId: string }> {
    const body = {
      content: message.text,
      allowed_mentions: { parse: [] as string[] },
      ...(message.replyToMessageId ? { message_reference: { message_id: message.replyToMessageId, fail_if_not_exists: false } } : {}),
    };
    const sent = await this.rest.post(Routes.channelMessages(message.threadId ?? message.chatId), { body, signal }) as { id: string };
    return { messageId: sent.id };
  }

  async edit(chatId: string, messageId: string, text: string, signal: AbortSignal, threadId?: string): Promise<void> {
    await this.rest.patch(Routes.channelMessage(threadId ?? chatId, messageId), { body: { content: text, allowed_mentions: { parse: [] } }, signal });
  }

  async typing(chatId: string, signal: AbortSignal, threadId?: string): Promise<void> {
    await this.rest.post(Routes.channelTyping(threadId ?? chatId), { signal });
  }
}

/** discord.js's REST errors in the retry helper's terms. */
export function classifyDiscord(error: unknown): FailureClass | undefined {
  if (error instanceof RateLimitError) return { retryable: true, retryAfterMs: error.retryAfter, status: 429, reason: 'discord:429' };
  if (error instanceof DiscordAPIError || error instanceof HTTPError) {
    return { retryable: error.status === 429 || error.status >= 500, status: error.status, reason: `discord:${error.status}` };
  }
  return undefined;
}

function mapLoginError(err: unknown): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'TokenInvalid' || (err instanceof DiscordAPIError && err.status === 401)) {
    return new AdapterFatalError('stopped', 'Discord refused the bot token (401); set a valid one in channels.discord.token');
  }
  if (code === 'DisallowedIntents') return new AdapterFatalError('stopped', INTENT_FIX);
  return err;
}
