// Telegram through grammY, for real, against a local fake Bot API: a DM reaches the echo agent and
// the streamed reply arrives once, edited in place; redeliveries and reorders never produce a
// second reply; a 429 with retry_after is honoured; a dropped long poll degrades and recovers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { startFakeTelegram, type FakeTelegram } from '../../helpers/fake-telegram.js';
import { noteSecret } from '../../helpers/secrets.js';

let tg: FakeTelegram;
let gw: TestGateway;

async function boot(telegram: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<void> {
  gw = await startTestGateway({
    extra: {
      channels: { telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, dmPolicy: 'allowlist', allowFrom: ['42'], ...telegram }, ...extra } as never,
      agent: { echoDelayMs: 1 },
    },
  });
  await tg.waitFor((f) => f.calls.some((c) => c.method === 'getUpdates'), 10_000, 'first getUpdates');
}

beforeEach(async () => {
  tg = await startFakeTelegram();
  noteSecret(tg.token);
});
afterEach(async () => {
  await gw?.close();
  await tg.close();
});

describe('telegram channel', () => {
  it('answers a DM through the agent: one message, streamed by editing, final text complete', async () => {
    await boot();
    tg.message({ chatId: 42, text: 'hello there' });
    await tg.waitFor((f) => f.texts(42).some((t) => t.includes('hello there') && t.includes('agent.model')), 15_000, 'final reply');
    const messages = tg.chat(42);
    expect(messages).toHaveLength(1);
    expect(messages[0].texts.at(-1)).toMatch(/^Echo agent: hello there/);
    const status = gw.gateway.services.channels.status();
    expect(status.channelAccounts.telegram[0]).toMatchObject({ state: 'connected', connected: true });
    expect(tg.calls.some((c) => c.method === 'sendChatAction')).toBe(true);
  });

  it('never answers the same message twice: redelivery and reorder', async () => {
    await boot({ streaming: { enabled: false } });
    // Queue mode: every message gets its own run and answer (interrupt mode would merge them).
    const client = await gw.connect();
    await client.call('sessions.patch', { key: 'agent:main:telegram:direct:42', queueMode: 'queue' });
    const a = tg.message({ chatId: 42, text: 'first', messageId: 11 });
    await tg.waitFor((f) => f.texts(42).length === 1, 15_000, 'first reply');
    tg.push(a, true);
    tg.push(a, true);
    const c = { update_id: 9002, message: { ...a.message, message_id: 13, text: 'third' } };
    const b = { update_id: 9001, message: { ...a.message, message_id: 12, text: 'second' } };
    tg.push(c);
    tg.push(b);
    await tg.waitFor((f) => f.texts(42).length >= 3, 15_000, 'three replies');
    await new Promise((r) => setTimeout(r, 300));
    const texts = tg.texts(42);
    expect(texts).toHaveLength(3);
    expect(texts.filter((t) => t.startsWith('Echo agent: first'))).toHaveLength(1);
    // Answered in the order they arrived (third was delivered before second).
    expect(texts[1]).toMatch(/^Echo agent: third/);
    expect(texts[2]).toMatch(/^Echo agent: second/);
  });

  it('an unknown DM sender under allowlist gets no reply at all', async () => {
    await boot();
    tg.message({ chatId: 77, text: 'let me in' });
    tg.message({ chatId: 42, text: 'ping' });
    await tg.waitFor((f) => f.texts(42).length === 1, 15_000, 'reply to the allowed user');
    expect(tg.chat(77)).toHaveLength(0);
  });

  it('honours retry_after on a 429 in full and then delivers', async () => {
    await boot({ streaming: { enabled: false } });
    tg.fail('sendMessage', { status: 429, description: 'Too Many Requests: retry after 2', retryAfter: 2 });
    const t0 = Date.now();
    tg.message({ chatId: 42, text: 'slowly' });
    await tg.waitFor((f) => f.texts(42).length === 1, 15_000, 'delivery after the wait');
    const sends = tg.calls.filter((c) => c.method === 'sendMessage');
    expect(sends).toHaveLength(2);
    expect(sends[1].at - sends[0].at).toBeGreaterThanOrEqual(2_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000);
  });

  it('a dropped long poll degrades the account, which recovers by itself', async () => {
    await boot();
    tg.fail('getUpdates', { drop: true, times: 2 });
    await tg.waitFor(() => gw.gateway.services.channels.status().channelAccounts.telegram[0].state === 'degraded', 10_000, 'degraded');
    tg.message({ chatId: 42, text: 'still there?' });
    await tg.waitFor((f) => f.texts(42).length === 1, 15_000, 'reply after recovery');
    expect(gw.gateway.services.channels.status().channelAccounts.telegram[0].state).toBe('connected');
  });
});

describe('telegram streaming under edit trouble', () => {
  it('keeps the final text when edits are rate-limited (retry_after honoured), in the same message', async () => {
    await boot({ streaming: { editIntervalMs: 200 } });
    tg.fail('editMessageText', { status: 429, description: 'Too Many Requests: retry after 1', retryAfter: 1, times: 2 });
    tg.message({ chatId: 42, text: 'edits are limited' });
    await tg.waitFor((f) => (f.chat(42)[0]?.texts.at(-1) ?? '').includes('agent.model'), 15_000, 'final text');
    expect(tg.chat(42)).toHaveLength(1);
  });

  it('falls back to one final message when the streamed message cannot be edited', async () => {
    await boot({ streaming: { editIntervalMs: 200 } });
    tg.fail('editMessageText', { status: 400, description: "Bad Request: message can't be edited", times: 50 });
    tg.message({ chatId: 42, text: 'no edits at all' });
    await tg.waitFor((f) => f.texts(42).some((t) => t.includes('agent.model')), 15_000, 'final text as a new message');
    await new Promise((r) => setTimeout(r, 300));
    const messages = tg.chat(42);
    expect(messages).toHaveLength(2);
    expect(messages[1].texts[0]).toMatch(/^Echo agent: no edits at all/);
  });

  it('shows tool progress lines (toolProgress: all) before the answer', async () => {
    await boot({ streaming: { enabled: false }, toolProgress: 'all' });
    gw.gateway.services.agentTools.register({ name: 'lookup', description: 'looks things up', parameters: { type: 'object', properties: {} }, run: async () => 'found it' });
    tg.message({ chatId: 42, text: '/tool lookup {}' });
    await tg.waitFor((f) => f.texts(42).some((t) => t.includes('tool lookup returned')), 15_000, 'answer after the tool');
    const texts = tg.texts(42);
    expect(texts[0]).toBe('🔧 lookup');
    expect(texts[1]).toMatch(/tool lookup returned: found it/);
  });
});

