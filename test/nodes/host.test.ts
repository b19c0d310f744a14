// The headless node host against a real gateway: pairing on loopback, what it declares, invokes,
// the idempotency key, cancel on timeout, "busy", reconnecting after a gateway restart, and
// retrying a refused connect.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk/node';
import { NodeHost, type NodeCommand } from '@switchboard/nodes';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { nodeHostLog, noteNodeHostTokens } from '../helpers/node.js';
import { newDevice } from '../helpers/device.js';

const root = mkdtempSync(join(tmpdir(), 'switchboard-host-'));
let gw: TestGateway;
let op: GatewayClient;
let n = 0;
const hosts: NodeHost[] = [];
let counted = 0;
let cancelled = 0;

const counter: NodeCommand = { name: 'test.count', summary: 'counts its runs', run: async () => ({ count: ++counted }) };
const waiter: NodeCommand = {
  name: 'test.wait',
  summary: 'waits until cancelled',
  run: (_p, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => {
    cancelled++;
    resolve({ cancelled: true });
  })),
};

async function startHost(over: Partial<ConstructorParameters<typeof NodeHost>[0]> = {}, lines: string[] = []): Promise<NodeHost> {
  const identityDir = join(root, `node-${++n}`);
  const host = new NodeHost({ url: gw.url, token: gw.token, identityDir, log: nodeHostLog(lines), backoff: { initialMs: 50, maxMs: 200, jitter: 0 }, ...over });
  hosts.push(host);
  await host.start();
  noteNodeHostTokens(identityDir);
  return host;
}

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error('expected a failure');
}

const invoke = (nodeId: string, command: string, params: unknown = {}, extra: Record<string, unknown> = {}) =>
  op.call('node.invoke', { nodeId, command, params, idempotencyKey: `h-${Math.random()}`, ...extra });

beforeAll(async () => {
  gw = await startTestGateway({ extra: { nodes: { allowCommands: ['test.count', 'test.wait'] } } });
  op = await gw.connect();
});
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await gw.close();
  rmSync(root, { recursive: true, force: true });
});

