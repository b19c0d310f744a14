// End to end, WhatsApp: a spawned daemon whose WhatsApp socket (built from Baileys' own pieces,
// preloaded with --import) is driven by this test over a local relay; a DM reaches the echo agent,
// the reply streams by editing; SIGKILL mid-stream; after the restart the reply arrives exactly
// once, completing the message that was being edited.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { TEST_TOKEN } from '../../helpers/gateway.js';
import { processLogFile } from '../../helpers/secrets.js';

const stateDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-whatsapp-'));
const PRELOAD = pathToFileURL(fileURLToPath(new URL('../../fixtures/whatsapp-relay-preload.mjs', import.meta.url))).href;
const JID = '15551234567@s.whatsapp.net';
let live: DaemonProcess | undefined;
let relayUrl = '';
let current: WebSocket | undefined;
const sent: Array<{ id: string; text: string; edit?: string }> = [];
const server = createServer();
const wss = new WebSocketServer({ server });

function start(): DaemonProcess {
  live = spawnDaemon({ stateDir, token: TEST_TOKEN, env: { WA_RELAY_URL: relayUrl }, nodeArgs: ['--import', PRELOAD] });
  const d = live;
  void d.exited.then(() => appendFileSync(processLogFile('e2e-whatsapp'), d.stderr));
  return d;
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The text a message shows now: its own, or its latest edit. */
function shown(id: string): string {
  const edits = sent.filter((s) => s.edit === id);
  return (edits.at(-1) ?? sent.find((s) => s.id === id))?.text ?? '';
}

beforeAll(async () => {
  wss.on('connection', (ws) => {
    current = ws;
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.type === 'hello') ws.send(JSON.stringify({ type: 'open' }));
      if (msg.type === 'sent' && msg.jid === JID) sent.push({ id: msg.id, text: msg.text, ...(msg.edit ? { edit: msg.edit } : {}) });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  relayUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(join(stateDir, 'config.yaml'), [
    'version: 1',
    'agent:',
    '  echoDelayMs: 120',
    'channels:',
    '  whatsapp:',
    `    allowFrom: ["${JID}"]`,
    '    streaming:',
    '      enabled: true',
    '      editIntervalMs: 300',
    '',
  ].join('\n'));
});
afterAll(async () => {
  if (live && live.proc.exitCode === null && live.proc.signalCode === null) {
    live.kill('SIGKILL');
    await live.exited;
  }
  for (const c of wss.clients) c.terminate();
  wss.close();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(stateDir, { recursive: true, force: true });
});

describe('whatsapp end to end under kill -9', () => {
  it('delivers the streamed reply exactly once across a SIGKILL mid-stream', async () => {
    let daemon = start();
    await daemon.ready;
    await until(() => current !== undefined, 15_000, 'relay connected');
    await new Promise((r) => setTimeout(r, 200));
    current!.send(JSON.stringify({ type: 'upsert', jid: JID, id: 'WAMSG0001', text: 'tell me a long story about the sea and the stars tonight' }));
    await until(() => sent.filter((s) => !s.edit).length === 1 && sent.some((s) => s.edit), 20_000, 'streaming started');
    const head = sent.find((s) => !s.edit)!;
    const partial = shown(head.id);
    daemon.kill('SIGKILL');
    await daemon.exited;
    current = undefined;

    daemon = start();
    await daemon.ready;
    await until(() => current !== undefined, 15_000, 'relay connected again');
    // WhatsApp may hand the same message over again after a reconnect: it must change nothing.
    await new Promise((r) => setTimeout(r, 200));
    current!.send(JSON.stringify({ type: 'upsert', jid: JID, id: 'WAMSG0001', text: 'tell me a long story about the sea and the stars tonight' }));
    await until(() => shown(head.id).includes('agent.model'), 30_000, 'final reply after restart');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sent.filter((s) => !s.edit)).toHaveLength(1);
    expect(sent.every((s) => !s.edit || s.edit === head.id)).toBe(true);
    const final = shown(head.id);
    expect(final).toMatch(/^Echo agent: tell me a long story about the sea and the stars tonight/);
    expect(final.length).toBeGreaterThan(partial.length);
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 90_000);
});
