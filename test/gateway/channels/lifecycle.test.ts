// Channel state across the daemon: a message left unanswered longer than a day by a long outage is
// not answered late but its sender is told; /readyz and health carry every account's state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '@switchboard/gateway';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { startFakeTelegram, type FakeTelegram } from '../../helpers/fake-telegram.js';
import { noteSecret } from '../../helpers/secrets.js';
import { until } from '../../helpers/wait.js';
import { INBOUND_TTL_MS } from '../../../gateway/src/channels/inbound.js';

let gw: TestGateway | undefined;
let tg: FakeTelegram | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await gw?.close();
  await tg?.close();
  gw = undefined;
  tg = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('channel lifecycle', () => {
  it('tells the sender of a message that expired during an outage instead of answering it a day late', async () => {
    tg = await startFakeTelegram();
    noteSecret(tg.token);
    const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-expire-'));
    dirs.push(stateDir);
    const store = SqliteStore.openInStateDir(stateDir);
    const old = Date.now() - INBOUND_TTL_MS - 60_000;
    const event = { platform: 'telegram', accountId: 'default', chatId: '42', chatType: 'dm', userId: '42', messageId: '7', text: 'old question', media: [], mentioned: true };
    store.inbound.record({ channel: 'telegram', accountId: 'default', platformMessageId: '42:7', chatId: '42', payload: event }, old);
    const fresh = store.inbound.record({ channel: 'telegram', accountId: 'default', platformMessageId: '42:8', chatId: '42', payload: { ...event, messageId: '8', text: 'recent question' } }, Date.now() - 60_000);
    store.close();
    gw = await startTestGateway({ stateDir, extra: { channels: { telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, allowFrom: ['42'], streaming: { enabled: false } } } as never, agent: { echoDelayMs: 0 } } });
    await tg.waitFor((f) => f.texts(42).length === 2, 10_000, 'notice and answer');
    const texts = tg.texts(42);
    expect(texts[0]).toMatch(/your message from .* expired before I could answer it/);
    expect(texts[1]).toMatch(/^Echo agent: recent question/);
    expect(gw.gateway.services.store.inbound.get(fresh.record.id)?.status).toBe('done');
  });

  it('reports every account in /readyz and health, not ready while an account is parked', async () => {
    gw = await startTestGateway({
      extra: {
        channels: { discord: { token: 'not-a-real-token-0123456789', apiRoot: 'http://127.0.0.1:9/api' } } as never,
        channelTuning: { supervisor: { baseDelayMs: 20, maxDelayMs: 50, conflictDelayMs: 20, stableMs: 60_000 } },
        channelFactories: {
          discord: (account) => ({
            platform: 'discord', accountId: account.accountId,
            limits: { maxMessageLength: 2000, lengthUnit: 'codepoints', canEdit: true, perChatPerSecond: 1, burst: 1 },
            start: async () => { const { AdapterFatalError } = await import('../../../gateway/src/channels/types.js'); throw new AdapterFatalError('stopped', 'Discord refused the bot token (401)'); },
            send: async () => ({ messageId: '1' }), edit: async () => undefined, typing: async () => undefined,
          }),
        },
      },
    });
    await until(() => gw!.gateway.services.channels.status().channelAccounts.discord[0].state === 'stopped', 5_000);
    const res = await fetch(`http://127.0.0.1:${gw.gateway.port}/readyz`);
    expect(res.status).toBe(503);
    const body = await res.json() as { checks: { channels: { ready: boolean; accounts: Record<string, { state: string; lastError: string }> } } };
    expect(body.checks.channels.ready).toBe(false);
    expect(body.checks.channels.accounts['discord:default']).toMatchObject({ state: 'stopped', lastError: expect.stringContaining('401') });
    const client = await gw.connect();
    const health = await client.call('health', { probe: true });
    expect(health.channelOrder).toEqual(['discord']);
    expect((health.channels.discord as { accounts: Array<{ state: string; fix: string }> }).accounts[0]).toMatchObject({ state: 'stopped', fix: expect.stringContaining('switchboard channels start discord') });
  });
});
