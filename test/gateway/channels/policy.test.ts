// The one authorisation function, as a table: policy × sender × DM/group × paired or not, for
// every adapter. Deny by default; pairing never widens an allowlist; groups never offer pairing.
import { describe, expect, it } from 'vitest';
import { authorize, authorizeOutbound } from '../../../gateway/src/channels/policy.js';
import { resolveChannels, type ChannelName } from '../../../gateway/src/channels/config.js';

type Sender = 'allowlisted' | 'global' | 'unknown' | 'group-chat-allowed';
type Where = 'dm' | 'group-mentioned' | 'group-silent';
const PLATFORMS: ChannelName[] = ['telegram', 'discord', 'whatsapp'];

function policyFor(platform: ChannelName, dmPolicy: 'pairing' | 'allowlist' | 'open' | 'disabled', allowAll = false) {
  const r = resolveChannels({
    allowFrom: [`${platform}:g1`],
    [platform]: { token: 'x'.repeat(20), dmPolicy, allowFrom: ['u1'], allowChats: ['room-ok'], allowAll },
  } as never);
  return { p: r.policies[platform], g: r.global };
}

function decide(platform: ChannelName, dmPolicy: 'pairing' | 'allowlist' | 'open' | 'disabled', sender: Sender, where: Where, paired: boolean): string {
  const { p, g } = policyFor(platform, dmPolicy);
  const userId = sender === 'allowlisted' ? 'u1' : sender === 'global' ? 'g1' : 'stranger';
  const chatId = where === 'dm' ? userId : sender === 'group-chat-allowed' ? 'room-ok' : 'room-x';
  return authorize({ platform, chatType: where === 'dm' ? 'dm' : 'group', userId, chatId, mentioned: where !== 'group-silent', paired }, p, g).decision;
}

// Expected decision per (dmPolicy, sender, where, paired).
const TABLE: Array<[string, Sender, Where, boolean, string]> = [
  // pairing (the default): unknown DM senders are offered a code; paired ones are let in (DMs only).
  ['pairing', 'allowlisted', 'dm', false, 'allow'],
  ['pairing', 'global', 'dm', false, 'allow'],
  ['pairing', 'unknown', 'dm', false, 'pair'],
  ['pairing', 'unknown', 'dm', true, 'allow'],
  ['pairing', 'unknown', 'group-mentioned', false, 'deny'],
  ['pairing', 'unknown', 'group-mentioned', true, 'deny'],
  ['pairing', 'allowlisted', 'group-mentioned', false, 'allow'],
  ['pairing', 'allowlisted', 'group-silent', false, 'ignore'],
  ['pairing', 'group-chat-allowed', 'group-mentioned', false, 'allow'],
  ['pairing', 'group-chat-allowed', 'group-silent', false, 'ignore'],
  // allowlist: strangers hear nothing; an old pairing is worth nothing.
  ['allowlist', 'allowlisted', 'dm', false, 'allow'],
  ['allowlist', 'global', 'dm', false, 'allow'],
  ['allowlist', 'unknown', 'dm', false, 'deny'],
  ['allowlist', 'unknown', 'dm', true, 'deny'],
  ['allowlist', 'unknown', 'group-mentioned', true, 'deny'],
  ['allowlist', 'global', 'group-mentioned', false, 'allow'],
  ['allowlist', 'global', 'group-silent', false, 'ignore'],
  // open: any DM; groups still need the allowlists.
  ['open', 'unknown', 'dm', false, 'allow'],
  ['open', 'unknown', 'group-mentioned', false, 'deny'],
  ['open', 'allowlisted', 'group-mentioned', false, 'allow'],
  // disabled: no DMs at all, not even allowlisted ones.
  ['disabled', 'allowlisted', 'dm', false, 'deny'],
  ['disabled', 'unknown', 'dm', true, 'deny'],
  ['disabled', 'allowlisted', 'group-mentioned', false, 'allow'],
];

describe('authorize(): policy × sender × DM/group × paired', () => {
  for (const platform of PLATFORMS) {
    it.each(TABLE)(`${platform}: %s, %s sender, %s, paired=%s → %s`, (dmPolicy, sender, where, paired, expected) => {
      expect(decide(platform, dmPolicy as never, sender, where, paired)).toBe(expected);
    });
  }

  it('denies by default: no channels section at all', () => {
    const r = resolveChannels(undefined);
    for (const platform of PLATFORMS) {
      expect(authorize({ platform, chatType: 'dm', userId: 'x', chatId: 'x', mentioned: true, paired: false }, r.policies[platform], r.global).decision).not.toBe('allow');
    }
  });

  it('explicit allow-all (platform or global) lets everyone in, groups still mention-gated', () => {
    for (const platform of PLATFORMS) {
      const { p, g } = policyFor(platform, 'allowlist', true);
      expect(authorize({ platform, chatType: 'dm', userId: 'anyone', chatId: 'anyone', mentioned: false, paired: false }, p, g).decision).toBe('allow');
      expect(authorize({ platform, chatType: 'group', userId: 'anyone', chatId: 'r', mentioned: false, paired: false }, p, g).decision).toBe('ignore');
      const r = resolveChannels({ allowAll: true, [platform]: { token: 'x'.repeat(20) } } as never);
      expect(authorize({ platform, chatType: 'dm', userId: 'anyone', chatId: 'anyone', mentioned: false, paired: false }, r.policies[platform], r.global).decision).toBe('allow');
    }
  });

  it('the WebChat lets authenticated operators in', () => {
    const r = resolveChannels(undefined);
    expect(authorize({ platform: 'webchat', chatType: 'dm', userId: 'dev', chatId: 's', mentioned: true, paired: false, operator: true }, r.policies.webchat, r.global).decision).toBe('allow');
  });

  it('outbound sends obey the same lists', () => {
    for (const platform of PLATFORMS) {
      const { p, g } = policyFor(platform, 'pairing');
      expect(authorizeOutbound({ platform, chatId: 'u1', paired: false }, p, g).decision).toBe('allow');
      expect(authorizeOutbound({ platform, chatId: 'g1', paired: false }, p, g).decision).toBe('allow');
      expect(authorizeOutbound({ platform, chatId: 'room-ok', paired: false }, p, g).decision).toBe('allow');
      expect(authorizeOutbound({ platform, chatId: 'stranger', paired: false }, p, g).decision).toBe('deny');
      expect(authorizeOutbound({ platform, chatId: 'stranger', paired: true }, p, g).decision).toBe('allow');
      const strict = policyFor(platform, 'allowlist');
      expect(authorizeOutbound({ platform, chatId: 'stranger', paired: true }, strict.p, strict.g).decision).toBe('deny');
    }
  });
});
