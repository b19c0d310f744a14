/**
 * Session keys of channel chats:
 * `agent:main:<platform>:<direct|group>:<chatId>[:thread:<threadId>][:<userId>]`.
 *
 * The layout is OpenClaw's (`agent:<agentId>:<channel>:direct:<peer>` under its `per-channel-peer`
 * DM scope, `…:group:<id>`, a `:thread:<id>` suffix), so OpenClaw's tools read these as channel
 * sessions; the per-person group suffix is Hermes' policy, not its spelling (Hermes writes
 * `…:dm:<chat_id>` and `…:<chat_type>:<chat_id>:<thread_id>`). docs/channels.md ("Sessions") lists
 * every difference. Keys are stored with sessions: changing them needs a store migration.
 *
 * - direct messages: one session per chat;
 * - groups: one per user by default (`groups.sessions: shared` gives the chat one session);
 * - threads (forum topics, Discord threads): shared by everyone in the thread.
 * A second account of a platform is written `<platform>@<account>` so two bots never share a session.
 */
import { DEFAULT_ACCOUNT, type PlatformPolicy } from './config.js';
import type { InboundEvent } from './types.js';

/** Characters kept in a key part; others become `_` (ids never contain them in practice). */
function part(value: string): string {
  return value.replace(/[^A-Za-z0-9@._+-]/g, '_').slice(0, 128);
}

/** The session key of an inbound message. */
export function sessionKeyOf(event: Pick<InboundEvent, 'platform' | 'accountId' | 'chatType' | 'chatId' | 'sessionChatId' | 'threadId' | 'userId'>, policy: Pick<PlatformPolicy, 'groupSessions'>): string {
  const platform = event.accountId === DEFAULT_ACCOUNT ? event.platform : `${event.platform}@${part(event.accountId)}`;
  if (event.chatType === 'dm') return `agent:main:${platform}:direct:${part(event.sessionChatId ?? event.chatId)}`;
  const base = `agent:main:${platform}:group:${part(event.chatId)}`;
  if (event.chatType === 'thread' && event.threadId) return `${base}:thread:${part(event.threadId)}`;
  return policy.groupSessions === 'shared' ? base : `${base}:${part(event.userId)}`;
}
