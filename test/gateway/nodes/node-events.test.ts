// node.event end to end over real sockets: a signed raw node reports, operators with operator.read
// receive node.reported / node.hostStats, others do not; oversized payloads are refused and change
// nothing; exec events reach operators typed and bounded; a flood is cut to the per-node budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EXEC_OUTPUT_EXCERPT, MAX_NODE_EVENT_PAYLOAD_BYTES, NODE_EVENT_RATE } from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk/node';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { connectRawNode } from '../../helpers/node.js';
import { until } from '../../helpers/wait.js';

let gw: TestGateway;
let reader: GatewayClient;

/** Collects `event` payloads a client receives. */
function collect(client: GatewayClient, event: 'node.reported' | 'node.hostStats'): any[] {
  const got: any[] = [];
  client.on(event, (payload: unknown) => got.push(payload));
  return got;
}

beforeAll(async () => {
  gw = await startTestGateway();
  reader = await gw.connect({ scopes: ['operator.read'] });
});
afterAll(() => gw.close());

describe('node.event forwarding', () => {
  it('sends an operator with operator.read the node\'s event, and none to an operator without it', async () => {
    const got = collect(reader, 'node.reported');
    const pairingOnly = await gw.connect({ scopes: ['operator.pairing'] });
    const notGot = collect(pairingOnly, 'node.reported');
    const node = await connectRawNode(gw);
    const res = await node.raw.request('node.event', { event: 'voice.transcript', payloadJSON: '{"text":"hello","sessionKey":"agent:main:main"}' });
    expect(res.payload).toEqual({ ok: true, event: 'voice.transcript', handled: false, reason: 'unsupported_event' });
    await until(() => got.some((e) => e.nodeId === node.nodeId));
    expect(got.find((e) => e.nodeId === node.nodeId)).toMatchObject({ event: 'voice.transcript', payload: { text: 'hello', sessionKey: 'agent:main:main' }, ts: expect.any(Number) });
    // A ping round trip on the pairing-only client orders it after the broadcast.
    await pairingOnly.call('device.pair.list');
    expect(notGot).toEqual([]);
    pairingOnly.close();
    node.raw.terminate();
  });

  it('forwards host stats as node.hostStats and records them; accepts payloadJSON null', async () => {
    const stats = collect(reader, 'node.hostStats');
    const node = await connectRawNode(gw);
    const res = await node.raw.request('node.event', { event: 'node.host.stats', payload: { cpuCount: 4 } });
    expect(res.payload).toEqual({ ok: true, event: 'node.host.stats', handled: true, reason: 'updated' });
    await until(() => stats.some((e) => e.nodeId === node.nodeId));
    expect(stats.find((e) => e.nodeId === node.nodeId)).toEqual({ nodeId: node.nodeId, hostStats: { cpuCount: 4 } });
    // OpenClaw's node host sends payloadJSON: null when it has no payload.
    expect((await node.raw.request('node.event', { event: 'node.ping', payloadJSON: null })).payload).toMatchObject({ ok: true, handled: false });
    node.raw.terminate();
  });

  it('types and bounds exec lifecycle events: integer-or-null exitCode, output tail capped, unknown fields dropped', async () => {
    const got = collect(reader, 'node.reported');
    const node = await connectRawNode(gw);
    const output = `${'x'.repeat(5000)}THE END`;
    const finished = { sessionKey: 'agent:main:main', runId: 'run-1', host: 'node', command: 'ls', exitCode: 2, timedOut: false, success: false, output, secretish: 'drop me' };
    expect((await node.raw.request('node.event', { event: 'exec.finished', payloadJSON: JSON.stringify(finished) })).payload).toEqual({ ok: true, event: 'exec.finished', handled: true });
    await node.raw.request('node.event', { event: 'exec.finished', payload: { runId: 'run-2', exitCode: 1.5 } });
    await node.raw.request('node.event', { event: 'exec.denied', payload: { runId: 'run-3', exitCode: 'nope', reason: 'r'.repeat(1000) } });
    await until(() => got.filter((e) => e.nodeId === node.nodeId).length === 3);
    const [first, second, third] = got.filter((e) => e.nodeId === node.nodeId);
    expect(first).toMatchObject({ event: 'exec.finished', exec: { runId: 'run-1', sessionKey: 'agent:main:main', command: 'ls', exitCode: 2, timedOut: false, success: false, outputTruncated: true } });
    expect(first.exec.output).toHaveLength(MAX_EXEC_OUTPUT_EXCERPT);
    expect(first.exec.output.endsWith('THE END')).toBe(true);
    expect(first.payload).toBeUndefined();
    expect(JSON.stringify(first)).not.toContain('drop me');
    expect(second.exec).toEqual({ runId: 'run-2', exitCode: null });
    expect(third.exec).toMatchObject({ runId: 'run-3', exitCode: null });
    expect(third.exec.reason).toHaveLength(200);
    node.raw.terminate();
  });

  it('refuses an oversized payload or payloadJSON, or payloadJSON that is not JSON, with INVALID_REQUEST and changes nothing', async () => {
    const got = collect(reader, 'node.reported');
    const node = await connectRawNode(gw);
    const big = 'x'.repeat(MAX_NODE_EVENT_PAYLOAD_BYTES);
    for (const params of [
      { event: 'node.host.stats', payload: { cpuCount: 8, pad: big } },
      { event: 'node.host.stats', payloadJSON: JSON.stringify({ cpuCount: 8, pad: big }) },
    ]) {
      const res = await node.raw.request('node.event', params);
      expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'NODE_EVENT_TOO_LARGE', maxBytes: MAX_NODE_EVENT_PAYLOAD_BYTES } });
      expect(res.error!.message).toMatch(/send a smaller payload/);
    }
    const notJson = await node.raw.request('node.event', { event: 'exec.started', payloadJSON: '{nope' });
    expect(notJson.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'INVALID_PAYLOAD_JSON' } });
    const badName = await node.raw.request('node.event', { event: 'two words\n' });
    expect(badName.error?.code).toBe('INVALID_REQUEST');
    const d = await reader.call('node.describe', { nodeId: node.nodeId });
    expect(d.hostStats).toBeUndefined();
    expect(d.eventsDropped).toBeUndefined();
    await reader.call('health');
    expect(got.filter((e) => e.nodeId === node.nodeId)).toEqual([]);
    node.raw.terminate();
  });

  it('records node.presence.alive as the node\'s last-seen time and trigger', async () => {
    const node = await connectRawNode(gw);
    const before = (await reader.call('node.list')).nodes.find((n) => n.nodeId === node.nodeId)!;
    expect(before).toMatchObject({ lastSeenReason: 'connect', lastSeenAtMs: before.connectedAtMs });
    await new Promise((r) => setTimeout(r, 5));
    const res = await node.raw.request('node.event', { event: 'node.presence.alive', payloadJSON: '{"trigger":"silent_push","sentAtMs":1}' });
    expect(res.payload).toEqual({ ok: true, event: 'node.presence.alive', handled: true, reason: 'updated' });
    const after = (await reader.call('node.list')).nodes.find((n) => n.nodeId === node.nodeId)!;
    expect(after.lastSeenReason).toBe('silent_push');
    expect(after.lastSeenAtMs).toBeGreaterThan(before.lastSeenAtMs!);
    await node.raw.request('node.event', { event: 'node.presence.alive', payload: { trigger: 'made-up' } });
    expect((await reader.call('node.describe', { nodeId: node.nodeId })).lastSeenReason).toBe('background');
    node.raw.terminate();
  });

  it('rate-limits a flood per node: the burst reaches operators, the rest are answered rate_limited and counted', async () => {
    const got = collect(reader, 'node.reported');
    const node = await connectRawNode(gw);
    const flood = NODE_EVENT_RATE.burst * 3;
    const answers = await Promise.all(Array.from({ length: flood }, (_, i) => node.raw.request('node.event', { event: 'demo.tick', payload: { i } })));
    const limited = answers.filter((a) => (a.payload as any)?.reason === 'rate_limited').length;
    // The budget refills at perSecond while the flood is in flight; a few more than the burst may pass.
    expect(limited).toBeGreaterThanOrEqual(flood - NODE_EVENT_RATE.burst - NODE_EVENT_RATE.perSecond);
    expect(answers.every((a) => a.ok)).toBe(true);
    const d = await reader.call('node.describe', { nodeId: node.nodeId });
    expect(d.eventsDropped).toBe(limited);
    await until(() => got.filter((e) => e.nodeId === node.nodeId).length === flood - limited);
    await reader.call('health');
    expect(got.filter((e) => e.nodeId === node.nodeId)).toHaveLength(flood - limited);
    // Another node has its own budget.
    const other = await connectRawNode(gw);
    expect((await other.raw.request('node.event', { event: 'demo.tick', payload: {} })).payload).toMatchObject({ reason: 'unsupported_event' });
    node.raw.terminate();
    other.raw.terminate();
  });
});