describe('node host', () => {
  it('pairs on loopback and declares its platform, caps, commands and permissions; keeps its identity in a 0600 file', async () => {
    const host = await startHost({ displayName: 'desk' });
    expect(host.state).toBe('connected');
    const entry = (await op.call('node.list')).nodes.find((x) => x.nodeId === host.nodeId)!;
    expect(entry).toMatchObject({
      connected: true, paired: true, displayName: 'desk', platform: 'linux', deviceFamily: 'Linux', clientId: 'node-host', clientMode: 'node',
      caps: ['system'], commands: ['system.run', 'system.which', 'system.notify'], invocableCommands: ['system.run', 'system.which', 'system.notify'],
      permissions: { 'system.run': true, 'system.notify.desktop': expect.any(Boolean) },
    });
    expect(entry.pathEnv).toBe(process.env.PATH);
    const file = join(root, `node-${n}`, 'node.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).deviceId).toBe(host.nodeId);
  });

  it('answers system.which and system.run (after approval) with real results', async () => {
    const host = await startHost();
    const which = await invoke(host.nodeId, 'system.which', { bins: ['sh', 'definitely-not-here'] });
    expect(which.payload).toEqual({ bins: { sh: expect.stringMatching(/\/sh$/) } });
    const unsub = op.on('exec.approval.requested', (e) => void op.call('exec.approval.resolve', { id: e.id, decision: 'allow-once' }));
    const ran = await invoke(host.nodeId, 'system.run', { command: ['echo', 'hello from the node'] });
    unsub();
    expect(ran.payload).toMatchObject({ exitCode: 0, stdout: 'hello from the node\n', success: true });
  });

  it('offers only --commands, and refuses unknown names up front', async () => {
    const host = await startHost({ commands: ['system.which'] });
    expect((await op.call('node.list')).nodes.find((x) => x.nodeId === host.nodeId)?.commands).toEqual(['system.which']);
    expect((await failure(invoke(host.nodeId, 'system.run', { command: ['true'] }))).details).toMatchObject({ reason: 'not-declared' });
    expect(() => new NodeHost({ url: gw.url, identityDir: join(root, 'x'), commands: ['system.fly'] })).toThrow(/unknown node command "system.fly".*system.run, system.which, system.notify/);
  });

  it('runs a repeated idempotency key once and answers it again', async () => {
    const host = await startHost({ extraCommands: [counter] });
    const first = await invoke(host.nodeId, 'test.count', {}, { idempotencyKey: 'same-key' });
    const second = await invoke(host.nodeId, 'test.count', {}, { idempotencyKey: 'same-key' });
    expect(first.payload).toEqual({ count: 1 });
    expect(second.payload).toEqual({ count: 1 });
    expect(counted).toBe(1);
  });

  it('keeps operators\' idempotency keys apart: the same key from another operator gets its own answer', async () => {
    const host = await startHost();
    const a = await gw.connect({ device: newDevice() });
    const b = await gw.connect({ device: newDevice() });
    const ask = (c: GatewayClient, bin: string) => c.call('node.invoke', { nodeId: host.nodeId, command: 'system.which', params: { bins: [bin] }, idempotencyKey: 'op-shared-key' });
    expect((await ask(a, 'ls')).payload).toEqual({ bins: { ls: expect.stringMatching(/\/ls$/) } });
    expect((await ask(b, 'sh')).payload).toEqual({ bins: { sh: expect.stringMatching(/\/sh$/) } });
    // A's retry still gets A's answer.
    expect((await ask(a, 'ls')).payload).toEqual({ bins: { ls: expect.stringMatching(/\/ls$/) } });
    a.close();
    b.close();
  });

  it('stops a command when the gateway gives up on it, and says "busy" beyond maxConcurrent', async () => {
    const host = await startHost({ extraCommands: [waiter], maxConcurrent: 1 });
    const slow = invoke(host.nodeId, 'test.wait', {}, { timeoutMs: 500 });
    await new Promise((r) => setTimeout(r, 100));
    const busy = await failure(invoke(host.nodeId, 'test.wait'));
    expect(busy).toMatchObject({ code: 'UNAVAILABLE', details: { code: 'NODE_INVOKE_FAILED', nodeError: { code: 'UNAVAILABLE', message: expect.stringMatching(/node busy/) } } });
    expect((await failure(slow)).details).toMatchObject({ code: 'NODE_INVOKE_TIMEOUT' });
    for (let i = 0; i < 100 && cancelled === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(cancelled).toBe(1);
  });

  it('reconnects by itself after the gateway restarts, with the same node id', async () => {
    const lines: string[] = [];
    const host = await startHost({}, lines);
    op.close();
    await gw.restart();
    op = await gw.connect();
    for (let i = 0; i < 200; i++) {
      const entry = (await op.call('node.list')).nodes.find((x) => x.nodeId === host.nodeId);
      if (entry?.connected && host.state === 'connected') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(host.state).toBe('connected');
    expect((await invoke(host.nodeId, 'system.which', { bins: ['sh'] })).ok).toBe(true);
    expect(lines).toContain('node host: connection lost; reconnecting');
  });

  it('retries a refused connect (wrong token) and logs why, until stopped', async () => {
    const lines: string[] = [];
    const host = new NodeHost({ url: gw.url, token: 'wrong-token-0123456789', identityDir: join(root, 'refused'), log: nodeHostLog(lines), backoff: { initialMs: 100, maxMs: 100, jitter: 0 } });
    const started = host.start();
    for (let i = 0; i < 100 && lines.filter((l) => l.includes('retrying')).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(lines.filter((l) => l.includes('the gateway refused the connection')).length).toBeGreaterThanOrEqual(2);
    expect(lines.join('\n')).not.toContain('wrong-token-0123456789');
    await host.stop();
    await expect(started).rejects.toThrow(/stopped/);
    await host.stop();
    expect(host.state).toBe('stopped');
  });
});
