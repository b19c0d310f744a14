// End to end, Telegram: a spawned daemon whose config.yaml points the Bot API at a local fake; a DM
// reaches the echo agent; the daemon is killed with SIGKILL while the reply streams; after the
// restart the reply arrives exactly once, in order, completing the message that was being edited.
// A redelivery of the same update after the restart produces nothing.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { TEST_TOKEN } from '../../helpers/gateway.js';
import { startFakeTelegram, type FakeTelegram } from '../../helpers/fake-telegram.js';
import { noteSecret, processLogFile } from '../../helpers/secrets.js';

const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-telegram-'));
let tg: FakeTelegram;
let live: DaemonProcess | undefined;

function start(): DaemonProcess {
  live = spawnDaemon({ stateDir, token: TEST_TOKEN, env: { TG_TOKEN: tg.token, SWITCHBOARD_LOCK_DIR: join(stateDir, 'locks') } });
  const d = live;
  void d.exited.then(() => appendFileSync(processLogFile('e2e-telegram'), d.stderr));
  return d;
}

beforeAll(async () => {
  tg = await startFakeTelegram();
  noteSecret(tg.token);
  writeFileSync(join(stateDir, 'config.yaml'), [
    'version: 1',
    'agent:',
    '  echoDelayMs: 120',
    'channels:',
    '  telegram:',
    '    token: ${TG_TOKEN}',
    `    apiRoot: ${tg.apiRoot}`,
    '    pollTimeoutSeconds: 1',
    '    dmPolicy: allowlist',
    '    allowFrom: ["42"]',
    '    streaming:',
    '      editIntervalMs: 300',
    '',
  ].join('\n'));
});
afterAll(async () => {
  if (live && live.proc.exitCode === null && live.proc.signalCode === null) {
    live.kill('SIGKILL');
    await live.exited;
  }
  await tg.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('telegram end to end under kill -9', () => {
  it('delivers the streamed reply exactly once, in order, across a SIGKILL mid-stream', async () => {
    let daemon = start();
    await daemon.ready;
    await tg.waitFor((f) => f.calls.some((c) => c.method === 'getUpdates'), 15_000, 'polling');
    const update = tg.message({ chatId: 42, text: 'tell me a long story about the sea and the stars tonight' });
    // The reply's message exists and is being edited: kill the daemon in the middle of it.
    await tg.waitFor((f) => f.chat(42).length === 1 && f.chat(42)[0].texts.length >= 2, 20_000, 'streaming started');
    const partial = tg.chat(42)[0].texts.at(-1)!;
    expect(partial).not.toMatch(/agent\.model/);
    daemon.kill('SIGKILL');
    await daemon.exited;

    daemon = start();
    await daemon.ready;
    tg.push(update, true);
    await tg.waitFor((f) => (f.chat(42)[0]?.texts.at(-1) ?? '').includes('agent.model'), 30_000, 'final reply after restart');
    await new Promise((r) => setTimeout(r, 1_500));
    const messages = tg.chat(42);
    // Exactly one message: the one begun before the kill, completed after it.
    expect(messages).toHaveLength(1);
    const final = messages[0].texts.at(-1)!;
    expect(final).toMatch(/^Echo agent: tell me a long story about the sea and the stars tonight/);
    // In order: every edit extends what the chat had seen before the kill or restarts the answer; the last is complete.
    expect(final.length).toBeGreaterThan(partial.length);
    expect(tg.calls.filter((c) => c.method === 'sendMessage' && String(c.body.chat_id) === '42')).toHaveLength(1);
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 90_000);
});
