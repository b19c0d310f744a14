// The CLI (built dist, as a user runs it): `switchboard node run` as a real node process, `nodes
// list|describe|rename|invoke|run`, and `approvals list|approve|deny` deciding a real system.run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient } from '@switchboard/sdk/node';
import { runCli, spawnCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { noteNodeHostTokens } from '../helpers/node.js';

let gw: TestGateway;
let op: GatewayClient;
let env: Record<string, string>;
let nodeProcess: ReturnType<typeof spawnCli>;
const home = mkdtempSync(join(tmpdir(), 'switchboard-cli-nodes-'));

/** Polls `switchboard approvals list --json` until an approval waits; returns it. */
async function waitingApproval(): Promise<{ id: string; request: { command: string } }> {
  for (let i = 0; i < 100; i++) {
    const list = JSON.parse((await runCli(['approvals', 'list', '--json'], env)).stdout) as Array<{ id: string; request: { command: string } }>;
    if (list.length) return list[0];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no approval appeared');
}

beforeAll(async () => {
  gw = await startTestGateway();
  op = await gw.connect();
  env = { SWITCHBOARD_HOME: home, SWITCHBOARD_URL: gw.url, SWITCHBOARD_GATEWAY_TOKEN: gw.token };
  nodeProcess = spawnCli(['node', 'run', '--display-name', 'cli-node', '--commands', 'system.run,system.which'], env);
  for (let i = 0; !(await op.call('node.list')).nodes.some((n) => n.displayName === 'cli-node' && n.connected); i++) {
    if (i > 200 || nodeProcess.exitCode !== null) throw new Error(`switchboard node run did not connect:\n${nodeProcess.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  noteNodeHostTokens(join(home, 'identity'));
}, 30_000);

afterAll(async () => {
  if (nodeProcess.exitCode === null) nodeProcess.kill('SIGKILL');
  op.close();
  await gw.close();
  rmSync(home, { recursive: true, force: true });
});

describe('switchboard nodes / approvals / node run', () => {
  it('lists, describes and renames the node', async () => {
    const list = await runCli(['nodes', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/cli-node {2}linux {2}connected .* commands: system\.run, system\.which/);
    const json = JSON.parse((await runCli(['nodes', 'list', '--json'], env)).stdout);
    const nodeId = json.nodes.find((n: { displayName: string }) => n.displayName === 'cli-node').nodeId;
    const described = JSON.parse((await runCli(['nodes', 'describe', nodeId.slice(0, 8), '--json'], env)).stdout);
    expect(described).toMatchObject({ nodeId, connected: true, commands: ['system.run', 'system.which'] });
    const renamed = await runCli(['nodes', 'rename', 'cli-node', 'kitchen'], env);
    expect(renamed.stdout).toBe(`node ${nodeId} is now called kitchen\n`);
    const missing = await runCli(['nodes', 'describe', 'nowhere'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no node "nowhere"; known nodes: kitchen/);
  });

  it('invokes a command and prints the payload', async () => {
    const r = await runCli(['nodes', 'invoke', 'kitchen', 'system.which', '--params', '{"bins":["sh"]}'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ bins: { sh: expect.stringMatching(/\/sh$/) } });
    expect((await runCli(['nodes', 'invoke', 'kitchen', 'system.which', '--params', 'nope'], env)).code).toBe(2);
  });

  it('runs a program once `approvals approve` (by id prefix) allows it', async () => {
    const running = runCli(['nodes', 'run', 'kitchen', '--', 'echo', 'hi from the cli'], env, 30_000);
    const waiting = await waitingApproval();
    expect(waiting.request.command).toBe(`echo 'hi from the cli'`);
    const listed = await runCli(['approvals', 'list'], env);
    expect(listed.stdout).toContain(`${waiting.id}  kitchen  echo 'hi from the cli'  by operator`);
    const approved = await runCli(['approvals', 'approve', waiting.id.slice(0, 8)], env);
    expect(approved.stdout).toBe(`approved ${waiting.id}: echo 'hi from the cli' on kitchen\n`);
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('hi from the cli\n');
  });

  it('stops a program after `nodes run --timeout <ms>`, and refuses a bad --timeout', async () => {
    const started = Date.now();
    const running = runCli(['nodes', 'run', 'kitchen', '--timeout', '300', '--json', '--', 'sleep', '20'], env, 30_000);
    const waiting = await waitingApproval();
    expect((await runCli(['approvals', 'approve', waiting.id], env)).code).toBe(0);
    const r = await running;
    expect(JSON.parse(r.stdout)).toMatchObject({ timedOut: true, success: false, error: 'timed out after 300 ms and was stopped' });
    expect(Date.now() - started).toBeLessThan(15_000);
    const bad = await runCli(['nodes', 'run', 'kitchen', '--timeout', 'soon', '--', 'true'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--timeout must be a whole number of milliseconds from 1 to 600000, got soon/);
  });

  it('does not run a program `approvals deny` refuses, and keeps the record', async () => {
    const running = runCli(['nodes', 'run', 'kitchen', '--', 'echo', 'never'], env, 30_000);
    const waiting = await waitingApproval();
    expect((await runCli(['approvals', 'deny', waiting.id], env)).code).toBe(0);
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/an operator denied `echo never` on node kitchen/);
    const history = await runCli(['approvals', 'list', '--history'], env);
    expect(history.stdout).toMatch(/kitchen {2}echo never {2}→ deny by /);
    expect(history.stdout).toMatch(/kitchen {2}echo 'hi from the cli' {2}→ allow-once by /);
    expect((await runCli(['approvals', 'approve', waiting.id], env)).stderr).toMatch(/APPROVAL_NOT_FOUND.*already resolved \(deny\)/);
  });

  it('refuses an unknown --commands entry, and stops cleanly on SIGTERM', async () => {
    const bad = await runCli(['node', 'run', '--commands', 'system.fly'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown node command "system.fly"/);
    const closed = new Promise<number | null>((r) => nodeProcess.once('close', (code) => r(code)));
    nodeProcess.kill('SIGTERM');
    expect(await closed).toBe(0);
    expect(nodeProcess.output()).toMatch(/node host: SIGTERM, stopping/);
    expect(nodeProcess.output()).not.toContain(gw.token);
  });
});
