// Compatibility: OpenClaw's own headless node host (`openclaw node run`, the real package installed
// beside the project by ../shared/tools/openclaw-peer.sh on first use) against a real Switchboard.
// It connects with its signed device identity and is paired automatically on loopback, appears in
// node.list with what it declared, its follow-up calls (node.event host stats, runner inventory,
// skills, plugin tools) are answered and recorded for node.describe, and it answers node.invoke
// of system.which and system.run through Switchboard's exec approval.
//
// Set SWITCHBOARD_SKIP_COMPAT=1 to skip (no network for the first install).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSummary } from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk/node';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { processLogFile } from '../helpers/secrets.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PEER = join(repo, '..', 'shared', 'tools', 'openclaw-peer.sh');
const TOKEN = 'compat-node-token-T3BlbkNsYXctbm9kZS1ob3N0LTAxMjM0NTY3';
const skip = process.env.SWITCHBOARD_SKIP_COMPAT === '1';

/** A user's environment for OpenClaw (it behaves differently under a test runner). */
function peerEnv(home: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) =>
    !/^(OPENCLAW_|SWITCHBOARD_|VITEST|__VITEST)/.test(k) && !['NODE_ENV', 'TEST', 'NODE_OPTIONS'].includes(k)));
  return { ...env, PEER_HOME: home, OPENCLAW_GATEWAY_TOKEN: TOKEN };
}

function runPeer(args: string[], home: string, timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [PEER, ...args], { env: peerEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

describe.skipIf(skip)('OpenClaw node host against Switchboard', () => {
  let gw: TestGateway;
  let op: GatewayClient;
  let nodeHost: ChildProcess | undefined;
  let output = '';
  let node: NodeSummary;
  const home = mkdtempSync(join(tmpdir(), 'switchboard-compat-node-'));

  beforeAll(async () => {
    if (!existsSync(PEER)) throw new Error(`${PEER} is missing: the compatibility test needs ../shared beside the repository`);
    const installed = await runPeer(['install'], home, 240_000);
    if (installed.code !== 0) throw new Error(`installing the OpenClaw peer failed:\n${installed.out.slice(-2000)}`);
    gw = await startTestGateway({ token: TOKEN });
    op = await gw.connect();
    // Its own process group, so the whole node host (and anything it started) is stopped at the end.
    nodeHost = spawn('bash', [PEER, 'node-host', '--host', '127.0.0.1', '--port', String(gw.gateway.port)], { env: peerEnv(home), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    nodeHost.stdout!.on('data', (d) => (output += d));
    nodeHost.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 90_000;
    for (;;) {
      const found = (await op.call('node.list')).nodes.find((n) => n.clientId === 'node-host' && n.connected);
      if (found) {
        node = found;
        break;
      }
      if (Date.now() > deadline || nodeHost.exitCode !== null) throw new Error(`OpenClaw's node host did not connect:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 400_000);

  afterAll(async () => {
    if (nodeHost?.pid && nodeHost.exitCode === null) {
      const exited = new Promise((r) => nodeHost!.once('close', r));
      try {
        process.kill(-nodeHost.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      try {
        process.kill(-nodeHost.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    appendFileSync(processLogFile('openclaw-node-host'), output);
    op?.close();
    await gw?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('is paired automatically on loopback and listed with what it declared', async () => {
    expect(node).toMatchObject({ connected: true, paired: true, clientMode: 'node', platform: 'linux', caps: expect.arrayContaining(['system']) });
    expect(node.commands).toEqual(expect.arrayContaining(['system.run', 'system.which', 'system.run.prepare', 'system.execApprovals.get']));
    // Declared ∩ Switchboard's linux allowlist: the system commands Switchboard knows, never exec-approval editing.
    expect(node.invocableCommands).toEqual(['system.run', 'system.which']);
    const devices = await op.call('device.pair.list');
    expect(devices.paired.find((d) => d.deviceId === node.nodeId)).toMatchObject({ roles: ['node'], clientId: 'node-host' });
  });

  it('has its follow-up calls answered and recorded: host stats, runner inventory, skills, plugin tools', async () => {
    let d = await op.call('node.describe', { nodeId: node.nodeId });
    for (let i = 0; i < 80 && !(d.hostStats && d.runnerInventory); i++) {
      await new Promise((r) => setTimeout(r, 250));
      d = await op.call('node.describe', { nodeId: node.nodeId });
    }
    expect(d.hostStats).toMatchObject({ cpuCount: expect.any(Number), memoryTotalBytes: expect.any(Number) });
    expect(d.runnerInventory).toMatchObject({ protocolFeatures: expect.any(Array) });
    expect(d.skills).toEqual(expect.any(Array));
    expect(d.pluginTools).toEqual(expect.any(Array));
    expect(output).not.toMatch(/unknown method/);
  }, 30_000);

  it('answers node.invoke of system.which', async () => {
    const r = await op.call('node.invoke', { nodeId: node.nodeId, command: 'system.which', params: { bins: ['sh', 'uname', 'no-such-binary-xyz'] }, idempotencyKey: 'compat-which' });
    expect(r.payload).toEqual({ bins: { sh: expect.stringMatching(/\/sh$/), uname: expect.stringMatching(/\/uname$/) } });
  }, 30_000);

  it('answers node.invoke of system.run after a Switchboard exec approval', async () => {
    const off = op.on('exec.approval.requested', (e) => void op.call('exec.approval.resolve', { id: e.id, decision: 'allow-once' }));
    try {
      const r = await op.call('node.invoke', { nodeId: node.nodeId, command: 'system.run', params: { command: ['echo', 'hello from openclaw'] }, idempotencyKey: 'compat-run', timeoutMs: 20_000 }, { timeoutMs: 30_000 });
      expect(r.payload).toMatchObject({ exitCode: 0, success: true, stdout: expect.stringContaining('hello from openclaw') });
    } finally {
      off();
    }
  }, 40_000);
});
