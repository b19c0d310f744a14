// Exec approvals end to end: system.run on a node waits for an operator holding operator.approvals;
// allow-once, allow-always (persisted), deny, no decision (deny), the allowlist, and the record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, type ExecApprovalEntry } from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk/node';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { connectRawNode, expectNoEvent, type RawNode } from '../../helpers/node.js';
import { newDevice } from '../../helpers/device.js';

let gw: TestGateway;
let op: GatewayClient;
let key = 0;
const idem = () => `a-${++key}`;
const requested: ExecApprovalEntry[] = [];
const resolved: any[] = [];

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error('expected a failure');
}

/** Resolves with the next exec.approval.requested the operator sees. */
function nextRequested(): Promise<ExecApprovalEntry> {
  const seen = requested.length;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no exec.approval.requested')), 5_000);
    const check = setInterval(() => {
      if (requested.length > seen) {
        clearTimeout(t);
        clearInterval(check);
        resolve(requested[seen]);
      }
    }, 5);
  });
}

function run(node: RawNode, params: Record<string, unknown>) {
  return op.call('node.invoke', { nodeId: node.nodeId, command: 'system.run', params, idempotencyKey: idem() });
}

const allowlisted = newDevice();

async function connectOperator(): Promise<GatewayClient> {
  const c = await gw.connect();
  c.on('exec.approval.requested', (p) => requested.push(p));
  c.on('exec.approval.resolved', (p) => resolved.push(p));
  return c;
}

beforeAll(async () => {
  gw = await startTestGateway({
    extra: { nodes: { approvalTimeoutMs: 1500, maxPendingApprovals: 3, execAllowlist: { [allowlisted.deviceId]: [['echo', 'fine'], { command: ['make', 'test'], cwd: '/src' }], 'named box': [['true']] } } },
  });
  op = await connectOperator();
});
afterAll(() => gw.close());

