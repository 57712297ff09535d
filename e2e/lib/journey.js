// The journey harness: one server and one browser per test file, every journey run twice
// (JavaScript on and off), and the same checks on every page the journey visits.
//
//     import { journey } from '../lib/journey.js';
//     journey('visitor explores the site', 'visitor', {}, async (j) => {
//       await j.goto('/', 'home');                          // open + check the page
//       await j.follow('servizi', j.page.getByRole(...), { path: '/servizi' });
//     });
//
// Checks on every page (Journey#check): the document's HTTP status (200 unless told), its
// Cache-Control has no-store (or it is a public page shared by anonymous visitors, see
// cachePolicyProblem), <html lang> matches Content-Language, one <h1>, a <title>,
// scripting really on/off as the variant says, no request to another origin, no console
// error or uncaught page error, no failed same-origin subresource, and zero axe-core
// violations for WCAG 2.0/2.1 A and AA. A full-page screenshot of every step goes to
// <artifacts>/<journey>/<js-on|js-off>/<nn>-<step>.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatViolations, runAxe } from './axe.js';
import { launchBrowser, scriptingEnabled } from './browser.js';
import { dateParts } from './date-field.js';
import { ARTIFACTS_DIR } from './paths.js';
import { startServer } from './server.js';

export const VARIANTS = [
  { id: 'js-on', js: true },
  { id: 'js-off', js: false },
];

const ACTION_TIMEOUT_MS = 10_000;
const JOURNEY_TIMEOUT_MS = 120_000;

/**
 * Define a journey: a describe() with one test per variant (js-on, js-off), sharing one
 * browser and, unless `freshServer` is set, one server.
 * @param {string} title    what the user does, e.g. 'visitor explores the site'
 * @param {string} slug     directory name for its screenshots, e.g. 'visitor'
 * @param {{viewport?: {width: number, height: number}, locale?: string, freshServer?: boolean, serverEnv?: Record<string, string>}} options
 *   `freshServer`: a new server (new database) for each variant, for journeys that leave
 *   state the other variant must not find (a locked PIN, an activated PIN, a used TOTP code).
 *   `serverEnv`: configuration for the server, e.g. `{ SPORTELLO_MUNICIPALITY: 'true' }`.
 * @param {(j: Journey) => Promise<void>} body
 */
export function journey(title, slug, options, body) {
  const { freshServer = false, serverEnv = {}, ...journeyOptions } = options;
  const start = () => startServer({ env: serverEnv });
  describe(title, () => {
    let server;
    let browser;
    before(async () => {
      // Start both at once; keep whichever started, so after() can stop it even when the
      // other failed (a browser left running would keep this process alive).
      const [s, b] = await Promise.allSettled([freshServer ? Promise.resolve(null) : start(), launchBrowser()]);
      server = s.value;
      browser = b.value;
      if (s.status === 'rejected') throw s.reason;
      if (b.status === 'rejected') throw b.reason;
    });
    after(async () => {
      await browser?.close();
      if (server) await stopCleanly(server);
    });
    for (const variant of VARIANTS) {
      it(variant.id, { timeout: JOURNEY_TIMEOUT_MS }, async (t) => {
        const own = freshServer ? await start() : null;
        try {
          const j = await Journey.open({ t, browser, server: own ?? server, slug, variant, ...journeyOptions });
          try {
            await body(j);
            await j.finish();
          } finally {
            await j.close();
          }
        } finally {
          if (own) await stopCleanly(own);
        }
      });
    }
  });
}

async function stopCleanly(server) {
  const { code, signal } = await server.stop();
  assert.equal(code, 0, `server did not exit cleanly on SIGTERM (code ${code}, signal ${signal})\n${server.output()}`);
}

export class Journey {
  /** @private use Journey.open */
  constructor({ t, context, page, cdp, server, slug, variant, dir }) {
    this.t = t;
    this.context = context;
    /** @type {import('playwright-core').Page} */
    this.page = page;
    this.cdp = cdp;
    this.server = server;
    this.origin = server.origin;
    this.slug = slug;
    this.variant = variant;
    this.js = variant.js;
    this.dir = dir;
    this.stepNumber = 0;
    this.pagesChecked = 0;
    this.problems = [];
    this.documentResponses = [];
    // Checks still running in response listeners (they need the request's headers).
    this.pending = [];
    this.watch();
  }

