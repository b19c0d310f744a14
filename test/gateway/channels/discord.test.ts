// Discord through discord.js, for real, against a local fake gateway + REST: DMs and guild
// channels reach the agent; the reply streams by editing and is cut at 2000 characters; a
// redelivered MESSAGE_CREATE never produces a second reply; 429 retry_after is honoured; a dropped
// gateway connection resumes; intents are checked and reported in plain words.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { startFakeDiscord, type FakeDiscord } from '../../helpers/fake-discord.js';
import { noteSecret } from '../../helpers/secrets.js';
import { until } from '../../helpers/wait.js';

let dc: FakeDiscord;
let gw: TestGateway | undefined;
const fastSupervisor = { baseDelayMs: 50, maxDelayMs: 200, conflictDelayMs: 100, stableMs: 60_000 };

async function boot(discord: Record<string, unknown> = {}, agent: Record<string, unknown> = { echoDelayMs: 1 }): Promise<TestGateway> {
  gw = await startTestGateway({
    extra: {
      channels: { discord: { token: dc.token, apiRoot: dc.apiRoot, allowFrom: ['111'], ...discord } } as never,
      agent,
      channelTuning: { supervisor: fastSupervisor },
    },
  });
  return gw;
}
const state = () => gw!.gateway.services.channels.status().channelAccounts.discord[0];

beforeEach(async () => {
  dc = await startFakeDiscord();
  noteSecret(dc.token);
});
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  await dc.close();
});

describe('discord channel', () => {
  it('answers a DM: identify with the needed intents, one message edited to the final text', async () => {
    await boot();
    await until(() => state().state === 'connected', 10_000, 'connected');
    // Guilds | GuildMessages | DirectMessages | MessageContent
    expect(dc.identifies[0].intents & (1 | 512 | 4096 | 32768)).toBe(1 | 512 | 4096 | 32768);
    dc.dm({ channelId: '700000000000000001', userId: '111', content: 'hello discord' });
    await dc.waitFor((f) => f.texts('700000000000000001').some((t) => t.includes('agent.model')), 15_000, 'final reply');
    const msgs = dc.sent.filter((m) => m.channelId === '700000000000000001');
    expect(msgs).toHaveLength(1);
    expect(msgs[0].contents.at(-1)).toMatch(/^Echo agent: hello discord/);
    expect(dc.calls.some((c) => c.method === 'POST' && c.path.endsWith('/typing'))).toBe(true);
  });

  it('answers in a guild channel only when mentioned, quoting the message; strangers get nothing', async () => {
    dc.guilds.push({ id: '800000000000000001', name: 'Test guild', channels: [{ id: '810000000000000001', name: 'general', type: 0 }] });
    await boot({ streaming: { enabled: false } });
    await until(() => state().state === 'connected', 10_000, 'connected');
    dc.guildMessage({ guildId: '800000000000000001', channelId: '810000000000000001', userId: '111', content: 'not for the bot' });
    dc.guildMessage({ guildId: '800000000000000001', channelId: '810000000000000001', userId: '222', content: 'stranger', mentionBot: true });
    const asked = dc.guildMessage({ guildId: '800000000000000001', channelId: '810000000000000001', userId: '111', content: 'what is up', mentionBot: true });
    await dc.waitFor((f) => f.texts('810000000000000001').length === 1, 10_000, 'guild answer');
    await new Promise((r) => setTimeout(r, 300));
    expect(dc.texts('810000000000000001')).toHaveLength(1);
    expect(dc.texts('810000000000000001')[0]).toMatch(/^Echo agent: what is up/);
    expect(dc.sent[0].replyTo).toBe(asked.id);
  });

  it('never answers a redelivered message twice and cuts long answers at 2000 characters', async () => {
    await boot({ streaming: { enabled: false } });
    await until(() => state().state === 'connected', 10_000, 'connected');
    const long = Array.from({ length: 500 }, (_, i) => `w${i}`).join(' ');
    const msg = dc.dm({ channelId: '700000000000000002', userId: '111', content: long });
    await dc.waitFor((f) => f.texts('700000000000000002').length >= 2, 15_000, 'answer in pieces');
    dc.dispatch(msg);
    await new Promise((r) => setTimeout(r, 500));
    const texts = dc.texts('700000000000000002');
    for (const t of texts) expect([...t].length).toBeLessThanOrEqual(2000);
    expect(texts.join(' ')).toContain('w499');
    expect(texts.filter((t) => t.startsWith('Echo agent:'))).toHaveLength(1);
  });

  it('honours a 429 retry_after in full, then delivers', async () => {
    await boot({ streaming: { enabled: false } });
    await until(() => state().state === 'connected', 10_000, 'connected');
    dc.fail('POST /channels/:id/messages', { status: 429, retryAfter: 2 });
    dc.dm({ channelId: '700000000000000003', userId: '111', content: 'patience' });
    await dc.waitFor((f) => f.texts('700000000000000003').length === 1, 15_000, 'delivered after the wait');
    const posts = dc.calls.filter((c) => c.method === 'POST' && c.path === '/channels/700000000000000003/messages');
    expect(posts).toHaveLength(2);
    expect(posts[1].at - posts[0].at).toBeGreaterThanOrEqual(2_000);
  });

  it('resumes after a dropped gateway connection and keeps answering', async () => {
    await boot({ streaming: { enabled: false } });
    await until(() => state().state === 'connected', 10_000, 'connected');
    dc.dropConnection(4000);
    await until(() => dc.resumes >= 1, 10_000, 'resume');
    await until(() => state().state === 'connected', 10_000, 'connected again');
    dc.dm({ channelId: '700000000000000004', userId: '111', content: 'after the drop' });
    await dc.waitFor((f) => f.texts('700000000000000004').length === 1, 10_000, 'answer after resume');
  });

  it('reports a missing message content intent in plain words', async () => {
    dc.applicationFlags = 0;
    await boot();
    await until(() => state().detail === undefined ? false : /message content intent not granted/.test(state().detail!), 10_000, 'intent warning');
    expect(state().state).toBe('degraded');
  });

  it('parks the account when the gateway refuses the intents (4014), saying which to enable', async () => {
    dc.closeOnIdentify = 4014;
    await boot();
    await until(() => state().state === 'stopped', 15_000, 'stopped');
    expect(state().lastError).toMatch(/message content intent not granted/);
    const identifies = dc.identifies.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(dc.identifies.length).toBe(identifies);
  });
});
