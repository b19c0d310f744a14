// The node host's commands on this machine, for real: system.run (argv, exit codes, bounded
// output cut visibly, timeouts, cancel, no credentials in the child's environment), system.which,
// system.notify without a desktop.
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoundedCapture, BUILTIN_COMMANDS, childEnv, runProgram, type CommandContext } from '@switchboard/nodes';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-exec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ctx(over: Partial<CommandContext> = {}): CommandContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    signal: new AbortController().signal,
    limits: { maxOutputBytes: 64 * 1024, defaultRunTimeoutMs: 10_000 },
    env: { PATH: process.env.PATH },
    log: (l) => lines.push(l),
    lines,
    ...over,
  };
}

const run = (params: unknown, c = ctx()) => BUILTIN_COMMANDS['system.run'].run(params, c) as Promise<any>;

describe('system.run', () => {
  it('runs argv without a shell: metacharacters are plain arguments', async () => {
    const r = await run({ command: ['echo', 'a; rm -rf /', '$HOME', '`id`'] });
    expect(r).toMatchObject({ exitCode: 0, success: true, timedOut: false, truncated: false, error: null, stderr: '' });
    expect(r.stdout).toBe('a; rm -rf / $HOME `id`\n');
  });

  it('reports the exit code, stderr, cwd and env', async () => {
    const r = await run({ command: ['sh', '-c', 'echo "$GREETING from $(pwd)"; echo oops >&2; exit 3'], cwd: dir, env: { GREETING: 'hi' } });
    expect(r).toMatchObject({ exitCode: 3, success: false, stdout: `hi from ${dir}\n`, stderr: 'oops\n' });
  });

  it('caps output, keeps head and tail, and says so in the text', async () => {
    const c = ctx({ limits: { maxOutputBytes: 1000, defaultRunTimeoutMs: 10_000 } });
    const r = await run({ command: ['sh', '-c', 'printf "START"; head -c 100000 /dev/zero | tr "\\0" x; printf "END"'] }, c);
    expect(r.truncated).toBe(true);
    expect(r.stdout.startsWith('START')).toBe(true);
    expect(r.stdout.endsWith('END')).toBe(true);
    expect(r.stdout).toMatch(/…\[stdout truncated: 99008 bytes not shown\]…/);
    expect(Buffer.byteLength(r.stdout)).toBeLessThan(1100);
  });

  it('stops a program at its timeout and says so', async () => {
    const started = Date.now();
    const r = await run({ command: ['sleep', '30'], timeoutMs: 200 });
    expect(r).toMatchObject({ timedOut: true, success: false, exitCode: null, signal: 'SIGTERM', error: 'timed out after 200 ms and was stopped' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('kills a program that ignores SIGTERM after the grace period', async () => {
    const r = await run({ command: ['sh', '-c', 'trap "" TERM; sleep 30'], timeoutMs: 200 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
  });

  it('stops when the invoke is cancelled', async () => {
    const abort = new AbortController();
    const p = run({ command: ['sleep', '30'] }, ctx({ signal: abort.signal }));
    setTimeout(() => abort.abort(), 100);
    expect(await p).toMatchObject({ timedOut: false, success: false, signal: 'SIGTERM' });
  });

  it('never hands the host\'s credentials to the program', async () => {
    const env = { PATH: process.env.PATH, SWITCHBOARD_GATEWAY_TOKEN: 'secret-token-value-123', OPENCLAW_GATEWAY_TOKEN: 'other-secret-456', KEEP: 'yes' };
    const r = await run({ command: ['env'] }, ctx({ env }));
    expect(r.stdout).toContain('KEEP=yes');
    expect(r.stdout).not.toContain('secret-token-value-123');
    expect(r.stdout).not.toContain('other-secret-456');
    expect(childEnv(env, { SWITCHBOARD_X: 'set by the call' }).SWITCHBOARD_X).toBe('set by the call');
  });

  it('explains a missing program or working directory instead of failing obscurely', async () => {
    expect(await run({ command: ['no-such-program-xyz'] })).toMatchObject({ success: false, exitCode: null, error: expect.stringMatching(/program not found: no-such-program-xyz/) });
    expect(await run({ command: ['true'], cwd: join(dir, 'missing') })).toMatchObject({ success: false, error: expect.stringMatching(/working directory not found/) });
  });

  it('refuses params that are not an argv list', async () => {
    for (const bad of [{ command: 'uname -a' }, { command: [] }, {}, { command: ['x'], timeoutMs: -1 }]) {
      await expect(run(bad)).rejects.toMatchObject({ name: 'CommandError', code: 'INVALID_REQUEST' });
    }
  });
});

describe('system.which and system.notify', () => {
  it('finds programs on PATH and leaves out the ones it does not find', async () => {
    const tool = join(dir, 'my-tool');
    writeFileSync(tool, '#!/bin/sh\n');
    chmodSync(tool, 0o755);
    writeFileSync(join(dir, 'not-executable'), '');
    const r = await BUILTIN_COMMANDS['system.which'].run({ bins: ['my-tool', 'not-executable', 'sh', 'nope-nope'] }, ctx({ env: { PATH: `${dir}:/usr/bin:/bin` } }));
    expect(r).toEqual({ bins: { 'my-tool': tool, sh: expect.stringMatching(/\/sh$/) } });
  });

  it('logs the notification where there is no desktop', async () => {
    const c = ctx({ env: { PATH: process.env.PATH } });
    expect(await BUILTIN_COMMANDS['system.notify'].run({ title: 'Build done', body: 'all green' }, c)).toEqual({ delivered: 'log' });
    expect(c.lines).toContain('notification: Build done — all green');
  });
});

describe('BoundedCapture', () => {
  it('keeps everything under the cap and head + tail over it', () => {
    const small = new BoundedCapture(10);
    small.push(Buffer.from('abc'));
    expect(small.text('x')).toBe('abc');
    const big = new BoundedCapture(10);
    for (const part of ['0123', '4567', '89ab', 'cdef']) big.push(Buffer.from(part));
    expect(big.truncated).toBe(true);
    expect(big.text('out')).toBe('01234\n…[out truncated: 6 bytes not shown]…\nbcdef');
  });
});
