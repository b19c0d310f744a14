// Resume (`switchboard.resume`): a client that drops its socket gets every missed event, in order,
// with its original numbers — or an explicit resync when they are gone.
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '@switchboard/sdk/node';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { until } from '../../helpers/wait.js';


describe('resume', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  async function listener(t: TestGateway, extra: Parameters<TestGateway['connect']>[0] = {}) {
    const phases: string[] = [];
    const seqs: number[] = [];
    let resyncs = 0;
    let gaps = 0;
    const c: GatewayClient = await t.connect({ resume: true, onResync: () => resyncs++, onGap: () => gaps++, ...extra });
    c.on('talk.mode', (p) => { phases.push(p.phase!); });
    c.onAny((f) => { if (f.seq !== undefined) seqs.push(f.seq); });
    return { c, phases, seqs, counts: () => ({ resyncs, gaps }) };
  }

  it('replays what a dropped client missed, exactly once and in order, then continues live', async () => {
    gw = await startTestGateway();
    const l = await listener(gw);
    expect(l.c.hello?.resume).toMatchObject({ resumed: false });
    expect(l.c.hello?.features.capabilities).toContain('switchboard.resume');
    const driver = await gw.connect();
    for (let i = 0; i < 5; i++) await driver.call('talk.mode', { enabled: true, phase: `a${i}` });
    await until(() => l.phases.length === 5);
    l.c.dropConnection();
    await until(() => gw!.gateway.services.replay.detachedCount === 1);
    for (let i = 0; i < 5; i++) await driver.call('talk.mode', { enabled: true, phase: `b${i}` });
    await until(() => l.c.state === 'open' && l.c.hello?.resume?.resumed === true);
    for (let i = 0; i < 3; i++) await driver.call('talk.mode', { enabled: true, phase: `c${i}` });
    const expected = [...[0, 1, 2, 3, 4].map((i) => `a${i}`), ...[0, 1, 2, 3, 4].map((i) => `b${i}`), 'c0', 'c1', 'c2'];
    await until(() => l.phases.length === expected.length);
    expect(l.phases).toEqual(expected);
    l.seqs.forEach((s, i) => expect(s).toBe(l.seqs[0] + i));
    expect(l.counts()).toEqual({ resyncs: 0, gaps: 0 });
  });

  it('answers resync when the missed events no longer fit the ring', async () => {
    gw = await startTestGateway({ limits: { replay: { maxEvents: 3, maxBytes: 1 << 20, ttlMs: 60_000, maxDetached: 10 } } });
    const l = await listener(gw);
    const driver = await gw.connect();
    l.c.dropConnection();
    await until(() => gw!.gateway.services.replay.detachedCount === 1);
    for (let i = 0; i < 6; i++) await driver.call('talk.mode', { enabled: true, phase: `m${i}` });
    await until(() => l.c.state === 'open' && l.c.hello?.resume !== undefined && l.counts().resyncs === 1);
    expect(l.c.hello?.resume).toMatchObject({ resumed: false, resync: true });
  });

  it('will not hand one caller another caller\'s events', async () => {
    gw = await startTestGateway();
    const l = await listener(gw);
    const token = l.c.hello!.resume!.token;
    l.c.close();
    await until(() => gw!.gateway.services.replay.detachedCount === 1);
    // A caller with fewer scopes offers the stolen token.
    const raw = await gw.rawConnected({ scopes: ['operator.read'], caps: ['switchboard.resume'], resume: { token, lastSeq: 0 } });
    expect(raw.hello.resume).toMatchObject({ resumed: false, resync: true });
  });

  it('shows nothing of this to clients that did not ask (OpenClaw clients)', async () => {
    gw = await startTestGateway();
    const raw = await gw.rawConnected();
    expect(raw.hello.resume).toBeUndefined();
    expect(raw.hello.policy.replay).toBeUndefined();
    expect(gw.gateway.services.replay.detachedCount).toBe(0);
    raw.terminate();
    await new Promise((r) => setTimeout(r, 50));
    expect(gw.gateway.services.replay.detachedCount).toBe(0);
  });
});
