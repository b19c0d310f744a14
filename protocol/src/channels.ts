/**
 * Channels area: the messaging channels behind the daemon — `channels.status`, `channels.start`,
 * `channels.stop`, `send`, WhatsApp linking (`web.login.start`, `web.login.wait`), DM pairing
 * (`pairing.list`, `pairing.approve`, `pairing.revoke`) and the `channels.alert` event.
 *
 * `channels.status`, `send`, `web.login.*` and `channels.start/stop` follow OpenClaw protocol v4's
 * shapes (`ChannelsStatusResult`, `SendParams`, `WebLoginStartParams`, …); per-account entries
 * add `state`, `detail` and `fix`. `pairing.*` and `channels.alert` are Switchboard extensions.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IdempotencyKey, NonEmptyString, Nullable, StringEnum, StringMap, TimestampMs, closedObject } from './primitives.js';
import { event, method } from './method.js';

// ── shapes ─────────────────────────────────────────────────────────────────────────────────────

/** A channel account's connection state. */
export const ChannelStates = ['connected', 'degraded', 'needs_relink', 'conflict', 'stopped'] as const;
export type ChannelState = (typeof ChannelStates)[number];

const OptTime = Type.Optional(Nullable(TimestampMs));

/** One account of a channel (OpenClaw's `channelAccounts[]` entry plus `state`, `detail`, `fix`). */
export const ChannelAccountSnapshot = closedObject({
  accountId: NonEmptyString,
  enabled: Type.Boolean(),
  configured: Type.Boolean(),
  linked: Type.Optional(Type.Boolean()),
  running: Type.Boolean(),
  connected: Type.Boolean(),
  reconnectAttempts: Type.Integer({ minimum: 0 }),
  lastConnectedAt: OptTime,
  lastError: Type.Optional(Nullable(Type.String())),
  /** Same as `state` (OpenClaw's field name). */
  healthState: Type.String(),
  lastStartAt: OptTime,
  lastStopAt: OptTime,
  lastInboundAt: OptTime,
  lastOutboundAt: OptTime,
  mode: Type.Optional(Type.String()),
  dmPolicy: Type.Optional(Type.String()),
  baseUrl: Type.Optional(Type.String()),
  webhookPath: Type.Optional(Nullable(Type.String())),
  allowUnmentionedGroups: Type.Optional(Type.Boolean()),
  /** Extension: `connected | degraded | needs_relink | conflict | stopped`. */
  state: StringEnum(ChannelStates),
  /** Extension: what is going on, in words. */
  detail: Type.Optional(Type.String()),
  /** Extension: what to do about it (a command or a config key), when something is wrong. */
  fix: Type.Optional(Type.String()),
  /** Extension: since when the account is in this state. */
  since: TimestampMs,
});
export type ChannelAccountSnapshot = Static<typeof ChannelAccountSnapshot>;

export const ChannelsStatusParams = closedObject({
  probe: Type.Optional(Type.Boolean()),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 0 })),
  channel: Type.Optional(NonEmptyString),
});

/** OpenClaw's ChannelsStatusResult (the fields this gateway fills). */
export const ChannelsStatusResult = closedObject({
  ts: TimestampMs,
  channelOrder: Type.Array(NonEmptyString),
  channelLabels: StringMap(NonEmptyString),
  /** Per channel: `{configured, running, connected, state, accounts}` summary. */
  channels: StringMap(Type.Unknown()),
  channelAccounts: StringMap(Type.Array(ChannelAccountSnapshot)),
  channelDefaultAccountId: StringMap(NonEmptyString),
});
export type ChannelsStatusResult = Static<typeof ChannelsStatusResult>;

export const ChannelsStartParams = closedObject({ channel: NonEmptyString, accountId: Type.Optional(Type.String()) });
export const ChannelsStartResult = closedObject({ channel: NonEmptyString, accountId: NonEmptyString, started: Type.Boolean() });
export const ChannelsStopParams = closedObject({ channel: NonEmptyString, accountId: Type.Optional(Type.String()) });
export const ChannelsStopResult = closedObject({ channel: NonEmptyString, accountId: NonEmptyString, stopped: Type.Boolean() });

