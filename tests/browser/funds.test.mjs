// A funding call in a real browser: the demo firm applies to this year's technical-upgrade call
// with a project and its invoices, its district recommends it, the city reads the award's trace
// and approves it at the computed amount, then records an instalment. Started by
// tests/browser/run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { base, out, launch, signIn as signInAs } from './lib.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const signIn = (user) => signInAs(browser, user);

test('a project from application to payment', async () => {
  const firm = await signIn('firm');
  await firm.goto(`${base}/funds`);
  const year = new Date().getFullYear();
  await firm.click(`#calls + .table-wrap a:has-text("制造业技术改造项目补助（${year}年度）")`);
  const code = `BT-${Date.now() % 1000000}`;
  await firm.fill('#apply input[name=name]', '浏览器测试技改项目');
  await firm.fill('#apply input[name=code]', code);
  await firm.fill('#apply input[name=registered_on]', `${year - 1}-05-01`);
  await firm.fill('#apply input[name=equipment]', '1600');
  await firm.fill('#apply input[name=technology]', '200');
  await firm.fill('#apply input[name=software]', '200');
  await firm.fill('#apply textarea[name=invoices]', 'No.88 设备 1600\nNo.89 技术与软件 400');
  await firm.click('#apply button[type=submit]');
  assert.match(await firm.textContent('h1'), /浏览器测试技改项目/);
  assert.match(await firm.textContent('#status'), /待区县审核/);
  const page = firm.url();
  // The award as the data stand: 2000 of eligible investment.
  assert.match(await firm.textContent('#lines'), /合格投资 = 设备 1600 \+ 技术 200 \+ 软件 200 = 2000 万元/);

  const xihu = await signIn('xihu');
  await xihu.goto(page);
  await xihu.selectOption('#review select[name=decision]', 'recommend');
  await xihu.click('#review button[type=submit]');
  assert.match(await xihu.textContent('#status'), /待市级审批/);

  const city = await signIn('city');
  await city.goto(page);
  assert.match(await city.textContent('#checks'), /JG-3/);
  await city.click('#approve button[type=submit]');
  assert.match(await city.textContent('#status'), /已批准/);
  // 20% or 10% of 2000 by the firm's industry group; the city pays half.
  const award = await city.textContent('#award + p');
  const m = award.match(/补助 (\d+) 万元/);
  assert.ok(m && (m[1] === '400' || m[1] === '200'), award);
  await city.selectOption('#pay select[name=level]', 'city');
  await city.fill('#pay input[name=amount]', String(Number(m[1]) / 2));
  await city.fill('#pay input[name=reference]', '杭经信财〔浏览器〕1号');
  await city.click('#pay button[type=submit]');
  assert.match(await city.textContent('#money + .table-wrap'), /杭经信财〔浏览器〕1号/);
  // A second instalment past the city's half is refused with what is left.
  await city.fill('#pay input[name=amount]', '1');
  await city.fill('#pay input[name=reference]', 'x');
  await city.click('#pay button[type=submit]');
  assert.match(await city.textContent('main'), /剩余 0 万元/);
  await city.goto(page);
  await city.screenshot({ path: join(out, 'fund-application.png'), fullPage: true });
});
