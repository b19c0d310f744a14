/**
 * WhatsApp through Baileys (7.0.0-rc14), behind a socket-factory seam: production makes the real
 * `makeWASocket`; tests build a socket from Baileys' own event buffer and message builders.
 *
 * - Linking: without credentials the socket offers QR codes; they are kept for `web.login.start` /
 *   `web.login.wait` (and `switchboard channels login whatsapp`, which draws them in the terminal).
 * - Credentials are written atomically and serialised per account (auth-state.ts).
 * - Logged out (401) is terminal: `needs_relink`, with the command that fixes it, and no retry loop.
 *   A replaced session (440) is `conflict`. Any other close restarts the adapter with backoff.
 */
import { DisconnectReason, makeWASocket, type AuthenticationState, type WASocket } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import type { AccountConfig } from '../config.js';
import { AdapterFatalError, AdapterUnavailableError, type AdapterDeps, type AdapterLimits, type AdapterRuntime, type ChannelAdapter, type OutboundMessage, type QrLinking } from '../types.js';
import { AtomicAuthStore, authDir } from './auth-state.js';
import { normalizeWaMessage } from './normalize.js';

/** The parts of a Baileys socket the adapter uses (the real `WASocket` satisfies it). */
export type WhatsAppSocket = Pick<WASocket, 'ev' | 'sendMessage' | 'sendPresenceUpdate' | 'end'> & { user?: { id: string; lid?: string | undefined } | undefined };

/** Makes a socket for an auth state. */
export type SocketFactory = (options: { auth: AuthenticationState; waWebSocketUrl?: string }) => WhatsAppSocket;

/** The production factory: the real Baileys socket (silent logger, no history sync, no QR printing). */
export const baileysSocketFactory: SocketFactory = ({ auth, waWebSocketUrl }) => makeWASocket({
  auth,
  logger: pino({ level: 'silent' }) as never,
  markOnlineOnConnect: false,
  syncFullHistory: false,
  ...(waWebSocketUrl ? { waWebSocketUrl } : {}),
});

/** What to run when the phone logged the device out. */
export const RELINK_FIX = 'WhatsApp logged this device out (401); link it again: switchboard channels login whatsapp';

/** Adapter options beyond the account: the socket factory seam. */
export interface WhatsAppAdapterDeps extends AdapterDeps {
  socketFactory?: SocketFactory;
}

/** One linked WhatsApp account (see the file comment), QR-linkable. */
export class WhatsAppAdapter implements ChannelAdapter, QrLinking {
  readonly platform = 'whatsapp' as const;
  readonly accountId: string;
  // WhatsApp: 4096 characters per message; keep to about one message per second per chat.
  readonly limits: AdapterLimits = { maxMessageLength: 4096, lengthUnit: 'codepoints', canEdit: true, perChatPerSecond: 1, burst: 3 };
  readonly auth: AtomicAuthStore;
  private readonly factory: SocketFactory;
  private sock: WhatsAppSocket | undefined;
  private qr: string | undefined;
  private connected = false;
  private qrWaiters = new Set<() => void>();

  constructor(private readonly account: AccountConfig, deps: WhatsAppAdapterDeps) {
    this.accountId = account.accountId;
    this.auth = new AtomicAuthStore(authDir(deps.stateDir, account.accountId));
    this.factory = deps.socketFactory ?? baileysSocketFactory;
  }

  start(runtime: AdapterRuntime, signal: AbortSignal): Promise<void> {
    const sock = this.factory({ auth: this.auth.load(), ...(this.account.waWebSocketUrl ? { waWebSocketUrl: this.account.waWebSocketUrl } : {}) });
    this.sock = sock;
    this.connected = false;
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: unknown) => {
        this.connected = false;
        this.qr = undefined;
        this.wake();
        if (this.sock === sock) this.sock = undefined;
        if (err) reject(err);
        else resolve();
      };
      sock.ev.on('creds.update', () => {
        this.auth.saveCreds().catch((err) => runtime.log.error({ err }, 'could not save WhatsApp credentials'));
      });
      sock.ev.on('connection.update', (update) => {
        if (update.qr) {
          this.qr = update.qr;
          this.wake();
          runtime.setState('degraded', 'not linked: scan the QR code with `switchboard channels login whatsapp`');
        }
        if (update.connection === 'open') {
          this.qr = undefined;
          this.connected = true;
          this.wake();
          runtime.setState('connected');
        }
        if (update.connection === 'close') {
          if (signal.aborted) return finish();
          const code = (update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode;
          if (code === DisconnectReason.loggedOut) return finish(new AdapterFatalError('needs_relink', RELINK_FIX));
          if (code === DisconnectReason.connectionReplaced) return finish(new AdapterFatalError('conflict', 'another WhatsApp Web session replaced this one (440); close it, the account retries by itself'));
          finish(new Error(`the WhatsApp connection closed (${code ?? 'no status'})`));
        }
      });
      sock.ev.on('messages.upsert', ({ messages, type }) => {
        if (type !== 'notify') return;
        void (async () => {
          for (const m of messages) {
            const event = normalizeWaMessage(m, sock.user, this.accountId);
            if (event) await runtime.receive(event).catch((err) => runtime.log.error({ err }, 'could not record a WhatsApp message'));
          }
        })();
      });
      signal.addEventListener('abort', () => {
        try {
          sock.end(undefined);
        } catch {
          // Ending a socket that never opened may throw inside Baileys; it is going away either way.
        }
        void this.auth.flush().then(() => finish());
      }, { once: true });
    });
  }

  isLinked(): boolean {
    return this.auth.isLinked();
  }

  async resetLink(): Promise<void> {
    await this.auth.clear();
  }

  async nextQr(timeoutMs: number, after?: string): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (!this.connected) {
      if (this.qr && this.qr !== after) return this.qr;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() { clearTimeout(timer); resolve(); }
        this.qrWaiters.add(done);
      });
    }
    return undefined;
  }

  private wake(): void {
    const waiters = this.qrWaiters;
    this.qrWaiters = new Set();
    for (const w of waiters) w();
  }

  private socket(): WhatsAppSocket {
    if (!this.sock || !this.connected) throw new AdapterUnavailableError('WhatsApp is not connected');
    return this.sock;
  }

  async send(message: OutboundMessage): Promise<{ messageId: string }> {
    const sent = await this.socket().sendMessage(message.chatId, { text: message.text }, message.replyToMessageId
      ? { quoted: { key: { remoteJid: message.chatId, id: message.replyToMessageId, fromMe: false }, message: { conversation: '' } } }
      : undefined);
    const id = sent?.key.id;
    if (!id) throw new Error('WhatsApp returned no message id');
    return { messageId: id };
  }

  async edit(chatId: string, messageId: string, text: string): Promise<void> {
    await this.socket().sendMessage(chatId, { text, edit: { remoteJid: chatId, id: messageId, fromMe: true } });
  }

  async typing(chatId: string): Promise<void> {
    await this.socket().sendPresenceUpdate('composing', chatId);
  }
}