/** OpenClaw's SendParams; media fields are refused with UNSUPPORTED_PARAM. */
export const SendParams = closedObject({
  to: NonEmptyString,
  message: Type.Optional(Type.String({ maxLength: 200_000 })),
  mediaUrl: Type.Optional(Type.String()),
  mediaUrls: Type.Optional(Type.Array(Type.String())),
  buffer: Type.Optional(Type.String()),
  filename: Type.Optional(Type.String()),
  contentType: Type.Optional(Type.String()),
  asVoice: Type.Optional(Type.Boolean()),
  gifPlayback: Type.Optional(Type.Boolean()),
  channel: Type.Optional(Type.String()),
  accountId: Type.Optional(Type.String()),
  agentId: Type.Optional(Type.String()),
  replyToId: Type.Optional(Type.String()),
  threadId: Type.Optional(Type.String()),
  forceDocument: Type.Optional(Type.Boolean()),
  silent: Type.Optional(Type.Boolean()),
  parseMode: Type.Optional(Type.Literal('HTML')),
  sessionKey: Type.Optional(Type.String()),
  idempotencyKey: IdempotencyKey,
});
export type SendParams = Static<typeof SendParams>;

/** OpenClaw's delivery payload (`runId`, `messageId`, `channel`, `chatId`) plus the ledger's view. */
export const SendResult = closedObject({
  runId: NonEmptyString,
  messageId: Type.Optional(NonEmptyString),
  channel: NonEmptyString,
  chatId: NonEmptyString,
  /** Extension: the outbound-ledger delivery (first piece). */
  deliveryId: NonEmptyString,
  /** Extension: `sent` (platform acknowledged), `queued` (still pending: retried), `failed`. */
  status: StringEnum(['sent', 'queued', 'failed'] as const),
  error: Type.Optional(Type.String()),
});
export type SendResult = Static<typeof SendResult>;

export const WebLoginStartParams = closedObject({
  force: Type.Optional(Type.Boolean()),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 0 })),
  verbose: Type.Optional(Type.Boolean()),
  accountId: Type.Optional(Type.String()),
});
export const WebLoginStartResult = closedObject({
  qrDataUrl: Type.Optional(Type.String()),
  message: Type.String(),
  connected: Type.Optional(Type.Boolean()),
  sessionKey: Type.Optional(Type.String()),
  /** Extension: the QR drawn with block characters, for a terminal. */
  qrText: Type.Optional(Type.String()),
});
export type WebLoginStartResult = Static<typeof WebLoginStartResult>;

export const WebLoginWaitParams = closedObject({
  timeoutMs: Type.Optional(Type.Integer({ minimum: 0 })),
  accountId: Type.Optional(Type.String()),
  currentQrDataUrl: Type.Optional(Type.String({ maxLength: 16_384, pattern: '^data:image/png;base64,' })),
});
export const WebLoginWaitResult = closedObject({
  connected: Type.Boolean(),
  message: Type.String(),
  qrDataUrl: Type.Optional(Type.String()),
  qrText: Type.Optional(Type.String()),
});
export type WebLoginWaitResult = Static<typeof WebLoginWaitResult>;

/** A messaging platform that has users to pair: Telegram, Discord or WhatsApp. */
export const PairingPlatform = StringEnum(['telegram', 'discord', 'whatsapp'] as const);

/** A pending DM pairing request (never its code). */
export const PairingRequest = closedObject({
  requestId: NonEmptyString,
  platform: NonEmptyString,
  accountId: NonEmptyString,
  userId: NonEmptyString,
  displayName: Type.Optional(Type.String()),
  createdAt: TimestampMs,
  expiresAt: TimestampMs,
});
export const PairedUser = closedObject({
  platform: NonEmptyString,
  userId: NonEmptyString,
  displayName: Type.Optional(Type.String()),
  approvedAt: TimestampMs,
  approvedBy: Type.Optional(Type.String()),
});
export const PairingListParams = closedObject({ platform: Type.Optional(PairingPlatform) });
export const PairingListResult = closedObject({
  pending: Type.Array(PairingRequest),
  paired: Type.Array(PairedUser),
  limits: closedObject({
    ttlMs: Type.Integer({ minimum: 0 }),
    pendingPerPlatform: Type.Integer({ minimum: 0 }),
    requestIntervalMs: Type.Integer({ minimum: 0 }),
    maxFailedApprovals: Type.Integer({ minimum: 0 }),
    lockoutMs: Type.Integer({ minimum: 0 }),
  }),
});
export type PairingListResult = Static<typeof PairingListResult>;
export const PairingApproveParams = closedObject({
  platform: PairingPlatform,
  code: Type.String({ minLength: 1, maxLength: 32 }),
  /** A retry with the same key gets the first answer (a lost reply never costs a strike). */
  idempotencyKey: IdempotencyKey,
});
export const PairingApproveResult = closedObject({ platform: NonEmptyString, userId: NonEmptyString, displayName: Type.Optional(Type.String()), requestId: NonEmptyString });
export const PairingRevokeParams = closedObject({ platform: PairingPlatform, userId: NonEmptyString });
export const PairingRevokeResult = closedObject({ platform: NonEmptyString, userId: NonEmptyString, revoked: Type.Boolean() });

