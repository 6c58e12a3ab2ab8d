// No developer text in the pages (issue 16, item 2): each demo account, and a visitor without
// one, reads every page its links lead to — a few of each kind (`/enterprises/{code}` is one
// kind) — and a few mistyped addresses, in Chinese and then in English; what a reader sees on
// each (the text, and the titles, placeholders and labels read aloud) is scanned for what escaped
// the glossary: keys and codes (`rd_expense`, `small`, `miit-2026`) and English words in the
// Chinese pages, keys in the English ones, leftovers of the code (`{}`, `Some(`, `undefined`),
// and errors answered without a page. It reads pages as a browser would (cookies kept) but needs
// no rendering, so it runs without Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, password } from './lib.mjs';

/** A client that keeps its cookies, as a browser does (this scan needs no rendering). */
function client() {
  const jar = new Map();
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return {
    get: async (path) => keep(await fetch(`${base}${path}`, { headers: { cookie: cookie() }, redirect: 'manual' })),
    post: async (path, form) => keep(await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    })),
  };
}

async function signedIn(user) {
  const c = client();
  const form = await (await c.get('/login')).text();
  const csrf = form.match(/name="csrf" value="([^"]*)"/)?.[1] ?? '';
  const res = await c.post('/login', { csrf, username: user, password });
  assert.equal(res.status, 303, `${user} signs in`);
  return c;
}

/** Pages of one kind read at most this many times (the kind: the path with its ids blotted). */
const PER_KIND = 2;
/** Pages read at most per account and language. */
const MAX_PAGES = 120;

/** Links a reader follows: the platform's own pages, not files, the API, or what changes state. */
function followable(href) {
  if (!href.startsWith('/') || href.startsWith('//')) return false;
  const path = href.split('#')[0].split('?')[0];
  return !/^\/(static|api|lang|logout|metrics|evidence|healthz|readyz|favicon)/.test(path)
    && !/\.(xlsx|csv|json|pdf|svg|ico|txt)$/.test(path);
}

/** The kind of a page: its path with numbers and codes blotted, and its query's names. */
function kind(href) {
  const [path, query = ''] = href.split('#')[0].split('?');
  const p = path.split('/').map((s) => (/\d/.test(s) ? '#' : s)).join('/');
  const names = query.split('&').map((kv) => kv.split('=')[0]).filter(Boolean).sort().join('&');
  return `${p}?${names}`;
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", nbsp: ' ' };

/** What a reader sees of a page: its text, and the titles, placeholders and ARIA labels. */
function visible(html) {
  const attrs = [...html.matchAll(/\s(?:title|placeholder|aria-label|alt)="([^"]*)"/g)].map((m) => m[1]);
  const body = html
    .replace(/<head[\s\S]*?<\/head>/i, ' ')
    .replace(/<(script|style|code|pre|textarea)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ');
  return [body, ...attrs].join(' ').replace(/&([a-z0-9#]+);/gi, (m, e) => ENTITIES[e] ?? m);
}

/**
 * Latin words a Chinese page may hold: names of formats, standards and protocols, written as
 * they are in Chinese texts too. Capitals alone (API, CSV, clause ids such as XJ26-1a) pass.
 */
const ZH_ALLOWED = new Set([
  'Excel', 'https', 'http', 'xx', 'v', 'vs', 't', 'English', 'Webhook', 'webhook', 'Webhooks',
  'OpenAPI', 'Bearer', 'bp', 'Y', 'IoT', 'SaaS', 'No',
]);

/** Words of the scanned text that should not be there; `zh`: the page is the Chinese one. */
export function leftovers(text, zh, own = []) {
  const t = text
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/[\w.+-]+@[\w-]+\.[\w.]+/g, ' ')
    // Paths of the API (/api/v1) and file names (模板 .xlsx, openapi.json).
    .replace(/(^|\s)\/[\w/{}.-]+/g, ' ')
    .replace(/[\w-]*\.(xlsx|csv|json|toml|pdf)\b/gi, ' ')
    // Codes of firms (统一社会信用代码), clause ids and tokens: letters with digits or capitals.
    .replace(/\b(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{2,}\b/g, ' ')
    .replace(/\b[A-Z][A-Z0-9]*(?:-[A-Za-z0-9]+)*\b/g, ' ');
  const found = [];
  for (const m of t.matchAll(/\{\}|\bSome\(|\bundefined\b|\bNaN\b/g)) found.push(m[0]);
  for (const m of t.matchAll(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g)) found.push(m[0]);
  for (const m of text.matchAll(/\bmiit-20\d\d\b/g)) found.push(m[0]);
  if (zh) {
    for (const m of t.matchAll(/[A-Za-z]+(?:[-'][A-Za-z]+)*/g)) {
      const w = m[0];
      if (w.length >= 2 && !ZH_ALLOWED.has(w) && !own.includes(w)) found.push(w);
    }
  }
  return [...new Set(found)];
}

// A visitor without an account starts from the public pages.
const accounts = ['city', 'xihu', 'firm', 'lead', 'bank', 'provider', 'expert1', 'visitor'];
const PUBLIC = ['/notice', '/titled', '/catalogue', '/challenges', '/login'];

for (const user of accounts) {
  test(`${user}: no key, code or wrong-language word on any page it can reach`, async () => {
    const request = user === 'visitor' ? client() : await signedIn(user);
    // The demo's account names are data (a reviewer, a bank's reader), not text to translate.
    const own = [...accounts, 'bank2', 'expert2', 'expert3', 'expert4', 'expert5'];
    const problems = [];
    let read = 0;
    for (const lang of ['zh', 'en']) {
      await request.get(`/lang/${lang}`);
      const seen = new Set();
      const kinds = new Map();
      // The start page, and addresses a reader may mistype (their error pages are read too).
      const queue = ['/', '/declarations/abc', '/batches/99999', '/no-such-page', '/enterprises?page=x',
        ...(user === 'visitor' ? PUBLIC : [])];
      while (queue.length > 0 && seen.size < MAX_PAGES) {
        const href = queue.shift();
        if (seen.has(href)) continue;
        const k = kind(href);
        if ((kinds.get(k) ?? 0) >= PER_KIND) continue;
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
        seen.add(href);
        const res = await request.get(href);
        if (res.status >= 300 && res.status < 400) {
          const to = res.headers.get('location') ?? '';
          if (followable(to) && !seen.has(to)) queue.push(to);
          continue;
        }
        if (!(res.headers.get('content-type') ?? '').startsWith('text/html')) {
          if (res.status >= 400) problems.push(`${lang} ${href}: an error answered without a page (${res.status})`);
          continue;
        }
        const html = await res.text();
        read += 1;
        for (const w of leftovers(visible(html), lang === 'zh', own)) {
          const p = `${lang} ${k}: ${w}`;
          if (!problems.includes(p)) problems.push(p);
        }
        for (const m of html.matchAll(/href="([^"]+)"/g)) {
          const next = m[1].replace(/&amp;/g, '&');
          if (followable(next) && !seen.has(next)) queue.push(next);
        }
      }
    }
    console.log(`${user}: ${read} pages read in both languages`);
    if (problems.length > 0) console.log(`${user}:\n  ${problems.join('\n  ')}`);
    assert.ok(read >= 4, `${user} read ${read} pages`);
    assert.deepEqual(problems, [], `${user}: ${problems.length} words escaped the glossary`);
  });
}