describe('exec approvals', () => {
  it('asks operators with operator.approvals (only them), then runs the command once allowed', async () => {
    const writer = await gw.rawConnected({ scopes: ['operator.read', 'operator.write'] });
    const node = await connectRawNode(gw, { displayName: 'lab' });
    const call = run(node, { command: ['uname', '-a'], cwd: '/tmp' });
    const ask = await nextRequested();
    expect(ask).toMatchObject({
      approvalKind: 'exec',
      request: { command: 'uname -a', commandArgv: ['uname', '-a'], cwd: '/tmp', nodeId: node.nodeId, nodeName: 'lab', host: 'node', requestedBy: 'operator' },
    });
    expect(ask.expiresAtMs - ask.createdAtMs).toBe(1500);
    expect(await op.call('exec.approval.list')).toEqual([ask]);
    // Nothing reached the node before the decision.
    await expectNoEvent(node.raw, 'node.invoke.request', 50);
    await op.call('exec.approval.resolve', { id: ask.id, decision: 'allow-once' });
    const req = await node.nextInvoke();
    expect(JSON.parse(req.paramsJSON)).toEqual({ command: ['uname', '-a'], cwd: '/tmp' });
    await node.answer(req, { ok: true, payloadJSON: JSON.stringify({ exitCode: 0, stdout: 'Linux\n', success: true }) });
    expect((await call).payload).toMatchObject({ exitCode: 0, stdout: 'Linux\n' });
    expect(resolved.find((r) => r.id === ask.id)).toMatchObject({ decision: 'allow-once', ending: 'decided', request: { command: 'uname -a' } });
    await expectNoEvent(writer, 'exec.approval.requested', 50);
    await expectNoEvent(writer, 'exec.approval.resolved', 0);
    writer.terminate();
    node.raw.terminate();
  });

  it('does not run a denied command: FORBIDDEN EXEC_APPROVAL_DENIED', async () => {
    const node = await connectRawNode(gw);
    const call = run(node, { command: ['rm', '-rf', '/tmp/nothing here'] });
    const ask = await nextRequested();
    expect(ask.request.command).toBe(`rm -rf '/tmp/nothing here'`);
    await op.call('exec.approval.resolve', { id: ask.id, decision: 'deny' });
    const err = await failure(call);
    expect(err).toMatchObject({ code: 'FORBIDDEN', retryable: false, details: { code: 'EXEC_APPROVAL_DENIED', approvalId: ask.id } });
    expect(err.message).toMatch(/an operator denied `rm -rf '\/tmp\/nothing here'`/);
    await expectNoEvent(node.raw, 'node.invoke.request', 100);
    node.raw.terminate();
  });

  it('denies when nobody decides in time (EXEC_APPROVAL_TIMEOUT) and announces the expiry', async () => {
    const node = await connectRawNode(gw);
    const call = run(node, { command: ['sleep', '1'] });
    const ask = await nextRequested();
    const err = await failure(call);
    expect(err).toMatchObject({ code: 'FORBIDDEN', details: { code: 'EXEC_APPROVAL_TIMEOUT', approvalId: ask.id } });
    expect(resolved.find((r) => r.id === ask.id)).toMatchObject({ decision: 'deny', ending: 'expired', resolvedBy: 'timeout' });
    expect(await op.call('exec.approval.list')).toEqual([]);
    const late = await failure(op.call('exec.approval.resolve', { id: ask.id, decision: 'allow-once' }));
    expect(late).toMatchObject({ code: 'APPROVAL_NOT_FOUND' });
    node.raw.terminate();
  });

  it('runs allowlisted commands (config, by id or operator label) without asking — unless the call sets env', async () => {
    const node = await connectRawNode(gw, { device: allowlisted });
    const call = run(node, { command: ['echo', 'fine'] });
    await node.answer(await node.nextInvoke(), { ok: true, payloadJSON: '{"stdout":"fine\\n"}' });
    expect((await call).payload).toEqual({ stdout: 'fine\n' });
    // Config keys match the label an operator set, not the name a node reports for itself.
    const named = await connectRawNode(gw, { displayName: 'Named Box' });
    const selfNamed = run(named, { command: ['true'] });
    const asked = await nextRequested();
    expect(asked.request).toMatchObject({ command: 'true', nodeId: named.nodeId });
    await op.call('exec.approval.resolve', { id: asked.id, decision: 'deny' });
    expect((await failure(selfNamed)).details).toMatchObject({ code: 'EXEC_APPROVAL_DENIED' });
    await op.call('node.rename', { nodeId: named.nodeId, displayName: 'named box' });
    const t = run(named, { command: ['true'] });
    await named.answer(await named.nextInvoke(), { ok: true, payloadJSON: '{}' });
    await t;
    const withEnv = run(node, { command: ['echo', 'fine'], env: { LD_PRELOAD: '/tmp/x.so' } });
    const ask = await nextRequested();
    expect(ask.request.envKeys).toEqual(['LD_PRELOAD']);
    await op.call('exec.approval.resolve', { id: ask.id, decision: 'deny' });
    expect((await failure(withEnv)).details).toMatchObject({ code: 'EXEC_APPROVAL_DENIED' });
    expect((await op.call('node.describe', { nodeId: node.nodeId })).execAllowlist).toEqual([['echo', 'fine'], { command: ['make', 'test'], cwd: '/src' }]);
    node.raw.terminate();
    named.raw.terminate();
  });

  it('binds allowlist entries to the working directory: an argv alone only without a cwd, {command, cwd} only there; allow-always too', async () => {
    const node = await connectRawNode(gw, { device: allowlisted });
    const askedFor = async (params: Record<string, unknown>, decision: 'deny' | 'allow-always' = 'deny') => {
      const call = run(node, params);
      const ask = await nextRequested();
      await op.call('exec.approval.resolve', { id: ask.id, decision });
      if (decision === 'deny') await failure(call);
      else {
        await node.answer(await node.nextInvoke(), { ok: true, payloadJSON: '{}' });
        await call;
      }
      return ask.request;
    };
    const runsUnasked = async (params: Record<string, unknown>) => {
      const call = run(node, params);
      const req = await node.nextInvoke();
      expect(JSON.parse(req.paramsJSON)).toEqual(params);
      await node.answer(req, { ok: true, payloadJSON: '{}' });
      await call;
    };
    // ["echo", "fine"] is allowlisted without a cwd: naming any cwd needs an approval.
    expect(await askedFor({ command: ['echo', 'fine'], cwd: '/etc' })).toMatchObject({ command: 'echo fine', cwd: '/etc' });
    // {command: ["make", "test"], cwd: "/src"}: runs in /src only.
    await runsUnasked({ command: ['make', 'test'], cwd: '/src' });
    expect(await askedFor({ command: ['make', 'test'], cwd: '/home/someone' })).toMatchObject({ cwd: '/home/someone' });
    expect(await askedFor({ command: ['make', 'test'] })).toMatchObject({ cwd: null });
    // allow-always remembers the cwd it was given.
    await askedFor({ command: ['make', 'lint'], cwd: '/src' }, 'allow-always');
    await runsUnasked({ command: ['make', 'lint'], cwd: '/src' });
    expect(await askedFor({ command: ['make', 'lint'], cwd: '/' })).toMatchObject({ cwd: '/' });
    expect((await op.call('node.describe', { nodeId: node.nodeId })).execAllowlist).toContainEqual({ command: ['make', 'lint'], cwd: '/src' });
    node.raw.terminate();
  });

  it('refuses system.run params the approval could not show (a shell string, unknown fields)', async () => {
    const node = await connectRawNode(gw);
    for (const params of [{ command: 'uname -a' }, { command: ['uname'], rawCommand: 'uname; rm -rf ~' }, {}, { command: [] }]) {
      const err = await failure(run(node, params));
      expect(err.code).toBe('INVALID_REQUEST');
      expect(err.message).toMatch(/invalid system.run params/);
    }
    expect(await op.call('exec.approval.list')).toEqual([]);
    node.raw.terminate();
  });

  it('answers repeated and conflicting decisions, and bounds waiting approvals', async () => {
    const node = await connectRawNode(gw);
    const calls = [1, 2, 3].map((i) => run(node, { command: ['echo', String(i)] }).catch((e) => e));
    while ((await op.call('exec.approval.list')).length < 3) await new Promise((r) => setTimeout(r, 10));
    const fourth = await failure(run(node, { command: ['echo', '4'] }));
    expect(fourth).toMatchObject({ code: 'UNAVAILABLE', details: { code: 'NODE_INVOKES_FULL' } });
    const [first] = await op.call('exec.approval.list');
    await op.call('exec.approval.resolve', { id: first.id, decision: 'deny' });
    expect(await op.call('exec.approval.resolve', { id: first.id, decision: 'deny' })).toEqual({ ok: true });
    expect(await failure(op.call('exec.approval.resolve', { id: first.id, decision: 'allow-once' }))).toMatchObject({ code: 'APPROVAL_NOT_FOUND' });
    expect(await failure(op.call('exec.approval.resolve', { id: 'no-such-id', decision: 'deny' }))).toMatchObject({ code: 'APPROVAL_NOT_FOUND' });
    await Promise.all(calls);
    node.raw.terminate();
  });

  it('needs operator.approvals to list or decide', async () => {
    const writer = await gw.connect({ scopes: ['operator.write'] });
    expect((await failure(writer.call('exec.approval.list'))).details).toMatchObject({ missingScope: 'operator.approvals' });
    expect((await failure(writer.call('exec.approval.resolve', { id: 'x', decision: 'deny' }))).details).toMatchObject({ missingScope: 'operator.approvals' });
    writer.close();
  });

  it('allow-always allowlists the exact argv for that node, persisted across a restart; everything is in the record', async () => {
    const device = newDevice();
    let node = await connectRawNode(gw, { device });
    const first = run(node, { command: ['uptime'] });
    const ask = await nextRequested();
    await op.call('exec.approval.resolve', { id: ask.id, decision: 'allow-always' });
    await node.answer(await node.nextInvoke(), { ok: true, payloadJSON: '{}' });
    await first;
    const again = run(node, { command: ['uptime'] });
    await node.answer(await node.nextInvoke(), { ok: true, payloadJSON: '{}' });
    await again;

    op.close();
    await gw.restart();
    op = await connectOperator();
    node = await connectRawNode(gw, { device });
    const after = run(node, { command: ['uptime'] });
    await node.answer(await node.nextInvoke(), { ok: true, payloadJSON: '{"up":true}' });
    expect((await after).payload).toEqual({ up: true });
    // A different argv still asks.
    const other = run(node, { command: ['uptime', '-p'] });
    const ask2 = await nextRequested();
    await op.call('exec.approval.resolve', { id: ask2.id, decision: 'deny' });
    await failure(other);

    const { approvals } = await op.call('exec.approval.history', { limit: 500 });
    expect(approvals[0]).toMatchObject({ id: ask2.id, decision: 'deny', ending: 'decided', request: { command: 'uptime -p' } });
    expect(approvals.find((a) => a.id === ask.id)).toMatchObject({ decision: 'allow-always', ending: 'decided', resolvedBy: expect.any(String), resolvedAtMs: expect.any(Number) });
    const endings = new Set(approvals.map((a) => a.ending));
    expect([...endings].sort()).toEqual(['decided', 'expired']);
    expect(approvals.every((a) => a.decision !== null)).toBe(true);
    node.raw.terminate();
  });

  it('cancels waiting approvals when the gateway stops (recorded as cancelled, deny)', async () => {
    const node = await connectRawNode(gw);
    const call = run(node, { command: ['echo', 'never'] }).catch((e) => e);
    const ask = await nextRequested();
    op.close();
    await gw.restart();
    const err = await call;
    expect(err).toBeInstanceOf(GatewayError);
    op = await connectOperator();
    const { approvals } = await op.call('exec.approval.history', {});
    expect(approvals.find((a) => a.id === ask.id)).toMatchObject({ decision: 'deny', ending: 'cancelled', resolvedBy: 'gateway stopping' });
  });
});
