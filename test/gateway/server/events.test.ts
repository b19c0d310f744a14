// Conformance: sequenced events, state versions, presence, health, slow consumers, keepalive, shutdown.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { until } from '../../helpers/wait.js';

const uiClient = { id: 'webchat-ui', version: '1.0.0', platform: 'linux', mode: 'webchat', instanceId: 'browser-1' };


describe('events', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('numbers broadcast events per connection, gapless from 1, across event kinds', async () => {
    gw = await startTestGateway({ limits: { tickIntervalMs: 50 } });
    const listener = await gw.rawConnected();
    const driver = await gw.rawConnected();
    for (let i = 0; i < 20; i++) await driver.request('talk.mode', { enabled: i % 2 === 0, phase: `p${i}` });
    await until(() => listener.frames.filter((f) => f.event === 'talk.mode').length === 20);
    await until(() => listener.frames.some((f) => f.event === 'tick'));
    const seqs = listener.frames.filter((f) => f.type === 'event').map((f) => f.seq);
    expect(seqs[0]).toBe(1);
    seqs.forEach((s, i) => expect(s).toBe(i + 1));
    const phases = listener.frames.filter((f) => f.event === 'talk.mode').map((f) => f.payload.phase);
    expect(phases).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`));
  });

  it('publishes presence with stateVersion on connect and disconnect; CLI clients are not tracked', async () => {
    gw = await startTestGateway();
    const watcher = await gw.rawConnected();
    const hello = (await (async () => {
      const r = await gw!.raw();
      await r.next();
      const res = await r.request('connect', { minProtocol: 4, maxProtocol: 4, client: uiClient, scopes: ['operator.read'], auth: { token: gw!.token } });
      return { r, res };
    })());
    const joined = await watcher.next((f) => f.event === 'presence' && f.payload.presence.some((p: { instanceId?: string }) => p.instanceId === 'browser-1'));
    expect(joined.stateVersion?.presence).toBeGreaterThan(hello.res.payload.snapshot.stateVersion.presence - 1);
    const entry = joined.payload.presence.find((p: { instanceId?: string }) => p.instanceId === 'browser-1');
    expect(entry).toMatchObject({ mode: 'webchat', platform: 'linux', reason: 'connect', roles: ['operator'] });
    const list = await watcher.request('system-presence', {});
    expect(list.payload.map((p: { instanceId?: string }) => p.instanceId)).toContain('browser-1');

    watcher.frames.length = 0;
    hello.r.terminate();
    const left = await watcher.next((f) => f.event === 'presence' && !f.payload.presence.some((p: { instanceId?: string }) => p.instanceId === 'browser-1'));
    expect(left.stateVersion!.presence).toBeGreaterThan(joined.stateVersion!.presence);

    const cli = await gw.rawConnected({ client: { id: 'cli', version: '1', platform: 'linux', mode: 'cli' } });
    const modes = (await watcher.request('system-presence', {})).payload.map((p: { mode?: string }) => p.mode);
    expect(modes).toEqual(['test']);
    cli.terminate();
  });

  it('sends a health event with a bumped stateVersion.health after a probe', async () => {
    gw = await startTestGateway();
    const r = await gw.rawConnected();
    const before = (await r.request('health', {})).payload;
    const probed = await r.request('health', { probe: true });
    expect(probed.payload.ts).toBeGreaterThanOrEqual(before.ts);
    const ev = await r.next((f) => f.event === 'health');
    expect(ev.payload.ok).toBe(true);
    expect(ev.stateVersion?.health).toBeGreaterThanOrEqual(2);
  });

  async function flood(gw: TestGateway, slowConnId: () => string | undefined) {
    const driver = await gw.rawConnected();
    const phase = 'z'.repeat(190);
    for (let round = 0; round < 400; round++) {
      await Promise.all(Array.from({ length: 50 }, () => driver.request('talk.mode', { enabled: true, phase })));
      const conn = gw.gateway.services.connections.get(slowConnId() ?? '');
      if (conn && conn.droppedEvents > 0) break;
    }
    return driver;
  }

  function pause(r: Awaited<ReturnType<TestGateway['rawConnected']>>) {
    return (r.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  }

  it('skips droppable events for a slow client and the seq gap shows it', async () => {
    gw = await startTestGateway({ limits: { maxBufferedBytes: 16 * 1024, slowConsumerGraceMs: 30_000, requestBudget: { maxRequests: 1_000_000, windowMs: 10_000 } } });
    const slow = await gw.rawConnected();
    const connId = slow.hello?.server.connId;
    const socket = pause(slow);
    socket.pause();
    const driver = await flood(gw, () => connId);
    const server = gw.gateway.services.connections.get(connId!)!;
    expect(server.droppedEvents).toBeGreaterThan(0);
    socket.resume();
    await until(() => server.ws.bufferedAmount === 0);
    await driver.request('talk.mode', { enabled: false, phase: 'after' });
    const last = await slow.next((f) => f.payload?.phase === 'after', 10_000);
    const seqs = slow.frames.filter((f) => typeof f.seq === 'number').map((f) => f.seq!).concat(last.seq!);
    const gaps = seqs.filter((s, i) => i > 0 && s !== seqs[i - 1] + 1);
    expect(gaps.length).toBeGreaterThan(0);
    expect(last.seq).toBe(server.lastSeq);
    // The fast client saw everything, gapless.
    const fast = driver.frames.filter((f) => f.type === 'event').map((f) => f.seq!);
    fast.forEach((s, i) => expect(s).toBe(fast[0] + i));
    expect(server.state).toBe('open');
  }, 60_000);

  it('closes a client that stays above the send-buffer mark past the grace period with 1008 "slow consumer"', async () => {
    gw = await startTestGateway({ limits: { maxBufferedBytes: 16 * 1024, slowConsumerGraceMs: 200, requestBudget: { maxRequests: 1_000_000, windowMs: 10_000 } } });
    const slow = await gw.rawConnected();
    const connId = slow.hello?.server.connId;
    const socket = pause(slow);
    socket.pause();
    await flood(gw, () => connId);
    await until(() => gw!.gateway.services.connections.get(connId!)?.state !== 'open', 5_000);
    socket.resume();
    expect(await slow.closed).toEqual({ code: 1008, reason: 'slow consumer' });
  }, 60_000);

  it('counts replies against the send buffer: a client that floods requests without reading is closed with 1008', async () => {
    const mark = 16 * 1024;
    gw = await startTestGateway({ limits: { maxBufferedBytes: mark, slowConsumerGraceMs: 300, requestBudget: { maxRequests: 1_000_000, windowMs: 10_000 } } });
    const slow = await gw.rawConnected();
    const server = gw.gateway.services.connections.get(slow.hello?.server.connId)!;
    const socket = pause(slow);
    socket.pause();
    // No event is broadcast meanwhile: only replies fill the buffer.
    let peak = 0;
    for (let round = 0; round < 400 && server.state === 'open'; round++) {
      for (let i = 0; i < 200; i++) slow.send({ type: 'req', id: `s${round}-${i}`, method: 'status', params: {} });
      await new Promise((r) => setTimeout(r, 5));
      peak = Math.max(peak, server.ws.bufferedAmount);
    }
    await until(() => server.state !== 'open', 10_000);
    // The gateway stopped reading at the mark, so its buffer never grew past the hard cap.
    expect(peak).toBeGreaterThan(mark);
    expect(peak).toBeLessThanOrEqual(2 * mark + 1024);
    // The gateway stays healthy for everyone else.
    const other = await gw.rawConnected();
    expect((await other.request('status', {})).ok).toBe(true);
    socket.resume();
    expect(await slow.closed).toEqual({ code: 1008, reason: 'slow consumer' });
  }, 60_000);

  it('stops reading from a client above the send-buffer mark and reads again once it drained', async () => {
    gw = await startTestGateway({ limits: { maxBufferedBytes: 1024 * 1024, slowConsumerGraceMs: 60_000, requestBudget: { maxRequests: 1_000_000, windowMs: 10_000 } } });
    const slow = await gw.rawConnected();
    const server = gw.gateway.services.connections.get(slow.hello?.server.connId)!;
    const socket = pause(slow);
    socket.pause();
    let sent = 0;
    for (let round = 0; round < 2_000 && !server.ws.isPaused; round++) {
      for (let i = 0; i < 50; i++) slow.send({ type: 'req', id: `p${sent++}`, method: 'status', params: {} });
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(server.ws.isPaused).toBe(true);
    expect(server.state).toBe('open');
    socket.resume();
    // Every request is answered once the client reads: pausing loses nothing.
    await until(() => slow.frames.filter((f) => f.type === 'res').length === sent, 20_000);
    expect(server.ws.isPaused).toBe(false);
    expect(server.state).toBe('open');
  }, 60_000);

  it('terminates a peer that stops answering pings', async () => {
    gw = await startTestGateway({ limits: { pingIntervalMs: 100 } });
    const dead = await gw.rawConnected();
    (dead.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await until(() => gw!.gateway.services.connections.size === 0, 3_000);
  });

  it('on stop: broadcasts shutdown, then closes every socket with 1012', async () => {
    gw = await startTestGateway();
    const r = await gw.rawConnected();
    await gw.gateway.stop({ reason: 'maintenance', restartExpectedMs: 1500 });
    const ev = await r.next((f) => f.event === 'shutdown');
    expect(ev.payload).toEqual({ reason: 'maintenance', restartExpectedMs: 1500 });
    expect(await r.closed).toEqual({ code: 1012, reason: 'service restart' });
    expect(gw.gateway.state).toBe('stopped');
    await gw.gateway.stop();
    gw = undefined;
  });
});
