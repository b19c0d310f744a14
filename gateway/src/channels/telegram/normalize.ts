/**
 * A Telegram update as the normalised inbound shape. Only new messages are taken (edits, channel
 * posts, callbacks are not conversation turns); messages from bots are dropped.
 */
import type { Message, MessageEntity, Update } from 'grammy/types';
import type { InboundEvent, MediaRef } from '../types.js';

/** The bot's own identity, for mention detection. */
export interface BotIdentity {
  id: number;
  username: string;
}

function mediaOf(m: Message): MediaRef[] {
  const out: MediaRef[] = [];
  if (m.photo?.length) out.push({ kind: 'photo', ref: m.photo[m.photo.length - 1].file_id });
  if (m.document) out.push({ kind: 'document', ref: m.document.file_id, ...(m.document.mime_type ? { mimeType: m.document.mime_type } : {}), ...(m.document.file_name ? { fileName: m.document.file_name } : {}) });
  if (m.voice) out.push({ kind: 'voice', ref: m.voice.file_id, ...(m.voice.mime_type ? { mimeType: m.voice.mime_type } : {}) });
  if (m.audio) out.push({ kind: 'audio', ref: m.audio.file_id });
  if (m.video) out.push({ kind: 'video', ref: m.video.file_id });
  if (m.sticker) out.push({ kind: 'sticker', ref: m.sticker.file_id });
  return out;
}

/** Whether the message mentions the bot: @username, a text mention, a /cmd@bot, or a reply to it. */
export function mentionsBot(m: Message, bot: BotIdentity): boolean {
  if (m.reply_to_message?.from?.id === bot.id) return true;
  const text = m.text ?? m.caption ?? '';
  const entities: MessageEntity[] = m.entities ?? m.caption_entities ?? [];
  const handle = `@${bot.username}`.toLowerCase();
  return entities.some((e) => {
    if (e.type === 'text_mention') return e.user.id === bot.id;
    const slice = text.slice(e.offset, e.offset + e.length).toLowerCase();
    if (e.type === 'mention') return slice === handle;
    if (e.type === 'bot_command') return slice.endsWith(handle);
    return false;
  });
}

function nameOf(user: { first_name: string; last_name?: string }): string {
  return [user.first_name, user.last_name].filter(Boolean).join(' ');
}

/** The inbound event of an update, or undefined for updates that are not messages to answer. */
export function normalizeUpdate(update: Update, bot: BotIdentity, accountId: string): InboundEvent | undefined {
  const m = update.message;
  if (!m || !m.from || m.from.is_bot) return undefined;
  const chat = m.chat;
  const isDm = chat.type === 'private';
  const topic = !isDm && m.is_topic_message && m.message_thread_id !== undefined ? String(m.message_thread_id) : undefined;
  const reply = m.reply_to_message;
  const replyText = reply?.text ?? reply?.caption;
  return {
    platform: 'telegram',
    accountId,
    chatId: String(chat.id),
    chatType: isDm ? 'dm' : topic ? 'thread' : 'group',
    ...(topic ? { threadId: topic } : {}),
    userId: String(m.from.id),
    displayName: nameOf(m.from),
    ...(m.from.username ? { username: m.from.username } : {}),
    messageId: String(m.message_id),
    ...(reply && !(topic && reply.message_id === Number(topic)) ? {
      replyTo: {
        messageId: String(reply.message_id),
        ...(replyText ? { text: replyText.slice(0, 2000) } : {}),
        ...(reply.from ? { sender: nameOf(reply.from) } : {}),
      },
    } : {}),
    text: m.text ?? m.caption ?? '',
    media: mediaOf(m),
    ...('title' in chat && chat.title ? { groupTitle: chat.title } : {}),
    mentioned: isDm || mentionsBot(m, bot),
    sentAt: m.date * 1000,
  };
}