  static async open({ t, browser, server, slug, variant, viewport, locale = 'it-IT' }) {
    const dir = path.join(ARTIFACTS_DIR, slug, variant.id);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    // JavaScript off: set through the DevTools protocol rather than the context's
    // javaScriptEnabled option. Both stop every page script, but with the context option
    // Chromium's timers stay frozen even for DevTools evaluations, so axe-core (which needs
    // setTimeout) can never finish, and that option cannot be lifted for the audit. Our own
    // session can: scripting is switched back on only while axe runs on the already
    // rendered no-JS page, and check() asserts it is really off on every page.
    const context = await browser.newContext({
      viewport: viewport ?? { width: 1280, height: 800 },
      locale,
      javaScriptEnabled: true,
      serviceWorkers: 'block',
    });
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
    const page = await context.newPage();
    let cdp = null;
    if (!variant.js) {
      cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    }
    return new Journey({ t, context, page, cdp, server, slug, variant, dir });
  }

  /** Absolute URL of a path on the server under test. */
  url(p) {
    return new URL(p, this.origin).href;
  }

  /** The current path (with query, without the origin). */
  path() {
    const u = new URL(this.page.url());
    return u.pathname + u.search;
  }

  watch() {
    const { page } = this;
    const sameOrigin = (raw) => {
      const u = new URL(raw);
      if (u.protocol === 'data:' || u.protocol === 'about:') return true;
      return u.origin === this.origin;
    };
    page.on('request', (req) => {
      if (!sameOrigin(req.url())) {
        this.problems.push(`request to another origin: ${req.method()} ${req.url()}`);
      }
    });
    page.on('requestfailed', (req) => {
      this.problems.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`);
    });
    page.on('response', (res) => {
      const req = res.request();
      if (req.isNavigationRequest() && res.frame() === page.mainFrame()) {
        // Every response for the page, redirects included, must not be stored, except a
        // public page shared by every anonymous visitor (see cachePolicyProblem).
        this.documentResponses.push(res);
        this.pending.push(
          cachePolicyProblem(res).then((problem) => {
            if (problem) this.problems.push(problem);
          }),
        );
      } else if (res.status() >= 400) {
        this.problems.push(`subresource failed: ${res.status()} ${res.url()}`);
      }
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        this.problems.push({ console: msg.text(), url: msg.location()?.url ?? '' });
      }
    });
    page.on('pageerror', (err) => this.problems.push(`uncaught page error: ${err.message}`));
    page.on('crash', () => this.problems.push('the page crashed'));
  }

  /** Open a path (as if typed in the address bar), then check the page. */
  async goto(p, step, expect = {}) {
    await this.page.goto(this.url(p), { waitUntil: 'load' });
    return this.check(step, { path: new URL(this.url(p)).pathname, ...expect });
  }

  /**
   * Run `action` (a click, a key press...), wait for the resulting page to load, check it.
   * Works for redirects back to the same URL (the language switch), unlike waitForURL.
   */
  async navigate(step, action, expect = {}) {
    const { page } = this;
    const navigated = page.waitForEvent('framenavigated', {
      predicate: (frame) => frame === page.mainFrame(),
    });
    await action();
    try {
      await navigated;
    } catch (err) {
      err.message = `step "${step}": the action did not load a new page: ${err.message}`;
      throw err;
    }
    await page.waitForLoadState('load');
    return this.check(step, expect);
  }

  /** Click a link (a Playwright locator), then check the page it leads to. */
  async follow(step, link, expect = {}) {
    await link.waitFor({ state: 'visible' });
    return this.navigate(step, () => link.click(), expect);
  }

  /**
   * All the per-page checks, then a screenshot. `expect`: {status = 200, path, lang}.
   * Returns {status, lang, h1, response}.
   */
  async check(step, { status = 200, path: expectedPath, lang } = {}) {
    const { page } = this;
    await page.waitForLoadState('load');
    const where = `step "${step}" (${this.path()}, ${this.variant.id})`;
    const failures = [];

    await this.settle();
    const response = this.documentResponses.at(-1);
    assert.ok(response, `${where}: no page response seen`);
    if (response.status() !== status) failures.push(`HTTP status ${response.status()}, expected ${status}`);
    if (expectedPath && new URL(page.url()).pathname !== expectedPath) {
      failures.push(`landed on ${new URL(page.url()).pathname}, expected ${expectedPath}`);
    }

    const facts = await page.evaluate(() => ({
      lang: document.documentElement.getAttribute('lang'),
      title: document.title.trim(),
      h1s: [...document.querySelectorAll('h1')].map((h) => h.textContent.replace(/\s+/g, ' ').trim()),
    }));
    const contentLanguage = response.headers()['content-language'];
    if (lang && facts.lang !== lang) failures.push(`<html lang="${facts.lang}">, expected "${lang}"`);
    if (!facts.lang) failures.push('<html> has no lang attribute');
    if (contentLanguage && facts.lang !== contentLanguage) {
      failures.push(`<html lang="${facts.lang}"> but Content-Language: ${contentLanguage}`);
    }
    if (facts.h1s.length !== 1) failures.push(`${facts.h1s.length} <h1> elements, expected exactly one: ${JSON.stringify(facts.h1s)}`);
    if (!facts.title) failures.push('empty <title>');
    if ((await scriptingEnabled(page)) !== this.js) {
      failures.push(`scripting is ${this.js ? 'off' : 'on'} but this is the ${this.variant.id} variant`);
    }

    // Screenshot before the audit, so a failing page is on disk to look at.
    await this.screenshot(step);

    const violations = await this.axe();
    if (violations.length > 0) {
      const report = path.join(this.dir, `${this.stepPrefix()}-${slugify(step)}.axe.json`);
      fs.writeFileSync(report, JSON.stringify(violations, null, 2));
      failures.push(`axe-core: ${violations.length} violation(s) (details in ${report}):\n${formatViolations(violations)}`);
    }

    failures.push(...this.takeProblems({ documentUrl: page.url(), status }));
    this.documentResponses = [];
    this.pagesChecked += 1;
    if (failures.length > 0) {
      assert.fail(`${where}:\n${failures.map((f) => `* ${f}`).join('\n')}`);
    }
    return { status: response.status(), lang: facts.lang, h1: facts.h1s[0], response };
  }

  /**
   * Problems seen by the listeners since the last check, as strings; clears them. The one
   * console error Chromium always logs for an error page ("Failed to load resource: ...
   * status of 404") is not a problem when that status is what the step expects.
   */
  takeProblems({ documentUrl, status } = {}) {
    const out = [];
    for (const p of this.problems) {
      if (typeof p === 'string') {
        out.push(p);
        continue;
      }
      const expectedErrorPage =
        status >= 400 &&
        p.url === documentUrl &&
        p.console.startsWith(`Failed to load resource: the server responded with a status of ${status} `);
      if (!expectedErrorPage) out.push(`console error: ${truncate(shortenDataUrls(p.console), 400)}${p.url ? ` (at ${truncate(p.url, 200)})` : ''}`);
    }
    this.problems = [];
    return out;
  }

  /** axe-core on the current page. With JavaScript off, scripting is lifted only meanwhile. */
  async axe() {
    if (this.js) return (await runAxe(this.page)).violations;
    await this.cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
    try {
      return (await runAxe(this.page)).violations;
    } finally {
      await this.cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    }
  }

  stepPrefix() {
    return String(this.stepNumber).padStart(2, '0');
  }

  /** Full-page screenshot: <artifacts>/<journey>/<variant>/<nn>-<step>.png. */
  async screenshot(step) {
    this.stepNumber += 1;
    const file = path.join(this.dir, `${this.stepPrefix()}-${slugify(step)}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }

  /** Describe the focused element, with what is needed to judge its focus indicator. */
  async focused() {
    return this.page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || el === document.documentElement) return null;
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      return {
        tag: el.tagName.toLowerCase(),
        type: el instanceof HTMLInputElement ? el.type : '',
        id: el.id,
        href: el.getAttribute('href'),
        text: (el.textContent || '').replace(/\s+/g, ' ').trim(),
        region: el.closest('nav') ? 'nav' : el.closest('footer') ? 'footer' : el.closest('main') ? 'main' : el.closest('header') ? 'header' : 'other',
        outlineStyle: style.outlineStyle,
        outlineWidth: style.outlineWidth,
        outlineColor: style.outlineColor,
        boxShadow: style.boxShadow,
        width: rect.width,
        height: rect.height,
        focusVisible: el.matches(':focus-visible'),
      };
    });
  }

  /**
   * Press `key` (Tab or Shift+Tab) until `until(focused)` holds, at most `max` times.
   * Every element focused on the way must show a visible focus indicator.
   */
  async tabUntil(until, { key = 'Tab', max = 40 } = {}) {
    const stops = [];
    for (let i = 0; i < max; i += 1) {
      await this.page.keyboard.press(key);
      const f = await this.focused();
      if (f) {
        await this.assertFocusStop(f);
        stops.push(f);
        if (until(f)) return stops;
      }
    }
    assert.fail(`no matching element after ${max} × ${key}; focus went through:\n${stops.map(describeFocus).join('\n')}`);
  }

  /**
   * Press Tab (or Shift+Tab) until `target` (a Playwright locator) has the focus, checking
   * the focus indicator of every stop on the way, like tabUntil.
   */
  async tabTo(target, { key = 'Tab', max = 40 } = {}) {
    await target.waitFor({ state: 'visible' });
    const stops = [];
    for (let i = 0; i < max; i += 1) {
      await this.page.keyboard.press(key);
      const f = await this.focused();
      if (f) {
        await this.assertFocusStop(f);
        stops.push(f);
        if (await target.evaluate((el) => el === document.activeElement)) return f;
      }
    }
    assert.fail(`${target} not reached after ${max} × ${key}; focus went through:\n${stops.map(describeFocus).join('\n')}`);
  }

  /**
   * The focus indicator of a Tab stop (`f` from focused()). One stop needs more: the calendar
   * button inside a date or time field (Chromium's user-agent shadow tree). The <input> is
   * then document.activeElement but no longer :focus-visible, and the indicator is the
   * button's own, read through the DevTools protocol (lib/date-field.js).
   */
  async assertFocusStop(f) {
    const pickerTypes = ['date', 'time', 'datetime-local', 'month', 'week'];
    if (f && f.tag === 'input' && pickerTypes.includes(f.type) && !f.focusVisible && f.id) {
      const { picker } = await dateParts(this.page, f.id);
      assert.ok(picker, `no focus indicator on ${describeFocus(f)}, and it has no calendar button`);
      assertFocusVisible({
        ...f,
        tag: `input type=${f.type} > calendar button`,
        outlineStyle: picker['outline-style'],
        outlineWidth: picker['outline-width'],
        outlineColor: picker['outline-color'],
        boxShadow: picker['box-shadow'],
        width: parseFloat(picker.width),
        height: parseFloat(picker.height),
      });
      return;
    }
    assertFocusVisible(f);
  }

  /** Tab to a text field and type into it, as a keyboard user does. */
  async typeInto(field, text) {
    await this.tabTo(field);
    await this.page.keyboard.type(text);
  }

  /** Tab to a link or button and press Enter on it. */
  async activate(target) {
    await this.tabTo(target);
    await this.page.keyboard.press('Enter');
  }

  /** Wait for the checks the response listeners started. */
  async settle() {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
  }

  /** Final check at the end of the journey: nothing went wrong after the last page check. */
  async finish() {
    await this.settle();
    const late = this.takeProblems();
    assert.deepEqual(late, [], `problems after the last check (${this.variant.id}):\n${late.join('\n')}`);
    this.t.diagnostic(`${this.pagesChecked} page(s) checked, screenshots in ${this.dir}`);
  }

  async close() {
    await this.context.close();
  }
}

