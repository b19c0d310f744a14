// WhatsApp through Baileys behind the socket-factory seam (a socket built from Baileys' own event
// buffer and message builders): linking by QR through web.login.start/wait, DMs answered exactly
// once, group mention gating, logged out (401) → needs_relink with no retry loop, other closes
// restart with backoff, senders addressed by their @lid ids (identity in phone-number form, replies
// to the chat they came from, mentions of the bot's own LID), and the real Baileys socket redirected to a local server that closes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { fakeWaFactory, sentText, editedId, SELF_JID, SELF_LID } from '../../helpers/fake-whatsapp.js';
import { until } from '../../helpers/wait.js';
import { WhatsAppAdapter } from '../../../gateway/src/channels/whatsapp/adapter.js';

let gw: TestGateway | undefined;
afterEach(async () => { await gw?.close(); gw = undefined; });
const fastSupervisor = { baseDelayMs: 30, maxDelayMs: 100, conflictDelayMs: 50, stableMs: 60_000 };

async function boot(factory: ReturnType<typeof fakeWaFactory>, whatsapp: Record<string, unknown> = {}): Promise<TestGateway> {
  gw = await startTestGateway({
    extra: {
      channels: { whatsapp: { allowFrom: ['15551234567@s.whatsapp.net'], ...whatsapp } } as never,
      agent: { echoDelayMs: 0 },
      channelTuning: { supervisor: fastSupervisor },
      channelFactories: { whatsapp: (account, deps) => new WhatsAppAdapter(account, { ...deps, socketFactory: factory }) },
    },
  });
  return gw;
}
const state = () => gw!.gateway.services.channels.status().channelAccounts.whatsapp[0];

