// Idempotency keys of stored messages belong to their caller: against the real gateway, two
// connections with different identities (a signed device, and a client with the shared token only)
// using the same key each get their own stored message and run; the same caller reusing a key for
// another text is refused; the same caller and text is a re-submit.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { newDevice } from '../../helpers/device.js';
import { messageText, recordRuns } from '../../helpers/run-events.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const sessionKey = 'agent:main:collide';

async function twoCallers() {
  gw = await startTestGateway({ extra: { agent: { echoDelayMs: 1 } } });
  const deviceA = await gw.connect({ device: newDevice() });
  const tokenOnly = await gw.connect();
  return { deviceA, tokenOnly };
}

describe('idempotency keys of stored messages are per caller', () => {
  it('chat.send: another caller with the same key gets its own message and run; the first keeps runId = key', async () => {
    const { deviceA, tokenOnly } = await twoCallers();
    const recA = recordRuns(deviceA);
    const recB = recordRuns(tokenOnly);
    const a = await deviceA.call('chat.send', { sessionKey, message: 'from device A', idempotencyKey: '1' });
    expect(a).toEqual({ runId: '1', status: 'started', messageSeq: 1 });
    await recA.ended('1');
    const b = await tokenOnly.call('chat.send', { sessionKey, message: 'from the token', idempotencyKey: '1' }) as { runId: string; status: string; messageSeq: number };
    expect(b.status).toBe('started');
    expect(b.runId).toMatch(/^1~[\w-]{10}$/);
    expect(b.messageSeq).toBe(3);
    const final = await recB.ended(b.runId);
    expect(messageText(final)).toContain('from the token');
    const history = await tokenOnly.call('chat.history', { sessionKey });
    const users = history.messages.filter((m) => m.role === 'user').map((m) => [m.runId, (m.content as Array<{ text: string }>)[0].text]);
    expect(users).toEqual([['1', 'from device A'], [b.runId, 'from the token']]);
    // Each caller's retry finds its own message.
    expect(await deviceA.call('chat.send', { sessionKey, message: 'from device A', idempotencyKey: '1' })).toEqual({ runId: '1', status: 'started', messageSeq: 1 });
    expect(await tokenOnly.call('chat.send', { sessionKey, message: 'from the token', idempotencyKey: '1' })).toEqual(b);
    expect((await tokenOnly.call('chat.history', { sessionKey })).messages).toHaveLength(4);
  });

  it('agent: two callers with the same key run separately, each final answering its own message', async () => {
    const { deviceA, tokenOnly } = await twoCallers();
    // At once, in two sessions: the run ids still differ.
    const [finalA, finalB] = await Promise.all([
      deviceA.callFinal('agent', { sessionKey, message: 'agent from A', idempotencyKey: 'same' }),
      tokenOnly.callFinal('agent', { sessionKey: 'agent:main:other', message: 'agent from B', idempotencyKey: 'same' }),
    ]) as Array<{ runId: string; result: { payloads: Array<{ text: string }> } }>;
    expect(new Set([finalA.runId, finalB.runId]).size).toBe(2);
    expect([finalA.runId, finalB.runId]).toContain('same');
    expect(finalA.result.payloads[0].text).toContain('agent from A');
    expect(finalB.result.payloads[0].text).toContain('agent from B');
    // In the same session: B's message is stored next to A's, not answered by A's run.
    await deviceA.callFinal('agent', { sessionKey, message: 'A again', idempotencyKey: 'next' });
    const b = await tokenOnly.callFinal('agent', { sessionKey, message: 'B again', idempotencyKey: 'next' }) as typeof finalA;
    expect(b.runId).toMatch(/^next~/);
    expect(b.result.payloads[0].text).toContain('B again');
    const history = await tokenOnly.call('chat.history', { sessionKey });
    expect(history.messages.filter((m) => m.role === 'user').map((m) => (m.content as Array<{ text: string }>)[0].text)).toEqual(['agent from A', 'A again', 'B again']);
  });

  it('the same caller: same key and text is a re-submit, another text is IDEMPOTENCY_KEY_REUSED', async () => {
    const { deviceA } = await twoCallers();
    const rec = recordRuns(deviceA);
    await deviceA.call('chat.send', { sessionKey, message: 'first text', idempotencyKey: 'k' });
    await rec.ended('k');
    await deviceA.call('chat.send', { sessionKey, message: 'second text', idempotencyKey: 'k2' });
    await rec.ended('k2');
    // agent has its own ledger entries (the ledger scopes by method), so the stored message decides.
    const resubmit = await deviceA.call('agent', { sessionKey, message: 'first text', idempotencyKey: 'k' });
    expect(resubmit).toMatchObject({ runId: 'k', status: 'accepted', runStatus: 'completed' });
    await expect(deviceA.call('agent', { sessionKey, message: 'other text', idempotencyKey: 'k2' }))
      .rejects.toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    const history = await deviceA.call('chat.history', { sessionKey });
    expect(history.messages.filter((m) => m.role === 'user')).toHaveLength(2);
  });
});
