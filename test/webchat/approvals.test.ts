// The WebChat's exec approvals, in real headless Chromium (Debian /usr/bin/chromium, playwright-core)
// against a real gateway serving the built WebChat: a system.run on a node shows up with Approve /
// Deny buttons, clicking them decides it (the command runs, or is refused), and a page without the
// gateway token — read/write only — shows how to sign in instead. Build first (`pnpm build`).
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { GatewayError } from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk/node';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { connectRawNode, type RawNode } from '../helpers/node.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe('WebChat exec approvals', () => {
  let gw: TestGateway;
  let op: GatewayClient;
  let browser: Browser;
  let node: RawNode;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (pnpm test does it when allowed)`);
    gw = await startTestGateway();
    op = await gw.connect();
    node = await connectRawNode(gw, { displayName: 'workbench' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    node?.raw.terminate();
    await gw?.close();
  });

  /** Opens the WebChat; with `token`, as a user who signed in with the gateway token. */
  async function open(token?: string): Promise<Page> {
    const page = await browser.newPage();
    if (token) await page.addInitScript((t) => localStorage.setItem('switchboard.gatewayToken', t), token);
    await page.goto(`http://127.0.0.1:${gw.gateway.port}/`);
    await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor({ timeout: 15_000 });
    return page;
  }

  const run = (argv: string[]) => op.call('node.invoke', { nodeId: node.nodeId, command: 'system.run', params: { command: argv }, idempotencyKey: `web-${argv.join('-')}` });

  it('shows a waiting command with its node, and Approve lets it run', async () => {
    const page = await open(gw.token);
    const call = run(['uname', '-a']);
    const row = page.getByTestId('approval');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('Run on workbench: uname -a');
    expect(await row.textContent()).toContain('asked by operator');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'webchat-approvals.png') });
    await row.getByTestId('approve').click();
    const req = await node.nextInvoke();
    expect(JSON.parse(req.paramsJSON)).toEqual({ command: ['uname', '-a'] });
    await node.answer(req, { ok: true, payloadJSON: '{"exitCode":0,"stdout":"Linux\\n"}' });
    expect((await call).payload).toEqual({ exitCode: 0, stdout: 'Linux\n' });
    await row.waitFor({ state: 'detached' });
    await page.close();
  }, 60_000);

  it('Deny refuses it, and an approval already waiting is listed when the page opens', async () => {
    const call = run(['rm', '-rf', '/tmp/x']).catch((e: GatewayError) => e);
    for (let i = 0; (await op.call('exec.approval.list')).length === 0 && i < 100; i++) await new Promise((r) => setTimeout(r, 20));
    const page = await open(gw.token);
    const row = page.getByTestId('approval');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('rm -rf /tmp/x');
    await row.getByTestId('deny').click();
    expect(await call).toMatchObject({ code: 'FORBIDDEN', details: { code: 'EXEC_APPROVAL_DENIED' } });
    const { approvals } = await op.call('exec.approval.history', { limit: 1 });
    expect(approvals[0]).toMatchObject({ decision: 'deny', request: { command: 'rm -rf /tmp/x' } });
    await page.close();
  }, 60_000);

  it('without the gateway token the page may not decide: it says how to sign in, and shows no buttons', async () => {
    const page = await open();
    const hint = page.getByTestId('approvals-hint');
    await hint.waitFor({ timeout: 10_000 });
    expect(await hint.textContent()).toContain('sign in with the gateway token');
    const call = run(['echo', 'not from this page']).catch((e: GatewayError) => e);
    await new Promise((r) => setTimeout(r, 300));
    expect(await page.getByTestId('approval').count()).toBe(0);
    const [waiting] = await op.call('exec.approval.list');
    await op.call('exec.approval.resolve', { id: waiting.id, decision: 'deny' });
    await call;
    await page.close();
  }, 60_000);
});
