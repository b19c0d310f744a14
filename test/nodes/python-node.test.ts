// The Python node (nodes/python/switchboard_node.py), built on the generated Python models, as a
// real process against a real gateway: it pairs on loopback with its own Ed25519 identity and
// answers node.invoke of system.which and system.run (after an exec approval).
//
// It needs the generated models with the nodes area in them (`pnpm codegen` writes
// codegen/generated/switchboard_protocol.py; SWITCHBOARD_PROTOCOL_MODELS may point elsewhere) and
// Debian's python3-websockets and python3-cryptography for /usr/bin/python3 (.ci/run installs them).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, type NodeSummary } from '@switchboard/protocol';
import type { GatewayClient } from '@switchboard/sdk/node';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { noteSecret, processLogFile } from '../helpers/secrets.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = join(repo, 'nodes', 'python', 'switchboard_node.py');
const MODELS = process.env.SWITCHBOARD_PROTOCOL_MODELS ?? join(repo, 'codegen', 'generated');
const modelsFile = join(MODELS, 'switchboard_protocol.py');
// The models must have been generated from a protocol that has the nodes area.
const haveModels = existsSync(modelsFile) && readFileSync(modelsFile, 'utf8').includes('class NodeInvokeResultParams');

describe.skipIf(!haveModels)('Python node on the generated models', () => {
  let gw: TestGateway;
  let op: GatewayClient;
  let child: ChildProcess;
  let output = '';
  let node: NodeSummary;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-py-node-'));
  const identity = join(dir, 'python-node.json');

  beforeAll(async () => {
    const deps = spawnSync('/usr/bin/python3', ['-c', 'import websockets, cryptography'], { encoding: 'utf8' });
    if (deps.status !== 0) throw new Error(`the Python node needs Debian's python3-websockets and python3-cryptography (apt-get install python3-websockets python3-cryptography): ${deps.stderr}`);
    gw = await startTestGateway();
    op = await gw.connect();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
    child = spawn('/usr/bin/python3', [SCRIPT, '--url', gw.url, '--identity', identity, '--display-name', 'py-node'], {
      env: { ...env, SWITCHBOARD_GATEWAY_TOKEN: gw.token, SWITCHBOARD_PROTOCOL_MODELS: MODELS }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    for (let i = 0; ; i++) {
      const found = (await op.call('node.list')).nodes.find((n) => n.displayName === 'py-node' && n.connected);
      if (found) {
        node = found;
        break;
      }
      if (i > 200 || child.exitCode !== null) throw new Error(`the Python node did not connect:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const stored = JSON.parse(readFileSync(identity, 'utf8')) as { tokens?: Record<string, string> };
    for (const t of Object.values(stored.tokens ?? {})) noteSecret(t);
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGTERM');
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    appendFileSync(processLogFile('python-node'), output);
    op?.close();
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pairs with its own Ed25519 identity (0600 file) and declares its commands', async () => {
    expect(node).toMatchObject({ paired: true, connected: true, platform: 'linux', clientId: 'node-host', commands: ['system.which', 'system.run'], invocableCommands: ['system.which', 'system.run'] });
    expect(statSync(identity).mode & 0o777).toBe(0o600);
    expect((await op.call('device.pair.list')).paired.find((d) => d.deviceId === node.nodeId)?.roles).toEqual(['node']);
  });

  it('answers system.which', async () => {
    const r = await op.call('node.invoke', { nodeId: node.nodeId, command: 'system.which', params: { bins: ['sh', 'no-such-thing-here'] }, idempotencyKey: 'py-which' });
    expect(r.payload).toEqual({ bins: { sh: expect.stringMatching(/\/sh$/) } });
  });

  it('answers system.run once an operator approves it', async () => {
    const off = op.on('exec.approval.requested', (e) => void op.call('exec.approval.resolve', { id: e.id, decision: 'allow-once' }));
    try {
      const r = await op.call('node.invoke', { nodeId: node.nodeId, command: 'system.run', params: { command: ['echo', 'hello from python'] }, idempotencyKey: 'py-run' });
      expect(r.payload).toMatchObject({ exitCode: 0, success: true, stdout: 'hello from python\n', timedOut: false });
    } finally {
      off();
    }
  });

  it('keeps only the first 64 KiB of a huge output in memory (bounded read), with a visible note', async () => {
    const peakKiB = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
    const before = peakKiB();
    const off = op.on('exec.approval.requested', (e) => void op.call('exec.approval.resolve', { id: e.id, decision: 'allow-once' }));
    try {
      // 256 MiB on stdout: a node that read it all before cutting it would hold at least that much.
      const r = await op.call('node.invoke', { nodeId: node.nodeId, command: 'system.run', params: { command: ['head', '-c', String(256 << 20), '/dev/zero'] }, idempotencyKey: 'py-big' });
      const run = r.payload as { stdout: string; truncated: boolean; exitCode: number };
      expect(run).toMatchObject({ exitCode: 0, truncated: true });
      expect(run.stdout.startsWith('\0'.repeat(64 * 1024))).toBe(true);
      expect(run.stdout.endsWith(`…[truncated: ${(256 << 20) - 64 * 1024} bytes not shown]`)).toBe(true);
    } finally {
      off();
    }
    expect(peakKiB() - before).toBeLessThan(64 * 1024);
  }, 30_000);

  it('reports bad params as the node\'s error', async () => {
    const err = await op.call('node.invoke', { nodeId: node.nodeId, command: 'system.which', params: { bins: 'sh' }, idempotencyKey: 'py-bad' }).catch((e: GatewayError) => e);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', details: { code: 'NODE_INVOKE_FAILED', nodeError: { code: 'INVALID_REQUEST' } } });
  });
});
