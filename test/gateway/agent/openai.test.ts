// The openai provider against a local fake Chat Completions server: what it sends, how it
// streams text and tool calls, and the shapes real servers differ in.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLog } from '../../../gateway/src/log.js';
import { OpenAIProvider, type OpenAIProviderOptions } from '../../../gateway/src/agent/providers/openai.js';
import type { ModelRequest, ProviderEvent } from '../../../gateway/src/agent/provider.js';
import { chunk, errorResponse, sse, startFakeOpenAI, type FakeOpenAI } from '../../helpers/fake-openai.js';

const KEY = 'sk-test-0123456789abcdefghij';

async function collect(stream: AsyncIterable<ProviderEvent>): Promise<ProviderEvent[]> {
  const out: ProviderEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

const finishOf = (events: ProviderEvent[]) => {
  const last = events[events.length - 1];
  if (last?.type !== 'finish') throw new Error('stream did not end with finish');
  return last;
};

const hello: ModelRequest = { messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }] };

describe('openai provider: streaming', () => {
  let fake: FakeOpenAI;
  const make = (o: Partial<OpenAIProviderOptions> = {}) =>
    new OpenAIProvider({ baseUrl: fake.baseUrl, model: 'fake-model', env: { SWITCHBOARD_OPENAI_API_KEY: KEY }, retry: { baseDelayMs: 5 }, ...o });

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
  });

  it('streams text deltas and usage, and sends model, messages, stream flags, options and the key', async () => {
    fake.enqueue(sse.text(['Hel', 'lo', ' there'], { usage: [12, 3] }));
    const events = await collect(make().stream({ ...hello, temperature: 0.2, maxTokens: 64 }, new AbortController().signal));
    expect(events.filter((e) => e.type === 'text').map((e) => (e as { delta: string }).delta)).toEqual(['Hel', 'lo', ' there']);
    expect(events).toContainEqual({ type: 'usage', usage: { promptTokens: 12, completionTokens: 3, totalTokens: 15 } });
    expect(finishOf(events)).toEqual({ type: 'finish', reason: 'stop', text: 'Hello there', toolCalls: [] });
    const [req] = fake.requests;
    expect(req.body).toEqual({
      model: 'fake-model',
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      max_tokens: 64,
    });
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers['content-type']).toBe('application/json');
  });

  it('accumulates tool calls streamed in pieces by index, two calls in parallel', async () => {
    fake.enqueue(sse.toolCalls([
      { id: 'call_a', name: 'get_weather', args: '{"city":"Paris","unit":"c"}' },
      { id: 'call_b', name: 'get_time', args: '{"tz":"Europe/Paris"}' },
    ], { pieces: 4, text: 'Checking. ' }));
    const tools = [
      { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      { name: 'get_time', description: 'Time', parameters: { type: 'object', properties: {} } },
    ];
    const events = await collect(make().stream({ ...hello, tools }, new AbortController().signal));
    const deltas = events.filter((e) => e.type === 'tool_call_delta');
    expect(deltas.length).toBeGreaterThan(4);
    expect(deltas[0]).toMatchObject({ index: 0, id: 'call_a', name: 'get_weather' });
    const calls = events.filter((e) => e.type === 'tool_call').map((e) => (e as { call: unknown }).call);
    expect(calls).toEqual([
      { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' },
      { id: 'call_b', name: 'get_time', arguments: '{"tz":"Europe/Paris"}' },
    ]);
    expect(finishOf(events)).toMatchObject({ reason: 'tool_calls', text: 'Checking. ', toolCalls: calls });
    expect(fake.requests[0].body.tools).toEqual(tools.map((t) => ({ type: 'function', function: t })));
  });

  it('sends assistant tool calls and tool results in the Chat Completions shape', async () => {
    fake.enqueue(sse.text(['done']));
    await collect(make().stream({
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
        { role: 'tool', toolCallId: 'c1', name: 'get_weather', content: '{"temp":3}' },
      ],
    }, new AbortController().signal));
    expect(fake.requests[0].body.messages).toEqual([
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '{"temp":3}' },
    ]);
  });

  it('copes with keep-alive comments, events split across writes, CRLF and multi-line data', async () => {
    const a = `data: ${JSON.stringify(chunk({ content: 'one ' }))}\r\n\r\n`;
    const b = JSON.stringify(chunk({ content: 'two' }));
    fake.enqueue({
      steps: [
        { raw: ': OPENROUTER PROCESSING\n\n' },
        { raw: a.slice(0, 17) }, { wait: 20 }, { raw: a.slice(17) },
        { raw: `data: ${b.slice(0, 30)}\ndata: ${b.slice(30)}\n\n` },
        { raw: ': ping\n\n' },
        { chunk: chunk({}, 'stop') },
        { done: true },
      ],
    });
    const events = await collect(make().stream(hello, new AbortController().signal));
    expect(finishOf(events)).toMatchObject({ reason: 'stop', text: 'one two' });
  });

  it('accepts a server that ends after finish_reason without [DONE], and one that answers JSON instead of a stream', async () => {
    fake.enqueue(sse.text(['no done'], { done: false }), sse.completion('whole answer', [5, 2]));
    expect(finishOf(await collect(make().stream(hello, new AbortController().signal)))).toMatchObject({ reason: 'stop', text: 'no done' });
    const events = await collect(make().stream(hello, new AbortController().signal));
    expect(events).toContainEqual({ type: 'text', delta: 'whole answer' });
    expect(events).toContainEqual({ type: 'usage', usage: { promptTokens: 5, completionTokens: 2, totalTokens: 7 } });
    expect(finishOf(events)).toMatchObject({ reason: 'stop', text: 'whole answer' });
  });

  it('reports length as the stop reason and drops tool calls cut off by it', async () => {
    fake.enqueue({ steps: [{ chunk: chunk({ tool_calls: [{ index: 0, id: 'x', function: { name: 'f', arguments: '{"a":' } }] }) }, { chunk: chunk({}, 'length') }, { done: true }] });
    const events = await collect(make().stream(hello, new AbortController().signal));
    expect(events.some((e) => e.type === 'tool_call')).toBe(false);
    expect(finishOf(events)).toMatchObject({ reason: 'length', toolCalls: [] });
  });

  it('treats tool calls as tool_calls even when the server says stop (older Ollama), and fills a missing id', async () => {
    fake.enqueue({ steps: [{ chunk: chunk({ tool_calls: [{ function: { name: 'f', arguments: { a: 1 } } }] }) }, { chunk: chunk({}, 'stop') }, { done: true }] });
    const events = await collect(make().stream(hello, new AbortController().signal));
    const fin = finishOf(events);
    expect(fin.reason).toBe('tool_calls');
    expect(fin.toolCalls[0]).toMatchObject({ name: 'f', arguments: '{"a":1}' });
    expect(fin.toolCalls[0].id).toMatch(/^call_/);
  });

  it('retries at once without stream_options when the server refuses it, and remembers', async () => {
    fake.enqueue(errorResponse(400, "Unrecognized request argument supplied: stream_options"), sse.text(['ok']), sse.text(['again']));
    const p = make();
    expect(finishOf(await collect(p.stream(hello, new AbortController().signal))).text).toBe('ok');
    expect(finishOf(await collect(p.stream(hello, new AbortController().signal))).text).toBe('again');
    expect(fake.requests.map((r) => 'stream_options' in r.body)).toEqual([true, false, false]);
  });
});

