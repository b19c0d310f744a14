// The WebChat's session list in real headless Chromium against a real gateway: "+ New chat" opens
// an empty session, each session keeps its own transcript when switching back and forth, a reload
// reopens the session the page was on, and the list shows both sessions.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestGateway } from '../helpers/gateway.js';
import { sse, startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai.js';
import { launchChromium, httpUrl, newPage, send, transcript, waitConnected } from './chromium.js';

let browser: Browser;
let fake: FakeOpenAI;
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

/** Sends `text` and waits for the echo agent's finished answer to it. */
async function exchange(page: Page, text: string): Promise<void> {
  await send(page, text);
  await page.waitForFunction((t) => [...document.querySelectorAll('[data-role=assistant][data-state=done]')]
    .some((el) => (el.textContent ?? '').startsWith(`Echo agent: ${t}`)), text);
}

/** The transcript with each echo answer cut to its first line (the rest is the same boilerplate). */
async function shortTranscript(page: Page): Promise<string[]> {
  return (await transcript(page)).map((line) => line.split('\n')[0]);
}

const sessionButton = (page: Page, key: string) => page.locator(`[data-testid=session][data-key="${key}"]`);
const currentKey = (page: Page) => page.locator('[data-testid=session][aria-current=true]').getAttribute('data-key');

describe('WebChat sessions in Chromium', () => {
  it('keeps each chat\'s history its own across "+ New chat", switching and a reload', async () => {
    const gw = await startTestGateway({ extra: { agent: { echoDelayMs: 5 } } });
    try {
      const page = await newPage(browser, pageErrors);
      await page.goto(httpUrl(gw));
      await waitConnected(page);
      expect(await currentKey(page)).toBe('agent:main:main');
      await exchange(page, 'first in main');
      const mainLines = ['user: first in main', 'assistant: Echo agent: first in main'];
      expect(await shortTranscript(page)).toEqual(mainLines);

      // A new chat starts empty, becomes the current session, and is listed.
      await page.locator('[data-testid=new-chat]').click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=message]').length === 0);
      const chatKey = (await currentKey(page))!;
      expect(chatKey).toMatch(/^agent:main:chat-/);
      expect(await page.evaluate(() => location.hash)).toBe(`#session=${encodeURIComponent(chatKey)}`);
      await exchange(page, 'first in the new chat');
      const chatLines = ['user: first in the new chat', 'assistant: Echo agent: first in the new chat'];
      expect(await shortTranscript(page)).toEqual(chatLines);
      const stored = await (await gw.connect()).call('chat.history', { sessionKey: chatKey });
      expect(stored.messages).toHaveLength(2);

      // Back to main: its own history only; one more message there stays there.
      await sessionButton(page, 'agent:main:main').click();
      await page.waitForFunction(() => document.querySelector('[data-testid=session][aria-current=true]')?.getAttribute('data-key') === 'agent:main:main');
      await page.locator('[data-testid=message]').nth(1).waitFor();
      expect(await shortTranscript(page)).toEqual(mainLines);
      await exchange(page, 'second in main');
      mainLines.push('user: second in main', 'assistant: Echo agent: second in main');
      expect(await shortTranscript(page)).toEqual(mainLines);

      // And to the new chat again: still its own two messages.
      await sessionButton(page, chatKey).click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=message]').length === n, chatLines.length);
      expect(await shortTranscript(page)).toEqual(chatLines);

      // A reload reopens the chat the page was on, and lists both sessions.
      await page.reload();
      await waitConnected(page);
      await page.locator('[data-testid=message]').nth(1).waitFor();
      expect(await currentKey(page)).toBe(chatKey);
      expect(await shortTranscript(page)).toEqual(chatLines);
      const listed = await page.locator('[data-testid=session]').evaluateAll((els) => els.map((el) => el.getAttribute('data-key')));
      expect(listed.sort()).toEqual(['agent:main:main', chatKey].sort());
      await sessionButton(page, 'agent:main:main').click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=message]').length === n, mainLines.length);
      expect(await shortTranscript(page)).toEqual(mainLines);

      // A short key in the address bar (`main`) is the same session as its canonical form.
      await page.evaluate(() => { location.hash = 'session=main'; });
      await page.reload();
      await waitConnected(page);
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=message]').length === n, mainLines.length);
      expect(await currentKey(page)).toBe('agent:main:main');
      expect(await page.locator('[data-testid=session]').count()).toBe(2);
      await page.close();
    } finally {
      await gw.close();
    }
  });

  it('a reply streaming in one chat stays there while another chat is open, and is whole when switching back', async () => {
    const gw = await startTestGateway({ extra: { agent: { provider: 'openai', baseUrl: fake.baseUrl, model: 'fake-model' } } });
    try {
      const page = await newPage(browser, pageErrors);
      await page.goto(httpUrl(gw));
      await waitConnected(page);
      const story = 'Slowly, word by word, the main chat tells its story while the user looks elsewhere. '.repeat(4).split(/(?<= )/);
      fake.enqueue(sse.text(story, { waitMs: 60 }));
      fake.enqueue(sse.text(['Quick ', 'answer.']));
      await send(page, 'A slow story, please.');
      await page.locator('[data-role=assistant][data-state=streaming]').waitFor();
      expect(await page.locator('[data-testid=abort]').isEnabled()).toBe(true);

      // Elsewhere: nothing of main's stream shows up, and there is nothing to stop.
      await page.locator('[data-testid=new-chat]').click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=message]').length === 0);
      expect(await page.locator('[data-testid=abort]').isEnabled()).toBe(false);
      await send(page, 'Meanwhile, a quick one.');
      await page.locator('[data-role=assistant][data-state=done]').waitFor();
      expect(await shortTranscript(page)).toEqual(['user: Meanwhile, a quick one.', 'assistant: Quick answer.']);

      // Back in main the reply is still streaming (Stop works again), then ends whole.
      await sessionButton(page, 'agent:main:main').click();
      await page.locator('[data-role=user]').first().waitFor();
      expect((await shortTranscript(page))[0]).toBe('user: A slow story, please.');
      await page.locator('[data-role=assistant][data-state=streaming]').waitFor();
      expect(await page.locator('[data-testid=abort]').isEnabled()).toBe(true);
      await page.locator('[data-role=assistant][data-state=done]').waitFor({ timeout: 15_000 });
      expect(await shortTranscript(page)).toEqual(['user: A slow story, please.', `assistant: ${story.join('')}`]);
      expect(await page.locator('[data-testid=abort]').isEnabled()).toBe(false);
      await page.close();
    } finally {
      await gw.close();
    }
  });
});
