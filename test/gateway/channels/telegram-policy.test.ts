// Who may talk, over a real Telegram adapter: DM pairing end to end (code → operator approves →
// the user is answered), group mention gating, chat commands, outbound `send` refused for
// strangers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { FAKE_BOT, startFakeTelegram, type FakeTelegram } from '../../helpers/fake-telegram.js';
import { noteSecret } from '../../helpers/secrets.js';

let tg: FakeTelegram;
let gw: TestGateway;

async function boot(telegram: Record<string, unknown>): Promise<void> {
  gw = await startTestGateway({
    extra: {
      channels: { telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, streaming: { enabled: false }, ...telegram } } as never,
      agent: { echoDelayMs: 0 },
    },
  });
  await tg.waitFor((f) => f.calls.some((c) => c.method === 'getUpdates'), 10_000, 'polling');
}

beforeEach(async () => {
  tg = await startFakeTelegram();
  noteSecret(tg.token);
});
afterEach(async () => {
  await gw?.close();
  await tg.close();
});

describe('telegram: who may talk', () => {
  it('pairs an unknown DM sender: one code, approved by the operator, then answered', async () => {
    await boot({ dmPolicy: 'pairing' });
    tg.message({ chatId: 501, text: 'hi bot' });
    await tg.waitFor((f) => f.texts(501).length === 1, 10_000, 'pairing code');
    const code = /pairing code is ([A-Z2-9]{8})/.exec(tg.texts(501)[0])![1];
    noteSecret(code);
    expect(tg.texts(501)[0]).toContain(`switchboard pairing approve telegram ${code}`);
    // Asking again within 10 minutes gets nothing new; the agent was never reached.
    tg.message({ chatId: 501, text: 'hello?' });
    await new Promise((r) => setTimeout(r, 400));
    expect(tg.texts(501)).toHaveLength(1);
    const client = await gw.connect();
    const list = await client.call('pairing.list', {});
    expect(list.pending).toMatchObject([{ platform: 'telegram', userId: '501' }]);
    expect(JSON.stringify(list)).not.toContain(code);
    await expect(client.call('pairing.approve', { platform: 'telegram', code: 'AAAAAAAA', idempotencyKey: 'wrong-1' })).rejects.toMatchObject({ details: { code: 'PAIRING_CODE_INVALID' } });
    await expect(client.call('pairing.approve', { platform: 'telegram', code, idempotencyKey: 'approve-1' })).resolves.toMatchObject({ userId: '501' });
    tg.message({ chatId: 501, text: 'now?' });
    await tg.waitFor((f) => f.texts(501).some((t) => t.startsWith('Echo agent: now?')), 10_000, 'answer after pairing');
    expect((await client.call('pairing.list', {})).paired).toMatchObject([{ platform: 'telegram', userId: '501' }]);
    await client.call('pairing.revoke', { platform: 'telegram', userId: '501' });
    tg.message({ chatId: 501, text: 'still?' });
    await new Promise((r) => setTimeout(r, 400));
    expect(tg.texts(501).filter((t) => t.includes('still?'))).toHaveLength(0);
  });

  it('a retried approval (same idempotency key, reply lost) gets the same success: one approval, no wrong-code strike', async () => {
    await boot({ dmPolicy: 'pairing' });
    tg.message({ chatId: 502, text: 'hi bot' });
    await tg.waitFor((f) => f.texts(502).length === 1, 10_000, 'pairing code');
    const code = /pairing code is ([A-Z2-9]{8})/.exec(tg.texts(502)[0])![1];
    noteSecret(code);
    const client = await gw.connect();
    const first = await client.call('pairing.approve', { platform: 'telegram', code, idempotencyKey: 'approve-502' });
    // The answer was "lost"; the operator retries on a new connection with the same key.
    const again = await (await gw.connect()).call('pairing.approve', { platform: 'telegram', code, idempotencyKey: 'approve-502' });
    expect(again).toEqual(first);
    expect(first).toMatchObject({ platform: 'telegram', userId: '502' });
    expect((await client.call('pairing.list', {})).paired.filter((p) => p.userId === '502')).toHaveLength(1);
    expect(gw.gateway.services.store.channels.lockout('telegram').failures).toBe(0);
    // Without the key the code is spent: a new request is a wrong code (and a strike).
    await expect(client.call('pairing.approve', { platform: 'telegram', code, idempotencyKey: 'approve-502-new' })).rejects.toMatchObject({ details: { code: 'PAIRING_CODE_INVALID' } });
    expect(gw.gateway.services.store.channels.lockout('telegram').failures).toBe(1);
    // The key is required.
    await expect(client.call('pairing.approve', { platform: 'telegram', code } as never)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('in groups answers only when mentioned (or replied to), never offers pairing', async () => {
    await boot({ dmPolicy: 'pairing', allowFrom: ['42'] });
    tg.message({ chatId: -100, userId: 42, chatType: 'supergroup', text: 'chatting among ourselves' });
    tg.message({ chatId: -100, userId: 99, chatType: 'supergroup', text: `@${FAKE_BOT.username} stranger here`, entities: [{ type: 'mention', offset: 0, length: FAKE_BOT.username.length + 1 }] });
    tg.message({ chatId: -100, userId: 42, chatType: 'supergroup', text: `@${FAKE_BOT.username} what time is it`, entities: [{ type: 'mention', offset: 0, length: FAKE_BOT.username.length + 1 }] });
    tg.message({ chatId: -100, userId: 42, chatType: 'supergroup', text: 'and you?', replyToBot: true });
    await tg.waitFor((f) => f.texts(-100).length >= 2, 10_000, 'two group answers');
    await new Promise((r) => setTimeout(r, 400));
    const texts = tg.texts(-100);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain('what time is it');
    expect(texts[1]).toContain('and you?');
    // The answer quotes the message it answers in a group.
    expect(tg.chat(-100)[0].replyTo).toBeDefined();
  });

  it('runs chat commands without the agent: /help, /status, /title, /new, /usage', async () => {
    await boot({ allowFrom: ['42'] });
    tg.message({ chatId: 42, text: 'remember the milk' });
    await tg.waitFor((f) => f.texts(42).length === 1, 10_000, 'first answer');
    for (const text of ['/help', '/status', '/title Groceries', '/new', '/resume', '/resume groceries', '/usage', '/model']) tg.message({ chatId: 42, text });
    await tg.waitFor((f) => f.texts(42).length === 9, 10_000, 'command answers');
    const [, help, status, title, fresh, list, resumed, usage, model] = tg.texts(42);
    expect(help).toContain('/approve');
    expect(status).toContain('Session: agent:main:telegram:direct:42');
    expect(status).toContain('Channel: telegram connected');
    expect(title).toBe('Titled this conversation "Groceries".');
    expect(fresh).toBe('Started a new conversation.');
    expect(list).toContain('• Groceries');
    expect(resumed).toBe('Resumed "Groceries".');
    expect(usage).toMatch(/^Tokens in this chat/);
    expect(model).toContain('echo');
  });

  it('send: delivers to allowed chats only, exactly once per idempotencyKey', async () => {
    await boot({ allowFrom: ['42'] });
    const client = await gw.connect();
    const sent = await client.call('send', { to: 'telegram:42', message: 'reminder', idempotencyKey: 'k1' });
    expect(sent).toMatchObject({ status: 'sent', channel: 'telegram', chatId: '42', messageId: expect.any(String) });
    await expect(client.call('send', { to: 'telegram:42', message: 'reminder', idempotencyKey: 'k1' })).resolves.toMatchObject({ deliveryId: sent.deliveryId });
    expect(tg.texts(42)).toEqual(['reminder']);
    await expect(client.call('send', { to: 'telegram:666', message: 'spam', idempotencyKey: 'k2' })).rejects.toMatchObject({ code: 'FORBIDDEN', details: { code: 'RECIPIENT_NOT_ALLOWED' } });
    await expect(client.call('send', { to: 'telegram:42', message: 'x', mediaUrl: 'http://x', idempotencyKey: 'k3' })).rejects.toMatchObject({ details: { code: 'UNSUPPORTED_PARAM' } });
    expect(tg.chat(666)).toHaveLength(0);
  });
});
