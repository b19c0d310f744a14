/**
 * The `channels` section of config.yaml: one block per platform (accounts, tokens through `${ENV}`,
 * the API base URL — configurable so Switchboard can be pointed at a test server —, polling or
 * webhook, who may talk, group and streaming behaviour) and a global allowlist.
 *
 * {@link ChannelsConfigSchema} is the schema (config/schema.ts embeds it); {@link resolveChannels}
 * turns a validated section into the accounts to run and the policy of each platform.
 */
import { Type, type Static } from '@sinclair/typebox';

const closed = <T extends Parameters<typeof Type.Object>[0]>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });
const Ids = (what: string) => Type.Array(Type.String({ minLength: 1 }), { description: `a list of ${what}` });
const Bool = (description: string) => Type.Boolean({ description });
const Url = (description: string) => Type.String({ pattern: '^(https?|wss?)://', description });

/** Who may talk in direct messages. */
export const DmPolicies = ['pairing', 'allowlist', 'open', 'disabled'] as const;
export type DmPolicy = (typeof DmPolicies)[number];
/** When the bot answers in groups. */
export const GroupPolicies = ['mention', 'always', 'disabled'] as const;
export type GroupPolicy = (typeof GroupPolicies)[number];
/** Tool-progress lines in chats. */
export const ToolProgressLevels = ['off', 'new', 'all', 'verbose'] as const;
export type ToolProgress = (typeof ToolProgressLevels)[number];

const Enum = <T extends readonly string[]>(values: T, description: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), { description }) as unknown as ReturnType<typeof Type.Unsafe<T[number]>>;

/** Connection settings of one account (a bot or a linked phone). */
const AccountFields = {
  enabled: Type.Optional(Bool('true or false')),
  /** Telegram and Discord bot token; better a ${ENV} reference than the secret itself. */
  token: Type.Optional(Type.String({ minLength: 8, description: 'the bot token; write ${TELEGRAM_BOT_TOKEN} rather than the secret itself' })),
  /** Telegram Bot API root (default https://api.telegram.org) or Discord REST root (default https://discord.com/api). */
  apiRoot: Type.Optional(Url('an http(s) URL such as http://127.0.0.1:8081 (no trailing slash)')),
  /** Telegram: `polling` (default) or `webhook` — never both. */
  mode: Type.Optional(Enum(['polling', 'webhook'] as const, 'polling or webhook')),
  /** Telegram long-poll wait in seconds (default 25). */
  pollTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 50, description: 'seconds from 0 to 50' })),
  webhook: Type.Optional(closed({
    /** The public HTTPS URL Telegram posts to (your proxy forwards it to the gateway's path). */
    url: Type.Optional(Url('the public https URL Telegram should post updates to')),
    /** Required: Telegram sends it back in X-Telegram-Bot-Api-Secret-Token. */
    secret: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{16,256}$', description: '16 to 256 characters of A-Z, a-z, 0-9, _ and -' })),
  })),
  /** WhatsApp: the WebSocket URL of WhatsApp Web (tests point it at a local server). */
  waWebSocketUrl: Type.Optional(Url('a ws(s) URL')),
  /** Telegram: the bot's global send limit (default 30 per second) and per group (default 20 per minute). */
  rateLimits: Type.Optional(closed({
    perSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'sends per second for the whole bot, above 0' })),
    groupPerMinute: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10000, description: 'sends per minute in one group, above 0' })),
  })),
};