describe('whatsapp channel', () => {
  it('links by QR through web.login.start / web.login.wait, then answers a DM once', async () => {
    const factory = fakeWaFactory((s) => setTimeout(() => s.showQr('2@fake-qr-ref,abc,def'), 20));
    await boot(factory);
    const client = await gw!.connect();
    const start = await client.call('web.login.start', {});
    expect(start.qrDataUrl).toMatch(/^data:image\/png;base64,/);
    expect(start.qrText).toMatch(/[█▀▄]/);
    expect(state()).toMatchObject({ state: 'degraded', detail: expect.stringContaining('switchboard channels login whatsapp') });
    setTimeout(() => factory.current().open(), 100);
    const waited = await client.call('web.login.wait', { timeoutMs: 5_000 });
    expect(waited).toMatchObject({ connected: true });
    expect(state().state).toBe('connected');

    const sock = factory.current();
    const inbound = sock.receive({ jid: '15551234567@s.whatsapp.net', text: 'hello whatsapp' });
    await until(() => sock.sent.some((m) => sentText(m).includes('agent.model')), 10_000, 'reply');
    sock.ev.emit('messages.upsert', { messages: [inbound], type: 'notify' });
    await new Promise((r) => setTimeout(r, 300));
    const replies = sock.sent.filter((m) => sentText(m).startsWith('Echo agent: hello whatsapp'));
    expect(replies).toHaveLength(1);
    expect(replies[0].key.remoteJid).toBe('15551234567@s.whatsapp.net');
    expect(sock.presence.some((p) => p.type === 'composing')).toBe(true);
    // WhatsApp streams off by default: no edits.
    expect(sock.sent.filter((m) => editedId(m))).toHaveLength(0);
  });

  it('answers in groups only when mentioned; strangers in DMs get a pairing code, not the agent', async () => {
    const factory = fakeWaFactory((s) => setTimeout(() => s.open(), 10));
    await boot(factory, { allowChats: ['1203630@g.us'] });
    await until(() => state().state === 'connected', 5_000);
    const sock = factory.current();
    sock.receive({ jid: '1203630@g.us', participant: '15557654321@s.whatsapp.net', text: 'just chatting' });
    sock.receive({ jid: '1203630@g.us', participant: '15557654321@s.whatsapp.net', text: '@bot what now', mentions: [SELF_JID] });
    sock.receive({ jid: '15559999999@s.whatsapp.net', text: 'who are you' });
    await until(() => sock.sent.length >= 2, 10_000, 'two answers');
    await new Promise((r) => setTimeout(r, 300));
    const group = sock.sent.filter((m) => m.key.remoteJid === '1203630@g.us').map(sentText);
    expect(group).toHaveLength(1);
    expect(group[0]).toMatch(/^Echo agent: @bot what now/);
    const dm = sock.sent.filter((m) => m.key.remoteJid === '15559999999@s.whatsapp.net').map(sentText);
    expect(dm).toHaveLength(1);
    expect(dm[0]).toMatch(/pairing code is [A-Z2-9]{8}/);
  });

  it('a DM addressed by @lid matches the phone-number allowlist, is answered in the @lid chat, and shares the phone-number session', async () => {
    const factory = fakeWaFactory((s) => setTimeout(() => s.open(), 10));
    await boot(factory);
    await until(() => state().state === 'connected', 5_000);
    const sock = factory.current();
    const LID = '201234567890123@lid';
    sock.receive({ jid: LID, alt: '15551234567@s.whatsapp.net', text: 'hi by lid' });
    await until(() => sock.sent.some((m) => sentText(m).startsWith('Echo agent: hi by lid')), 10_000, 'reply to the lid DM');
    const reply = sock.sent.find((m) => sentText(m).startsWith('Echo agent: hi by lid'))!;
    expect(reply.key.remoteJid).toBe(LID);
    // The same person writing by phone number lands in the same session.
    sock.receive({ jid: '15551234567@s.whatsapp.net', alt: LID, text: 'hi by number' });
    await until(() => sock.sent.some((m) => sentText(m).startsWith('Echo agent: hi by number')), 10_000, 'reply to the pn DM');
    const client = await gw!.connect();
    const keys = (await client.call('sessions.list', {})).sessions.map((r) => r.key).filter((k) => k.includes(':whatsapp:'));
    expect(keys).toEqual(['agent:main:whatsapp:direct:15551234567@s.whatsapp.net']);
    // A stranger's lid without a phone number is not on the allowlist: a pairing code, not the agent.
    sock.receive({ jid: '209999999999999@lid', text: 'who are you' });
    await until(() => sock.sent.some((m) => m.key.remoteJid === '209999999999999@lid'), 10_000, 'pairing code');
    expect(sentText(sock.sent.find((m) => m.key.remoteJid === '209999999999999@lid')!)).toMatch(/pairing code is/);
  });

  it('in an @lid group the sender is matched by phone number and a mention of the bot\'s LID counts', async () => {
    const factory = fakeWaFactory((s) => setTimeout(() => s.open(), 10));
    await boot(factory);
    await until(() => state().state === 'connected', 5_000);
    const sock = factory.current();
    const member = { jid: '1203631@g.us', participant: '201234567890123:3@lid', alt: '15551234567@s.whatsapp.net' };
    sock.receive({ ...member, text: 'no mention here' });
    sock.receive({ ...member, text: '@bot by lid', mentions: [SELF_LID] });
    await until(() => sock.sent.length >= 1, 10_000, 'group answer');
    await new Promise((r) => setTimeout(r, 300));
    const group = sock.sent.filter((m) => m.key.remoteJid === '1203631@g.us').map(sentText);
    expect(group).toHaveLength(1);
    expect(group[0]).toMatch(/^Echo agent: @bot by lid/);
    const client = await gw!.connect();
    const keys = (await client.call('sessions.list', {})).sessions.map((r) => r.key);
    expect(keys).toContain('agent:main:whatsapp:group:1203631@g.us:15551234567@s.whatsapp.net');
  });

  it('logged out (401) is needs_relink with the command to fix it, and no retry loop', async () => {
    const factory = fakeWaFactory((s) => setTimeout(() => s.open(), 10));
    await boot(factory);
    await until(() => state().state === 'connected', 5_000);
    factory.current().close(401);
    await until(() => state().state === 'needs_relink', 5_000, 'needs_relink');
    expect(state().fix).toContain('switchboard channels login whatsapp');
    expect(state().lastError).toContain('logged this device out');
    await new Promise((r) => setTimeout(r, 300));
    expect(factory.sockets).toHaveLength(1);
  });

  it('other closes (restart required, connection lost) restart the adapter with backoff', async () => {
    const factory = fakeWaFactory((s) => setTimeout(() => s.open(), 10));
    await boot(factory);
    await until(() => state().state === 'connected', 5_000);
    factory.current().close(515);
    await until(() => factory.sockets.length === 2 && state().state === 'connected', 5_000, 'reconnected after 515');
    factory.current().close(408);
    await until(() => factory.sockets.length === 3 && state().state === 'connected', 5_000, 'reconnected after 408');
    expect(state().reconnectAttempts).toBe(2);
  });

  it('the real Baileys socket, redirected to a local server that closes, degrades and reconnects', async () => {
    const server = createServer();
    const wss = new WebSocketServer({ server });
    let connections = 0;
    wss.on('connection', (ws) => { connections++; setTimeout(() => ws.close(), 50); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws/chat`;
    try {
      gw = await startTestGateway({ extra: { channels: { whatsapp: { waWebSocketUrl: url } } as never, channelTuning: { supervisor: fastSupervisor } } });
      await until(() => connections >= 2, 15_000, 'two connection attempts');
      expect(state().state).toBe('degraded');
      expect(state().lastError).toMatch(/WhatsApp connection closed/);
    } finally {
      await gw?.close();
      gw = undefined;
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
