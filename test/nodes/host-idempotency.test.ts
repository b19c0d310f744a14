// The node host's idempotency cache, driven by a scripted gateway that sends node.invoke.request
// frames with chosen keys: a key is bound to its command and params (the same key with other
// params is refused, never answered with another request's result), a repeat of the same request
// gets the remembered answer without running again, and a "busy" answer is not remembered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { NodeHost, type NodeCommand } from '@switchboard/nodes';
import { startFakeGateway, type FakeGateway, type FakeRequest } from '../helpers/fake-gateway.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-host-idem-'));
let fake: FakeGateway;
let host: NodeHost;
let runs = 0;
let release: (() => void) | undefined;
const results = new Map<string, FakeRequest['params']>();
let seq = 0;

const echo: NodeCommand = { name: 'test.echo', summary: 'echoes its params', run: async (p) => ({ echoed: p, run: ++runs }) };
const hold: NodeCommand = { name: 'test.hold', summary: 'waits until released', run: () => new Promise((r) => { release = () => r({ released: true }); }) };

/** Sends one invoke to the node host and waits for its node.invoke.result. */
async function invoke(command: string, params: unknown, idempotencyKey?: string): Promise<any> {
  const id = `inv-${++seq}`;
  const ws = fake.sockets[0] as WebSocket;
  fake.send(ws, { type: 'event', event: 'node.invoke.request', payload: { id, nodeId: host.nodeId, command, paramsJSON: JSON.stringify(params), timeoutMs: 5_000, ...(idempotencyKey ? { idempotencyKey } : {}) } });
  await until(() => results.has(id), 5_000, `node.invoke.result for ${id}`);
  return results.get(id);
}

beforeAll(async () => {
  fake = await startFakeGateway({
    onRequest: (req) => {
      if (req.method === 'node.invoke.result') results.set(req.params.id, req.params);
      return { ok: true };
    },
  });
  host = new NodeHost({ url: fake.url, token: 'fake-token', identityDir: dir, extraCommands: [echo, hold], maxConcurrent: 1, log: () => {} });
  await host.start();
});
afterAll(async () => {
  await host.stop();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('node host idempotency keys', () => {
  it('answers a repeated request (same key, command and params) from memory without running it again', async () => {
    const first = await invoke('test.echo', { a: 1 }, 'key-repeat');
    const again = await invoke('test.echo', { a: 1 }, 'key-repeat');
    expect(JSON.parse(first.payloadJSON)).toEqual({ echoed: { a: 1 }, run: 1 });
    expect(again.payloadJSON).toBe(first.payloadJSON);
    expect(runs).toBe(1);
  });

  it('refuses the same key with other params or another command, and never hands out the first answer', async () => {
    const first = await invoke('test.echo', { who: 'a' }, 'key-shared');
    const other = await invoke('test.echo', { who: 'b' }, 'key-shared');
    expect(JSON.parse(first.payloadJSON).echoed).toEqual({ who: 'a' });
    expect(other).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/idempotency key already used for another request.*send a new idempotencyKey/) } });
    expect(other.payloadJSON).toBeUndefined();
    const otherCommand = await invoke('test.hold', { who: 'a' }, 'key-shared');
    expect(otherCommand).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    // Different keys run separately.
    expect(JSON.parse((await invoke('test.echo', { who: 'b' }, 'key-other')).payloadJSON).echoed).toEqual({ who: 'b' });
  });

  it('does not remember a "busy" answer, so a retry with the same key runs', async () => {
    const held = invoke('test.hold', {}, 'key-hold');
    await until(() => release !== undefined, 1_000, 'test.hold running');
    const busy = await invoke('test.echo', { n: 1 }, 'key-busy');
    expect(busy).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/node busy/) } });
    release!();
    expect((await held).ok).toBe(true);
    const retried = await invoke('test.echo', { n: 1 }, 'key-busy');
    expect(retried.ok).toBe(true);
    expect(JSON.parse(retried.payloadJSON).echoed).toEqual({ n: 1 });
  });
});
