// Phone width (issue 16): at 390 px the main pages of each role fit the screen — no horizontal
// scrolling of the page itself (wide tables scroll inside their own box) — the navigation folds
// into a menu that opens without script, and the page's own link is marked as the current one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { base, out, launch, signIn } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const phone = (user) => signIn(browser, user, { viewport: { width: 390, height: 844 } });

const pages = {
  city: ['/dashboard', '/enterprises', '/batches', '/finance', '/monitoring/clearings', '/funds', '/chains/events', '/account'],
  firm: ['/enterprises', '/batches', '/finance', '/messages'],
  bank: ['/finance', '/finance/screen', '/account/keys'],
};

for (const [user, paths] of Object.entries(pages)) {
  test(`${user}'s pages fit a phone`, async () => {
    const page = await phone(user);
    for (const path of paths) {
      await page.goto(`${base}${path}`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 391, `${path}: the page is ${width} px wide on a 390 px screen`);
    }
    await page.screenshot({ path: join(out, `phone-${user}.png`), fullPage: false });
  });
}

test('the navigation folds into a menu that opens without script', async () => {
  const page = await phone('city');
  await page.goto(`${base}/enterprises`);
  const link = page.locator('header.top nav a[href="/enterprises"]');
  assert.equal(await link.isVisible(), false, 'folded');
  await page.click('label.menu');
  assert.equal(await link.isVisible(), true, 'open');
  assert.equal(await link.getAttribute('aria-current'), 'page');
  // The skip link leads to the content.
  assert.equal(await page.locator('a.skip').getAttribute('href'), '#main');
  await page.screenshot({ path: join(out, 'phone-menu.png'), fullPage: false });
});
