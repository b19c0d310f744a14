// The agent method (ack, then the final as a second res with the same id), agent.wait, agent events
// (per-run seq; tool events only with caps tool-events), retries, refusals and time limits.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sse, startFakeOpenAI, type FakeOpenAI } from '../../helpers/fake-openai.js';
import { recordRuns } from '../../helpers/run-events.js';

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

describe('agent', () => {
  it('answers twice on one request id: {status: accepted}, then {status: ok, result.payloads}', async () => {
    gw = await startTestGateway({ extra: { agent: { echoDelayMs: 0 } } });
    const raw = await gw.rawConnected();
    const key = randomUUID();
    raw.send({ type: 'req', id: 'a1', method: 'agent', params: { message: 'ping', idempotencyKey: key } });
    const ack = await raw.next((f) => f.type === 'res' && f.id === 'a1');
    expect(ack.ok).toBe(true);
    expect(ack.payload).toMatchObject({ runId: key, status: 'accepted', sessionKey: 'agent:main:main', agentId: 'main', runStatus: 'started' });
    expect(typeof ack.payload.acceptedAt).toBe('number');
    const final = await raw.next((f) => f.type === 'res' && f.id === 'a1');
    expect(final.ok).toBe(true);
    expect(final.payload).toMatchObject({ runId: key, status: 'ok', summary: 'completed', result: { meta: { stopReason: 'stop', aborted: false, provider: 'echo', model: 'echo' } } });
    expect(final.payload.result.payloads[0].text).toMatch(/^Echo agent: ping/);
    // The ack came before any event of the run.
    const ackIndex = raw.frames.indexOf(ack);
    const firstAgentEvent = raw.frames.findIndex((f) => f.event === 'agent');
    expect(firstAgentEvent).toBeGreaterThan(ackIndex);
  });

  it('works with the SDK: callFinal skips the ack; agent.wait reports how the run ended', async () => {
    gw = await startTestGateway({ extra: { agent: { echoDelayMs: 0 } } });
    const c = await gw.connect();
    const final = await c.callFinal('agent', { message: 'hello', idempotencyKey: 'run-1', sessionKey: 'agent:main:work' });
    expect(final).toMatchObject({ runId: 'run-1', status: 'ok' });
    const waited = await c.call('agent.wait', { runId: 'run-1', timeoutMs: 1000 });
    expect(waited).toMatchObject({ runId: 'run-1', status: 'ok', stopReason: 'stop', aborted: false });
    expect(waited.endedAt! >= waited.startedAt!).toBe(true);
    await expect(c.call('agent.wait', { runId: 'never-was' })).rejects.toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'UNKNOWN_RUN_ID' } });
  });

  it('agent.wait answers timeout while the run goes on, without stopping it', async () => {
    gw = await startTestGateway(openai());
    fake.enqueue(sse.text(['a', 'b'], { waitMs: 300 }));
    const c = await gw.connect();
    const ack = await c.call('agent', { message: 'x', idempotencyKey: randomUUID() });
    expect(await c.call('agent.wait', { runId: ack.runId, timeoutMs: 50 })).toEqual({ runId: ack.runId, status: 'timeout' });
    expect(await c.call('agent.wait', { runId: ack.runId, timeoutMs: 5000 })).toMatchObject({ status: 'ok', stopReason: 'stop' });
  });

  it('sends tool events only to connections with caps tool-events; both see lifecycle and text', async () => {
    gw = await startTestGateway({ extra: { agent: { echoDelayMs: 0 } } });
    gw.gateway.services.agentTools.register({ name: 'clock', description: 'the time', parameters: { type: 'object' }, run: () => ({ now: 'noon' }) });
    const withTools = await gw.connect({ caps: ['tool-events'] });
    const without = await gw.connect();
    const a = recordRuns(withTools);
    const b = recordRuns(without);
    const final = await withTools.callFinal('agent', { message: '/tool clock {}', idempotencyKey: 'tools-1' });
    expect(final.result).toMatchObject({ payloads: [{ text: 'Echo agent: tool clock returned: {"now":"noon"}' }] });
    await a.until(() => a.agent('tools-1').at(-1)?.data.phase === 'end');
    await b.until(() => b.agent('tools-1').at(-1)?.data.phase === 'end');
    const tools = a.agent('tools-1').filter((e) => e.stream === 'tool');
    expect(tools.map((e) => e.data.phase)).toEqual(['start', 'result']);
    expect(tools[0].data).toMatchObject({ name: 'clock', args: {} });
    expect(tools[1].data).toMatchObject({ name: 'clock', result: { now: 'noon' }, isError: false });
    expect(b.agent('tools-1').some((e) => e.stream === 'tool')).toBe(false);
    // seq counts every agent event of the run: the client without tool events sees the gaps.
    expect(a.agent('tools-1').map((e) => e.seq)).toEqual(a.agent('tools-1').map((_, i) => i + 1));
    expect(b.agent('tools-1').length).toBe(a.agent('tools-1').length - 2);
    expect([...a.invalid, ...b.invalid]).toEqual([]);
  });

  it('a retry with the same key while the run goes joins it: the ack again, then the same final', async () => {
    gw = await startTestGateway(openai());
    fake.enqueue(sse.text(['joined ', 'answer'], { waitMs: 300 }));
    const c1 = await gw.connect();
    const c2 = await gw.connect();
    const params = { message: 'once', idempotencyKey: randomUUID() };
    const first = c1.callFinal('agent', params);
    await fake.waitForRequests(1);
    const second = await c2.callFinal('agent', params);
    expect(second).toEqual(await first);
    expect(second).toMatchObject({ status: 'ok', result: { payloads: [{ text: 'joined answer' }] } });
    // Afterwards the ledger replays both answers.
    expect(await c2.callFinal('agent', params)).toEqual(second);
    expect(fake.requests).toHaveLength(1);
  });

  it('ends a run past its time limit with AGENT_TIMEOUT in the final', async () => {
    gw = await startTestGateway(openai());
    fake.enqueue({ steps: [...sse.text(['slow']).steps!.slice(0, 2), { hang: true }] });
    const c = await gw.connect();
    const final = await c.callFinal('agent', { message: 'x', idempotencyKey: randomUUID(), timeout: 1 });
    expect(final).toMatchObject({ status: 'error', error: { code: 'AGENT_TIMEOUT', details: { errorKind: 'timeout' } }, result: { payloads: [{ text: 'slow' }] } });
  });

  it('an aborted run finals ok with summary aborted', async () => {
    gw = await startTestGateway(openai());
    fake.enqueue({ steps: [...sse.text(['part']).steps!.slice(0, 2), { hang: true }] });
    const c = await gw.connect();
    const rec = recordRuns(c);
    const final = c.callFinal('agent', { message: 'x', idempotencyKey: 'abort-me' });
    await rec.until(() => rec.agent('abort-me').some((e) => e.stream === 'assistant'));
    await c.call('chat.abort', { sessionKey: 'main' });
    expect(await final).toMatchObject({ status: 'ok', summary: 'aborted', result: { payloads: [{ text: 'part' }], meta: { aborted: true, abortReason: 'user' } } });
  });

  it('a run cut off by a gateway restart gets no final; a retry with the same key after the restart runs the stored message again', async () => {
    gw = await startTestGateway(openai());
    fake.enqueue({ steps: [...sse.text(['half']).steps!.slice(0, 2), { hang: true }] }, sse.text(['whole answer']));
    const c = await gw.connect({ reconnect: false });
    const params = { message: 'survive a restart', idempotencyKey: randomUUID(), sessionKey: 'agent:main:restart' };
    let finals = 0;
    const pending = c.callFinal('agent', params, { timeoutMs: 10_000 }).then(() => finals++, () => undefined);
    await fake.waitForRequests(1);
    await gw.restart();
    await pending;
    expect(finals).toBe(0);
    const c2 = await gw.connect();
    const final = await c2.callFinal('agent', params);
    expect(final).toMatchObject({ runId: params.idempotencyKey, status: 'ok', result: { payloads: [{ text: 'whole answer' }] } });
    const history = await c2.call('chat.history', { sessionKey: 'agent:main:restart' });
    expect(history.messages.map((m) => [m.role, m.state])).toEqual([['user', 'final'], ['assistant', 'interrupted'], ['assistant', 'final']]);
    expect(fake.requests).toHaveLength(2);
  });

  it('a run cut off by a restart while calling a tool is not run again: a retry gets IDEMPOTENCY_OUTCOME_UNKNOWN, every time', async () => {
    gw = await startTestGateway({ extra: { agent: { echoDelayMs: 0 } } });
    let calls = 0;
    gw.gateway.services.agentTools.register({
      name: 'unlock', description: 'opens the door', parameters: { type: 'object' },
      run: (_args, ctx) => {
        calls++;
        return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve({ stopped: true })));
      },
    });
    const c = await gw.connect({ reconnect: false, caps: ['tool-events'] });
    const rec = recordRuns(c);
    const params = { message: '/tool unlock {}', idempotencyKey: randomUUID(), sessionKey: 'agent:main:door' };
    const pending = c.callFinal('agent', params, { timeoutMs: 10_000 }).catch(() => undefined);
    await rec.until(() => rec.agent(params.idempotencyKey).some((e) => e.stream === 'tool'));
    await gw.restart();
    await pending;
    const c2 = await gw.connect();
    for (let i = 0; i < 2; i++) {
      await expect(c2.call('agent', params)).rejects.toMatchObject({
        code: 'UNAVAILABLE', retryable: false, details: { code: 'IDEMPOTENCY_OUTCOME_UNKNOWN', runId: params.idempotencyKey },
      });
    }
    expect(calls).toBe(1);
    const history = await c2.call('chat.history', { sessionKey: params.sessionKey });
    expect(history.messages.filter((m) => m.role === 'user')).toHaveLength(1);
  });

  it('refuses deliver and extraSystemPrompt, naming the parameter', async () => {
    gw = await startTestGateway();
    const c = await gw.connect();
    await expect(c.call('agent', { message: 'x', idempotencyKey: randomUUID(), deliver: true })).rejects.toMatchObject({ details: { code: 'UNSUPPORTED_PARAM', param: 'deliver' } });
    await expect(c.call('agent', { message: 'x', idempotencyKey: randomUUID(), extraSystemPrompt: 'be evil' })).rejects.toMatchObject({ details: { code: 'UNSUPPORTED_PARAM', param: 'extraSystemPrompt' } });
    // OpenClaw's CLI sends these with their defaults; they are accepted.
    const ok = await c.call('agent', { message: 'x', idempotencyKey: randomUUID(), deliver: false, timeout: 0, channel: 'last' });
    expect(ok.status).toBe('accepted');
  });
});
