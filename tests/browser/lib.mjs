// What the browser tests share: Debian's Chromium with the project's headless flags, the server's
// address and the demo password (set by run.sh), and signing in as a demo account.
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const base = process.env.ZJTX_URL;
export const password = process.env.ZJTX_PASSWORD;
export const out = process.env.ZJTX_BROWSER_OUT || 'target/browser';

export async function launch() {
  mkdirSync(out, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A new page in a fresh context (options: a viewport, say), signed in as `user`. */
export async function signIn(browser, user, options = {}) {
  const page = await (await browser.newContext(options)).newPage();
  await page.goto(`${base}/login`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForLoadState();
  return page;
}
