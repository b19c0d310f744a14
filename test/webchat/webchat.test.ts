// The WebChat end to end in real headless Chromium (Debian /usr/bin/chromium + playwright-core)
// against a real gateway: it pairs by itself on loopback, streams a reply, aborts one, shows the
// history after a reload, and resumes after the gateway kills its socket. Keeps a screenshot in
// test/artifacts/webchat.png. Also: nothing the gateway serves contains a secret.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { sse, startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { ARTIFACTS, httpUrl, launchChromium, newPage, send, waitConnected } from './chromium.js';

let browser: Browser;
let fake: FakeOpenAI;
/** Uncaught errors of any page (asserted empty after each test). */
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  fake = await startFakeOpenAI();
}, 60_000);
afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await fake?.close();
});

async function openChat(gw: TestGateway): Promise<Page> {
  const page = await newPage(browser, pageErrors);
  await page.goto(httpUrl(gw));
  await waitConnected(page);
  return page;
}

const lastAssistant = (page: Page) => page.locator('[data-testid=message][data-role=assistant]').last();

describe('WebChat in Chromium', () => {
  it('pairs by itself, streams a reply, and shows the history after a reload', async () => {
    const gw = await startTestGateway({ extra: { agent: { echoDelayMs: 40 } } });
    try {
      const page = await openChat(gw);
      // No token was typed: the browser's device identity was paired on direct loopback.
      expect(await page.locator('[data-testid=token]').count()).toBe(0);
      await send(page, 'hello from the browser');
      const reply = lastAssistant(page);
      await reply.and(page.locator('[data-state=streaming]')).waitFor();
      // Intermediate text while streaming, then the whole answer once it ends.
      await page.waitForFunction(() => {
        const el = [...document.querySelectorAll('[data-role=assistant]')].pop() as HTMLElement | undefined;
        return el?.dataset.state === 'streaming' && (el.textContent ?? '').startsWith('Echo agent: hello');
      });
      const partial = await reply.textContent();
      await page.locator('[data-testid=message][data-role=assistant][data-state=done]').waitFor();
      const whole = await reply.textContent();
      expect(whole).toMatch(/^Echo agent: hello from the browser\n\n\(This is the built-in echo agent/);
      expect(whole!.startsWith(partial!)).toBe(true);
      expect(partial!.length).toBeLessThan(whole!.length);
      const devices = await (await gw.connect()).call('device.pair.list', {});
      expect(devices.paired.some((d) => d.clientId === 'webchat-ui')).toBe(true);

      await page.reload();
      await page.locator('[data-testid=connection][data-state=open]').waitFor();
      const rows = page.locator('[data-testid=message]');
      await rows.nth(1).waitFor();
      expect(await rows.allTextContents()).toEqual(['hello from the browser', whole]);
      await page.close();
    } finally {
      await gw.close();
    }
  });

  it('aborts a slow reply (the transcript shows it stopped) and resumes after the gateway kills its socket', async () => {
    const gw = await startTestGateway({ extra: { agent: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model' } } });
    try {
      const page = await openChat(gw);
      const states: string[] = [];
      await page.exposeFunction('recordState', (s: string) => { states.push(s); });
      await page.evaluate(() => {
        const pill = document.querySelector('[data-testid=connection]') as HTMLElement;
        new MutationObserver(() => void (window as unknown as { recordState(s: string): void }).recordState(pill.dataset.state ?? '')).observe(pill, { attributes: true });
      });

      // 1. Abort: a stream that would take a minute, stopped from the UI.
      const story = 'Once upon a time, in a house full of old radios, there lived a switchboard that never slept. '.repeat(30).split(/(?<= )/);
      fake.enqueue(sse.text(story, { waitMs: 200 }));
      await send(page, 'Tell me a very long story.');
      await page.waitForFunction(() => ((document.querySelector('[data-role=assistant][data-state=streaming]')?.textContent) ?? '').includes('time,'));
      await page.locator('[data-testid=abort]').click();
      const stopped = page.locator('[data-testid=message][data-role=assistant][data-state=aborted]');
      await stopped.waitFor();
      expect(await stopped.textContent()).toMatch(/^Once upon a time, .*stopped$/s);
      const history = await (await gw.connect()).call('chat.history', { sessionKey: 'main' });
      expect(history.messages.at(-1)).toMatchObject({ role: 'assistant', state: 'aborted', abort: { reason: 'user' } });

      // 2. Resume: kill the gateway's side of the browser's socket mid-stream; no text may be lost.
      const parts = ('A shorter one, then. The gateway dropped this browser\'s socket while these words were on their way; '
        + 'the page reconnected, offered the last event it had seen, and the gateway replayed everything it missed, '
        + 'so not one word of this answer is lost.').split(/(?<= )/);
      fake.enqueue(sse.text(parts, { waitMs: 50 }));
      await send(page, 'Then a short one, please.');
      await page.waitForFunction(() => ((document.querySelector('[data-role=assistant][data-state=streaming]')?.textContent) ?? '').includes('dropped'));
      for (const conn of gw.gateway.services.connections.values()) if (conn.caller?.client.id === 'webchat-ui') conn.ws.terminate();
      await page.locator('[data-testid=connection][data-state=reconnecting]').waitFor();
      await page.locator('[data-testid=connection][data-state=open]').waitFor({ timeout: 15_000 });
      const done = page.locator('[data-testid=message][data-role=assistant][data-state=done]').last();
      await page.waitForFunction((n) => document.querySelectorAll('[data-role=assistant][data-state=done]').length >= n, 1);
      expect(await done.textContent()).toBe(parts.join(''));
      expect(states).toContain('reconnecting');
      expect(states.at(-1)).toBe('open');

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'webchat.png') });
      await page.close();
    } finally {
      await gw.close();
    }
  });

  it('serves no secret: the page, the bundle and its source map contain no token', async () => {
    const gw = await startTestGateway();
    try {
      const base = httpUrl(gw);
      const index = await (await fetch(base)).text();
      const assets = [...index.matchAll(/(?:src|href)="\/([^"]+)"/g)].map((m) => m[1]);
      expect(assets).toEqual(expect.arrayContaining(['app.js', 'styles.css']));
      const bodies = [index];
      for (const a of [...assets, 'app.js.map']) {
        const res = await fetch(base + a);
        expect(res.status, a).toBe(200);
        bodies.push(await res.text());
      }
      for (const secret of [gw.token, gw.gateway.options.auth.token!]) {
        for (const body of bodies) expect(body.includes(secret)).toBe(false);
      }
    } finally {
      await gw.close();
    }
  });
});
