/**
 * A Baileys message (`messages.upsert`, type `notify`) as the normalised inbound shape. Our own
 * messages, status broadcasts and protocol messages are dropped.
 *
 * WhatsApp addresses people two ways: by phone number (`15551234567@s.whatsapp.net`) and by a
 * hidden "LID" (`123456789@lid`). Baileys 7 gives the other form of the sender, when WhatsApp sent
 * it, in `key.remoteJidAlt` (DMs) / `key.participantAlt` (groups). The sender's identity — what
 * allowlists, pairing and per-user sessions match — is always the phone-number form when either
 * side carries it, so one person is one user whichever way a message was addressed. Replies still
 * go to the chat JID the message came from (`chatId`); a DM's session follows the phone-number
 * form (`sessionChatId`).
 */
import { getContentType, isLidUser, isPnUser, jidNormalizedUser, type WAMessage } from '@whiskeysockets/baileys';
import type { InboundEvent, MediaRef } from '../types.js';

const MEDIA: Record<string, MediaRef['kind']> = {
  imageMessage: 'photo', videoMessage: 'video', audioMessage: 'audio', documentMessage: 'document', stickerMessage: 'sticker',
};

/** The bot's own ids: its phone-number JID and, on newer links, its LID (`creds.me.lid` / `sock.user.lid`). */
export interface WaSelf {
  id?: string | undefined;
  lid?: string | undefined;
}

/**
 * A user's JID in phone-number form when `jid` or `alt` is one (device suffix dropped); otherwise
 * the normalised `jid` (an LID WhatsApp sent without its phone number stays an LID).
 */
export function phoneNumberJid(jid: string, alt?: string | null): string {
  if (isLidUser(jid) && alt && isPnUser(alt)) return jidNormalizedUser(alt);
  return jidNormalizedUser(jid);
}

/** Whether `jid` (either form, any device) is the bot itself. */
function isSelf(jid: string | null | undefined, self: ReadonlySet<string>): boolean {
  return Boolean(jid) && self.has(jidNormalizedUser(jid!));
}

/** The inbound event of a message, or undefined when there is nothing to answer. */
export function normalizeWaMessage(m: WAMessage, me: WaSelf | undefined, accountId: string): InboundEvent | undefined {
  const jid = m.key.remoteJid;
  if (!jid || m.key.fromMe || jid === 'status@broadcast' || !m.message || !m.key.id) return undefined;
  const type = getContentType(m.message);
  if (!type || type === 'protocolMessage' || type === 'reactionMessage') return undefined;
  const isGroup = jid.endsWith('@g.us');
  const rawSender = isGroup ? m.key.participant ?? '' : jid;
  if (!rawSender) return undefined;
  const userId = phoneNumberJid(rawSender, isGroup ? m.key.participantAlt : m.key.remoteJidAlt);
  const content = m.message[type] as Record<string, any> | undefined;
  const text = type === 'conversation' ? String(m.message.conversation ?? '') : String(content?.text ?? content?.caption ?? '');
  const context = content?.contextInfo as { stanzaId?: string; participant?: string; quotedMessage?: Record<string, any>; mentionedJid?: string[] } | undefined;
  const self = new Set([me?.id, me?.lid].filter((j): j is string => Boolean(j)).map((j) => jidNormalizedUser(j)));
  const quotedText = context?.quotedMessage?.conversation ?? context?.quotedMessage?.extendedTextMessage?.text;
  const media: MediaRef[] = MEDIA[type] ? [{ kind: MEDIA[type], ref: m.key.id, ...(content?.mimetype ? { mimeType: String(content.mimetype) } : {}), ...(content?.fileName ? { fileName: String(content.fileName) } : {}) }] : [];
  const ts = typeof m.messageTimestamp === 'number' ? m.messageTimestamp : Number(m.messageTimestamp ?? 0);
  return {
    platform: 'whatsapp',
    accountId,
    chatId: jid,
    ...(!isGroup && userId !== jid ? { sessionChatId: userId } : {}),
    chatType: isGroup ? 'group' : 'dm',
    userId,
    ...(m.pushName ? { displayName: m.pushName } : {}),
    messageId: m.key.id,
    ...(context?.stanzaId ? { replyTo: { messageId: context.stanzaId, ...(quotedText ? { text: String(quotedText).slice(0, 2000) } : {}) } } : {}),
    text,
    media,
    mentioned: !isGroup || Boolean(context?.mentionedJid?.some((j) => isSelf(j, self)) || isSelf(context?.participant, self)),
    ...(ts ? { sentAt: ts * 1000 } : {}),
  };
}
