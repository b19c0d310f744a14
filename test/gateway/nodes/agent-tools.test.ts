// The agent's hands: a real node host connected to a real gateway offers its commands as tools in
// services.agentTools; the agent loop (real OpenAI provider against the fake server) calls
// system_run on the named node — once approved by an operator (the real `uname -a` output goes
// back to the model), once denied (the model is told, nothing runs).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExecApprovalEntry } from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk/node';
import { NodeHost } from '@switchboard/nodes';
import { runAgentLoop, type AgentLoopEvent } from '../../../gateway/src/agent/loop.js';
import { OpenAIProvider } from '../../../gateway/src/agent/providers/openai.js';
import { sse, startFakeOpenAI, type FakeOpenAI } from '../../helpers/fake-openai.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { nodeHostLog, noteNodeHostTokens } from '../../helpers/node.js';

let gw: TestGateway;
let op: GatewayClient;
let fake: FakeOpenAI;
let host: NodeHost;
let decide: (entry: ExecApprovalEntry) => 'allow-once' | 'deny' | undefined;
const asked: ExecApprovalEntry[] = [];
const hostLog: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'switchboard-agent-node-'));

beforeAll(async () => {
  gw = await startTestGateway({ extra: { nodes: { approvalTimeoutMs: 10_000 } } });
  fake = await startFakeOpenAI();
  op = await gw.connect();
  op.on('exec.approval.requested', (entry) => {
    asked.push(entry);
    const decision = decide(entry);
    if (decision) void op.call('exec.approval.resolve', { id: entry.id, decision });
  });
  host = new NodeHost({ url: gw.url, token: gw.token, identityDir: dir, displayName: 'lab-node', log: nodeHostLog(hostLog) });
  await host.start();
  noteNodeHostTokens(dir);
});
afterAll(async () => {
  await host.stop();
  await gw.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

async function agentRun(toolArgs: Record<string, unknown>, signal = new AbortController().signal): Promise<{ events: AgentLoopEvent[]; text: string }> {
  fake.enqueue(
    sse.toolCalls([{ id: 'call_run', name: 'system_run', args: JSON.stringify(toolArgs) }]),
    sse.text(['All done.']),
  );
  const events: AgentLoopEvent[] = [];
  const provider = new OpenAIProvider({ baseUrl: fake.baseUrl, model: 'fake-model', env: {}, retry: { baseDelayMs: 5 } });
  const result = await runAgentLoop({
    provider, tools: gw.gateway.services.agentTools, signal,
    request: { messages: [{ role: 'user', content: 'what kernel does lab-node run?' }] },
  }, (e) => events.push(e));
  return { events, text: result.text };
}

/** The tool message the model received in its second request. */
const toolMessage = () => fake.requests[1].body.messages.find((m: { role: string }) => m.role === 'tool');

describe('node commands as agent tools', () => {
  it('offers the connected node\'s commands as tools that name the node', () => {
    const defs = gw.gateway.services.agentTools.definitions();
    const run = defs.find((d) => d.name === 'system_run')!;
    expect(defs.map((d) => d.name)).toEqual(expect.arrayContaining(['system_run', 'system_which', 'system_notify']));
    expect(run.description).toMatch(/lab-node/);
    expect(run.parameters).toMatchObject({ required: ['node', 'command'], properties: { node: { type: 'string' }, command: { type: 'array' } } });
  });

  it('runs `uname -a` on the node after an operator approves it, and hands the real output to the model', async () => {
    decide = () => 'allow-once';
    const { events, text } = await agentRun({ node: 'lab-node', command: ['uname', '-a'] });
    expect(text).toBe('All done.');
    const entry = asked[asked.length - 1];
    expect(entry.request).toMatchObject({ command: 'uname -a', commandArgv: ['uname', '-a'], nodeId: host.nodeId, nodeName: 'lab-node', requestedBy: 'agent' });
    const update = events.find((e) => e.type === 'tool' && e.phase === 'update');
    expect(update).toMatchObject({ partialResult: { status: 'waiting for an operator to approve', approvalId: entry.id } });
    const result = events.find((e) => e.type === 'tool' && e.phase === 'result') as Extract<AgentLoopEvent, { type: 'tool'; phase: 'result' }>;
    expect(result.isError).toBe(false);
    const expected = execFileSync('uname', ['-a'], { encoding: 'utf8' });
    expect(result.result).toMatchObject({ exitCode: 0, success: true, stdout: expected, timedOut: false });
    expect(JSON.parse(toolMessage().content)).toMatchObject({ exitCode: 0, stdout: expected });
    expect(hostLog.some((l) => l.includes('system.run "uname"'))).toBe(true);
  });

  it('tells the model when the operator denies it, and nothing runs on the node', async () => {
    decide = () => 'deny';
    const ranBefore = hostLog.filter((l) => l.includes('system.run')).length;
    const { events } = await agentRun({ node: host.nodeId.slice(0, 10), command: ['uname', '-a'] });
    const result = events.find((e) => e.type === 'tool' && e.phase === 'result') as Extract<AgentLoopEvent, { type: 'tool'; phase: 'result' }>;
    expect(result).toMatchObject({ isError: true, errorCode: 'failed' });
    expect(toolMessage().content).toMatch(/^error: tool "system_run" failed: an operator denied `uname -a` on node lab-node; it was not run/);
    expect(hostLog.filter((l) => l.includes('system.run')).length).toBe(ranBefore);
    const { approvals } = await op.call('exec.approval.history', { limit: 2 });
    expect(approvals.map((a) => a.decision)).toEqual(['deny', 'allow-once']);
  });

  it('cancels the approval when the run is aborted while it waits (recorded, nothing runs)', async () => {
    decide = () => undefined;
    const abort = new AbortController();
    const before = asked.length;
    const run = agentRun({ node: 'lab-node', command: ['uname', '-r'] }, abort.signal);
    for (let i = 0; i < 200 && asked.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    const { events } = await run;
    const result = events.find((e) => e.type === 'tool' && e.phase === 'result');
    expect(result).toMatchObject({ isError: true, interrupted: true });
    const { approvals } = await op.call('exec.approval.history', { limit: 1 });
    expect(approvals[0]).toMatchObject({ id: asked[before].id, decision: 'deny', ending: 'cancelled', request: { command: 'uname -r' } });
    expect(await op.call('exec.approval.list')).toEqual([]);
  });

  it('keeps the model\'s call ids apart across runs: the same call id in another run gets its own answer', async () => {
    const which = async (bin: string, run?: { runId: string; sessionKey: string }) => {
      fake.reset();
      fake.enqueue(sse.toolCalls([{ id: 'call_same', name: 'system_which', args: JSON.stringify({ node: 'lab-node', bins: [bin] }) }]), sse.text(['ok']));
      const events: AgentLoopEvent[] = [];
      const provider = new OpenAIProvider({ baseUrl: fake.baseUrl, model: 'fake-model', env: {}, retry: { baseDelayMs: 5 } });
      await runAgentLoop({ provider, tools: gw.gateway.services.agentTools, signal: new AbortController().signal, request: { messages: [{ role: 'user', content: 'which?' }] }, ...(run ? { run } : {}) }, (e) => events.push(e));
      return (events.find((e) => e.type === 'tool' && e.phase === 'result') as Extract<AgentLoopEvent, { type: 'tool'; phase: 'result' }>).result;
    };
    expect(await which('ls', { runId: 'run-1', sessionKey: 'webchat:a' })).toEqual({ bins: { ls: expect.stringMatching(/\/ls$/) } });
    expect(await which('sh', { runId: 'run-2', sessionKey: 'webchat:a' })).toEqual({ bins: { sh: expect.stringMatching(/\/sh$/) } });
    expect(await which('cat')).toEqual({ bins: { cat: expect.stringMatching(/\/cat$/) } });
    expect(await which('env')).toEqual({ bins: { env: expect.stringMatching(/\/env$/) } });
  });

  it('reports an unknown node to the model with the nodes it could use', async () => {
    const { events } = await agentRun({ node: 'nowhere', command: ['true'] });
    const result = events.find((e) => e.type === 'tool' && e.phase === 'result') as Extract<AgentLoopEvent, { type: 'tool'; phase: 'result' }>;
    expect(result.isError).toBe(true);
    expect(String(result.result)).toMatch(/no node is called "nowhere".*lab-node/);
  });

  it('removes the tools when the node disconnects', async () => {
    const before = gw.gateway.services.agentTools.definitions().length;
    await host.stop();
    for (let i = 0; i < 100 && gw.gateway.services.agentTools.has('system_run'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(gw.gateway.services.agentTools.has('system_run')).toBe(false);
    expect(gw.gateway.services.agentTools.definitions().length).toBe(before - 3);
  });
});
