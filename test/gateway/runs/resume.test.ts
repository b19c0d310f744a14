// Resume of streams: a client (SDK, resume: true) that loses its socket in the middle of a run
// reconnects and ends with exactly the text, deltas and events a never-disconnected client got.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { GatewayClient } from '@switchboard/sdk/node';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sse, startFakeOpenAI, type FakeOpenAI } from '../../helpers/fake-openai.js';
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

/** What a client made of a run: the chat text rebuilt from deltaText, the final text, every agent delta. */
function streamOf(rec: ReturnType<typeof recordRuns>, runId: string) {
  const chat = rec.chat(runId);
  return {
    fromDeltas: chat.filter((e) => e.state === 'delta').map((e) => (e as { deltaText: string }).deltaText).join(''),
    final: messageText(chat.find((e) => e.state === 'final') ?? {}),
    chatSeqs: chat.map((e) => e.seq),
    agentDeltas: rec.agent(runId).filter((e) => e.stream === 'assistant').map((e) => e.data.delta),
  };
}

describe('resume of streams', () => {
  it('a client dropped mid-stream ends with the exact text of a client that never disconnected', async () => {
    gw = await startTestGateway({ extra: { agent: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model' } } });
    const parts = Array.from({ length: 40 }, (_, i) => `t${i} `);
    fake.enqueue(sse.text(parts, { waitMs: 20 }));
    let resyncs = 0;
    let gaps = 0;
    const steady = await gw.connect();
    const dropped: GatewayClient = await gw.connect({ resume: true, onResync: () => resyncs++, onGap: () => gaps++ });
    const a = recordRuns(steady);
    const b = recordRuns(dropped);
    const { runId } = await steady.call('chat.send', { sessionKey: 'main', message: 'stream please', idempotencyKey: randomUUID() }) as { runId: string };
    await b.until(() => b.agent(runId).filter((e) => e.stream === 'assistant').length >= 8);
    dropped.dropConnection();
    await b.until(() => dropped.state === 'reconnecting');
    const whileAway = a.agent(runId).length;
    await b.until(() => a.agent(runId).length > whileAway + 5);
    await b.until(() => dropped.state === 'open');
    expect(dropped.hello?.resume).toMatchObject({ resumed: true });
    await a.ended(runId);
    await b.ended(runId);
    const expected = streamOf(a, runId);
    expect(expected.final).toBe(parts.join(''));
    expect(streamOf(b, runId)).toEqual(expected);
    expect(b.agent(runId).map((e) => e.seq)).toEqual(a.agent(runId).map((e) => e.seq));
    expect({ resyncs, gaps }).toEqual({ resyncs: 0, gaps: 0 });
  });

  it('a client whose socket the gateway killed also resumes without losing text', async () => {
    gw = await startTestGateway({ extra: { agent: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model' } } });
    const parts = Array.from({ length: 30 }, (_, i) => `k${i} `);
    fake.enqueue(sse.text(parts, { waitMs: 20 }));
    const steady = await gw.connect();
    const victim = await gw.connect({ resume: true, client: { id: 'test', mode: 'test', displayName: 'victim' } });
    const a = recordRuns(steady);
    const b = recordRuns(victim);
    const { runId } = await steady.call('chat.send', { sessionKey: 'main', message: 'go', idempotencyKey: randomUUID() }) as { runId: string };
    await b.until(() => b.chat(runId).length >= 1);
    // Kill the gateway's side of the victim's socket (no close frame): the client sees a dead link.
    for (const conn of gw.gateway.services.connections.values()) if (conn.caller?.client.displayName === 'victim') conn.ws.terminate();
    await a.ended(runId);
    await b.ended(runId);
    expect(streamOf(b, runId)).toEqual(streamOf(a, runId));
    expect(victim.hello?.resume?.resumed).toBe(true);
  });
});
