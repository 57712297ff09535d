// Catalogue journey: a visitor looks for a service the ways people do. From the home page's
// search box (with suggestions as she types when JavaScript is on), with a typo, through the
// list of services filtered by who she is and what happened to her, and through the
// three-step finder; she reads a service card (breadcrumbs, sections, FAQ opened with the
// keyboard and with the mouse), a news item and a call, and rates the page at the bottom.
// Every form here is a plain GET or POST form: the JS-off variant must get just as far.
import assert from 'node:assert/strict';
import { t } from '../lib/i18n.js';
import { assertNoAxeViolations } from '../lib/axe.js';
import { journey } from '../lib/journey.js';

const it = (id, args) => t('it', id, args);
// The demo catalogue (crates/sportello/data/catalog).
const NASPI = { path: '/servizi/naspi', title: 'NASpI: indennità di disoccupazione' };
const NEWS = { path: '/notizie/assegno-unico-2027-rinnova-isee', title: "Assegno unico 2027: rinnova l'ISEE da gennaio per non ricevere solo il minimo" };
const CALL = { path: '/bandi/bando-case-popolari-2026', title: "Bando 2026 per l'assegnazione delle case popolari" };

// Bootstrap Italia draws radio buttons with their label (the input itself is invisible and
// the label takes the click): choose one by clicking its label, as a mouse user does.
async function choose(group, label) {
  await group.getByText(label, { exact: true }).click();
  assert.ok(await group.getByLabel(label, { exact: true }).isChecked(), `"${label}" is not chosen`);
}

