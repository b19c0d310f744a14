// The WebChat opened from "another machine", in real headless Chromium: the gateway listens on all
// interfaces and the page is opened at this machine's LAN address (http://<eth0 address>:port), so
// the browser's socket peer is not loopback — no forwarding header is involved. The page asks for
// the gateway token (again when it is wrong), then waits for its device to be approved; an operator approves it over the
// control plane and the chat becomes usable. Over plain http to a LAN address the page is not a
// secure context (no WebCrypto, so no device key): it says how to open it instead.
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { launchChromium, newPage, send, waitConnected } from './chromium.js';

const pageErrors: string[] = [];
const browsers: Browser[] = [];

afterEach(async () => {
  for (const b of browsers.splice(0)) await b.close();
  expect(pageErrors.splice(0)).toEqual([]);
});

/** This machine's first non-loopback IPv4 address (what `hostname -I` prints first). */
function lanAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no non-loopback IPv4 interface: the remote WebChat test needs one (hostname -I prints none)');
}

/** A gateway on every interface (its own clients reach it on 127.0.0.1) and its page's LAN address. */
async function startRemoteGateway(): Promise<{ gw: TestGateway; pageUrl: string }> {
  const gw = await startTestGateway({ extra: { host: '0.0.0.0', agent: { echoDelayMs: 5 } } });
  return { gw, pageUrl: `http://${lanAddress()}:${gw.gateway.port}/` };
}

/** Opens the page in a fresh Chromium; `secure` makes the LAN origin a secure context, as HTTPS would. */
async function openRemote(pageUrl: string, secure: boolean): Promise<Page> {
  const browser = await launchChromium(secure ? [`--unsafely-treat-insecure-origin-as-secure=${pageUrl.slice(0, -1)}`] : []);
  browsers.push(browser);
  const page = await newPage(browser, pageErrors);
  await page.goto(pageUrl);
  return page;
}

describe('WebChat from another machine, in Chromium', () => {
  it('asks for the token, waits for approval, and becomes usable once an operator approves', async () => {
    const { gw, pageUrl } = await startRemoteGateway();
    try {
      const page = await openRemote(pageUrl, true);
      expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
      // Not direct loopback, no token: the page asks for the gateway token.
      const token = page.locator('[data-testid=token]');
      await token.waitFor({ timeout: 15_000 });
      expect(await page.locator('[data-testid=banner]').isVisible()).toBe(false);
      // A wrong token: asked again, with a sentence that says where the right one is.
      await token.fill('not-the-gateway-token-0123456789');
      await page.locator('[data-testid=login]').click();
      await page.locator('[data-testid=banner]', { hasText: 'did not accept that token' }).waitFor();
      await token.fill(gw.token);
      await page.locator('[data-testid=login]').click();

      // The token is right but this browser's device is new: the page waits for approval and names the command.
      const waiting = page.locator('[data-testid=pairing]');
      await waiting.waitFor({ timeout: 15_000 });
      const op = await gw.connect();
      const { pending } = await op.call('device.pair.list', {});
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({ clientId: 'webchat-ui', role: 'operator' });
      expect(await waiting.textContent()).toContain(`switchboard devices approve ${pending[0].requestId}`);
      expect(await page.locator('[data-testid=input]').count()).toBe(0);

      await op.call('device.pair.approve', { requestId: pending[0].requestId });
      await waitConnected(page);
      await send(page, 'hello from afar');
      await page.locator('[data-testid=message][data-role=assistant][data-state=done]').waitFor();
      expect(await page.locator('[data-testid=message][data-role=assistant]').textContent()).toMatch(/^Echo agent: hello from afar/);
      // The browser connected from its LAN address, not loopback.
      const peers = [...gw.gateway.services.connections.values()].filter((c) => c.caller?.client.id === 'webchat-ui').map((c) => c.peer);
      expect(peers.length).toBeGreaterThan(0);
      for (const peer of peers) expect(peer).toMatchObject({ socketIsLoopback: false, isLocalDirect: false });

      // Approved once: a reload connects with the device token this browser was given, no prompt.
      await page.reload();
      await waitConnected(page);
      expect(await page.locator('[data-testid=token]').count()).toBe(0);
      await page.close();
    } finally {
      await gw.close();
    }
  });

  it('over plain http to a LAN address (no WebCrypto) says to use HTTPS or an SSH tunnel', async () => {
    const { gw, pageUrl } = await startRemoteGateway();
    try {
      const page = await openRemote(pageUrl, false);
      expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
      const notice = page.locator('[data-testid=unavailable]');
      await notice.waitFor({ timeout: 15_000 });
      const port = gw.gateway.port;
      expect(await notice.textContent()).toMatch(new RegExp(`not a secure context.*HTTPS.*ssh -L ${port}:127\\.0\\.0\\.1:${port} `, 's'));
      // A token cannot help here (a device is required off loopback), so the page does not ask for one.
      expect(await page.locator('[data-testid=token]').count()).toBe(0);
      await page.close();
    } finally {
      await gw.close();
    }
  });
});
