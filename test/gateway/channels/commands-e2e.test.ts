// Chat commands beyond the basics, against a real gateway: the WebChat's chat.send runs the same
// commands (reply as a transcript note and a chat final), /undo and /retry rewrite the
// conversation, /approve and /deny answer the exec approval of this conversation (issue 6's
// service, plugged in as services.nodes.approvals), only for configured approvers.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { startFakeTelegram, type FakeTelegram } from '../../helpers/fake-telegram.js';
import { noteSecret } from '../../helpers/secrets.js';
import { recordRuns, messageText } from '../../helpers/run-events.js';
import { until } from '../../helpers/wait.js';

let gw: TestGateway | undefined;
let tg: FakeTelegram | undefined;
afterEach(async () => {
  await gw?.close();
  await tg?.close();
  gw = undefined;
  tg = undefined;
});

describe('chat commands', () => {
  it('work in the WebChat through chat.send: reply noted in the transcript and sent as a chat final', async () => {
    gw = await startTestGateway({ extra: { agent: { echoDelayMs: 0 } } });
    const client = await gw.connect();
    const runs = recordRuns(client);
    const first = await client.call('chat.send', { sessionKey: 'main', message: 'hello', idempotencyKey: 'w1' });
    if (!('runId' in first)) throw new Error('expected a run');
    await runs.ended(first.runId);
    const status = await client.call('chat.send', { sessionKey: 'main', message: '/status', idempotencyKey: 'w2' });
    expect(status).toEqual({ runId: 'cmd-w2', status: 'completed' });
    const final = await runs.ended('cmd-w2');
    expect(messageText(final)).toContain('Session: agent:main:main');
    await client.call('chat.send', { sessionKey: 'main', message: '/title Plans', idempotencyKey: 'w3' });
    await client.call('chat.send', { sessionKey: 'main', message: '/undo', idempotencyKey: 'w4' });
    const history = await client.call('chat.history', { sessionKey: 'main' });
    const texts = history.messages.map((m) => (m.content as Array<{ text?: string }>).map((b) => b.text).join(''));
    // /undo removed the last user message (the /title note stays out too: it came after "hello").
    expect(texts.some((t) => t === 'hello')).toBe(false);
    // /stop keeps its chat.send meaning.
    expect(await client.call('chat.send', { sessionKey: 'main', message: '/stop', idempotencyKey: 'w5' })).toMatchObject({ ok: true, aborted: false });
    expect(runs.invalid).toEqual([]);
  });

  it('/retry sends the last message again; /approve and /deny answer this conversation\'s approval, approvers only', async () => {
    tg = await startFakeTelegram();
    noteSecret(tg.token);
    gw = await startTestGateway({
      extra: {
        channels: { telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, allowFrom: ['42', '43'], approvers: ['42'], streaming: { enabled: false } } } as never,
        agent: { echoDelayMs: 0 },
      },
    });
    const decisions: Array<[string, string, string]> = [];
    const pending = [
      { id: 'appr-1111', request: { command: 'rm -rf /tmp/x', sessionKey: 'agent:main:telegram:direct:42' } },
      { id: 'appr-2222', request: { command: 'ls', sessionKey: 'agent:main:telegram:direct:43' } },
    ];
    // The real exec-approvals service, with its pending list and decisions observed through spies
    // (creating real approvals needs a node running system.run; that path is tested in test/gateway/nodes).
    const approvals = gw.gateway.services.nodes.approvals;
    vi.spyOn(approvals, 'list').mockImplementation(() => pending as never);
    vi.spyOn(approvals, 'resolve').mockImplementation((id: string, decision: string, by: string) => {
      decisions.push([id, decision, by]);
      pending.splice(pending.findIndex((p) => p.id === id), 1);
    });
    await until(() => gw!.gateway.services.channels.status().channelAccounts.telegram[0].state === 'connected', 10_000);
    tg.message({ chatId: 42, text: 'first question' });
    await tg.waitFor((f) => f.texts(42).length === 1, 10_000, 'answer');
    tg.message({ chatId: 42, text: '/retry' });
    await tg.waitFor((f) => f.texts(42).length === 2, 10_000, 'retried answer');
    expect(tg.texts(42)[1]).toMatch(/^Echo agent: first question/);
    tg.message({ chatId: 43, text: '/approve' });
    await tg.waitFor((f) => f.texts(43).length === 1, 10_000, 'refusal');
    expect(tg.texts(43)[0]).toMatch(/not allowed to answer exec approvals/);
    tg.message({ chatId: 42, text: '/approve always' });
    await tg.waitFor((f) => f.texts(42).length === 3, 10_000, 'approval');
    expect(tg.texts(42)[2]).toBe('Approved (always): rm -rf /tmp/x');
    expect(decisions).toEqual([['appr-1111', 'allow-always', 'telegram:42']]);
    tg.message({ chatId: 42, text: '/deny' });
    await tg.waitFor((f) => f.texts(42).length === 4, 10_000, 'nothing to deny');
    expect(tg.texts(42)[3]).toBe('No exec approval is waiting in this conversation.');
  });
});
