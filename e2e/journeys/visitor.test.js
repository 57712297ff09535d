// Journey 1: a visitor (Italian browser) explores the public site with a mouse, and with
// the keyboard for the skip link.
import assert from 'node:assert/strict';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';

journey('visitor explores the site', 'visitor', {}, async (j) => {
  const { page } = j;
  const tIt = (id) => t('it', id);
  const tEn = (id) => t('en', id);
  const nav = () => page.getByRole('navigation', { name: tIt('nav-label') });
  const footer = () => page.getByRole('contentinfo');
  const main = () => page.getByRole('main');

  // Home, in Italian, with exactly one h1.
  const home = await j.goto('/', 'home', { lang: 'it' });
  assert.equal(home.h1, tIt('home-title'));

  // Skip link: the first thing Tab reaches, visible when focused...
  await page.keyboard.press('Tab');
  const skip = await j.focused();
  assert.ok(skip, 'Tab focused nothing');
  assert.equal(skip.href, '#main-content', `first Tab stop is not the skip link: ${JSON.stringify(skip)}`);
  assert.equal(skip.text, tIt('skip-to-content'));
  assert.ok(skip.width > 1 && skip.height > 1, 'the skip link is not visible when focused');
  await j.screenshot('skip-link-focused');

  // ...and Enter takes the keyboard to the main content: either <main> itself gets focus,
  // or (a non-focusable target) the next Tab lands inside <main>.
  await page.keyboard.press('Enter');
  assert.equal(new URL(page.url()).hash, '#main-content');
  const onMain = await page.evaluate(() => document.activeElement?.id === 'main-content');
  if (!onMain) {
    await page.keyboard.press('Tab');
    const next = await j.focused();
    assert.equal(next?.region, 'main', `after the skip link, Tab went to ${JSON.stringify(next)} instead of into <main>`);
  }
  await j.screenshot('skip-link-used');

  // Main navigation: Servizi, then Aiuto; the current page is marked.
  const services = await j.follow('servizi', nav().getByRole('link', { name: tIt('nav-services'), exact: true }), { path: '/servizi', lang: 'it' });
  assert.equal(services.h1, tIt('services-heading'));
  assert.equal(await nav().getByRole('link', { name: tIt('nav-services'), exact: true }).getAttribute('aria-current'), 'page');

  const help = await j.follow('aiuto', nav().getByRole('link', { name: tIt('nav-help'), exact: true }), { path: '/aiuto', lang: 'it' });
  assert.equal(help.h1, tIt('help-heading'));
  assert.equal(await nav().getByRole('link', { name: tIt('nav-help'), exact: true }).getAttribute('aria-current'), 'page');

  // Footer: accessibility statement (which must name the standard), privacy, legal notice.
  const statement = await j.follow('dichiarazione-accessibilita', footer().getByRole('link', { name: tIt('footer-accessibility') }), { path: '/accessibilita', lang: 'it' });
  assert.equal(statement.h1, tIt('accessibility-heading'));
  assert.match(await main().innerText(), /WCAG 2\.1/);

  const privacy = await j.follow('privacy', footer().getByRole('link', { name: tIt('footer-privacy') }), { path: '/privacy', lang: 'it' });
  assert.equal(privacy.h1, tIt('privacy-heading'));

  const legal = await j.follow('note-legali', footer().getByRole('link', { name: tIt('footer-legal') }), { path: '/note-legali', lang: 'it' });
  assert.equal(legal.h1, tIt('legal-heading'));

  // Language switch in the header: a plain link (cookie + redirect back to the same page).
  const toEnglish = page.getByRole('link', { name: tIt('lang-switch'), exact: true });
  assert.equal(await toEnglish.getAttribute('lang'), 'en');
  assert.equal(await toEnglish.getAttribute('hreflang'), 'en');
  const english = await j.follow('english', toEnglish, { path: '/note-legali', lang: 'en' });
  assert.equal(english.h1, tEn('legal-heading'));
  assert.notEqual(english.h1, legal.h1);
  await page.getByRole('navigation', { name: tEn('nav-label') }).getByRole('link', { name: tEn('nav-help'), exact: true }).waitFor();

  const toItalian = page.getByRole('link', { name: tEn('lang-switch'), exact: true });
  assert.equal(await toItalian.getAttribute('lang'), 'it');
  const italian = await j.follow('italiano', toItalian, { path: '/note-legali', lang: 'it' });
  assert.equal(italian.h1, legal.h1);

  // API reference, from the footer.
  const api = await j.follow('api', footer().getByRole('link', { name: tIt('footer-api') }), { path: '/api/v1/docs', lang: 'it' });
  assert.equal(api.h1, tIt('api-docs-title'));

  // Unknown address: a real 404, in Italian, with a way home and a reference code that is
  // the request id the server logged.
  const missing = await j.goto('/pagina-che-non-esiste', 'pagina-non-trovata', { status: 404, lang: 'it' });
  assert.equal(missing.h1, tIt('error-not-found-title'));
  const mainText = await main().innerText();
  assert.ok(mainText.includes(tIt('error-reference')), `no "${tIt('error-reference')}" on the 404 page`);
  const reference = (await main().locator('.sp-reference').innerText()).trim();
  assert.ok(reference.length >= 8, `reference code too short: "${reference}"`);
  const requestId = missing.response.headers()['x-request-id'];
  if (requestId) assert.equal(reference, requestId, 'the reference code is not the x-request-id');
  const backHome = main().getByRole('link', { name: tIt('error-go-home') });
  assert.equal(await backHome.getAttribute('href'), '/');
  const again = await j.follow('ritorno-home', backHome, { path: '/', lang: 'it' });
  assert.equal(again.h1, tIt('home-title'));
});
