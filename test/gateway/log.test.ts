// The log's repetition guard (gateway/src/log.ts): identical lines within the window collapse into
// one plus a "repeated N times" summary; lines that differ in any field are distinct events.
import { describe, expect, it } from 'vitest';
import { createLog } from '@switchboard/gateway';
import { until } from '../helpers/wait.js';

async function recordingLog(dedupeWindowMs: number) {
  const lines: Array<Record<string, unknown>> = [];
  const log = await createLog({ level: 'debug', dedupeWindowMs, destination: { write: (line: string) => { lines.push(JSON.parse(line)); } } });
  return { log, lines };
}

describe('log de-duplication', () => {
  it('logs two different approvals with the same message, both', async () => {
    const { log, lines } = await recordingLog(60_000);
    const devices = log.child({ ns: 'gateway:devices' });
    devices.info({ requestId: 'req-1', deviceId: 'dev-A', by: 'local' }, 'device pairing approved');
    devices.info({ requestId: 'req-2', deviceId: 'dev-B', by: 'local' }, 'device pairing approved');
    devices.info({ deviceId: 'dev-A', role: 'operator' }, 'device token revoked');
    devices.info({ deviceId: 'dev-A', role: 'node' }, 'device token revoked');
    expect(lines.map((l) => [l.msg, l.deviceId])).toEqual([
      ['device pairing approved', 'dev-A'],
      ['device pairing approved', 'dev-B'],
      ['device token revoked', 'dev-A'],
      ['device token revoked', 'dev-A'],
    ]);
  });

  it('treats the same fields in another order, from the same logger, as the same line; other bindings as another', async () => {
    const { log, lines } = await recordingLog(60_000);
    log.child({ ns: 'gateway:auth' }).warn({ addr: '10.0.0.1', code: 'X' }, 'handshake refused: X');
    log.child({ ns: 'gateway:auth' }).warn({ code: 'X', addr: '10.0.0.1' }, 'handshake refused: X');
    log.child({ ns: 'gateway:ws' }).warn({ addr: '10.0.0.1', code: 'X' }, 'handshake refused: X');
    expect(lines.map((l) => l.ns)).toEqual(['gateway:auth', 'gateway:ws']);
  });

  it('never throws on what a caller logs: a cycle deep in a field, a BigInt; errors differ by their message', async () => {
    const { log, lines } = await recordingLog(60_000);
    const a: Record<string, unknown> = { b: { c: { d: { e: {} } } } };
    ((((a.b as any).c as any).d as any).e as any).self = a;
    expect(() => log.info({ a }, 'deep cycle')).not.toThrow();
    expect(() => log.info({ n: 10n }, 'a bigint')).not.toThrow();
    // One call site, so the stacks are alike and only the messages tell the errors apart.
    for (const cause of ['first cause', 'second cause', 'second cause']) log.warn({ err: new Error(cause) }, 'send failed');
    expect(lines.map((l) => l.msg)).toEqual(['deep cycle', 'a bigint', 'send failed', 'send failed']);
  });

  it('collapses a flood of identical lines and reports the count when the window ends', async () => {
    const { log, lines } = await recordingLog(200);
    const auth = log.child({ ns: 'gateway:auth' });
    for (let i = 0; i < 50; i++) auth.warn({ addr: '10.0.0.1', code: 'AUTH_TOKEN_MISMATCH' }, 'handshake refused: AUTH_TOKEN_MISMATCH');
    expect(lines).toHaveLength(1);
    await until(() => lines.length === 2, 3_000);
    expect(lines[1]).toMatchObject({
      level: 40, ns: 'gateway:auth', addr: '10.0.0.1', code: 'AUTH_TOKEN_MISMATCH', repeated: 49,
      msg: 'handshake refused: AUTH_TOKEN_MISMATCH (repeated 49 times)',
    });
    // A new window starts with the next copy, logged in full.
    auth.warn({ addr: '10.0.0.1', code: 'AUTH_TOKEN_MISMATCH' }, 'handshake refused: AUTH_TOKEN_MISMATCH');
    expect(lines).toHaveLength(3);
    expect(lines[2].repeated).toBeUndefined();
  });

  it('writes no summary for a line that was not repeated', async () => {
    const { log, lines } = await recordingLog(50);
    log.info({ x: 1 }, 'once');
    await new Promise((r) => setTimeout(r, 200));
    expect(lines.map((l) => l.msg)).toEqual(['once']);
  });
});
