// chat.send / chat.abort against the real gateway: the ack, the chat events (throttled deltas with
// accumulated text, flushed before the end; final/aborted/error), the transcript, retries, scopes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { errorResponse, sse, startFakeOpenAI, type FakeOpenAI } from '../../helpers/fake-openai.js';
import { messageText, recordRuns } from '../../helpers/run-events.js';

let fake: FakeOpenAI;
let gw: TestGateway | undefined;

beforeAll(async () => { fake = await startFakeOpenAI(); });
afterAll(async () => { await fake.close(); });
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  fake.reset();
});

const openai = () => ({ extra: { agent: { provider: 'openai' as const, baseUrl: fake.baseUrl, model: 'fake-model' } } });

describe('chat.send', () => {
  it('acks {runId: idempotencyKey, status: started} and streams the echo agent to a final that matches the transcript', async () => {
    gw = await startTestGateway({ extra: { agent: { echoDelayMs: 2 } } });
    const c = await gw.connect();
    const rec = recordRuns(c);
    const key = randomUUID();
    const ack = await c.call('chat.send', { sessionKey: 'main', message: 'hello world', idempotencyKey: key });
    expect(ack).toEqual({ runId: key, status: 'started', messageSeq: 1 });
    expect(c.hello?.policy.runs).toEqual({ maxQueuedPerSession: 32, chatDeltaIntervalMs: 150, runTimeoutMs: 600_000 });
    const final = await rec.ended(key);
    expect(final.state).toBe('final');
    expect(messageText(final)).toMatch(/^Echo agent: hello world\n\n\(This is the built-in echo agent/);
    const deltas = rec.chat(key).filter((e) => e.state === 'delta');
    expect(deltas.length).toBeGreaterThan(0);
    expect(messageText(deltas.at(-1)!)).toBe(messageText(final));
    expect(rec.chat(key).map((e) => e.seq)).toEqual(rec.chat(key).map((_, i) => i + 1));
    const history = await c.call('chat.history', { sessionKey: 'main' });
    expect(history.messages.map((m) => [m.role, m.state, m.runId])).toEqual([['user', 'final', key], ['assistant', 'final', key]]);
    expect(history.messages[1].content).toEqual([{ type: 'text', text: messageText(final) }]);
    expect(rec.invalid).toEqual([]);
  });

  it('sends at most one delta per 150 ms per run with the accumulated text, flushed before the final; agent events carry every piece', async () => {
    gw = await startTestGateway(openai());
    const parts = Array.from({ length: 30 }, (_, i) => `w${i} `);
    fake.enqueue(sse.text(parts, { waitMs: 15, usage: [5, 30] }));
    const c = await gw.connect();
    const rec = recordRuns(c);
    const { runId } = await c.call('chat.send', { sessionKey: 'main', message: 'count', idempotencyKey: randomUUID() }) as { runId: string };
    const final = await rec.ended(runId);
    expect(messageText(final)).toBe(parts.join(''));
    expect(final).toMatchObject({ state: 'final', stopReason: 'stop', usage: { promptTokens: 5, completionTokens: 30, totalTokens: 35 } });
    const deltas = rec.chat(runId).filter((e) => e.state === 'delta') as Array<{ deltaText: string; message: { timestamp: number } }>;
    // The server stamps each delta when it sends it: consecutive ones are at least the interval apart
    // (except the last, which the end flushes at once).
    for (let i = 1; i < deltas.length - 1; i++) expect(deltas[i].message.timestamp - deltas[i - 1].message.timestamp).toBeGreaterThanOrEqual(149);
    expect(deltas.length).toBeLessThan(parts.length);
    expect(deltas.map((d) => d.deltaText).join('')).toBe(parts.join(''));
    expect(messageText(deltas.at(-1)!)).toBe(parts.join(''));
    const assistant = rec.agent(runId).filter((e) => e.stream === 'assistant');
    expect(assistant.map((e) => e.data.delta)).toEqual(parts);
    expect(rec.agent(runId).map((e) => e.seq)).toEqual(rec.agent(runId).map((_, i) => i + 1));
    expect(rec.agent(runId)[0]).toMatchObject({ stream: 'lifecycle', sessionKey: 'agent:main:main', data: { phase: 'start' } });
    expect(rec.agent(runId).at(-1)).toMatchObject({ stream: 'lifecycle', data: { phase: 'end', stopReason: 'stop', aborted: false } });
    expect(rec.invalid).toEqual([]);
  });

  it('answers a retry of a running key in_flight, and replays the recorded ack once it ended', async () => {
    gw = await startTestGateway(openai());
    fake.enqueue(sse.text(['slow ', 'answer'], { waitMs: 400 }));
    const c = await gw.connect();
    const rec = recordRuns(c);
    const params = { sessionKey: 'main', message: 'once', idempotencyKey: randomUUID() };
    const first = await c.call('chat.send', params) as { runId: string };
    expect(await c.call('chat.send', params)).toEqual({ runId: first.runId, status: 'in_flight', messageSeq: 1 });
    await rec.ended(first.runId);
    expect(await c.call('chat.send', params)).toEqual({ runId: first.runId, status: 'started', messageSeq: 1 });
    expect(fake.requests).toHaveLength(1);
    expect((await c.call('chat.history', { sessionKey: 'main' })).messages).toHaveLength(2);
  });

  it('chat.abort stops the run: aborted event with the partial text, aborted transcript entry; a second abort finds nothing', async () => {
    gw = await startTestGateway(openai());
    fake.enqueue({ steps: [...sse.text(['partial ', 'text']).steps!.slice(0, 3), { hang: true }] });
    const c = await gw.connect();
    const rec = recordRuns(c);
    const { runId } = await c.call('chat.send', { sessionKey: 'main', message: 'go', idempotencyKey: randomUUID() }) as { runId: string };
    await rec.until(() => rec.agent(runId).some((e) => e.stream === 'assistant' && e.data.text === 'partial text'));
    expect(await c.call('chat.abort', { sessionKey: 'main', runId })).toEqual({ ok: true, aborted: true, runIds: [runId] });
    const ended = await rec.ended(runId);
    expect(ended).toMatchObject({ state: 'aborted', stopReason: 'aborted', errorMessage: 'stopped by the user' });
    expect(messageText(ended)).toBe('partial text');
    expect(rec.agent(runId).at(-1)).toMatchObject({ stream: 'lifecycle', data: { phase: 'end', aborted: true } });
    const history = await c.call('chat.history', { sessionKey: 'main' });
    expect(history.messages[1]).toMatchObject({ role: 'assistant', state: 'aborted', abort: { reason: 'user' }, content: [{ type: 'text', text: 'partial text' }] });
    expect(await c.call('chat.abort', { sessionKey: 'main' })).toEqual({ ok: true, aborted: false, runIds: [] });
    await expect(c.call('chat.abort', { sessionKey: 'agent:main:other', runId })).rejects.toMatchObject({ details: { code: 'RUN_NOT_IN_SESSION' } });
  });

  it("takes OpenClaw's queue-mode names: followup waits behind the running run (queue), steer stops it and answers at once (interrupt)", async () => {
    gw = await startTestGateway(openai());
    fake.enqueue(sse.text(['first ', 'answer'], { waitMs: 250 }), sse.text(['follow-up answer']));
    const c = await gw.connect();
    const rec = recordRuns(c);
    const first = await c.call('chat.send', { sessionKey: 'main', message: 'one', idempotencyKey: randomUUID() }) as { runId: string };
    await fake.waitForRequests(1);
    const followup = await c.call('chat.send', { sessionKey: 'main', message: 'two', idempotencyKey: randomUUID(), queueMode: 'followup' }) as { runId: string; status: string };
    expect(followup.status).toBe('queued');
    expect(await rec.ended(first.runId)).toMatchObject({ state: 'final' });
    expect(messageText(await rec.ended(followup.runId))).toBe('follow-up answer');

    fake.enqueue({ steps: [...sse.text(['half']).steps!.slice(0, 2), { hang: true }] }, sse.text(['steered answer']));
    const third = await c.call('chat.send', { sessionKey: 'main', message: 'three', idempotencyKey: randomUUID() }) as { runId: string };
    await rec.until(() => rec.agent(third.runId).some((e) => e.stream === 'assistant'));
    const steer = await c.call('chat.send', { sessionKey: 'main', message: 'four', idempotencyKey: randomUUID(), queueMode: 'steer' }) as { runId: string; status: string };
    expect(steer.status).toBe('started');
    expect(await rec.ended(third.runId)).toMatchObject({ state: 'aborted' });
    expect(messageText(await rec.ended(steer.runId))).toBe('steered answer');
    await expect(c.call('chat.send', { sessionKey: 'main', message: 'x', idempotencyKey: randomUUID(), queueMode: 'later' as never })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('treats /stop as the stop command: aborts and answers like chat.abort', async () => {
    gw = await startTestGateway(openai());
    fake.enqueue({ steps: [...sse.text(['x']).steps!.slice(0, 2), { hang: true }] });
    const c = await gw.connect();
    const rec = recordRuns(c);
    const { runId } = await c.call('chat.send', { sessionKey: 'main', message: 'go', idempotencyKey: randomUUID() }) as { runId: string };
    await rec.until(() => rec.agent(runId).some((e) => e.stream === 'assistant'));
    expect(await c.call('chat.send', { sessionKey: 'main', message: '/stop', idempotencyKey: randomUUID() })).toEqual({ ok: true, aborted: true, runIds: [runId] });
    expect(await rec.ended(runId)).toMatchObject({ state: 'aborted', errorMessage: 'stopped by /stop' });
  });

  it('reports a provider failure as a chat error with OpenClaw errorKind, and the run as an error in the transcript', async () => {
    gw = await startTestGateway(openai());
    fake.enqueue(errorResponse(400, 'This model\'s maximum context length is 8192 tokens', { code: 'context_length_exceeded' }));
    const c = await gw.connect();
    const rec = recordRuns(c);
    const { runId } = await c.call('chat.send', { sessionKey: 'main', message: 'too long', idempotencyKey: randomUUID() }) as { runId: string };
    const ended = await rec.ended(runId);
    expect(ended).toMatchObject({ state: 'error', errorKind: 'context_length' });
    expect(rec.agent(runId).map((e) => e.stream)).toEqual(['lifecycle', 'error', 'lifecycle']);
    expect(rec.agent(runId)[1].data).toMatchObject({ errorKind: 'context_length', status: 400 });
    expect(rec.agent(runId)[2].data).toMatchObject({ phase: 'error', errorKind: 'context_length' });
    const history = await c.call('chat.history', { sessionKey: 'main' });
    expect(history.messages.map((m) => [m.role, m.state])).toEqual([['user', 'final'], ['assistant', 'error']]);
  });

  it('creates the session of a new key, and refuses writers without operator.write, deliver, and empty text', async () => {
    gw = await startTestGateway({ extra: { agent: { echoDelayMs: 0 } } });
    const c = await gw.connect();
    const rec = recordRuns(c);
    const { runId } = await c.call('chat.send', { sessionKey: 'agent:main:chat-new', message: 'hi', idempotencyKey: randomUUID() }) as { runId: string };
    await rec.ended(runId);
    const list = await c.call('sessions.list', {});
    expect(list.sessions.map((s) => s.key)).toContain('agent:main:chat-new');
    const reader = await gw.connect({ scopes: ['operator.read'] });
    await expect(reader.call('chat.send', { sessionKey: 'main', message: 'x', idempotencyKey: randomUUID() })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(reader.call('chat.abort', { sessionKey: 'main' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(c.call('chat.send', { sessionKey: 'main', message: 'x', idempotencyKey: randomUUID(), deliver: true })).rejects.toMatchObject({ details: { code: 'UNSUPPORTED_PARAM', param: 'deliver' } });
    await expect(c.call('chat.send', { sessionKey: 'main', message: '   ', idempotencyKey: randomUUID() })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('keeps a run going when the client that started it disconnects', async () => {
    gw = await startTestGateway(openai());
    fake.enqueue(sse.text(['still ', 'here'], { waitMs: 200 }));
    const sender = await gw.connect();
    const watcher = await gw.connect();
    const rec = recordRuns(watcher);
    const { runId } = await sender.call('chat.send', { sessionKey: 'main', message: 'go', idempotencyKey: randomUUID() }) as { runId: string };
    sender.close();
    expect(messageText(await rec.ended(runId))).toBe('still here');
  });
});
