// Telegram transport guarantees: a 409 is `conflict` (never connected); one poller per bot token
// per host (token lock); webhook mode with its required secret; a reply that cannot be delivered
// ends in a visible notice to the sender and an operator alert.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { startFakeTelegram, type FakeTelegram } from '../../helpers/fake-telegram.js';
import { noteSecret } from '../../helpers/secrets.js';
import { until } from '../../helpers/wait.js';

let tg: FakeTelegram;
const gateways: TestGateway[] = [];
const fastSupervisor = { baseDelayMs: 50, maxDelayMs: 200, conflictDelayMs: 100, stableMs: 60_000 };

async function boot(telegram: Record<string, unknown> = {}, outbound: Record<string, unknown> = {}): Promise<TestGateway> {
  const gw = await startTestGateway({
    extra: {
      channels: { telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, allowFrom: ['42'], streaming: { enabled: false }, ...telegram } } as never,
      agent: { echoDelayMs: 0 },
      channelTuning: { supervisor: fastSupervisor, outbound: { retryBaseMs: 20, retryMaxMs: 50, pollMs: 50, ...outbound } },
    },
  });
  gateways.push(gw);
  return gw;
}

const state = (gw: TestGateway) => gw.gateway.services.channels.status().channelAccounts.telegram[0];

beforeEach(async () => {
  tg = await startFakeTelegram();
  noteSecret(tg.token);
});
afterEach(async () => {
  for (const gw of gateways.splice(0)) await gw.close();
  await tg.close();
});

describe('telegram transport', () => {
  it('shows a 409 as conflict, never connected, and recovers when the other poller is gone', async () => {
    tg.fail('getUpdates', { status: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running', times: 3 });
    const gw = await boot();
    const seen = new Set<string>();
    await until(() => { seen.add(state(gw).state); return tg.calls.filter((c) => c.method === 'getUpdates').length >= 3; }, 10_000, 'three 409s');
    await until(() => { seen.add(state(gw).state); return state(gw).state === 'conflict'; }, 5_000, 'conflict state');
    expect(state(gw)).toMatchObject({ connected: false, fix: expect.stringContaining('409') });
    expect(seen.has('connected')).toBe(false);
    await until(() => state(gw).state === 'connected', 10_000, 'connected once the conflict is over');
  });

  it('allows one poller per bot token per host: a second gateway is parked in conflict without polling', async () => {
    const first = await boot();
    await until(() => state(first).state === 'connected', 10_000);
    const pollsBefore = tg.calls.filter((c) => c.method === 'getUpdates').length;
    const second = await boot();
    await until(() => state(second).state === 'conflict', 10_000, 'second gateway in conflict');
    expect(state(second).detail).toMatch(/another Switchboard gateway on this host already uses this bot token/);
    await new Promise((r) => setTimeout(r, 300));
    // Only the first one's long polls (about one per second) — no 409 ever comes from us.
    expect(tg.calls.filter((c) => c.method === 'getUpdates').length - pollsBefore).toBeLessThan(5);
    expect(state(first).state).toBe('connected');
  });

  it('restarts 20 times without ever overlapping two pollers (no 409 from us)', async () => {
    const gw = await boot();
    for (let i = 0; i < 20; i++) {
      await gw.gateway.services.channels.startAccount('telegram');
      await until(() => state(gw).state === 'connected', 10_000);
    }
    tg.message({ chatId: 42, text: 'after restarts' });
    await tg.waitFor((f) => f.texts(42).length === 1, 10_000, 'answer after restarts');
    expect(state(gw).state).toBe('connected');
  });

  it('webhook mode: sets the webhook with its secret, takes updates only with the right secret', async () => {
    const gw = await boot({ mode: 'webhook', webhook: { url: 'http://placeholder.invalid/hook', secret: 'webhook-secret-0123456789' } });
    noteSecret('webhook-secret-0123456789');
    await until(() => state(gw).state === 'connected', 10_000);
    expect(tg.calls.find((c) => c.method === 'setWebhook')?.body).toMatchObject({ secret_token: 'webhook-secret-0123456789' });
    expect(tg.calls.some((c) => c.method === 'getUpdates')).toBe(false);
    tg.webhook.url = `http://127.0.0.1:${gw.gateway.port}/channels/telegram/default/webhook`;
    const update = { update_id: 1, message: { message_id: 9, date: 1, chat: { id: 42, type: 'private' }, from: { id: 42, is_bot: false, first_name: 'Ann' }, text: 'via webhook' } };
    expect(await tg.postWebhook(update, 'wrong-secret-0123456789xx')).toBe(401);
    expect(await tg.postWebhook(update)).toBe(200);
    expect(await tg.postWebhook(update)).toBe(200);
    await tg.waitFor((f) => f.texts(42).length === 1, 10_000, 'answer to the webhook update');
    await new Promise((r) => setTimeout(r, 300));
    expect(tg.texts(42)).toHaveLength(1);
  });

  it('refuses to start webhook mode without a secret (EX_CONFIG)', async () => {
    await expect(boot({ mode: 'webhook', webhook: { url: 'https://example.invalid/hook' } })).rejects.toMatchObject({ exitCode: 78, message: expect.stringContaining('webhook.secret is required') });
  });

  it('a reply that keeps failing ends in a notice to the sender and an operator alert', async () => {
    const gw = await boot({}, { maxAttempts: 3 });
    const client = await gw.connect();
    const alerts: unknown[] = [];
    client.on('channels.alert', (a) => alerts.push(a));
    tg.fail('sendMessage', { status: 500, description: 'Internal Server Error', times: 9 });
    tg.message({ chatId: 42, text: 'are you there' });
    await tg.waitFor((f) => f.texts(42).length === 1, 15_000, 'failure notice');
    expect(tg.texts(42)[0]).toMatch(/could not deliver my reply/);
    await until(() => alerts.length === 1, 5_000, 'alert');
    expect(alerts[0]).toMatchObject({ kind: 'delivery_failed', channel: 'telegram', chatId: '42', attempts: 3 });
  });
});