/** Policy and behaviour of one platform (shared by its accounts). */
const PlatformFields = {
  ...AccountFields,
  accounts: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' }), closed(AccountFields), { description: 'accounts by name (a-z, 0-9, _ and -)' })),
  dmPolicy: Type.Optional(Enum(DmPolicies, 'pairing, allowlist, open or disabled')),
  allowFrom: Type.Optional(Ids('user ids allowed to talk to the bot')),
  allowAll: Type.Optional(Bool('true lets everyone talk to the bot (explicit allow-all)')),
  allowChats: Type.Optional(Ids('group chat ids whose members may talk to the bot')),
  groups: Type.Optional(closed({
    policy: Type.Optional(Enum(GroupPolicies, 'mention, always or disabled')),
    sessions: Type.Optional(Enum(['per-user', 'shared'] as const, 'per-user or shared')),
  })),
  streaming: Type.Optional(closed({
    enabled: Type.Optional(Bool('true or false')),
    editIntervalMs: Type.Optional(Type.Integer({ minimum: 200, description: 'milliseconds, at least 200' })),
  })),
  typing: Type.Optional(Bool('true or false')),
  toolProgress: Type.Optional(Enum(ToolProgressLevels, 'off, new, all or verbose')),
  approvers: Type.Optional(Ids('user ids allowed to answer exec approvals with /approve and /deny')),
};

/** The `channels` section. */
export const ChannelsConfigSchema = closed({
  allowFrom: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z]+:.+$' }), { description: 'a list of platform:user entries allowed on every platform, e.g. telegram:12345' })),
  allowAll: Type.Optional(Bool('true lets everyone on every platform talk to the bot')),
  telegram: Type.Optional(closed(PlatformFields)),
  discord: Type.Optional(closed(PlatformFields)),
  whatsapp: Type.Optional(closed(PlatformFields)),
  webchat: Type.Optional(closed({ toolProgress: Type.Optional(Enum(ToolProgressLevels, 'off, new, all or verbose')) })),
});
/** A validated `channels` section. */
export type ChannelsConfig = Static<typeof ChannelsConfigSchema>;
type PlatformSection = NonNullable<ChannelsConfig['telegram']>;
type AccountSection = NonNullable<PlatformSection['accounts']>[string];

/** The messaging platforms that run as adapters. */
export const Platforms = ['telegram', 'discord', 'whatsapp'] as const;
export type Platform = (typeof Platforms)[number];
/** Every channel, the WebChat included. */
export type ChannelName = Platform | 'webchat';

/** One account to run. */
export interface AccountConfig {
  platform: Platform;
  accountId: string;
  enabled: boolean;
  token?: string;
  apiRoot?: string;
  mode: 'polling' | 'webhook';
  pollTimeoutSeconds: number;
  webhook?: { url?: string; secret?: string };
  waWebSocketUrl?: string;
  /** Send limits beyond the per-chat bucket (Telegram); the adapter fills in its defaults. */
  rateLimits?: { perSecond?: number; groupPerMinute?: number };
}

/** Who may talk on one platform, and how the bot behaves there. */
export interface PlatformPolicy {
  platform: ChannelName;
  enabled: boolean;
  dmPolicy: DmPolicy;
  allowFrom: ReadonlySet<string>;
  allowAll: boolean;
  allowChats: ReadonlySet<string>;
  groupPolicy: GroupPolicy;
  groupSessions: 'per-user' | 'shared';
  streaming: boolean;
  editIntervalMs: number;
  typing: boolean;
  toolProgress: ToolProgress;
  approvers: ReadonlySet<string>;
}

/** The global allowlist and explicit allow-all. */
export interface GlobalPolicy {
  allowFrom: ReadonlySet<string>;
  allowAll: boolean;
}

/** Everything the channel service runs from. */
export interface ResolvedChannels {
  accounts: AccountConfig[];
  policies: Record<ChannelName, PlatformPolicy>;
  global: GlobalPolicy;
}

/** The default account's name. */
export const DEFAULT_ACCOUNT = 'default';

const STREAMING_DEFAULT: Record<ChannelName, boolean> = { telegram: true, discord: true, whatsapp: false, webchat: true };

