// Tool-progress lines in a chat at every level (`off | new | all | verbose`), through a real channel
// (Telegram through grammY against the fake Bot API) with the real OpenAI provider against the fake
// model server, which calls tools over three rounds: lookup twice, then fetch, then lookup again.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sse, startFakeOpenAI, type FakeOpenAI } from '../../helpers/fake-openai.js';
import { startFakeTelegram, type FakeTelegram } from '../../helpers/fake-telegram.js';
import { noteSecret } from '../../helpers/secrets.js';

let model: FakeOpenAI;
let tg: FakeTelegram | undefined;
let gw: TestGateway | undefined;

beforeAll(async () => { model = await startFakeOpenAI(); });
afterAll(async () => { await model.close(); });
afterEach(async () => {
  await gw?.close();
  await tg?.close();
  gw = undefined;
  tg = undefined;
  model.reset();
});

/** What the chat shows at each level, in order (the answer last). */
const EXPECTED: Record<string, string[]> = {
  off: ['All done.'],
  // A line when the tool changes: the second lookup in a row is not announced, the one after fetch is.
  new: ['🔧 lookup', '🔧 fetch', '🔧 lookup', 'All done.'],
  all: ['🔧 lookup', '🔧 lookup', '🔧 fetch', '🔧 lookup', 'All done.'],
  verbose: ['🔧 lookup {"q":"a"}', '🔧 lookup {"q":"b"}', '🔧 fetch {"url":"https://example.test/c"}', '🔧 lookup {"q":"d"}', 'All done.'],
};

async function boot(toolProgress: string): Promise<{ tg: FakeTelegram; gw: TestGateway }> {
  tg = await startFakeTelegram();
  noteSecret(tg.token);
  gw = await startTestGateway({
    extra: {
      agent: { provider: 'openai', baseUrl: model.baseUrl, model: 'fake-model' },
      channels: { telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, allowFrom: ['42'], streaming: { enabled: false }, toolProgress } },
    } as never,
  });
  for (const name of ['lookup', 'fetch']) {
    gw.gateway.services.agentTools.register({ name, description: `${name}s things`, parameters: { type: 'object', properties: {} }, run: async () => `${name} ok` });
  }
  await tg.waitFor((f) => f.calls.some((c) => c.method === 'getUpdates'), 10_000, 'polling');
  return { tg, gw };
}

describe('tool progress in a chat', () => {
  it.each(Object.keys(EXPECTED))('toolProgress: %s', async (level) => {
    const { tg } = await boot(level);
    model.enqueue(
      sse.toolCalls([{ id: 'call_1', name: 'lookup', args: '{"q":"a"}' }, { id: 'call_2', name: 'lookup', args: '{"q":"b"}' }]),
      sse.toolCalls([{ id: 'call_3', name: 'fetch', args: '{"url":"https://example.test/c"}' }]),
      sse.toolCalls([{ id: 'call_4', name: 'lookup', args: '{"q":"d"}' }]),
      sse.text(['All ', 'done.']),
    );
    tg.message({ chatId: 42, text: 'look things up' });
    await tg.waitFor((f) => f.texts(42).includes('All done.'), 15_000, 'the answer');
    await new Promise((r) => setTimeout(r, 300));
    expect(tg.texts(42)).toEqual(EXPECTED[level]);
    // Every tool ran whatever the level: the lines are only what the chat is told.
    expect(model.requests).toHaveLength(4);
    expect(model.requests[3].body.messages.filter((m: { role: string }) => m.role === 'tool')).toHaveLength(4);
  });
});
