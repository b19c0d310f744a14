/**
 * Shared pieces of the WebChat browser tests: real headless Chromium (Debian /usr/bin/chromium,
 * driven by playwright-core) against a real gateway that serves the built WebChat (`pnpm build`).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestGateway } from '../helpers/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where browser tests keep screenshots (docs/webchat.png is copied from here). */
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Launches headless Chromium; `extraArgs` are added to the quiet defaults. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
}

/** The page's origin for a gateway: the WebChat is served on the control plane's own port. */
export const httpUrl = (gw: TestGateway): string => gw.url.replace(/^ws:/, 'http:') + '/';

/** Opens a page that records its uncaught errors into `errors` (tests assert it stays empty). */
export async function newPage(browser: Browser, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  page.on('pageerror', (err) => { errors.push(err.message); });
  return page;
}

/** Waits until the connection pill says the page is connected. */
export async function waitConnected(page: Page): Promise<void> {
  await page.locator('[data-testid=connection][data-state=open]').waitFor({ timeout: 15_000 });
}

/** Types `text` into the composer and presses Send. */
export async function send(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid=input]').fill(text);
  await page.locator('[data-testid=send]').click();
}

/** The transcript's messages as `role: text` lines, in order. */
export async function transcript(page: Page): Promise<string[]> {
  return page.locator('[data-testid=message]').evaluateAll((els) => els.map((el) => `${(el as HTMLElement).dataset.role}: ${el.textContent ?? ''}`));
}
