/**
 * A Baileys message (`messages.upsert`, type `notify`) as the normalised inbound shape. Our own
 * messages, status broadcasts and protocol messages are dropped.
 */
import { getContentType, jidNormalizedUser, type WAMessage } from '@whiskeysockets/baileys';
import type { InboundEvent, MediaRef } from '../types.js';

const MEDIA: Record<string, MediaRef['kind']> = {
  imageMessage: 'photo', videoMessage: 'video', audioMessage: 'audio', documentMessage: 'document', stickerMessage: 'sticker',
};

/** The inbound event of a message, or undefined when there is nothing to answer. */
export function normalizeWaMessage(m: WAMessage, selfJid: string | undefined, accountId: string): InboundEvent | undefined {
  const jid = m.key.remoteJid;
  if (!jid || m.key.fromMe || jid === 'status@broadcast' || !m.message || !m.key.id) return undefined;
  const type = getContentType(m.message);
  if (!type || type === 'protocolMessage' || type === 'reactionMessage') return undefined;
  const isGroup = jid.endsWith('@g.us');
  const sender = isGroup ? m.key.participant ?? '' : jid;
  if (!sender) return undefined;
  const content = m.message[type] as Record<string, any> | undefined;
  const text = type === 'conversation' ? String(m.message.conversation ?? '') : String(content?.text ?? content?.caption ?? '');
  const context = content?.contextInfo as { stanzaId?: string; participant?: string; quotedMessage?: Record<string, any>; mentionedJid?: string[] } | undefined;
  const self = selfJid ? jidNormalizedUser(selfJid) : undefined;
  const quotedText = context?.quotedMessage?.conversation ?? context?.quotedMessage?.extendedTextMessage?.text;
  const media: MediaRef[] = MEDIA[type] ? [{ kind: MEDIA[type], ref: m.key.id, ...(content?.mimetype ? { mimeType: String(content.mimetype) } : {}), ...(content?.fileName ? { fileName: String(content.fileName) } : {}) }] : [];
  const ts = typeof m.messageTimestamp === 'number' ? m.messageTimestamp : Number(m.messageTimestamp ?? 0);
  return {
    platform: 'whatsapp',
    accountId,
    chatId: jid,
    chatType: isGroup ? 'group' : 'dm',
    userId: jidNormalizedUser(sender),
    ...(m.pushName ? { displayName: m.pushName } : {}),
    messageId: m.key.id,
    ...(context?.stanzaId ? { replyTo: { messageId: context.stanzaId, ...(quotedText ? { text: String(quotedText).slice(0, 2000) } : {}) } } : {}),
    text,
    media,
    mentioned: !isGroup || Boolean(self && (context?.mentionedJid?.some((j) => jidNormalizedUser(j) === self) || (context?.participant && jidNormalizedUser(context.participant) === self))),
    ...(ts ? { sentAt: ts * 1000 } : {}),
  };
}
