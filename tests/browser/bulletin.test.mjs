// The yearly bulletin in a real browser (issue 14): the city opens last year's bulletin of the demo
// city, follows a figure to the records behind it (their count equals the figure), and prints the
// page to PDF with Chromium's own printing — A4, several pages, each numbered, the key figures in
// the PDF's text. Started by tests/browser/run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { base, out, launch, signIn } from './lib.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The text of each page of a PDF. */
async function pdfPages(bytes) {
  const doc = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false }).promise;
  const pages = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const view = page.view;
    const content = await page.getTextContent();
    pages.push({ width: view[2] - view[0], height: view[3] - view[1], text: content.items.map((t) => t.str).join('').normalize('NFKC') });
  }
  return pages;
}

test('the bulletin: figures traced to their records, printed to a clean PDF', async () => {
  const city = await signIn(browser, 'city');
  const year = new Date().getFullYear() - 1;
  await city.goto(`${base}/monitoring/bulletin?year=${year}`);
  assert.match(await city.textContent('h1'), new RegExp(`年度培育工作报告 · 全市 · ${year}`));
  await city.screenshot({ path: join(out, 'bulletin.png'), fullPage: true });

  // Every section the demo city has records for speaks; a figure's records add up to it.
  const figure = async (id) => (await city.textContent(`tr:has(a.figure[data-id="${id}"]) td.num`)).trim();
  const events = await figure('fin_events');
  const granted = await figure('fin_granted');
  assert.ok(Number(events) > 0, `events ${events}`);
  await city.click('a.figure[data-id="fin_events"]');
  assert.equal(await city.locator('#records tbody tr').count(), Number(events));
  await city.goBack();
  await city.click('a.figure[data-id="fin_granted"]');
  const amounts = await city.locator('#records tbody td.num').allTextContents();
  const sum = amounts.reduce((s, a) => s + Math.round(Number(a) * 100), 0) / 100;
  assert.equal(sum, Number(granted));
  await city.goBack();

  // Printed as a person would (the print stylesheet, A4, numbered pages).
  await city.emulateMedia({ media: 'print' });
  await city.screenshot({ path: join(out, 'bulletin-print.png'), fullPage: true });
  const pdf = await city.pdf({ preferCSSPageSize: true, printBackground: true });
  writeFileSync(join(out, 'bulletin.pdf'), pdf);
  const pages = await pdfPages(pdf);
  assert.ok(pages.length >= 2, `${pages.length} pages`);
  for (const [i, p] of pages.entries()) {
    // A4 portrait in points (595 × 842).
    assert.ok(Math.abs(p.width - 595) < 2 && Math.abs(p.height - 842) < 2, `page ${i + 1}: ${p.width}×${p.height}`);
    assert.ok(p.text.includes(`${i + 1} / ${pages.length}`), `page ${i + 1} is numbered: ${p.text.slice(-80)}`);
  }
  const text = pages.map((p) => p.text).join('\n');
  for (const [label, value] of [['银企对接活动', events], ['新增授信（万元）', granted]]) {
    assert.ok(text.includes(label.normalize('NFKC')) && text.includes(value), `${label} ${value} in the PDF`);
  }
  // The navigation and the filter form are not printed.
  assert.ok(!text.includes('退出'), 'no navigation in print');
});
