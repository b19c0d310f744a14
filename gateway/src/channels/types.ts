/**
 * The one small interface every messaging platform implements, and the normalised inbound shape.
 *
 * An adapter owns its library (grammY, discord.js, Baileys) and the mapping of that library's
 * errors to ours; it never touches the store, the runs or the policy. The channel service gives it
 * an {@link AdapterRuntime}: `receive()` records a message durably (resolve = safe to acknowledge
 * the platform), `setState()` reports its connection. Everything else — who may talk, commands,
 * sessions, chunking, rate limits, retries, the ledgers — is done once, outside the adapters.
 */
import type { Log } from '../log.js';
import type { AccountConfig, ChannelName } from './config.js';

/** Where a message was written: a direct message, a group, or a thread inside a group. */
export type ChatType = 'dm' | 'group' | 'thread';

/** An attachment, referenced (never downloaded by the adapter). */
export interface MediaRef {
  kind: 'photo' | 'video' | 'audio' | 'voice' | 'document' | 'sticker' | 'other';
  /** The platform's id or URL of the file. */
  ref: string;
  mimeType?: string;
  fileName?: string;
}

/** One inbound message, the same for every platform. Every text field is untrusted. */
export interface InboundEvent {
  platform: ChannelName;
  accountId: string;
  /** Where to answer (Telegram chat id, Discord channel id, WhatsApp JID). */
  chatId: string;
  /**
   * The chat's stable id for its session when it differs from `chatId`, the address replies go to
   * (a WhatsApp DM addressed by the sender's `@lid` id: the phone-number JID). Absent: `chatId`.
   */
  sessionChatId?: string;
  chatType: ChatType;
  /** Thread / forum topic inside the chat. */
  threadId?: string;
  userId: string;
  displayName?: string;
  username?: string;
  /** The platform's message id (unique within the chat). */
  messageId: string;
  replyTo?: { messageId?: string; text?: string; sender?: string };
  text: string;
  media: MediaRef[];
  /** Group title, for the prompt (untrusted). */
  groupTitle?: string;
  /** The bot was mentioned or replied to (groups). */
  mentioned: boolean;
  /** When the platform says it was sent (ms). */
  sentAt?: number;
}

/** Connection states (docs/channels.md, "States"). */
export type AdapterState = 'connected' | 'degraded' | 'needs_relink' | 'conflict' | 'stopped';

/** What an adapter sends: text already cut to the platform's limit. */
export interface OutboundMessage {
  chatId: string;
  text: string;
  threadId?: string;
  replyToMessageId?: string;
}

/** What the service gives an adapter. */
export interface AdapterRuntime {
  readonly log: Log;
  /**
   * Records the message in the inbound ledger (fsynced). Resolves once it is durable — only then
   * may the adapter acknowledge it to the platform. A redelivered message resolves `duplicate`.
   * Rejects when the store is unavailable: do not acknowledge, let the platform redeliver.
   */
  receive(event: InboundEvent): Promise<{ duplicate: boolean }>;
  /** Reports the connection state; `detail` says what is wrong and how to fix it. */
  setState(state: AdapterState, detail?: string): void;
  /** Registers (or, with undefined, removes) the HTTP handler of this account's webhook path. */
  setWebhookHandler?(handler: WebhookHandler | undefined): void;
}

/** A webhook request: the raw body (bounded) and headers; answer with an HTTP status. */
export type WebhookHandler = (request: { headers: Record<string, string | string[] | undefined>; body: Buffer }) => Promise<number>;

/** Static facts about a platform. */
export interface AdapterLimits {
  /** Longest message text. */
  maxMessageLength: number;
  /** How the limit is counted: UTF-16 code units (Telegram) or code points. */
  lengthUnit: 'utf16' | 'codepoints';
  /** Whether sent messages can be edited (streaming in place). */
  canEdit: boolean;
  /** Sends per chat per second (token bucket refill) and burst. */
  perChatPerSecond: number;
  burst: number;
  /** Sends per second for the whole account (Telegram: about 30 per bot); none when absent. */
  perAccountPerSecond?: number;
  /** Sends per minute in one group chat (Telegram: about 20); none when absent. */
  perGroupPerMinute?: number;
  /** Whether a chat id is a group (its sends also take from the group bucket). */
  isGroupChat?(chatId: string): boolean;
}

/**
 * One platform account. `start` runs until `signal` aborts (then resolves) or the connection fails
 * (then rejects; the supervisor restarts it with backoff). Throw {@link AdapterFatalError} for a
 * state that retrying cannot fix (logged out, bad token). `send`/`edit`/`typing` throw the library's
 * errors; {@link ChannelAdapter.classify} maps them for the retry helper.
 */
export interface ChannelAdapter {
  readonly platform: ChannelName;
  readonly accountId: string;
  readonly limits: AdapterLimits;
  /** The bot's own user name once known (commands addressed `/cmd@name`). */
  readonly botUsername?: string;
  start(runtime: AdapterRuntime, signal: AbortSignal): Promise<void>;
  send(message: OutboundMessage, signal: AbortSignal): Promise<{ messageId: string }>;
  edit(chatId: string, messageId: string, text: string, signal: AbortSignal, threadId?: string): Promise<void>;
  typing(chatId: string, signal: AbortSignal, threadId?: string): Promise<void>;
  /** Maps a library error to the retry helper's view (retryable, server wait, status). */
  classify?(error: unknown): { retryable: boolean; retryAfterMs?: number; status?: number; reason: string } | undefined;
}

/** A failure that restarting will not fix; the supervisor parks the account in `state`. */
export class AdapterFatalError extends Error {
  override readonly name = 'AdapterFatalError';
  constructor(readonly state: Extract<AdapterState, 'needs_relink' | 'stopped' | 'conflict'>, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown by send paths while the account is not connected; retried later. */
export class AdapterUnavailableError extends Error {
  override readonly name = 'AdapterUnavailableError';
  readonly retryable = true;
}

/** What an adapter factory gets. */
export interface AdapterDeps {
  stateDir: string;
  log: Log;
}

/** Builds the adapter of one configured account. */
export type AdapterFactory = (account: AccountConfig, deps: AdapterDeps) => ChannelAdapter | Promise<ChannelAdapter>;

/** An adapter linked by scanning a QR code (WhatsApp). */
export interface QrLinking {
  /** Whether credentials of a linked device exist. */
  isLinked(): boolean;
  /** Forgets the linked device (logs it out when connected) so the next start shows a QR. */
  resetLink(): Promise<void>;
  /**
   * The current QR text once one is shown that differs from `after` (resolves at once when it
   * already is), or undefined when the account connected or `timeoutMs` passed.
   */
  nextQr(timeoutMs: number, after?: string): Promise<string | undefined>;
}

/** Whether an adapter supports QR linking. */
export function isQrLinking(adapter: unknown): adapter is ChannelAdapter & QrLinking {
  return typeof (adapter as Partial<QrLinking>)?.nextQr === 'function' && typeof (adapter as Partial<QrLinking>)?.resetLink === 'function';
}
