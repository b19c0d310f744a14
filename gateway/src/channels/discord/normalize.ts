/**
 * A discord.js message as the normalised inbound shape: DMs, guild channels (groups) and threads.
 * Messages from bots (ourselves included) are dropped.
 */
import type { Message } from 'discord.js';
import type { InboundEvent, MediaRef } from '../types.js';

/** The inbound event of a message, or undefined when it is not one to answer. */
export function normalizeMessage(m: Message, botId: string, accountId: string): InboundEvent | undefined {
  if (m.author.bot || m.author.id === botId || m.system) return undefined;
  const isDm = m.guildId === null;
  const channel = m.channel;
  const thread = !isDm && channel && 'isThread' in channel && channel.isThread() ? channel : undefined;
  const media: MediaRef[] = [...m.attachments.values()].map((a) => ({
    kind: a.contentType?.startsWith('image/') ? 'photo' : a.contentType?.startsWith('audio/') ? 'audio' : a.contentType?.startsWith('video/') ? 'video' : 'document',
    ref: a.url,
    ...(a.contentType ? { mimeType: a.contentType } : {}),
    ...(a.name ? { fileName: a.name } : {}),
  }));
  const replied = m.mentions.repliedUser;
  // Strip our own mention from the text: "<@id> hello" is "hello" to the agent.
  const text = m.content.replace(new RegExp(`<@!?${botId}>`, 'g'), '').trim();
  return {
    platform: 'discord',
    accountId,
    chatId: thread ? (thread.parentId ?? m.channelId) : m.channelId,
    chatType: isDm ? 'dm' : thread ? 'thread' : 'group',
    ...(thread ? { threadId: thread.id } : {}),
    userId: m.author.id,
    displayName: m.member?.displayName ?? m.author.globalName ?? m.author.username,
    username: m.author.username,
    messageId: m.id,
    ...(m.reference?.messageId ? { replyTo: { messageId: m.reference.messageId, ...(replied ? { sender: replied.globalName ?? replied.username } : {}) } } : {}),
    text,
    media,
    ...(!isDm && m.guild ? { groupTitle: `${m.guild.name}${channel && 'name' in channel && channel.name ? ` #${channel.name}` : ''}` } : {}),
    mentioned: isDm || m.mentions.users.has(botId) || replied?.id === botId,
    sentAt: m.createdTimestamp,
  };
}
