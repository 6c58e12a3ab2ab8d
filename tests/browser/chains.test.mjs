// Chain work in a real browser: the bureau records a matchmaking event of a chain, adds a firm
// from the registry and a bank, records a signed order, and reads it in the year's line; a
// district office sees its own events. Started by tests/browser/run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { base, out, launch, signIn as signInAs } from './lib.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const signIn = (user) => signInAs(browser, user);

test('a chain event from recording to the bureau\'s line', async () => {
  const city = await signIn('city');
  // A firm of the registry to invite.
  await city.goto(`${base}/enterprises`);
  const href = await city.getAttribute('table tbody tr td a', 'href');
  const uscc = href.split('/').pop();
  assert.match(uscc, /^[0-9A-Z]{18}$/);

  await city.goto(`${base}/chains/events`);
  // The demo city has a year of events: the line counts them.
  const before = await city.textContent('#line');
  assert.match(before, /\d/);
  await city.click('#new-event summary');
  await city.selectOption('#new-event select[name=chain]', '集成电路');
  await city.fill('#new-event input[name=title]', '浏览器测试对接会');
  await city.fill('#new-event input[name=organiser]', '市经信局');
  await city.click('#new-event button[type=submit]');
  assert.match(await city.textContent('h1'), /浏览器测试对接会/);

  await city.selectOption('#add-party select[name=role]', 'sme');
  await city.fill('#add-party input[name=who]', uscc);
  await city.click('#add-party button[type=submit]');
  await city.selectOption('#add-party select[name=role]', 'bank');
  await city.fill('#add-party input[name=who]', '杭州银行');
  await city.click('#add-party button[type=submit]');
  assert.match(await city.textContent('#parties + .table-wrap'), /杭州银行/);

  await city.selectOption('#add-outcome select[name=party]', { index: 0 });
  await city.selectOption('#add-outcome select[name=kind]', 'order');
  await city.fill('#add-outcome input[name=amount]', '888.5');
  await city.selectOption('#add-outcome select[name=status]', 'signed');
  await city.click('#add-outcome button[type=submit]');
  const outcomes = await city.textContent('#outcomes + .table-wrap');
  assert.match(outcomes, /888\.5/);
  assert.match(outcomes, /已签约/);
  await city.screenshot({ path: join(out, 'chain-event.png'), fullPage: true });

  // An order without its amount is refused, the reason named.
  await city.selectOption('#add-outcome select[name=kind]', 'order');
  await city.fill('#add-outcome input[name=amount]', '');
  await city.click('#add-outcome button[type=submit]');
  assert.match(await city.textContent('main'), /金额：格式有误/);

  await city.goto(`${base}/chains/events?chain=${encodeURIComponent('集成电路')}`);
  assert.match(await city.textContent('#events + .table-wrap'), /浏览器测试对接会/);
  await city.screenshot({ path: join(out, 'chain-events.png'), fullPage: true });
  await city.click('#line a[href*="what=order"]');
  assert.match(await city.textContent('main'), /浏览器测试对接会/);

  // The district office sees the events of its district only, and can record.
  const xihu = await signIn('xihu');
  await xihu.goto(`${base}/chains/events`);
  assert.doesNotMatch(await xihu.textContent('main'), /浏览器测试对接会/);
  assert.ok(await xihu.isVisible('#new-event summary'));
});
