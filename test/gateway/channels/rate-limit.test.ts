// Token buckets of the send path: several buckets taken together or not at all, the window bucket
// that keeps any window under its limit, which buckets a send takes from; and over a real Telegram
// adapter (grammY against the fake Bot API), the bot's global bucket and the group bucket with
// small configured limits.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatRateLimiter, sendBuckets, windowBucket } from '../../../gateway/src/channels/rate-limit.js';
import type { AdapterLimits } from '../../../gateway/src/channels/types.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { startFakeTelegram, type FakeTelegram } from '../../helpers/fake-telegram.js';
import { noteSecret } from '../../helpers/secrets.js';

describe('ChatRateLimiter', () => {
  it('takes from every bucket or from none, and names the longest wait', () => {
    let now = 0;
    const limiter = new ChatRateLimiter(100, () => now);
    const chat = ['chat', { ratePerSecond: 1, burst: 3 }] as const;
    const account = ['account', { ratePerSecond: 0.5, burst: 1 }] as const;
    expect(limiter.takeAll([chat, account])).toEqual({ ok: true });
    expect(limiter.takeAll([chat, account])).toEqual({ ok: false, waitMs: 2000 });
    // The refused call took nothing from the chat bucket: two of its three tokens are left.
    expect(limiter.take('chat', chat[1]).ok).toBe(true);
    expect(limiter.take('chat', chat[1]).ok).toBe(true);
    expect(limiter.take('chat', chat[1]).ok).toBe(false);
    now = 2000;
    expect(limiter.takeAll([chat, account])).toEqual({ ok: true });
  });

  it('a window bucket lets at most its limit through in any window of its length', () => {
    for (const [limit, window] of [[20, 60], [30, 1], [3, 60], [7, 10]] as const) {
      let now = 0;
      const limiter = new ChatRateLimiter(100, () => now);
      const spec = windowBucket(limit, window);
      const times: number[] = [];
      for (now = 0; now <= window * 5000; now += 10) if (limiter.take('k', spec).ok) times.push(now);
      for (let i = 0; i < times.length; i++) {
        const inWindow = times.filter((t) => t >= times[i] && t < times[i] + window * 1000).length;
        expect(inWindow).toBeLessThanOrEqual(limit);
      }
      // And it is no stricter than needed: over five windows, at least three limits' worth.
      expect(times.length).toBeGreaterThanOrEqual(limit * 3);
    }
  });

  it('a send takes the chat bucket, the group bucket for group chats, and the account bucket', () => {
    const limits: AdapterLimits = { maxMessageLength: 4096, lengthUnit: 'utf16', canEdit: true, perChatPerSecond: 1, burst: 3, perAccountPerSecond: 30, perGroupPerMinute: 20, isGroupChat: (id) => id.startsWith('-') };
    const keys = (chatId: string) => sendBuckets(limits, { channel: 'telegram', accountId: 'default', chatId }).map(([k]) => k.split('\u0000')[0]);
    expect(keys('42')).toEqual(['telegram', 'account']);
    expect(keys('-100')).toEqual(['telegram', 'group', 'account']);
    expect(sendBuckets({ ...limits, perAccountPerSecond: undefined, perGroupPerMinute: undefined }, { channel: 'discord', accountId: 'default', chatId: '-1' })).toHaveLength(1);
  });
});

describe('telegram send limits (configured small)', () => {
  let tg: FakeTelegram;
  let gw: TestGateway | undefined;
  beforeEach(async () => {
    tg = await startFakeTelegram();
    noteSecret(tg.token);
  });
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    await tg.close();
  });

  async function boot(rateLimits: Record<string, number>): Promise<void> {
    gw = await startTestGateway({
      extra: {
        channels: { telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, streaming: { enabled: false }, allowFrom: ['41', '42', '43', '44'], allowChats: ['-100'], rateLimits } } as never,
        agent: { echoDelayMs: 0 },
      },
    });
    await tg.waitFor((f) => f.calls.some((c) => c.method === 'getUpdates'), 10_000, 'polling');
  }
  const sendTimes = (chat?: string) => tg.calls.filter((c) => c.method === 'sendMessage' && (!chat || String(c.body.chat_id) === chat)).map((c) => c.at);

  it('the bot-wide bucket spaces sends to different chats (2 per second: one at once, then one a second)', async () => {
    await boot({ perSecond: 2 });
    const client = await gw!.connect();
    const calls = ['41', '42', '43', '44'].map((chat) => client.call('send', { to: `telegram:${chat}`, message: `hi ${chat}`, idempotencyKey: `rl-${chat}` }));
    await Promise.all(calls);
    const times = sendTimes().sort((a, b) => a - b);
    expect(times).toHaveLength(4);
    // Each chat's own bucket would let all four go at once; the account bucket spaces them.
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(900);
  });

  it('the group bucket holds a group to its per-minute limit while direct chats go at once', async () => {
    await boot({ groupPerMinute: 6 });
    const client = await gw!.connect();
    // 6 per minute: one at once, the next only after ~12 s; the chat bucket alone would allow 3 now.
    const group = [1, 2, 3].map((i) => client.call('send', { to: 'telegram:-100', message: `group ${i}`, idempotencyKey: `g-${i}` }).catch(() => undefined));
    const direct = await Promise.all([1, 2, 3].map((i) => client.call('send', { to: 'telegram:42', message: `dm ${i}`, idempotencyKey: `d-${i}` })));
    expect(direct.map((d) => d.status)).toEqual(['sent', 'sent', 'sent']);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(tg.texts(-100)).toEqual(['group 1']);
    void group;
  });
});