describe('openai provider: the API key', () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    fake.fallback = sse.text(['ok']);
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
  });
  const authOf = async (o: Partial<OpenAIProviderOptions>) => {
    await collect(new OpenAIProvider({ baseUrl: fake.baseUrl, model: 'm', ...o }).stream(hello, new AbortController().signal));
    return fake.requests[fake.requests.length - 1].headers.authorization;
  };

  it('reads SWITCHBOARD_OPENAI_API_KEY, then OPENAI_API_KEY, and sends none when neither is set', async () => {
    expect(await authOf({ env: { SWITCHBOARD_OPENAI_API_KEY: 'sk-one-1234567', OPENAI_API_KEY: 'sk-two-1234567' } })).toBe('Bearer sk-one-1234567');
    expect(await authOf({ env: { OPENAI_API_KEY: 'sk-two-1234567' } })).toBe('Bearer sk-two-1234567');
    expect(await authOf({ env: {} })).toBeUndefined();
  });

  it('reads only the variable named in apiKeyEnv: an OpenAI key never goes to another vendor', async () => {
    expect(await authOf({ apiKeyEnv: 'OPENROUTER_API_KEY', env: { OPENROUTER_API_KEY: 'sk-or-1234567' } })).toBe('Bearer sk-or-1234567');
    expect(await authOf({ apiKeyEnv: 'OPENROUTER_API_KEY', env: { OPENAI_API_KEY: 'sk-two-1234567' } })).toBeUndefined();
  });

  it('never writes the key to a log line or an error message, even when the server echoes it', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } });
    const log = await createLog({ level: 'debug', destination });
    const secret = 'sk-secret-echoed-987654321';
    fake.enqueue(errorResponse(401, `Incorrect API key provided: ${secret}`), errorResponse(500, `upstream failed for key ${secret}`));
    const p = new OpenAIProvider({ baseUrl: fake.baseUrl, model: 'm', env: { SWITCHBOARD_OPENAI_API_KEY: secret }, log, retry: { maxAttempts: 1 } });
    const a = finishOf(await collect(p.stream(hello, new AbortController().signal)));
    const b = finishOf(await collect(p.stream(hello, new AbortController().signal)));
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${secret}`);
    for (const fin of [a, b]) {
      expect(fin.reason).toBe('error');
      expect(fin.error!.message).not.toContain(secret);
      expect(fin.error!.message).toContain('[redacted]');
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(secret);
  });
});
