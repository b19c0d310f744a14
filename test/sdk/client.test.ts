// The SDK client against the real gateway and against a scripted fake for failure cases.
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '@switchboard/protocol';
import { createNodeClient, type GatewayClient } from '@switchboard/sdk/node';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startFakeGateway, type FakeGateway } from '../helpers/fake-gateway.js';
import { until } from '../helpers/wait.js';


describe('GatewayClient', () => {
  let gw: TestGateway | undefined;
  let fake: FakeGateway | undefined;
  const clients: GatewayClient[] = [];
  const client = (opts: Parameters<typeof createNodeClient>[0]) => {
    const c = createNodeClient({ backoff: { initialMs: 20, maxMs: 200, jitter: 0 }, ...opts });
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await gw?.close();
    await fake?.close();
    gw = fake = undefined;
  });

  it('connects and makes typed calls', async () => {
    gw = await startTestGateway();
    const c = client({ url: gw.url, token: gw.token, scopes: ['operator.read'] });
    const hello = await c.start();
    expect(hello.protocol).toBe(4);
    expect(c.state).toBe('open');
    const health = await c.call('health');
    expect(health.ok).toBe(true);
    const status = await c.call('status');
    expect(status.connections.total).toBeGreaterThanOrEqual(1);
  });

  it('rejects an error reply as a GatewayError with code and details', async () => {
    gw = await startTestGateway();
    const c = client({ url: gw.url, token: gw.token, scopes: ['operator.read'] });
    await c.start();
    const err = await c.call('talk.mode', { enabled: true }).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'FORBIDDEN', details: { missingScope: 'operator.write' } });
  });

  it('delivers events to subscribers', async () => {
    gw = await startTestGateway();
    const listener = client({ url: gw.url, token: gw.token, scopes: ['operator.read'] });
    const driver = client({ url: gw.url, token: gw.token, scopes: ['operator.write'] });
    await Promise.all([listener.start(), driver.start()]);
    const got: string[] = [];
    listener.on('talk.mode', (p) => got.push(p.phase ?? ''));
    await driver.call('talk.mode', { enabled: true, phase: 'one' });
    await driver.call('talk.mode', { enabled: true, phase: 'two' });
    await until(() => got.length === 2);
    expect(got).toEqual(['one', 'two']);
  });

  it('fails the first handshake for good: start() rejects and the client closes', async () => {
    gw = await startTestGateway();
    const c = client({ url: gw.url, token: 'not-the-token-not-the-token' });
    const err = await c.start().catch((e) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.details.code).toBe('AUTH_TOKEN_MISMATCH');
    expect(c.state).toBe('closed');
  });

  it('reports CONNECT_FAILED when nothing listens and reconnect is off', async () => {
    const c = client({ url: 'ws://127.0.0.1:9', reconnect: false });
    const err = await c.start().catch((e) => e);
    expect(err.details.code).toBe('CONNECT_FAILED');
  });

  it('times a call out', async () => {
    fake = await startFakeGateway({ onRequest: () => undefined });
    const c = client({ url: fake.url });
    await c.start();
    const started = Date.now();
    const err = await c.request('health', {}, { timeoutMs: 150 }).catch((e) => e);
    expect(err.message).toMatch(/timed out after 150 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('rejects pending calls when the connection closes, and keeps outgoing ones for the reconnect', async () => {
    fake = await startFakeGateway({ onRequest: (req) => (req.method === 'status' ? { ok: true, after: 'reconnect' } : undefined) });
    const c = client({ url: fake.url });
    await c.start();
    const pending = c.request('health');
    await until(() => fake!.requests.some((r) => r.method === 'health'));
    fake.sockets[0].terminate();
    await expect(pending).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // Sent while reconnecting: waits, then goes out on the new connection.
    const later = c.request('status');
    await expect(later).resolves.toEqual({ ok: true, after: 'reconnect' });
    expect(fake.connections).toBe(2);
  });

  it('reconnects with backoff after the gateway restarts', async () => {
    gw = await startTestGateway();
    const states: string[] = [];
    const c = client({ url: gw.url, token: gw.token, scopes: ['operator.read'], onStateChange: (s) => states.push(s) });
    await c.start();
    await gw.restart();
    await until(() => c.state === 'open' && states.includes('reconnecting'));
    expect((await c.call('health')).ok).toBe(true);
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
  });

  it('closes a silent link after twice the tick interval and reconnects', async () => {
    fake = await startFakeGateway({ tickIntervalMs: 100 });
    const c = client({ url: fake.url });
    await c.start();
    await until(() => fake!.connections === 2, 2_000);
    await until(() => c.state === 'open');
  });

  it('reports seq gaps', async () => {
    fake = await startFakeGateway();
    const gaps: unknown[] = [];
    const c = client({ url: fake.url, onGap: (g) => gaps.push(g) });
    await c.start();
    const seen: number[] = [];
    c.onAny((f) => seen.push(f.seq!));
    for (const seq of [1, 2, 4, 5]) fake.send(fake.sockets[0], { type: 'event', event: 'tick', payload: { ts: 1 }, seq });
    await until(() => seen.length === 4);
    expect(gaps).toEqual([{ expected: 3, received: 4, event: 'tick' }]);
  });

  it('skips the ack of a two-answer method with callFinal / expectFinal', async () => {
    fake = await startFakeGateway({
      onRequest: (req, ws, f) => {
        f.send(ws, { type: 'res', id: req.id, ok: true, payload: { runId: 'r1', status: 'accepted' } });
        setTimeout(() => f.send(ws, { type: 'res', id: req.id, ok: true, payload: { runId: 'r1', status: 'ok' } }), 20);
        return undefined;
      },
    });
    const c = client({ url: fake.url });
    await c.start();
    await expect(c.request('agent', {}, { expectFinal: true })).resolves.toEqual({ runId: 'r1', status: 'ok' });
    await expect(c.request('agent', {})).resolves.toEqual({ runId: 'r1', status: 'accepted' });
  });

  it('rejects everything on close() and refuses new calls', async () => {
    fake = await startFakeGateway({ onRequest: () => undefined });
    const c = client({ url: fake.url });
    await c.start();
    const p = c.request('health');
    c.close();
    await expect(p).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(c.request('health')).rejects.toThrow(/closed/);
    c.close();
  });
});
