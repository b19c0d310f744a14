// A new message during a run follows the session's mode, through a real channel (Telegram through
// grammY against the fake Bot API, the echo agent slowed down so a run is still going when the next
// message arrives). Queue mode is covered in telegram.test.ts; here: interrupt (the running answer
// stops where it was, the new message is answered) and collect (the running answer completes, and
// everything that came in meanwhile gets one follow-up answer).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { startFakeTelegram, type FakeTelegram } from '../../helpers/fake-telegram.js';
import { noteSecret } from '../../helpers/secrets.js';
import { messageText } from '../../helpers/run-events.js';

let tg: FakeTelegram;
let gw: TestGateway;
const SESSION = 'agent:main:telegram:direct:42';
/** The end of every complete echo answer (its last words). */
const COMPLETE = 'see docs/agent.md.)';

/** Boots a gateway whose echo agent takes ~50 ms a word (a whole answer takes about 2 s). */
async function boot(mode: 'interrupt' | 'collect', streaming: boolean): Promise<void> {
  gw = await startTestGateway({
    extra: {
      channels: { telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, allowFrom: ['42'], streaming: { enabled: streaming, editIntervalMs: 200 } } } as never,
      agent: { echoDelayMs: 50 },
    },
  });
  await tg.waitFor((f) => f.calls.some((c) => c.method === 'getUpdates'), 10_000, 'first getUpdates');
  const client = await gw.connect();
  await client.call('sessions.patch', { key: SESSION, queueMode: mode });
}

/** Resolves once the agent has started answering in chat 42 (typing shown). */
async function runStarted(): Promise<void> {
  await tg.waitFor((f) => f.calls.some((c) => c.method === 'sendChatAction' && String(c.body.chat_id) === '42'), 10_000, 'the first run started');
}

/** Waits until no message of chat 42 changed for `quietMs`. */
async function settled(quietMs = 600): Promise<void> {
  let last = '';
  let since = Date.now();
  const end = Date.now() + 15_000;
  while (Date.now() - since < quietMs) {
    const now = JSON.stringify(tg.chat(42));
    if (now !== last) { last = now; since = Date.now(); }
    if (Date.now() > end) throw new Error('chat 42 never settled');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(async () => {
  tg = await startFakeTelegram();
  noteSecret(tg.token);
});
afterEach(async () => {
  await gw?.close();
  await tg.close();
});

describe('a new message during a run, through a channel', () => {
  it('interrupt (streaming): the running answer stops where it was and the new message is answered in full', async () => {
    await boot('interrupt', true);
    tg.message({ chatId: 42, text: 'first question with quite a few words in it' });
    // The first answer is streaming (edited past its first words) when the second message arrives.
    await tg.waitFor((f) => (f.chat(42)[0]?.texts.at(-1) ?? '').includes('first question'), 10_000, 'the first answer streaming');
    tg.message({ chatId: 42, text: 'second question' });
    await tg.waitFor((f) => f.texts(42).some((t) => t.startsWith('Echo agent: second question') && t.endsWith(COMPLETE)), 15_000, 'the second answer');
    await settled();
    const [first, second, ...more] = tg.chat(42);
    expect(more).toEqual([]);
    // The first answer was cut off: its message holds what had been written, never the whole answer.
    expect(first.texts.at(-1)).toMatch(/^Echo agent: first question/);
    expect(first.texts.at(-1)).not.toContain(COMPLETE);
    expect(second.texts.at(-1)).toMatch(/^Echo agent: second question[\s\S]*see docs\/agent\.md\.\)$/);
    // The stopped message ends with exactly what the transcript kept of the interrupted answer.
    const history = await (await gw.connect()).call('chat.history', { sessionKey: SESSION });
    const answers = history.messages.filter((m) => m.role === 'assistant').map((m) => messageText({ message: m }).trim());
    expect(answers).toHaveLength(2);
    expect(first.texts.at(-1)).toBe(answers[0]);
  });

  it('interrupt (no streaming): the stopped run sends nothing, the new message gets the one answer', async () => {
    await boot('interrupt', false);
    tg.message({ chatId: 42, text: 'first question' });
    await runStarted();
    await new Promise((r) => setTimeout(r, 200));
    tg.message({ chatId: 42, text: 'second question' });
    await tg.waitFor((f) => f.texts(42).some((t) => t.startsWith('Echo agent: second question')), 15_000, 'the second answer');
    await settled();
    const texts = tg.texts(42);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/^Echo agent: second question[\s\S]*see docs\/agent\.md\.\)$/);
  });

  it('collect: the running answer completes, then one follow-up answers everything that came in meanwhile', async () => {
    await boot('collect', false);
    tg.message({ chatId: 42, text: 'first question' });
    await runStarted();
    tg.message({ chatId: 42, text: 'second question' });
    tg.message({ chatId: 42, text: 'third question' });
    await tg.waitFor((f) => f.texts(42).length >= 2, 15_000, 'two answers');
    await settled();
    const texts = tg.texts(42);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(/^Echo agent: first question[\s\S]*see docs\/agent\.md\.\)$/);
    // One run for both: the echo agent answers the last message of its prompt.
    expect(texts[1]).toMatch(/^Echo agent: third question/);
    const history = await (await gw.connect()).call('chat.history', { sessionKey: SESSION });
    const roles = history.messages.map((m) => m.role);
    expect(roles.filter((r) => r === 'assistant')).toHaveLength(2);
    expect(JSON.stringify(history)).toContain('second question');
  });
});
