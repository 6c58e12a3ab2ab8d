// The finance zone in a real browser: the demo firm posts a financing need, consents to the demo
// bank, applies for the open product; the bank reads the firm (as consented), grants and
// disburses; the firm sees each step and who read its data. Started by tests/browser/run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { base, out, launch, signIn as signInAs } from './lib.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const signIn = (user) => signInAs(browser, user);

test('from a financing need to a disbursed loan', async () => {
  const firm = await signIn('firm');
  await firm.goto(`${base}/finance`);
  // An amount in words is refused beside the form; what was typed survives.
  await firm.fill('#needs input[name=amount]', '五百万');
  await firm.fill('#needs input[name=term_months]', '12');
  await firm.fill('#needs input[name=purpose]', '扩大产能');
  await firm.check('#needs input[value=credit]');
  await firm.click('#needs button[type=submit]');
  assert.match(await firm.textContent('#need-error'), /需求未发布/);
  assert.equal(await firm.inputValue('#needs input[name=purpose]'), '扩大产能');
  assert.equal(await firm.isChecked('#needs input[value=credit]'), true);
  await firm.fill('#needs input[name=amount]', '500');
  await firm.click('#needs button[type=submit]');
  assert.match(await firm.textContent('#needs'), /扩大产能/);

  // Consent: profile and financials, to the demo bank, for 30 days.
  await firm.check('#consents input[value=profile]');
  await firm.check('#consents input[value=financials]');
  await firm.fill('#consents input[name=purpose]', '授信审查');
  await firm.fill('#consents input[name=days]', '30');
  await firm.click('#consents button[type=submit]');
  assert.match(await firm.textContent('#consents'), /授信审查/);

  // Apply for the open product, for the need.
  await firm.click('#matched >> text=科创信用贷（演示）');
  await firm.fill('#match input[name=amount]', '300');
  await firm.selectOption('#match select[name=need]', { index: 1 });
  await firm.click('#match button[type=submit]');
  assert.match(await firm.textContent('#applications'), /已申请/);

  // The firm's code, from its own registry list (it sees itself only).
  await firm.goto(`${base}/enterprises`);
  const own = (await firm.getAttribute('main table a[href^="/enterprises/"]', 'href')).split('/').pop();

  // The bank reads the firm as consented (among the demo's other consenting firms), then moves
  // the application to disbursement.
  const bank = await signIn('bank');
  await bank.goto(`${base}/finance/screen`);
  await bank.click(`#results a[href="/finance/enterprises/${own}"]`);
  assert.match(await bank.textContent('main'), /财务数据/);
  // The consented profile is worded for the reader, not shown by its API keys.
  const seen = await bank.textContent('main');
  for (const label of [/行业代码/, /企业规模/]) assert.match(seen, label);
  assert.doesNotMatch(seen, /industry_code|main_products|main_revenue/);
  await bank.screenshot({ path: join(out, 'disclosure.png'), fullPage: true });
  await bank.goto(`${base}/finance`);
  for (const [to, amount] of [['accepted', ''], ['granted', '300'], ['disbursed', '']]) {
    await bank.selectOption('#applications select[name=to]', to);
    if (amount) await bank.fill('#applications input[name=amount]', amount);
    await bank.click('#applications form button[type=submit]');
  }
  assert.match(await bank.textContent('#applications'), /已放款/);

  // The firm: each step, and who read its data.
  await firm.goto(`${base}/finance`);
  const apps = await firm.textContent('#applications');
  for (const s of [/已申请/, /已受理/, /已授信/, /已放款/]) assert.match(apps, s);
  assert.match(await firm.textContent('#access'), /bank/);
  await firm.screenshot({ path: join(out, 'finance.png'), fullPage: false });
});
