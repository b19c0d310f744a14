// The openai provider when things go wrong: HTTP errors, Retry-After, retries only before output,
// mid-stream disconnects, garbage, timeouts, aborts. Real sockets, short real time.
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAIProvider, type OpenAIProviderOptions } from '../../../gateway/src/agent/providers/openai.js';
import type { ModelRequest, ProviderEvent } from '../../../gateway/src/agent/provider.js';
import { chunk, errorResponse, sse, startFakeOpenAI, type FakeOpenAI } from '../../helpers/fake-openai.js';

const KEY = 'sk-test-failures-0123456789';
const hello: ModelRequest = { messages: [{ role: 'user', content: 'hi' }] };

async function finish(stream: AsyncIterable<ProviderEvent>, seen: ProviderEvent[] = []) {
  for await (const e of stream) seen.push(e);
  const last = seen[seen.length - 1];
  if (last?.type !== 'finish') throw new Error('no finish event');
  return last;
}

describe('openai provider: failures', () => {
  let fake: FakeOpenAI;
  const make = (o: Partial<OpenAIProviderOptions> = {}) => new OpenAIProvider({
    baseUrl: fake.baseUrl, model: 'fake-model', env: { SWITCHBOARD_OPENAI_API_KEY: KEY }, retry: { baseDelayMs: 5, maxAttempts: 3 }, ...o,
  });
  const run = (o: Partial<OpenAIProviderOptions> = {}, signal = new AbortController().signal, seen: ProviderEvent[] = []) => finish(make(o).stream(hello, signal), seen);

  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    fake.fallback = errorResponse(500, 'fake-openai: no scripted response left');
  });

  it('401: auth error naming the variable to set, never retried', async () => {
    fake.enqueue(errorResponse(401, 'Incorrect API key provided'));
    const fin = await run();
    expect(fin).toMatchObject({ reason: 'error', error: { kind: 'auth', status: 401, retryable: false } });
    expect(fin.error!.message).toMatch(/the API key was rejected .*set SWITCHBOARD_OPENAI_API_KEY/);
    expect(fin.error!.message).not.toContain(KEY);
    expect(fake.requests).toHaveLength(1);
  });

  it('401 without any key: says that none is set', async () => {
    fake.enqueue(errorResponse(401, 'Missing bearer'));
    const fin = await run({ env: {} });
    expect(fin.error).toMatchObject({ kind: 'auth' });
    expect(fin.error!.message).toMatch(/none is set: put it in SWITCHBOARD_OPENAI_API_KEY/);
  });

  it('404 for an unknown model or a wrong base URL: not_found naming model and URL', async () => {
    fake.enqueue(errorResponse(404, 'The model `nope` does not exist', { code: 'model_not_found' }));
    const fin = await run({ model: 'nope' });
    expect(fin.error).toMatchObject({ kind: 'not_found', status: 404 });
    expect(fin.error!.message).toMatch(/model "nope" or the URL was not found .*agent\.model.*agent\.baseUrl/);
    const wrong = await run({ baseUrl: fake.baseUrl.replace(/\/v1$/, '/api') });
    expect(wrong.error).toMatchObject({ kind: 'not_found' });
    expect(wrong.error!.message).toContain('/api/chat/completions');
    expect(fake.requests).toHaveLength(1);
  });

  it('429 with Retry-After then success: waits the full time once, then streams', async () => {
    fake.enqueue(errorResponse(429, 'Rate limit reached', { headers: { 'retry-after': '1' } }), sse.text(['after ', 'wait']));
    const fin = await run({ retry: { baseDelayMs: 5, maxDelayMs: 10 } });
    expect(fin).toMatchObject({ reason: 'stop', text: 'after wait' });
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1].at - fake.requests[0].at).toBeGreaterThanOrEqual(990);
  });

  it('429 with retry-after-ms (OpenAI) is honoured too', async () => {
    fake.enqueue(errorResponse(429, 'slow down', { headers: { 'retry-after-ms': '150', 'retry-after': '100' } }), sse.text(['ok']));
    const fin = await run();
    expect(fin.text).toBe('ok');
    expect(fake.requests[1].at - fake.requests[0].at).toBeGreaterThanOrEqual(140);
    expect(fake.requests[1].at - fake.requests[0].at).toBeLessThan(5_000);
  });

  it('429 asking for longer than the provider waits: rate_limit error with the full wait, no sleeping', async () => {
    fake.enqueue(errorResponse(429, 'Rate limit reached', { headers: { 'retry-after': '3600' } }));
    const started = Date.now();
    const fin = await run();
    expect(fin.error).toMatchObject({ kind: 'rate_limit', retryAfterMs: 3_600_000, retryable: false });
    expect(fin.error!.message).toMatch(/asked to wait 3600 s/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(fake.requests).toHaveLength(1);
  });

  it('429 insufficient_quota is not retried', async () => {
    fake.enqueue(errorResponse(429, 'You exceeded your current quota', { code: 'insufficient_quota' }));
    const fin = await run();
    expect(fin.error).toMatchObject({ kind: 'rate_limit', retryable: false });
    expect(fin.error!.message).toMatch(/out of quota/);
    expect(fake.requests).toHaveLength(1);
  });

  it('500 then success: retried, and the answer arrives once', async () => {
    fake.enqueue(errorResponse(500, 'The server had an error'), sse.text(['fine']));
    const seen: ProviderEvent[] = [];
    const fin = await run({}, undefined, seen);
    expect(fin.text).toBe('fine');
    expect(seen.filter((e) => e.type === 'text')).toHaveLength(1);
    expect(fake.requests).toHaveLength(2);
  });

  it('5xx every time: server error after maxAttempts', async () => {
    fake.enqueue(errorResponse(503, 'overloaded'), errorResponse(502, 'bad gateway'), errorResponse(503, 'overloaded'));
    const fin = await run();
    expect(fin.error).toMatchObject({ kind: 'server', status: 503 });
    expect(fin.error!.message).toMatch(/failed at .*HTTP 503.*try again later/);
    expect(fake.requests).toHaveLength(3);
  });

  it('400 about the context length: context_length; another 400: bad_request; neither retried', async () => {
    fake.enqueue(
      errorResponse(400, "This model's maximum context length is 8192 tokens", { code: 'context_length_exceeded' }),
      errorResponse(400, 'temperature must be at most 2'),
    );
    expect((await run()).error).toMatchObject({ kind: 'context_length' });
    expect((await run()).error).toMatchObject({ kind: 'bad_request' });
    expect(fake.requests).toHaveLength(2);
  });

  it('a mid-stream disconnect after output: error event, the partial text kept, no retry', async () => {
    fake.enqueue({ steps: [{ chunk: chunk({ content: 'Partial ' }) }, { chunk: chunk({ content: 'answer' }) }, { wait: 20 }, { destroy: true }] }, sse.text(['must not be used']));
    const seen: ProviderEvent[] = [];
    const fin = await run({}, undefined, seen);
    expect(fin).toMatchObject({ reason: 'error', text: 'Partial answer', error: { kind: 'network' } });
    expect(fin.error!.message).toMatch(/broke mid-answer.*partial answer was kept/);
    expect(seen.filter((e) => e.type === 'text').map((e) => (e as { delta: string }).delta)).toEqual(['Partial ', 'answer']);
    expect(fake.requests).toHaveLength(1);
  });

  it('a disconnect before any output is retried, and only the second stream is seen', async () => {
    fake.enqueue({ steps: [{ chunk: chunk({ role: 'assistant', content: '' }) }, { wait: 10 }, { destroy: true }] }, sse.text(['second']));
    const seen: ProviderEvent[] = [];
    const fin = await run({}, undefined, seen);
    expect(fin).toMatchObject({ reason: 'stop', text: 'second' });
    expect(seen.filter((e) => e.type === 'text')).toEqual([{ type: 'text', delta: 'second' }]);
    expect(fake.requests).toHaveLength(2);
  });

  it('a stream that ends cleanly before finishing (after output) is an error, the text kept', async () => {
    fake.enqueue({ steps: [{ chunk: chunk({ content: 'cut' }) }] });
    const fin = await run();
    expect(fin).toMatchObject({ reason: 'error', text: 'cut', error: { kind: 'network' } });
    expect(fin.error!.message).toMatch(/ended before the model finished/);
  });

  it('non-SSE garbage: HTML, junk data lines, an empty stream — bad_response, not retried', async () => {
    fake.enqueue(
      { headers: { 'content-type': 'text/html' }, body: '<html>login</html>' },
      { steps: [{ data: 'this is not json' }] },
      { steps: [{ raw: 'hello world\nno fields here\n' }] },
    );
    const html = await run();
    expect(html.error).toMatchObject({ kind: 'bad_response' });
    expect(html.error!.message).toMatch(/answered with "text\/html", not an event stream/);
    expect((await run()).error).toMatchObject({ kind: 'bad_response' });
    expect((await run()).error).toMatchObject({ kind: 'bad_response' });
    expect(fake.requests).toHaveLength(3);
  });

  it('an error object inside a 200 stream (OpenRouter style) after output ends the turn with it', async () => {
    fake.enqueue({ steps: [{ chunk: chunk({ content: 'so far' }) }, { chunk: { error: { message: 'upstream died', code: 502 } } }] });
    const fin = await run();
    expect(fin).toMatchObject({ reason: 'error', text: 'so far', error: { kind: 'server', status: 502 } });
  });

  it('connect timeout: no headers in time, retried, then a timeout error', async () => {
    fake.enqueue({ noHeaders: true }, { noHeaders: true });
    const fin = await run({ timeouts: { connectMs: 150 }, retry: { maxAttempts: 2, baseDelayMs: 5 } });
    expect(fin.error).toMatchObject({ kind: 'timeout' });
    expect(fin.error!.message).toMatch(/no response headers .* within 150 ms.*agent\.timeouts\.connectMs/);
    expect(fake.requests).toHaveLength(2);
  });

  it('idle timeout: a stream that goes silent mid-answer ends with timeout, the text kept', async () => {
    fake.enqueue({ steps: [{ chunk: chunk({ content: 'thinking' }) }, { hang: true }] });
    const fin = await run({ timeouts: { idleMs: 200 } });
    expect(fin).toMatchObject({ reason: 'error', text: 'thinking', error: { kind: 'timeout' } });
    expect(fin.error!.message).toMatch(/silent for 200 ms/);
  });

  it('a slow stream whose gaps stay under the idle limit completes, keep-alives counting as life', async () => {
    fake.enqueue({ steps: [
      { chunk: chunk({ content: 'slow ' }) }, { wait: 150 }, { raw: ': keep-alive\n\n' }, { wait: 150 },
      { chunk: chunk({ content: 'but ' }) }, { wait: 150 }, { chunk: chunk({ content: 'steady' }) }, { chunk: chunk({}, 'stop') }, { done: true },
    ] });
    // 450 ms in all, more than the idle limit, but no gap reaches it.
    const fin = await run({ timeouts: { idleMs: 300 } });
    expect(fin).toMatchObject({ reason: 'stop', text: 'slow but steady' });
  });

  it('the overall deadline ends a stream that keeps trickling', async () => {
    const steps = Array.from({ length: 40 }, (_, i) => [{ chunk: chunk({ content: `${i} ` }) }, { wait: 25 }]).flat();
    fake.enqueue({ steps });
    const started = Date.now();
    const fin = await run({ timeouts: { totalMs: 250, idleMs: 5_000 } });
    expect(fin.error).toMatchObject({ kind: 'timeout' });
    expect(fin.error!.message).toMatch(/longer than 250 ms/);
    expect(fin.text.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('abort mid-stream: finish aborted promptly with the text so far, and the server connection is closed', async () => {
    fake.enqueue({ steps: [{ chunk: chunk({ content: 'before ' }) }, { wait: 5_000 }, { chunk: chunk({ content: 'never' }) }] });
    const controller = new AbortController();
    const seen: ProviderEvent[] = [];
    const started = Date.now();
    const p = run({}, controller.signal, seen);
    await fake.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    const fin = await p;
    expect(fin).toEqual({ type: 'finish', reason: 'aborted', text: 'before ', toolCalls: [] });
    expect(Date.now() - started).toBeLessThan(2_000);
    for (let i = 0; i < 100 && fake.requests[0].closedAt === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake.requests[0].closedAt).toBeDefined();
  });

  it('abort while waiting to retry: aborted, no further request', async () => {
    fake.enqueue(errorResponse(429, 'wait', { headers: { 'retry-after': '30' } }));
    const controller = new AbortController();
    const p = run({}, controller.signal);
    await fake.waitForRequests(1);
    setTimeout(() => controller.abort(), 50);
    expect(await p).toMatchObject({ reason: 'aborted' });
    expect(fake.requests).toHaveLength(1);
  });

  it('a refused connection: network error after the retries, telling to check agent.baseUrl', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const fin = await finish(new OpenAIProvider({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm', env: {}, retry: { baseDelayMs: 5 } }).stream(hello, new AbortController().signal));
    expect(fin.error).toMatchObject({ kind: 'network' });
    expect(fin.error!.message).toMatch(/cannot reach the model server .*ECONNREFUSED.*agent\.baseUrl/);
  });

  it('rejects a bad configuration at construction with a sentence', () => {
    expect(() => new OpenAIProvider({ baseUrl: 'ftp://x', model: 'm' })).toThrow(/agent\.baseUrl must be an http\(s\) URL/);
    expect(() => new OpenAIProvider({ baseUrl: 'http://x/v1', model: '' })).toThrow(/agent\.model is required/);
  });
});