// The session cookie (`__Host-sportello` over HTTPS): a request that carries it is personal.
const SESSION_COOKIES = ['sportello', '__Host-sportello'];

/**
 * A page response must say `Cache-Control: no-store`, with one exception: the public pages
 * every anonymous visitor gets alike (home, text pages, catalogue pages), which the server
 * renders once per language and lets browsers and proxies keep. Such a response must be a
 * 200 to a GET without a query string and without a session cookie, `public` with a max-age,
 * an `ETag`, and `Vary: Cookie, Accept-Language`, so nothing personal can ever be shared.
 * Returns the problem as a string, or null.
 */
async function cachePolicyProblem(res) {
  const headers = res.headers();
  const cc = (headers['cache-control'] ?? '').toLowerCase();
  const directives = cc.split(',').map((d) => d.trim());
  if (directives.includes('no-store')) return null;
  const where = `${res.status()} ${res.url()} (cache-control: ${cc || 'absent'})`;
  if (!directives.includes('public') || !directives.some((d) => /^max-age=\d+$/.test(d))) {
    return `page response without Cache-Control: no-store: ${where}`;
  }
  const req = res.request();
  const cookies = (await req.allHeaders().catch(() => ({})))['cookie'] ?? '';
  const names = cookies.split(';').map((c) => c.trim().split('=')[0]);
  const vary = (headers.vary ?? '').toLowerCase().split(',').map((v) => v.trim());
  const wrong = [];
  if (res.status() !== 200) wrong.push('status is not 200');
  if (req.method() !== 'GET') wrong.push(`method ${req.method()}`);
  if (new URL(res.url()).search) wrong.push('the address has a query string');
  if (names.some((n) => SESSION_COOKIES.includes(n))) wrong.push('the request carries a session cookie');
  if (!headers.etag) wrong.push('no ETag');
  if (!vary.includes('cookie') || !vary.includes('accept-language')) wrong.push(`Vary: ${headers.vary ?? 'absent'}`);
  return wrong.length === 0 ? null : `shared (public) page response that must not be shared: ${where}: ${wrong.join(', ')}`;
}

