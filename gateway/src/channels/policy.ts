/**
 * Who may talk: ONE authorisation function for every adapter, applied before dispatch and for
 * outbound sends (user-pain row 5). Deny by default.
 *
 * A sender is allowed when the platform or the global config says allow-all, when the user is on
 * the platform's allowlist or the global one (`platform:user`), when the group chat is on
 * `allowChats`, or — in direct messages, and only while the platform's DM policy is `pairing` — when
 * an operator approved the user through pairing. So a pairing can only add someone the policy lets
 * pair; it never widens an allowlist, and an old pairing is worth nothing under `allowlist`.
 *
 * Decisions: `allow`; `pair` (an unknown DM sender under `pairing`: offer a code); `ignore` (an
 * allowed sender in a group who did not mention the bot); `deny` (no reply at all).
 */
import type { ChannelName, GlobalPolicy, PlatformPolicy } from './config.js';
import type { ChatType } from './types.js';

/** Who is asking, in which kind of chat. */
export interface AuthSubject {
  platform: ChannelName;
  chatType: ChatType;
  userId: string;
  chatId: string;
  /** The bot was mentioned or replied to (groups). */
  mentioned: boolean;
  /** The user was approved through pairing. */
  paired: boolean;
  /** An authenticated control-plane operator (the WebChat). */
  operator?: boolean;
}

/** The decision and why (for logs and tests; never shown to the sender). */
export interface AuthDecision {
  decision: 'allow' | 'pair' | 'ignore' | 'deny';
  reason: string;
}

/** Whether the sender is on a list (allow-all, allowlists, group allowlist, or paired under `pairing`). */
export function isAllowedSender(s: AuthSubject, p: PlatformPolicy, g: GlobalPolicy): { allowed: boolean; reason: string } {
  if (s.operator) return { allowed: true, reason: 'operator' };
  if (g.allowAll) return { allowed: true, reason: 'global allow-all' };
  if (p.allowAll) return { allowed: true, reason: 'platform allow-all' };
  if (p.allowFrom.has(s.userId)) return { allowed: true, reason: 'platform allowlist' };
  if (g.allowFrom.has(`${s.platform}:${s.userId}`)) return { allowed: true, reason: 'global allowlist' };
  if (s.chatType !== 'dm' && p.allowChats.has(s.chatId)) return { allowed: true, reason: 'group allowlist' };
  if (s.chatType === 'dm' && s.paired && p.dmPolicy === 'pairing') return { allowed: true, reason: 'paired' };
  return { allowed: false, reason: 'not on any allowlist' };
}

/** The one decision for an inbound message. */
export function authorize(s: AuthSubject, p: PlatformPolicy, g: GlobalPolicy): AuthDecision {
  if (!p.enabled) return { decision: 'deny', reason: 'platform disabled' };
  if (s.operator) return { decision: 'allow', reason: 'operator' };
  const { allowed, reason } = isAllowedSender(s, p, g);
  if (s.chatType === 'dm') {
    if (p.dmPolicy === 'disabled') return { decision: 'deny', reason: 'direct messages disabled' };
    if (allowed) return { decision: 'allow', reason };
    if (p.dmPolicy === 'open') return { decision: 'allow', reason: 'open DM policy' };
    if (p.dmPolicy === 'pairing') return { decision: 'pair', reason: 'unknown sender, pairing offered' };
    return { decision: 'deny', reason: 'unknown sender under allowlist' };
  }
  // Groups and threads: never pairing; the sender (or the chat) must be allowed.
  if (p.groupPolicy === 'disabled') return { decision: 'deny', reason: 'groups disabled' };
  if (!allowed) return { decision: 'deny', reason: `${reason} (group)` };
  if (p.groupPolicy === 'mention' && !s.mentioned) return { decision: 'ignore', reason: 'not mentioned' };
  return { decision: 'allow', reason };
}

/**
 * Whether the gateway may send to a chat on its own initiative (`send`): the chat must be an
 * allowed user's direct chat (allowlists, or a paired user under `pairing`), an allowed group
 * (`allowChats`), or everything is allowed. Replies to an allowed inbound message pass
 * {@link authorize} instead.
 */
export function authorizeOutbound(target: { platform: ChannelName; chatId: string; paired: boolean }, p: PlatformPolicy, g: GlobalPolicy): AuthDecision {
  if (!p.enabled) return { decision: 'deny', reason: 'platform disabled' };
  if (g.allowAll || p.allowAll) return { decision: 'allow', reason: 'allow-all' };
  if (p.allowFrom.has(target.chatId) || g.allowFrom.has(`${target.platform}:${target.chatId}`)) return { decision: 'allow', reason: 'allowlist' };
  if (p.allowChats.has(target.chatId)) return { decision: 'allow', reason: 'group allowlist' };
  if (target.paired && p.dmPolicy === 'pairing') return { decision: 'allow', reason: 'paired' };
  return { decision: 'deny', reason: 'recipient not on any allowlist' };
}
