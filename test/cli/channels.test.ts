// `switchboard channels status` and `switchboard pairing list | approve | revoke` as a user runs
// them (the built CLI) against a gateway whose Telegram channel talks to a local fake Bot API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/fake-telegram.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { noteSecret } from '../helpers/secrets.js';

describe('switchboard channels / pairing', () => {
  let gw: TestGateway;
  let tg: FakeTelegram;
  let env: Record<string, string>;
  beforeAll(async () => {
    tg = await startFakeTelegram();
    noteSecret(tg.token);
    gw = await startTestGateway({
      auth: { mode: 'token' },
      extra: { channels: { telegram: { token: tg.token, apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, streaming: { enabled: false } } } as never, agent: { echoDelayMs: 0 } },
    });
    env = { SWITCHBOARD_HOME: gw.stateDir, SWITCHBOARD_URL: gw.url };
    await tg.waitFor(() => gw.gateway.services.channels.status().channelAccounts.telegram[0].state === 'connected', 10_000);
  });
  afterAll(async () => {
    await gw.close();
    await tg.close();
  });

  it('channels status shows each account, its state and how DMs are handled', async () => {
    const r = await runCli(['channels', 'status'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Telegram (default): connected');
    expect(r.stdout).toContain('DMs pairing');
    const json = await runCli(['channels', 'status', '--json'], env);
    expect(JSON.parse(json.stdout).channelAccounts.telegram[0]).toMatchObject({ state: 'connected', accountId: 'default' });
    expect(r.stdout).not.toContain(tg.token);
  });

  it('pairing list, approve with the code the user got, revoke', async () => {
    tg.message({ chatId: 812, text: 'hello' });
    await tg.waitFor((f) => f.texts(812).length === 1, 10_000, 'pairing code');
    // Not noted as a log secret here: the operator types it as an argument by design (single use);
    // the gateway-side tests check that no log line carries a code.
    const code = /pairing code is ([A-Z2-9]{8})/.exec(tg.texts(812)[0])![1];
    const list = await runCli(['pairing', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/telegram\s+812/);
    expect(list.stdout).not.toContain(code);
    const wrong = await runCli(['pairing', 'approve', 'telegram', 'ZZZZZZZZ'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('PAIRING_CODE_INVALID');
    const ok = await runCli(['pairing', 'approve', 'telegram', code], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('paired telegram user 812');
    // Run again (as after a lost reply): the same answer from the idempotency ledger, no strike.
    const rerun = await runCli(['pairing', 'approve', 'telegram', code.toLowerCase()], env);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('paired telegram user 812');
    expect(gw.gateway.services.store.channels.lockout('telegram').failures).toBe(0);
    tg.message({ chatId: 812, text: 'again' });
    await tg.waitFor((f) => f.texts(812).some((t) => t.startsWith('Echo agent: again')), 10_000, 'answer once paired');
    const revoked = await runCli(['pairing', 'revoke', 'telegram', '812'], env);
    expect(revoked.stdout).toContain('revoked telegram user 812');
    const usage = await runCli(['pairing', 'approve', 'icq', 'X'], env);
    expect(usage.code).toBe(2);
  });
});

describe('switchboard channels login whatsapp', () => {
  it('draws the QR in the terminal and waits for the scan', async () => {
    const { fakeWaFactory } = await import('../helpers/fake-whatsapp.js');
    const { WhatsAppAdapter } = await import('../../gateway/src/channels/whatsapp/adapter.js');
    const factory = fakeWaFactory((s) => setTimeout(() => s.showQr('2@cli-qr-ref,abc,def'), 20));
    const gw = await startTestGateway({
      auth: { mode: 'token' },
      extra: { channels: { whatsapp: {} } as never, channelFactories: { whatsapp: (account, deps) => new WhatsAppAdapter(account, { ...deps, socketFactory: factory }) } },
    });
    try {
      const env = { SWITCHBOARD_HOME: gw.stateDir, SWITCHBOARD_URL: gw.url };
      const cli = spawnCli(['channels', 'login', 'whatsapp', '--wait', '10'], env);
      const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
      // The phone "scans" only once the QR is on the terminal (however long the CLI took to start).
      const end = Date.now() + 15_000;
      while (!/[█▀▄]/.test(cli.output()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      factory.current().open();
      const r = { code: await exited, stdout: cli.output() };
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/[█▀▄]/);
      expect(r.stdout).toContain('Linked devices');
      expect(r.stdout).toContain('WhatsApp is linked and connected');
      const usage = await runCli(['channels', 'login', 'telegram'], env);
      expect(usage.code).toBe(2);
    } finally {
      await gw.close();
    }
  });
});