/** Visible focus indicator: an outline ≥ 2px that is not transparent, or a ≥ 2px box-shadow ring. */
export function assertFocusVisible(f) {
  const outline =
    f.outlineStyle !== 'none' &&
    f.outlineStyle !== 'hidden' &&
    parseFloat(f.outlineWidth) >= 2 &&
    !isTransparent(f.outlineColor);
  const shadow = f.boxShadow !== 'none' && boxShadowRing(f.boxShadow) >= 2;
  assert.ok(
    outline || shadow,
    `no visible focus indicator on ${describeFocus(f)}: outline ${f.outlineStyle} ${f.outlineWidth} ${f.outlineColor}, box-shadow ${f.boxShadow}`,
  );
  assert.ok(f.width > 1 && f.height > 1, `focused element is not visible: ${describeFocus(f)} (${f.width}×${f.height})`);
}

export function describeFocus(f) {
  return `<${f.tag}${f.href ? ` href="${f.href}"` : ''}${f.id ? ` id="${f.id}"` : ''}> "${truncate(f.text, 60)}" in ${f.region}`;
}

function isTransparent(color) {
  return color === 'transparent' || /rgba\([^)]*,\s*0\)$/.test(color);
}

// Largest spread of the non-transparent shadows, e.g. "rgb(26, 26, 26) 0px 0px 0px 2px".
function boxShadowRing(boxShadow) {
  let best = 0;
  for (const part of boxShadow.split(/,(?![^(]*\))/)) {
    if (isTransparent((/rgba?\([^)]*\)/.exec(part) || ['transparent'])[0])) continue;
    const lengths = [...part.matchAll(/(-?[\d.]+)px/g)].map((m) => parseFloat(m[1]));
    if (lengths.length >= 4) best = Math.max(best, lengths[3]);
  }
  return best;
}

function slugify(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

// "data:application/font-woff;charset=utf-8;base64,d09GR..." (kilobytes) -> "data:application/font-woff;…"
function shortenDataUrls(s) {
  return s.replace(/(data:[\w/+.-]+)[^'"\s)]{40,}/g, '$1…');
}

function truncate(s, n) {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