/** Turns a validated section into accounts and policies (defaults filled in). */
export function resolveChannels(config: ChannelsConfig | undefined): ResolvedChannels {
  const c = config ?? {};
  const accounts: AccountConfig[] = [];
  const policies = {} as Record<ChannelName, PlatformPolicy>;
  for (const platform of Platforms) {
    const section = c[platform];
    policies[platform] = policyOf(platform, section);
    if (!section) continue;
    const named = Object.entries(section.accounts ?? {});
    const hasDefault = section.token !== undefined || (platform === 'whatsapp' && named.length === 0);
    if (hasDefault) accounts.push(accountOf(platform, DEFAULT_ACCOUNT, section, section));
    for (const [name, account] of named) accounts.push(accountOf(platform, name, account, section));
  }
  policies.webchat = { ...policyOf('webchat', undefined), toolProgress: c.webchat?.toolProgress ?? 'new' };
  return {
    accounts,
    policies,
    global: { allowFrom: new Set(c.allowFrom ?? []), allowAll: c.allowAll ?? false },
  };
}

function accountOf(platform: Platform, accountId: string, a: AccountSection, section: PlatformSection): AccountConfig {
  const enabled = (section.enabled ?? true) && (a.enabled ?? true);
  return {
    platform,
    accountId,
    enabled,
    ...(a.token !== undefined ? { token: a.token } : {}),
    ...((a.apiRoot ?? section.apiRoot) !== undefined ? { apiRoot: (a.apiRoot ?? section.apiRoot)!.replace(/\/+$/, '') } : {}),
    mode: a.mode ?? section.mode ?? 'polling',
    pollTimeoutSeconds: a.pollTimeoutSeconds ?? section.pollTimeoutSeconds ?? 25,
    ...((a.webhook ?? section.webhook) ? { webhook: { ...section.webhook, ...a.webhook } } : {}),
    ...((a.waWebSocketUrl ?? section.waWebSocketUrl) ? { waWebSocketUrl: a.waWebSocketUrl ?? section.waWebSocketUrl } : {}),
    ...((a.rateLimits ?? section.rateLimits) ? { rateLimits: { ...section.rateLimits, ...a.rateLimits } } : {}),
  };
}

function policyOf(platform: ChannelName, s: PlatformSection | undefined): PlatformPolicy {
  return {
    platform,
    enabled: s ? s.enabled ?? true : platform === 'webchat',
    dmPolicy: s?.dmPolicy ?? 'pairing',
    allowFrom: new Set(s?.allowFrom ?? []),
    allowAll: s?.allowAll ?? false,
    allowChats: new Set(s?.allowChats ?? []),
    groupPolicy: s?.groups?.policy ?? 'mention',
    groupSessions: s?.groups?.sessions ?? 'per-user',
    streaming: s?.streaming?.enabled ?? STREAMING_DEFAULT[platform],
    editIntervalMs: s?.streaming?.editIntervalMs ?? 1_000,
    typing: s?.typing ?? true,
    toolProgress: s?.toolProgress ?? 'new',
    approvers: new Set(s?.approvers ?? []),
  };
}

/**
 * Checks what the schema cannot: webhook mode needs a secret and a URL, polling and webhook are
 * exclusive by construction, and a token is needed for Telegram and Discord. Returns sentences that
 * say how to fix each problem (empty when fine).
 */
export function checkChannels(resolved: ResolvedChannels): string[] {
  const problems: string[] = [];
  for (const a of resolved.accounts) {
    const where = `channels.${a.platform}${a.accountId === DEFAULT_ACCOUNT ? '' : `.accounts.${a.accountId}`}`;
    if (!a.enabled) continue;
    if ((a.platform === 'telegram' || a.platform === 'discord') && !a.token) problems.push(`${where}.token is missing: set it to \${${a.platform.toUpperCase()}_BOT_TOKEN} and export that variable`);
    if (a.mode === 'webhook' && a.platform !== 'telegram') problems.push(`${where}.mode: webhook is only available for Telegram; remove it`);
    if (a.mode === 'webhook' && !a.webhook?.secret) problems.push(`${where}.webhook.secret is required in webhook mode: set 16+ characters of A-Z, a-z, 0-9, _ and - (Telegram echoes it in every request)`);
    if (a.mode === 'webhook' && !a.webhook?.url) problems.push(`${where}.webhook.url is required in webhook mode: the public https URL that forwards to /channels/telegram/${a.accountId}/webhook on the gateway`);
  }
  return problems;
}
