// Journey 3: a 320 x 640 CSS px screen (WCAG 1.4.10 reflow). Every public page, in Italian
// and then in English (longer words in some places): no horizontal scrolling, and the main
// navigation links are on screen without any JavaScript toggle.
import assert from 'node:assert/strict';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';
import { assertNoHorizontalScroll, assertOnScreen } from '../lib/layout.js';

const WIDTH = 320;
const PAGES = [
  { path: '/', step: 'home' },
  { path: '/servizi', step: 'servizi' },
  { path: '/aiuto', step: 'aiuto' },
  { path: '/accessibilita', step: 'accessibilita' },
  { path: '/privacy', step: 'privacy' },
  { path: '/note-legali', step: 'note-legali' },
  { path: '/api/v1/docs', step: 'api' },
  { path: '/accedi', step: 'accedi' },
  { path: '/pagina-che-non-esiste', step: 'pagina-non-trovata', status: 404 },
];

journey('small screen', 'small-screen', { viewport: { width: WIDTH, height: 640 } }, async (j) => {
  const { page } = j;

  const assertFits = async (lang) => {
    const where = `${j.path()} (${lang}, ${j.variant.id})`;
    await assertNoHorizontalScroll(page, WIDTH, where);
    const nav = page.getByRole('navigation', { name: t(lang, 'nav-label') });
    for (const id of ['nav-home', 'nav-services', 'nav-help']) {
      const link = nav.getByRole('link', { name: t(lang, id), exact: true });
      await assertOnScreen(link, WIDTH, `${where}: nav link "${t(lang, id)}"`);
    }
    const langLink = page.getByRole('link', { name: t(lang, 'lang-switch'), exact: true });
    assert.ok(await langLink.isVisible(), `${where}: the language link is not visible`);
  };

  for (const p of PAGES) {
    await j.goto(p.path, p.step, { status: p.status ?? 200, lang: 'it' });
    await assertFits('it');
  }

  // English: switch with the header link, then the same pages again.
  await j.goto('/', 'home-prima-di-english', { lang: 'it' });
  await j.follow('home-en', page.getByRole('link', { name: t('it', 'lang-switch'), exact: true }), { path: '/', lang: 'en' });
  await assertFits('en');
  for (const p of PAGES.slice(1)) {
    await j.goto(p.path, `${p.step}-en`, { status: p.status ?? 200, lang: 'en' });
    await assertFits('en');
  }
});
