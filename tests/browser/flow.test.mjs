// The platform in a real browser (Debian's Chromium, driven by playwright-core): sign in, import
// a file with an error and then a good one, open an enterprise, read its scorecard, run a what-if.
// Started by tests/browser/run.sh, which serves a demo database and sets ZJTX_URL and
// ZJTX_PASSWORD.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.ZJTX_URL;
const password = process.env.ZJTX_PASSWORD;
const out = process.env.ZJTX_BROWSER_OUT || 'target/browser';
let browser;
let page;

before(async () => {
  mkdirSync(out, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage();
});

after(async () => { await browser?.close(); });

test('a district officer signs in, imports, reads a scorecard and runs a what-if', async () => {
  await page.goto(`${base}/login`);
  await page.fill('#username', 'xihu');
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL('**/dashboard');
  assert.match(await page.textContent('h1'), /概览/);

  // A file with an error is refused, with the row and column of the error.
  const bad = join(out, 'bad.csv');
  writeFileSync(bad, 'uscc,name,industry_code,district,revenue\n91350100M000100Y43,甲,C3981,西湖区,100\n91350100M000100Y44,乙,C3981,西湖区,12x\n');
  await page.goto(`${base}/import`);
  await page.setInputFiles('input[type=file]', bad);
  await page.click('form[enctype] button[type=submit]');
  const alert = await page.textContent('[role=alert]');
  assert.match(alert, /有 2 处错误/);
  const errors = await page.textContent('ol');
  assert.match(errors, /第 3 行「统一社会信用代码」/);
  assert.match(errors, /第 3 行「上年度营业收入」：「12x」不是数字/);

  // A good file is previewed, then committed.
  const good = join(out, 'good.csv');
  writeFileSync(good, 'uscc,name,industry_code,district,year,revenue,main_revenue,rd_expense,employees\n'
    + '91350100M000100Y43,杭州浏览器测试科技有限公司,C3981,西湖区,2025,5000,4800,250,80\n');
  await page.setInputFiles('input[type=file]', good);
  await page.click('form[enctype] button[type=submit]');
  assert.match(await page.textContent('main'), /1 行数据，全部有效/);
  await page.click('text=确认导入');
  assert.match(await page.textContent('main'), /已导入 1 家企业/);

  // The new enterprise is in the list; its page shows the scorecard.
  await page.goto(`${base}/enterprises?q=${encodeURIComponent('浏览器测试')}`);
  await page.click('text=杭州浏览器测试科技有限公司');
  await page.waitForURL('**/enterprises/91350100M000100Y43');
  const main = await page.textContent('main');
  assert.match(main, /梯度评价/);
  assert.match(main, /CX-2/);
  assert.match(main, /研发费用占营业收入比重/);
  await page.screenshot({ path: join(out, 'scorecard.png'), fullPage: false });

  // What-if: more R&D; the page evaluates the changed figures without storing them.
  await page.click('summary:has-text("模拟测算")');
  await page.fill('input[name=rd_expense]', '500');
  await page.click('#whatif button[type=submit]');
  assert.match(await page.textContent('main'), /梯度评价（模拟）/);
  assert.match(await page.textContent('main'), /计算值：10%/);
  await page.screenshot({ path: join(out, 'whatif.png'), fullPage: false });

  // English: the footer's switch reloads the same page (the what-if kept) in English.
  await page.click('footer a[lang=en]');
  await page.waitForLoadState();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  const en = await page.textContent('main');
  assert.match(en, /Tier evaluation \(what-if\)/);
  assert.match(en, /R&D intensity/);
  assert.match(page.url(), /rd_expense=500/);
  await page.screenshot({ path: join(out, 'english.png'), fullPage: false });
  await page.click('footer a[lang=zh-CN]');
  await page.waitForLoadState();
  assert.match(await page.textContent('main'), /梯度评价（模拟）/);
});