/** Payload of `channels.alert`: a delivery failed for good (the sender was told). */
export const ChannelsAlertEvent = closedObject({
  kind: StringEnum(['delivery_failed'] as const),
  channel: NonEmptyString,
  accountId: NonEmptyString,
  chatId: NonEmptyString,
  deliveryId: NonEmptyString,
  error: Type.String(),
  attempts: Type.Integer({ minimum: 0 }),
  ts: TimestampMs,
});
export type ChannelsAlertEvent = Static<typeof ChannelsAlertEvent>;

// ── events ─────────────────────────────────────────────────────────────────────────────────────

export const channelsEvents = {
  'channels.alert': event({
    payload: ChannelsAlertEvent,
    access: 'operator.read',
    droppable: false,
    summary: 'A reply could not be delivered after every retry; the sender got a failure notice.',
  }),
};

// ── method entries ─────────────────────────────────────────────────────────────────────────────

export const channelsMethods = {
  'channels.status': method({
    params: ChannelsStatusParams,
    result: ChannelsStatusResult,
    access: 'operator.read',
    sideEffect: false,
    summary: 'Every channel account: state (connected, degraded, needs_relink, conflict, stopped), last error, last inbound, and how to fix it.',
  }),
  'channels.start': method({
    params: ChannelsStartParams,
    result: ChannelsStartResult,
    access: 'operator.admin',
    sideEffect: false,
    summary: 'Starts (or restarts) one channel account under its supervisor.',
  }),
  'channels.stop': method({
    params: ChannelsStopParams,
    result: ChannelsStopResult,
    access: 'operator.admin',
    sideEffect: false,
    summary: 'Stops one channel account, keeping its credentials.',
  }),
  send: method({
    params: SendParams,
    result: SendResult,
    access: 'operator.write',
    sideEffect: true,
    summary: 'Sends text to a chat through the outbound ledger (exactly once per idempotencyKey, in order, retried); the recipient must be allowed.',
  }),
  'web.login.start': method({
    params: WebLoginStartParams,
    result: WebLoginStartResult,
    access: 'operator.admin',
    sideEffect: false,
    summary: 'Starts WhatsApp linking and returns the QR to scan (data URL and terminal text); force relinks a linked account.',
  }),
  'web.login.wait': method({
    params: WebLoginWaitParams,
    result: WebLoginWaitResult,
    access: 'operator.admin',
    sideEffect: false,
    summary: 'Waits for the QR to be scanned; answers connected, or the newer QR when it rotated.',
  }),
  'pairing.list': method({
    params: PairingListParams,
    result: PairingListResult,
    access: 'operator.pairing',
    sideEffect: false,
    summary: 'Pending DM pairing requests (never their codes) and paired users.',
  }),
  'pairing.approve': method({
    params: PairingApproveParams,
    result: PairingApproveResult,
    access: 'operator.pairing',
    sideEffect: true,
    summary: 'Approves the pending request with this code (a retry with the same idempotencyKey gets the same answer); five wrong codes lock approvals of the platform for an hour.',
  }),
  'pairing.revoke': method({
    params: PairingRevokeParams,
    result: PairingRevokeResult,
    access: 'operator.pairing',
    sideEffect: false,
    summary: 'Forgets a paired user; they must pair again (where the DM policy allows).',
  }),
};