journey('visitor finds and rates a service', 'catalogo', {}, async (j) => {
  const { page } = j;
  const main = page.getByRole('main');
  // A search field with a <datalist> is a combobox.
  const searchBox = () => main.getByRole('combobox', { name: it('search-label'), exact: true });
  const resultLinks = async () =>
    main.locator('section[aria-labelledby="results-heading"] .sp-link-list a').evaluateAll((as) => as.map((a) => ({ text: a.textContent.trim(), href: a.getAttribute('href') })));
  const breadcrumbs = async () =>
    page.getByRole('navigation', { name: it('breadcrumb-label'), exact: true }).locator('li').evaluateAll((lis) =>
      lis.map((li) => {
        const a = li.querySelector('a');
        return { text: (a ?? li).textContent.trim(), href: a?.getAttribute('href') ?? null, current: li.getAttribute('aria-current') };
      }),
    );

  // Home: the search box, and its suggestions (JavaScript only: a <datalist> filled from
  // /api/v1/suggerimenti once she pauses typing).
  const home = await j.goto('/', 'home', { lang: 'it' });
  assert.equal(home.h1, it('home-title'));
  assert.equal(await main.getByRole('search', { name: it('search-label') }).getAttribute('action'), '/cerca');
  if (j.js) {
    const suggestion = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/suggerimenti');
    await j.typeInto(searchBox(), 'assegno u');
    const response = await suggestion;
    assert.equal(response.status(), 200);
    assert.equal(new URL(response.url()).searchParams.get('q'), 'assegno u');
    await page.waitForFunction(
      () => [...document.querySelectorAll('#suggerimenti-cerca option')].some((o) => o.value.includes('Assegno unico')),
      null,
      { timeout: 5_000 },
    );
    const options = await page.locator('#suggerimenti-cerca option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(options.includes('Assegno unico e universale per i figli'), `suggestions: ${JSON.stringify(options)}`);
    await j.screenshot('suggerimenti');
    // She changes her mind: select what she typed and type over it.
    await page.keyboard.press('Control+A');
    await page.keyboard.type('disoccupazione');
  } else {
    await j.typeInto(searchBox(), 'disoccupazione');
  }

  // A search in her own words: "disoccupazione" finds the NASpI card. Enter right after the
  // last key, before any suggestion is asked for.
  const results = await j.navigate('cerca-disoccupazione', () => page.keyboard.press('Enter'), { path: '/cerca' });
  assert.equal(results.h1, it('search-heading'));
  assert.equal(new URL(page.url()).searchParams.get('q'), 'disoccupazione');
  assert.equal(await searchBox().inputValue(), 'disoccupazione', 'the query is kept in the box');
  assert.match(await main.getByRole('status').first().innerText(), new RegExp(`^${it('search-count')} \\d+$`));
  const found = await resultLinks();
  assert.ok(found.some((l) => l.href === NASPI.path), `NASpI is not among the results: ${JSON.stringify(found)}`);
  assert.match(await page.title(), /disoccupazione/);

  // The service card.
  const card = await j.follow('scheda-naspi', main.getByRole('link', { name: NASPI.title, exact: true }), { path: NASPI.path });
  assert.equal(card.h1, NASPI.title);
  assert.deepEqual(await breadcrumbs(), [
    { text: it('nav-home'), href: '/', current: null },
    { text: it('services-heading'), href: '/servizi', current: null },
    { text: NASPI.title, href: null, current: 'page' },
  ]);
  for (const id of ['card-description', 'card-requirements', 'card-how-to-apply', 'card-channels', 'card-faq']) {
    assert.ok(await main.getByRole('heading', { level: 2, name: it(id), exact: true }).isVisible(), `no "${it(id)}" section`);
    // ...each one reached from "In questa pagina".
    assert.ok(await main.getByRole('navigation', { name: it('card-toc') }).getByRole('link', { name: it(id), exact: true }).isVisible());
  }
  // The FAQ: closed <details>; the first opened with the keyboard, the second with a click.
  const faq = main.locator('details.sp-faq');
  assert.ok((await faq.count()) >= 2, 'at least two questions');
  for (let i = 0; i < 2; i += 1) assert.equal(await faq.nth(i).getAttribute('open'), null, `question ${i + 1} starts closed`);
  const firstAnswer = faq.nth(0).locator('p').first();
  assert.equal(await firstAnswer.isVisible(), false);
  await j.activate(faq.nth(0).locator('summary'));
  await firstAnswer.waitFor({ state: 'visible' });
  assert.equal(await faq.nth(0).getAttribute('open'), '');
  await faq.nth(1).locator('summary').click();
  await faq.nth(1).locator('p').first().waitFor({ state: 'visible' });
  assert.match(await faq.nth(1).innerText(), /anticipazione/);
  await j.screenshot('domande-aperte');

  // A typo: "pensone" still finds the pension cards.
  await j.goto('/cerca', 'cerca', { lang: 'it' });
  await j.typeInto(searchBox(), 'pensone');
  await j.navigate('cerca-errore-di-battitura', () => page.keyboard.press('Enter'), { path: '/cerca' });
  const typo = await resultLinks();
  assert.ok(typo.some((l) => l.href === '/servizi/pensione-vecchiaia'), `"pensone" does not find the pensione di vecchiaia: ${JSON.stringify(typo)}`);

  // All services, filtered with the GET form: workers who lost their job.
  const services = await j.goto('/servizi', 'servizi', { lang: 'it' });
  assert.equal(services.h1, it('services-heading'));
  const filters = main.getByRole('form', { name: it('services-filters-heading') });
  const countOf = async () => Number(/(\d+)$/.exec(await main.getByRole('status').innerText())[1]);
  const all = await countOf();
  assert.ok(all >= 40, `the whole list has ${all} services`);
  await filters.getByLabel(it('services-filter-audience'), { exact: true }).selectOption('lavoratori');
  await filters.getByLabel(it('services-filter-event'), { exact: true }).selectOption('perdita-lavoro');
  await j.navigate('servizi-filtrati', () => filters.getByRole('button', { name: it('services-filter-apply'), exact: true }).click(), { path: '/servizi' });
  assert.equal(j.path(), '/servizi?per=lavoratori&evento=perdita-lavoro');
  const filtered = await countOf();
  assert.ok(filtered > 0 && filtered < all, `${filtered} services after filtering, ${all} before`);
  const filteredLinks = await main.locator('[data-element="service-link"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.equal(filteredLinks.length, filtered);
  assert.ok(filteredLinks.includes(NASPI.path), `NASpI not among ${JSON.stringify(filteredLinks)}`);
  assert.equal(await filters.getByLabel(it('services-filter-audience'), { exact: true }).inputValue(), 'lavoratori', 'the choice is kept');
  await j.follow('servizi-senza-filtri', filters.getByRole('link', { name: it('services-filter-reset'), exact: true }), { path: '/servizi' });
  assert.equal(await countOf(), all);

  // The finder, three steps of plain GET forms.
  const step1 = await j.follow('trova-passo-1', main.getByRole('link', { name: it('services-finder-link'), exact: true }), { path: '/trova-la-prestazione' });
  assert.equal(step1.h1, it('finder-heading'));
  const who = main.getByRole('group', { name: it('finder-who') });
  await choose(who, it('audience-lavoratori'));
  await j.navigate('trova-passo-2', () => main.getByRole('button', { name: it('finder-next'), exact: true }).click(), { path: '/trova-la-prestazione' });
  assert.equal(j.path(), '/trova-la-prestazione?per=lavoratori');
  assert.match(await main.innerText(), new RegExp(`${it('finder-step')} 2 ${it('finder-of')} 3`));
  const what = main.getByRole('group', { name: it('finder-what') });
  assert.ok(await what.getByLabel(it('finder-none-of-these'), { exact: true }).isVisible(), 'the "none of these" choice');
  await choose(what, it('event-perdita-lavoro'));
  await j.navigate('trova-risultati', () => main.getByRole('button', { name: it('finder-show'), exact: true }).click(), { path: '/trova-la-prestazione' });
  assert.equal(j.path(), '/trova-la-prestazione?per=lavoratori&evento=perdita-lavoro');
  assert.match(await main.getByRole('status').innerText(), new RegExp(`^${it('finder-results')} \\d+$`));
  const finderLinks = await main.locator('[data-element="service-link"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(finderLinks.toSorted(), filteredLinks.toSorted(), 'the finder gives what the filters give');

  // A news item and a call, from their lists.
  const news = await j.follow('notizie', page.getByRole('navigation', { name: it('nav-label') }).getByRole('link', { name: it('nav-news'), exact: true }), { path: '/notizie' });
  assert.equal(news.h1, it('news-heading'));
  const article = await j.follow('notizia', main.getByRole('link', { name: NEWS.title, exact: true }), { path: NEWS.path });
  assert.equal(article.h1, NEWS.title);
  assert.deepEqual((await breadcrumbs()).map((b) => b.href), ['/', '/notizie', null]);
  assert.match(await main.innerText(), new RegExp(`${it('article-date')} 18/11/2026`));

  await j.goto('/bandi', 'bandi', { lang: 'it' });
  const call = await j.follow('bando', main.getByRole('link', { name: CALL.title, exact: true }), { path: CALL.path });
  assert.equal(call.h1, CALL.title);
  assert.match(await main.innerText(), new RegExp(`${it('call-closes')} 31/01/2027`));

  // Rating the call's page: found it, then the optional ratings and a comment.
  const widget = page.locator('#valutazione');
  assert.equal(await widget.getByRole('heading', { level: 2 }).innerText(), it('feedback-widget-title'));
  const foundGroup = widget.getByRole('group', { name: it('feedback-widget-found'), exact: true });
  await choose(foundGroup, it('feedback-widget-yes'));
  const more = widget.locator('details.sp-feedback-more');
  assert.equal(await more.getAttribute('open'), null, 'the ratings start folded');
  await j.activate(more.locator('summary'));
  assert.equal((await more.locator('summary').innerText()).trim(), it('feedback-widget-more'));
  await more.getByText(it('feedback-widget-scale')).waitFor({ state: 'visible' });
  const ratings = { 'feedback-widget-clear': '5', 'feedback-widget-complete': '4', 'feedback-widget-up-to-date': '4', 'feedback-widget-easy': '3' };
  for (const [id, value] of Object.entries(ratings)) {
    await choose(more.getByRole('group', { name: it(id), exact: true }), value);
  }
  await more.getByLabel(it('feedback-widget-comment'), { exact: true }).fill('Chiaro. Manca un esempio di calcolo del canone.');
  await j.screenshot('valutazione-compilata');
  await assertNoAxeViolations(j, 'the filled-in rating form');
  await j.navigate('valutazione-inviata', () => widget.getByRole('button', { name: it('feedback-widget-send'), exact: true }).click(), { path: CALL.path });
  const landed = new URL(page.url());
  assert.equal(landed.search, '?valutazione=grazie');
  assert.equal(landed.hash, '#valutazione');
  assert.equal((await page.locator('#valutazione').getByRole('status').innerText()).trim(), it('feedback-widget-thanks'));
  assert.equal(await page.locator('#valutazione form').count(), 0, 'the form is replaced by the thanks');
});
