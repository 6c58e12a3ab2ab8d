// A declaration in a real browser: the demo firm declares in the demo city's open batch, attaches
// evidence, signs the pledge and submits; the district office reviews it rule by rule and
// recommends it. Started by tests/browser/run.sh (a fresh demo database).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base, out, launch, signIn as signInAs } from './lib.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const signIn = (user) => signInAs(browser, user);

test('the firm declares and submits; the district recommends it', async () => {
  const firm = await signIn('firm');
  await firm.click('nav >> text=申报与认定');
  await firm.click('table a');                       // the demo's open batch
  await firm.click('text=开始申报');
  await firm.waitForURL('**/declarations/*');
  const url = firm.url();
  assert.match(await firm.textContent('main'), /自评/);
  assert.match(await firm.textContent('#status'), /草稿/);

  // Evidence for the first rule: a small, whole PDF.
  const pdf = join(out, 'evidence.pdf');
  writeFileSync(pdf, '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  await firm.setInputFiles('#evidence input[type=file]', pdf);
  await firm.click('#evidence button[type=submit]');
  assert.match(await firm.textContent('#evidence'), /evidence\.pdf/);

  await firm.check('#submit input[name=pledge]');
  await firm.click('#submit button[type=submit]');
  assert.match(await firm.textContent('#status'), /待区县审核/);
  await firm.screenshot({ path: join(out, 'declaration.png'), fullPage: false });

  // The district office: the evidence beside its rule, an opinion per rule, a recommendation.
  const xihu = await signIn('xihu');
  await xihu.goto(url);
  assert.match(await xihu.textContent('#review'), /evidence\.pdf/);
  // The figures the firm changed are shown against the registry's; no opinion is preselected.
  assert.match(await xihu.textContent('#changes'), /申报数据与企业库/);
  assert.equal(await xihu.locator('#review input[type=radio]:checked').count(), 0);
  // Sent without the opinions: the same page, a summary at the top, the input kept.
  await xihu.selectOption('select[name=decision]', 'recommend');
  await xihu.fill('#review input[name=reason]', '材料齐全');
  await xihu.click('#review button[type=submit]');
  assert.match(await xihu.textContent('.error-summary'), /审核意见未提交/);
  assert.equal(await xihu.inputValue('#review input[name=reason]'), '材料齐全');
  assert.equal(await xihu.inputValue('select[name=decision]'), 'recommend');
  assert.match(await xihu.textContent('#status'), /待区县审核/);
  await xihu.screenshot({ path: join(out, 'review-refused.png'), fullPage: false });
  // An opinion on every rule: recommended.
  for (const radio of await xihu.locator('#review input[type=radio][value=yes]').all()) {
    await radio.check();
  }
  await xihu.click('#review button[type=submit]');
  assert.match(await xihu.textContent('#status'), /区县已推荐/);
  await xihu.screenshot({ path: join(out, 'review.png'), fullPage: false });
});
