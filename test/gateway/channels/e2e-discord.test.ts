// End to end, Discord: a spawned daemon whose config.yaml points discord.js at a local fake
// gateway + REST; a DM reaches the echo agent; SIGKILL while the reply streams; after the restart
// the reply arrives exactly once, completing the message that was being edited.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { TEST_TOKEN } from '../../helpers/gateway.js';
import { startFakeDiscord, type FakeDiscord } from '../../helpers/fake-discord.js';
import { noteSecret, processLogFile } from '../../helpers/secrets.js';

const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-discord-'));
const CHANNEL = '700000000000000042';
let dc: FakeDiscord;
let live: DaemonProcess | undefined;

function start(): DaemonProcess {
  live = spawnDaemon({ stateDir, token: TEST_TOKEN, env: { DC_TOKEN: dc.token } });
  const d = live;
  void d.exited.then(() => appendFileSync(processLogFile('e2e-discord'), d.stderr));
  return d;
}

beforeAll(async () => {
  dc = await startFakeDiscord();
  noteSecret(dc.token);
  writeFileSync(join(stateDir, 'config.yaml'), [
    'version: 1',
    'agent:',
    '  echoDelayMs: 120',
    'channels:',
    '  discord:',
    '    token: ${DC_TOKEN}',
    `    apiRoot: ${dc.apiRoot}`,
    '    allowFrom: ["111"]',
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
  await dc.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('discord end to end under kill -9', () => {
  it('delivers the streamed reply exactly once across a SIGKILL mid-stream', async () => {
    let daemon = start();
    await daemon.ready;
    await dc.waitFor((f) => f.identifies.length >= 1, 15_000, 'identify');
    await new Promise((r) => setTimeout(r, 300));
    dc.dm({ channelId: CHANNEL, userId: '111', content: 'tell me a long story about the sea and the stars tonight' });
    await dc.waitFor((f) => f.sent.filter((m) => m.channelId === CHANNEL).length === 1 && f.sent[0].contents.length >= 2, 20_000, 'streaming started');
    const partial = dc.sent[0].contents.at(-1)!;
    daemon.kill('SIGKILL');
    await daemon.exited;

    daemon = start();
    await daemon.ready;
    await dc.waitFor((f) => (f.sent[0]?.contents.at(-1) ?? '').includes('agent.model'), 30_000, 'final reply after restart');
    await new Promise((r) => setTimeout(r, 1_500));
    const messages = dc.sent.filter((m) => m.channelId === CHANNEL);
    expect(messages).toHaveLength(1);
    const final = messages[0].contents.at(-1)!;
    expect(final).toMatch(/^Echo agent: tell me a long story about the sea and the stars tonight/);
    expect(final.length).toBeGreaterThan(partial.length);
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 90_000);
});
