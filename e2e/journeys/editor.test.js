// Editor journey: Sara Ricci (redattore) logs in to the back office with her password and a
// TOTP code, opens the site's contents (with "Pagine da rivedere"), writes a new service
// card, previews it (with its Gulpease readability index), saves it as version 1, publishes
// it, then finds it on the public site and through the search, and opens its versions.
// A fresh server for each variant: a TOTP code is accepted only once, and the new card
// must not exist yet.
import assert from 'node:assert/strict';
import { t, tPattern } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';
import { freshTotp } from '../lib/totp.js';

const it = (id, args) => t('it', id, args);
const CARD = {
  slug: 'bonus-bicicletta-lavoro',
  title: 'Bonus bicicletta per chi va al lavoro',
  summary: 'Un contributo per comprare una bicicletta e andare al lavoro senza auto.',
  description:
    'Il bonus bicicletta è un contributo per chi va al lavoro in bicicletta.\n\nCopre metà del prezzo, fino a 300 euro.\n\n- Vale anche per le biciclette elettriche.\n- Si chiede una sola volta.',
};

// Bootstrap Italia draws checkboxes with their label (the input itself is invisible and the
// label takes the click): tick one by clicking its label, as a mouse user does.
async function tick(group, label) {
  await group.getByText(label, { exact: true }).click();
  assert.ok(await group.getByLabel(label, { exact: true }).isChecked(), `"${label}" is not ticked`);
}

