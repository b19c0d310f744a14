/**
 * One driver per real adapter, for table tests that run the same cases through every platform:
 * Telegram (grammY against the fake Bot API), Discord (discord.js against the fake gateway + REST)
 * and WhatsApp (Baileys behind the socket seam). A driver starts its fake, gives the gateway the
 * `channels` block (and factories) to run against it, sends a DM or a group message (mentioning the
 * bot or not) from a numbered user, and reads back what the bot sent to a chat.
 */
import type { GatewayOptionsInput } from '@switchboard/gateway';
import { WhatsAppAdapter } from '../../gateway/src/channels/whatsapp/adapter.js';
import type { Platform } from '../../gateway/src/channels/config.js';
import { FAKE_BOT, startFakeTelegram, type FakeTelegram } from './fake-telegram.js';
import { startFakeDiscord, type FakeDiscord } from './fake-discord.js';
import { fakeWaFactory, sentText, SELF_JID } from './fake-whatsapp.js';
import { noteSecret } from './secrets.js';
import { until } from './wait.js';
import type { TestGateway } from './gateway.js';

/** Where a message is written: a DM, or the driver's group with or without a mention of the bot. */
export type Where = 'dm' | 'group-mentioned' | 'group-silent';

/** One platform, driven for real. */
export interface ChannelDriver {
  platform: Platform;
  /** The platform's user id of test user `n` (what allowlists and pairing match). */
  userId(n: number): string;
  /** The chat the bot answers in for a message from user `n` written `where`. */
  chatOf(n: number, where: Where): string;
  /** Gateway options that run this platform's adapter against the fake with `policy` merged in. */
  gatewayExtra(policy: Record<string, unknown>, global?: Record<string, unknown>): Partial<GatewayOptionsInput>;
  /** Resolves once the adapter is connected. */
  ready(gw: TestGateway): Promise<void>;
  /** Sends `text` from user `n`. */
  send(n: number, where: Where, text: string): void;
  /** The last text of every message the bot sent to `chatId`, in order. */
  texts(chatId: string): string[];
  close(): Promise<void>;
}

const fastSupervisor = { baseDelayMs: 50, maxDelayMs: 200, conflictDelayMs: 100, stableMs: 60_000 };

async function connected(gw: TestGateway, platform: Platform): Promise<void> {
  await until(() => gw.gateway.services.channels.status().channelAccounts[platform]?.[0]?.state === 'connected', 15_000, `${platform} connected`);
}

/** Telegram: users 1000+n, DMs in the user's own chat, one supergroup. */
export async function telegramDriver(): Promise<ChannelDriver> {
  const tg: FakeTelegram = await startFakeTelegram();
  noteSecret(tg.token);
  const group = -1001234;
  const mention = `@${FAKE_BOT.username}`;
  return {
    platform: 'telegram',
    userId: (n) => String(1000 + n),
    chatOf: (n, where) => (where === 'dm' ? String(1000 + n) : String(group)),
    gatewayExtra: (policy, global = {}) => ({
      channels: { ...global, telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, streaming: { enabled: false }, ...policy } } as never,
      channelTuning: { supervisor: fastSupervisor },
    }),
    async ready(gw) {
      await connected(gw, 'telegram');
      await tg.waitFor((f) => f.calls.some((c) => c.method === 'getUpdates'), 10_000, 'polling');
    },
    send(n, where, text) {
      const userId = 1000 + n;
      if (where === 'dm') return void tg.message({ chatId: userId, text });
      const body = where === 'group-mentioned' ? `${mention} ${text}` : text;
      const entities = where === 'group-mentioned' ? [{ type: 'mention', offset: 0, length: mention.length }] : undefined;
      tg.message({ chatId: group, userId, chatType: 'supergroup', text: body, ...(entities ? { entities } : {}) });
    },
    texts: (chatId) => tg.texts(chatId),
    close: () => tg.close(),
  };
}

/** Discord: users 3000…0n, DM channels 7000…0n, one guild channel. */
export async function discordDriver(): Promise<ChannelDriver> {
  const dc: FakeDiscord = await startFakeDiscord();
  noteSecret(dc.token);
  const guildId = '800000000000000009';
  const channelId = '810000000000000009';
  dc.guilds.push({ id: guildId, name: 'Table guild', channels: [{ id: channelId, name: 'general', type: 0 }] });
  const user = (n: number) => String(300000000000000000n + BigInt(n));
  const dmChannel = (n: number) => String(700000000000000000n + BigInt(n));
  return {
    platform: 'discord',
    userId: user,
    chatOf: (n, where) => (where === 'dm' ? dmChannel(n) : channelId),
    gatewayExtra: (policy, global = {}) => ({
      channels: { ...global, discord: { token: dc.token, apiRoot: dc.apiRoot, streaming: { enabled: false }, ...policy } } as never,
      channelTuning: { supervisor: fastSupervisor },
    }),
    ready: (gw) => connected(gw, 'discord'),
    send(n, where, text) {
      if (where === 'dm') return void dc.dm({ channelId: dmChannel(n), userId: user(n), content: text });
      dc.guildMessage({ guildId, channelId, userId: user(n), content: text, mentionBot: where === 'group-mentioned' });
    },
    texts: (chatId) => dc.texts(chatId),
    close: () => dc.close(),
  };
}

/** WhatsApp: users 1555000010n@s.whatsapp.net, DMs in the user's own chat, one group. */
export async function whatsappDriver(): Promise<ChannelDriver> {
  const factory = fakeWaFactory((s) => setTimeout(() => s.open(), 10));
  const group = '120363999@g.us';
  const user = (n: number) => `1555000${String(100 + n)}@s.whatsapp.net`;
  return {
    platform: 'whatsapp',
    userId: user,
    chatOf: (n, where) => (where === 'dm' ? user(n) : group),
    gatewayExtra: (policy, global = {}) => ({
      channels: { ...global, whatsapp: { ...policy } } as never,
      channelTuning: { supervisor: fastSupervisor },
      channelFactories: { whatsapp: (account, deps) => new WhatsAppAdapter(account, { ...deps, socketFactory: factory }) },
    }),
    ready: (gw) => connected(gw, 'whatsapp'),
    send(n, where, text) {
      const sock = factory.current();
      if (where === 'dm') return void sock.receive({ jid: user(n), text });
      sock.receive({ jid: group, participant: user(n), text: where === 'group-mentioned' ? `@bot ${text}` : text, ...(where === 'group-mentioned' ? { mentions: [SELF_JID] } : {}) });
    },
    texts: (chatId) => factory.current()?.sent.filter((m) => m.key.remoteJid === chatId).map(sentText) ?? [],
    async close() { /* the fake socket lives and dies with the gateway */ },
  };
}

/** Every platform's driver, by name. */
export const DRIVERS: Record<Platform, () => Promise<ChannelDriver>> = {
  telegram: telegramDriver,
  discord: discordDriver,
  whatsapp: whatsappDriver,
};
