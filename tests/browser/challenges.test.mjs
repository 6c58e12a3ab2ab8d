// An open challenge (揭榜挂帅) in a real browser, from posting to acceptance: the demo's lead firm
// posts anonymously (a refused posting keeps what was typed), the city publishes it with its
// subsidy, the demo firm applies without ever seeing who posted, the lead selects and starts,
// the firm reports its milestone, the lead confirms and accepts, and the solver joins the lead's
// supplier list. Started by tests/browser/run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { base, out, launch, signIn as signInAs } from './lib.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const signIn = (user) => signInAs(browser, user);

test('a challenge from posting to acceptance', async () => {
  const lead = await signIn('lead');
  await lead.goto(`${base}/challenges/manage`);
  const title = `浏览器测试揭榜${Date.now() % 100000}`;
  await lead.selectOption('#post select[name=chain]', '集成电路');
  await lead.fill('#post input[name=title]', title);
  await lead.fill('#post textarea[name=description]', '需要一种晶圆级封装的散热方案');
  // No indicators and no deadline: refused, each named beside its field, the rest kept.
  await lead.click('#post button[type=submit]');
  assert.match(await lead.textContent('.error'), /目标指标/);
  assert.match(await lead.textContent('.error'), /揭榜截止日期/);
  assert.equal(await lead.inputValue('#post input[name=title]'), title);
  assert.equal(await lead.inputValue('#post textarea[name=description]'), '需要一种晶圆级封装的散热方案');
  await lead.fill('#post textarea[name=indicators]', '热阻降低 20%');
  const deadline = new Date(Date.now() + 40 * 86400000).toISOString().slice(0, 10);
  await lead.fill('#post input[name=deadline]', deadline);
  await lead.fill('#post input[name=budget]', '500');
  await lead.check('#post input[name=anonymous]');
  await lead.click('#post button[type=submit]');
  assert.match(await lead.textContent('h1'), new RegExp(title));
  assert.match(await lead.textContent('#status'), /待审核/);
  const page = lead.url();
  const posterName = await lead.textContent('#poster');
  assert.match(posterName, /匿名发布/);
  const name = posterName.replace(/（匿名发布）/, '').trim();

  // The city publishes it with the subsidy.
  const city = await signIn('city');
  await city.goto(`${base}/challenges/manage`);
  await city.click(`#waiting + .table-wrap a:has-text("${title}")`);
  await city.selectOption('#screen select[name=decision]', 'publish');
  await city.check('#screen input[name=subsidy]');
  await city.click('#screen button[type=submit]');
  assert.match(await city.textContent('#status'), /揭榜中/);

  // A visitor and the applicant see it without its poster.
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(`${base}/challenges`);
  const row = await visitor.textContent(`#open + .table-wrap tr:has-text("${title}")`);
  assert.match(row, /匿名发榜企业/);
  assert.ok(!row.includes(name));
  const firm = await signIn('firm');
  await firm.goto(page);
  assert.match(await firm.textContent('#poster'), /匿名发榜企业/);
  assert.ok(!(await firm.content()).includes(name));
  await firm.fill('#apply textarea[name=team]', '浏览器测试团队 6 人');
  await firm.fill('#apply textarea[name=capability]', '市级研发中心');
  await firm.fill('#apply textarea[name=plan]', '两个月完成样品');
  await firm.click('#apply button[type=submit]');
  assert.match(await firm.textContent('#applications ~ .application'), /已申请/);

  // The lead scores and selects the firm, and starts the work.
  await lead.goto(page);
  const app = lead.locator('.application', { hasText: '浏览器测试团队 6 人' });
  const sel = app.locator('form.select');
  await sel.locator('input[name=team]').fill('20');
  await sel.locator('input[name=capability]').fill('18');
  await sel.locator('input[name=plan]').fill('22');
  await sel.locator('input[name=fit]').fill('24');
  await sel.locator('input[name=reason]').fill('方案可行');
  await sel.locator('button[type=submit]').click();
  await lead.click('#start button[type=submit]');
  assert.match(await lead.textContent('#status'), /攻关中/);

  // The firm plans and reports its milestone; the lead confirms and accepts.
  await firm.goto(page);
  const mine = firm.locator('.application').first();
  await mine.locator('form.plan input[name=title]').fill('样品交付');
  await mine.locator('form.plan button[type=submit]').click();
  await firm.locator('form.report input[name=evidence]').fill('检测报告 BT-001');
  await firm.locator('form.report button[type=submit]').click();
  assert.match(await firm.textContent('.milestones'), /待确认/);

  await lead.goto(page);
  await lead.locator('form.confirm button[type=submit]').click();
  const solved = lead.locator('.application', { hasText: '浏览器测试团队 6 人' });
  await solved.locator('form.accept input[name=investment]').fill('750');
  await solved.locator('form.accept input[name=supplier]').check();
  await solved.locator('form.accept button[type=submit]').click();
  assert.match(await lead.textContent('#status'), /已结束/);
  // 20% of 750, under the 200 cap.
  assert.match(await lead.locator('.application', { hasText: '浏览器测试团队 6 人' }).locator('.subsidy').textContent(), /^150/);
  await lead.screenshot({ path: join(out, 'challenge-accepted.png'), fullPage: true });
  await lead.goto(`${base}/challenges/manage`);
  const firmName = (await firm.textContent('.application h3')).replace(/已.*$/, '').trim();
  assert.match(await lead.textContent('#suppliers + .table-wrap'), new RegExp(firmName));
});