journey('editor writes, previews, publishes and finds a service card', 'redazione', { freshServer: true }, async (j) => {
  const { page } = j;
  const { demo } = j.server;
  const sara = demo.staff('sara.ricci');
  assert.equal(sara.role, 'redattore');
  const main = page.getByRole('main');

  // Log in: password and the code an authenticator app shows for the demo secret.
  const login = await j.goto('/personale/accedi', 'accesso-personale', { lang: 'it' });
  assert.equal(login.h1, it('staff-login-heading'));
  await j.typeInto(page.getByLabel(it('staff-username-label'), { exact: true }), sara.username);
  await j.typeInto(page.getByLabel(it('staff-password-label'), { exact: true }), demo.staffPassword);
  await j.typeInto(page.getByLabel(it('staff-code-label'), { exact: true }), await freshTotp(demo.staffTotpSecret));
  const home = await j.navigate('back-office', () => page.keyboard.press('Enter'), { path: '/backoffice' });
  assert.equal(home.h1, it('backoffice-heading'));

  // The contents: what is past its review date first, then everything.
  const list = await j.follow('contenuti', main.getByRole('link', { name: it('backoffice-content-link'), exact: true }), { path: '/backoffice/contenuti' });
  assert.equal(list.h1, it('editor-heading'));
  const overdue = main.getByRole('heading', { level: 2, name: new RegExp(`^${it('editor-overdue')} \\(\\d+\\)$`) });
  assert.ok(await overdue.isVisible(), `no "${it('editor-overdue')}" heading`);
  const allHeading = await main.getByRole('heading', { level: 2, name: new RegExp(`^${it('editor-all')} \\(\\d+\\)$`) }).innerText();
  const before = Number(/\((\d+)\)/.exec(allHeading)[1]);
  assert.ok(before >= 61, `the demo has 61 pages, the list says ${before}`);
  assert.equal(await main.getByRole('link', { name: CARD.title }).count(), 0, 'the card does not exist yet');

  // A new service card.
  const form = await j.follow(
    'nuova-scheda',
    main.getByRole('region', { name: it('editor-new') }).getByRole('link', { name: it('kind-servizio'), exact: true }),
    { path: '/backoffice/contenuti/nuovo' },
  );
  assert.equal(form.h1, `${it('editor-new')}: ${it('kind-servizio')}`);
  await page.getByLabel(it('editor-field-slug'), { exact: true }).fill(CARD.slug);
  await page.getByLabel(it('editor-field-title'), { exact: true }).fill(CARD.title);
  await page.getByLabel(it('editor-field-summary'), { exact: true }).fill(CARD.summary);
  await tick(main.getByRole('group', { name: it('editor-field-audiences'), exact: true }), it('audience-lavoratori'));
  await tick(main.getByRole('group', { name: it('editor-field-channels'), exact: true }), it('channel-online'));
  await page.getByLabel(it('editor-field-keywords'), { exact: true }).fill('bici, mobilità sostenibile');
  await page.getByLabel(it('card-description'), { exact: true }).fill(CARD.description);

  // Preview: the page as the public will read it, and how easy it is to read.
  await j.navigate('anteprima', () => main.getByRole('button', { name: it('editor-preview-button'), exact: true }).click(), { path: '/backoffice/contenuti/nuovo' });
  const preview = main.getByRole('region', { name: it('editor-preview'), exact: true });
  assert.ok(await preview.getByRole('heading', { name: CARD.title, exact: true }).isVisible(), 'the preview shows the title');
  assert.ok(await preview.getByText('Copre metà del prezzo, fino a 300 euro.').isVisible(), 'the preview shows the description');
  assert.equal(await preview.getByRole('listitem').count(), 2, 'the Markdown list is a list');
  const gulpease = (await main.getByRole('status').filter({ hasText: it('editor-gulpease') }).innerText()).replace(/\s+/g, ' ');
  const index = Number(/(\d+)\/100/.exec(gulpease)?.[1]);
  assert.ok(index > 0 && index <= 100, `Gulpease index: "${gulpease}"`);
  // What she typed is all still there.
  assert.equal(await page.getByLabel(it('editor-field-title'), { exact: true }).inputValue(), CARD.title);
  assert.equal(await page.getByLabel(it('card-description'), { exact: true }).inputValue(), CARD.description);
  assert.ok(await main.getByRole('group', { name: it('editor-field-audiences'), exact: true }).getByLabel(it('audience-lavoratori'), { exact: true }).isChecked());

  // Save: version 1, not yet public.
  await j.navigate('salvata', () => main.getByRole('button', { name: it('editor-save'), exact: true }).click());
  const editPath = new URL(page.url()).pathname;
  assert.match(editPath, /^\/backoffice\/contenuti\/[^/]+$/);
  assert.equal(new URL(page.url()).search, '?salvato=1');
  assert.equal((await main.getByRole('status').filter({ hasText: it('editor-saved') }).innerText()).trim(), it('editor-saved'));
  const state = main.getByRole('region', { name: it('editor-publication'), exact: true });
  assert.match(await state.innerText(), new RegExp(it('content-state-draft')));
  const hidden = await page.request.get(j.url(`/servizi/${CARD.slug}`));
  assert.equal(hidden.status(), 404, 'a draft is not public');

  // Publish version 1.
  await j.navigate('pubblicata', () => state.getByRole('button', { name: `${it('editor-publish')} 1`, exact: true }).click(), { path: editPath });
  assert.match(await state.innerText(), new RegExp(`${it('editor-col-state')}: ${it('content-state-published')}\\.`));

  // The public page.
  const card = await j.follow('pagina-pubblica', state.getByRole('link', { name: it('editor-view'), exact: true }), { path: `/servizi/${CARD.slug}` });
  assert.equal(card.h1, CARD.title);
  assert.ok(await main.getByRole('heading', { level: 2, name: it('card-description'), exact: true }).isVisible());
  assert.ok(await main.getByText('Copre metà del prezzo, fino a 300 euro.').isVisible());

  // Found by the search, with one of its keywords.
  await j.follow('cerca', page.getByRole('navigation', { name: it('nav-label') }).getByRole('link', { name: it('nav-search'), exact: true }), { path: '/cerca' });
  await j.typeInto(main.getByRole('combobox', { name: it('search-label'), exact: true }), 'bici');
  await j.navigate('risultati', () => page.keyboard.press('Enter'), { path: '/cerca' });
  const results = main.locator('section[aria-labelledby="results-heading"] .sp-link-list a');
  const hrefs = await results.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.includes(`/servizi/${CARD.slug}`), `"bici" does not find the new card: ${JSON.stringify(hrefs)}`);

  // Versions: one, the published one, with its changes.
  await j.goto(editPath, 'di-nuovo-la-scheda', { lang: 'it' });
  const versions = await j.follow('versioni', state.getByRole('link', { name: it('editor-versions'), exact: true }), { path: `${editPath}/versioni` });
  assert.equal(versions.h1, `${it('editor-versions')}: ${CARD.title}`);
  const rows = main.getByRole('table').locator('tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().innerText(), new RegExp(`^1 \\(${it('editor-live')}\\)`));
  assert.match(await rows.first().innerText(), /Sara Ricci|sara\.ricci/);
  await j.follow('modifiche', rows.first().getByRole('link', { name: `${it('editor-show-diff')} 1`, exact: true }), { path: `${editPath}/versioni` });
  const diff = main.locator('pre.sp-diff');
  assert.match(await diff.innerText(), /Copre metà del prezzo/);
  assert.match(await main.getByRole('heading', { level: 2 }).first().innerText(), tPattern('it', 'editor-diff'));
});
