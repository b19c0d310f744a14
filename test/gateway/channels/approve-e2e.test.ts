// /approve typed in a chat answers the exec approval of the agent run in that same chat, end to
// end: a real node host, the real OpenAI provider against the fake model server asking for
// system_run, chat.send (WebChat) or a Telegram message (fake Bot API) → the run manager → the
// agent loop → the node tool → an approval recorded with the chat's session key and the run id →
// `/approve` in the chat → the program runs on the node and its output reaches the transcript and
// the reply.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExecApprovalEntry } from '@switchboard/protocol';
import { NodeHost } from '@switchboard/nodes';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sse, startFakeOpenAI, type FakeOpenAI } from '../../helpers/fake-openai.js';
import { startFakeTelegram, type FakeTelegram } from '../../helpers/fake-telegram.js';
import { nodeHostLog, noteNodeHostTokens } from '../../helpers/node.js';
import { messageText, recordRuns } from '../../helpers/run-events.js';
import { noteSecret } from '../../helpers/secrets.js';
import { until } from '../../helpers/wait.js';

let fake: FakeOpenAI;
let gw: TestGateway | undefined;
let tg: FakeTelegram | undefined;
let host: NodeHost | undefined;
const root = mkdtempSync(join(tmpdir(), 'switchboard-approve-e2e-'));
let n = 0;

beforeAll(async () => { fake = await startFakeOpenAI(); });
afterAll(async () => {
  await fake.close();
  rmSync(root, { recursive: true, force: true });
});
afterEach(async () => {
  await host?.stop();
  await gw?.close();
  await tg?.close();
  host = undefined;
  gw = undefined;
  tg = undefined;
  fake.reset();
});

/** Starts a gateway whose agent is the fake model, plus a node host called `lab-node`. */
async function start(extra: Record<string, unknown> = {}): Promise<{ gw: TestGateway; host: NodeHost }> {
  gw = await startTestGateway({ extra: { agent: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model' }, nodes: { approvalTimeoutMs: 20_000 }, ...extra } as never });
  const identityDir = join(root, `node-${++n}`);
  host = new NodeHost({ url: gw.url, token: gw.token, identityDir, displayName: 'lab-node', log: nodeHostLog() });
  await host.start();
  noteNodeHostTokens(identityDir);
  await until(() => gw!.gateway.services.agentTools.has('system_run'), 5_000, 'the system_run tool');
  // The model asks for the tool once, then answers with what the tool returned.
  fake.enqueue(
    sse.toolCalls([{ id: 'call_1', name: 'system_run', args: JSON.stringify({ node: 'lab-node', command: ['echo', 'approved output'] }) }]),
    (req) => {
      const tool = req.body.messages.find((m: { role: string }) => m.role === 'tool');
      return sse.text([`The node said: ${JSON.parse(tool.content).stdout.trim()}`]);
    },
  );
  return { gw, host };
}

/** The one pending approval, once it exists. */
async function pendingApproval(g: TestGateway): Promise<ExecApprovalEntry> {
  await until(() => g.gateway.services.nodes.approvals.list().length === 1, 10_000, 'an exec approval');
  return g.gateway.services.nodes.approvals.list()[0];
}

describe('/approve in the chat that asked', () => {
  it('WebChat: chat.send → run → system_run waits for approval → /approve in the same chat → the output reaches the transcript and the reply', async () => {
    const { gw: g, host: node } = await start();
    const client = await g.connect();
    const runs = recordRuns(client);
    const ack = await client.call('chat.send', { sessionKey: 'main', message: 'say something on lab-node', idempotencyKey: 'ask-1' });
    if (!('runId' in ack)) throw new Error('expected a run');
    const entry = await pendingApproval(g);
    expect(entry.request).toMatchObject({ command: "echo 'approved output'", nodeId: node.nodeId, requestedBy: 'agent', sessionKey: 'agent:main:main', runId: ack.runId });
    const approved = await client.call('chat.send', { sessionKey: 'main', message: '/approve', idempotencyKey: 'approve-1' });
    expect(approved).toEqual({ runId: 'cmd-approve-1', status: 'completed' });
    expect(messageText(await runs.ended('cmd-approve-1'))).toBe("Approved: echo 'approved output'");
    const final = await runs.ended(ack.runId);
    expect(final.state).toBe('final');
    expect(messageText(final)).toBe('The node said: approved output');
    const history = await client.call('chat.history', { sessionKey: 'main' });
    const tool = history.messages.find((m) => m.role === 'toolResult' || m.role === 'tool');
    expect(JSON.stringify(tool)).toContain('approved output');
    expect(runs.invalid).toEqual([]);
  });

  it('Telegram: a message from an approver → run → approval → /approve in that chat → the output reaches the chat', async () => {
    tg = await startFakeTelegram();
    noteSecret(tg.token);
    const { gw: g } = await start({
      channels: { telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, allowFrom: ['42'], approvers: ['42'], streaming: { enabled: false } } },
    });
    await until(() => g.gateway.services.channels.status().channelAccounts.telegram[0].state === 'connected', 10_000, 'telegram connected');
    tg.message({ chatId: 42, text: 'say something on lab-node' });
    const entry = await pendingApproval(g);
    expect(entry.request).toMatchObject({ requestedBy: 'agent', sessionKey: 'agent:main:telegram:direct:42', runId: expect.any(String) });
    tg.message({ chatId: 42, text: '/approve' });
    await tg.waitFor((f) => f.texts(42).some((t) => t.includes('The node said: approved output')), 15_000, 'the run\'s answer');
    expect(tg.texts(42)).toContain("Approved: echo 'approved output'");
  });
});
