/**
 * A WhatsApp socket for tests, built from Baileys' own pieces (deps.md §2.3): its event emitter is
 * Baileys' `makeEventBuffer`, the messages it "sends" are real `WAMessage` protos built by
 * `generateWAMessage`, and inbound messages are `proto.WebMessageInfo` objects. It is typed as the
 * adapter's `WhatsAppSocket`, so the compiler checks it against the real socket's shape.
 */
import { generateWAMessage, makeEventBuffer, proto, type WAMessage } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import type { WhatsAppSocket, SocketFactory } from '../../gateway/src/channels/whatsapp/adapter.js';

export const SELF_JID = '15550000000:1@s.whatsapp.net';
/** The bot's own LID (newer links address it by this in LID groups). */
export const SELF_LID = '99990000000:1@lid';
const logger = pino({ level: 'silent' }) as never;

/** One fake socket and what it was asked to do. */
export interface FakeWaSocket extends WhatsAppSocket {
  sent: WAMessage[];
  presence: Array<{ type: string; jid: string }>;
  ended: boolean;
  open(): void;
  showQr(qr: string): void;
  close(statusCode: number): void;
  /**
   * Emits an inbound text message (`messages.upsert`, notify). `alt` is the sender's other JID
   * (Baileys' `key.remoteJidAlt` in DMs, `key.participantAlt` in groups).
   */
  receive(opts: { jid: string; text: string; id?: string; participant?: string; alt?: string; pushName?: string; mentions?: string[] }): WAMessage;
}

let counter = 0;

/** Builds one fake socket. */
export function fakeWaSocket(): FakeWaSocket {
  const ev = makeEventBuffer(logger);
  const sock: FakeWaSocket = {
    ev,
    user: { id: SELF_JID, lid: SELF_LID },
    sent: [],
    presence: [],
    ended: false,
    async sendMessage(jid, content, options) {
      const m = await generateWAMessage(jid, content as never, { userJid: SELF_JID, logger, ...(options?.quoted ? { quoted: options.quoted } : {}), upload: async () => { throw new Error('no uploads in tests'); } } as never);
      sock.sent.push(m);
      return m;
    },
    async sendPresenceUpdate(type, jid) {
      sock.presence.push({ type, jid: jid ?? '' });
    },
    end() {
      sock.ended = true;
      ev.emit('connection.update', { connection: 'close', lastDisconnect: { error: Object.assign(new Error('ended'), { output: { statusCode: 428 } }), date: new Date() } });
    },
    open() { ev.emit('connection.update', { connection: 'open' }); },
    showQr(qr) { ev.emit('connection.update', { qr }); },
    close(statusCode) {
      ev.emit('connection.update', { connection: 'close', lastDisconnect: { error: Object.assign(new Error(`closed ${statusCode}`), { output: { statusCode } }), date: new Date() } });
    },
    receive(opts) {
      const message = proto.WebMessageInfo.fromObject({
        key: { remoteJid: opts.jid, fromMe: false, id: opts.id ?? `IN${++counter}${Date.now()}`, ...(opts.participant ? { participant: opts.participant } : {}) },
        message: opts.mentions ? { extendedTextMessage: { text: opts.text, contextInfo: { mentionedJid: opts.mentions } } } : { conversation: opts.text },
        messageTimestamp: Math.floor(Date.now() / 1000),
        pushName: opts.pushName ?? 'Alice',
      }) as WAMessage;
      // The *Alt fields are Baileys' own additions to the key, not proto fields (fromObject drops them).
      if (opts.alt) Object.assign(message.key, opts.participant ? { participantAlt: opts.alt } : { remoteJidAlt: opts.alt });
      ev.emit('messages.upsert', { messages: [message], type: 'notify' });
      return message;
    },
  } as FakeWaSocket;
  return sock;
}

/** A factory that hands out fake sockets and remembers them (the newest is `current()`). */
export function fakeWaFactory(onCreate?: (sock: FakeWaSocket) => void): SocketFactory & { sockets: FakeWaSocket[]; current(): FakeWaSocket } {
  const sockets: FakeWaSocket[] = [];
  const factory = (() => {
    const s = fakeWaSocket();
    sockets.push(s);
    onCreate?.(s);
    return s;
  }) as SocketFactory & { sockets: FakeWaSocket[]; current(): FakeWaSocket };
  factory.sockets = sockets;
  factory.current = () => sockets[sockets.length - 1];
  return factory;
}

/** The text of a sent message (plain, extended, or the new text of an edit). */
export function sentText(m: WAMessage): string {
  const msg = m.message;
  const edited = msg?.protocolMessage?.editedMessage;
  return edited?.conversation ?? edited?.extendedTextMessage?.text ?? msg?.conversation ?? msg?.extendedTextMessage?.text ?? '';
}

/** Whether a sent message is an edit (and of which message id). */
export function editedId(m: WAMessage): string | undefined {
  return m.message?.protocolMessage?.key?.id ?? undefined;
}
