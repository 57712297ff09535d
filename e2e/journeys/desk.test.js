// Assistance at the desk (Punto Utente Evoluto). Anna Bianchi comes to the desk with her
// identity card. Marco Galli (operatore PUE) logs in, finds her by codice fiscale, records the
// document he checked and that she is present, and works in her personal area: the banner says
// for whom, the header's name leads to her area, not the back office. He files a certificato di
// residenza for her (it goes to the Sede di Roma Centro), ends the assistance ("Termina
// l'assistenza" brings him back to her card) and logs out. Anna logs in at home and reads, in
// words, what the desk did for her: the start, the filing, the end, with the operator's name;
// the application is in her list.
// A fresh server for each variant: a TOTP code is accepted only once, and the filing stays.
import assert from 'node:assert/strict';
import { loginWithPin, logout } from '../lib/citizen.js';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';
import { freshTotp } from '../lib/totp.js';

const it = (id, args) => t('it', id, args);
const CERTIFICATO = 'Richiesta di certificato di residenza';
// The demo banner lists staff by username and role; the name is in the demo data (demo.rs).
const MARCO = 'Marco Galli';

journey('a desk operator files an application for a citizen at the desk', 'sportello-pue', { freshServer: true }, async (j) => {
  const { page } = j;
  const { demo } = j.server;
  const marco = demo.staff('marco.galli');
  const anna = demo.citizen('Anna Bianchi');
  const main = page.getByRole('main');
  const header = page.getByRole('banner');
  const button = (id) => main.getByRole('button', { name: it(id), exact: true });

  // Marco logs in to the back office and opens Anna's card.
  await j.goto('/personale/accedi', 'accesso-personale', { lang: 'it' });
  await j.typeInto(page.getByLabel(it('staff-username-label'), { exact: true }), marco.username);
  await j.typeInto(page.getByLabel(it('staff-password-label'), { exact: true }), demo.staffPassword);
  await j.typeInto(page.getByLabel(it('staff-code-label'), { exact: true }), await freshTotp(demo.staffTotpSecret));
  await j.navigate('back-office', () => page.keyboard.press('Enter'), { path: '/backoffice' });
  await j.goto('/backoffice/cittadini', 'cerca');
  await j.typeInto(page.getByLabel(it('login-cf-label'), { exact: true }), anna.codiceFiscale);
  const card = await j.navigate('scheda', () => page.keyboard.press('Enter'));
  assert.equal(card.h1, anna.name);
  const cardPath = new URL(page.url()).pathname;
  assert.match(cardPath, /^\/backoffice\/cittadini\/[^/]+$/);
  assert.ok(await main.getByRole('heading', { name: it('citizen-assist-heading'), exact: true }).isVisible(), 'the card offers the assistance');

  // The document he checked, and that she is present: he starts assisting her.
  await j.typeInto(main.getByLabel(it('citizen-assist-document-label'), { exact: true }), "Carta d'identità CA12345AB");
  // Bootstrap Italia draws the checkbox with its label, which takes the click.
  await main.getByText(it('citizen-assist-present'), { exact: true }).click();
  assert.ok(await main.getByLabel(it('citizen-assist-present'), { exact: true }).isChecked(), 'she is present');
  await j.navigate('area-di-anna', () => j.activate(button('citizen-assist-submit')), { path: '/area-personale' });
  const banner = page.getByRole('region', { name: it('acting-region') });
  const bannerText = await banner.innerText();
  assert.ok(bannerText.includes(anna.name) && bannerText.includes(anna.codiceFiscale), `the banner names her: ${bannerText}`);
  const stop = banner.getByRole('button', { name: it('acting-stop-desk'), exact: true });
  assert.ok(await stop.isVisible(), 'the banner offers "Termina l\'assistenza"');
  assert.equal(await header.getByRole('link', { name: MARCO, exact: true }).getAttribute('href'), '/area-personale');

  // The certificato, found from her area and filed in her name.
  await j.follow('domande', main.getByRole('link', { name: it('area-domande-new'), exact: true }), { path: '/area-personale/domande' });
  await j.follow('inizio', main.getByRole('link', { name: CERTIFICATO, exact: true }), { path: '/area-personale/domande/nuova' });
  await j.navigate('passo-1', () => j.activate(button('domande-start-button')));
  const base = new URL(page.url()).pathname.replace(/\/passo\/1$/, '');
  await main.getByText('Per me', { exact: true }).click();
  await main.getByText('In bollo (16 euro)', { exact: true }).click();
  await main.getByLabel(/^Numero di copie/).fill('1');
  await main.getByLabel(/^Email a cui mandare/).fill('anna.bianchi@example.org');
  await j.navigate('riepilogo', () => button('domande-to-summary').click(), { path: `${base}/riepilogo` });
  assert.ok((await main.innerText()).includes(anna.name), 'the summary says for whom he files');
  await j.navigate('presentata', () => button('domande-file-button').click(), { path: base });
  const filed = await main.locator('dl.sp-facts').first().innerText();
  const protocol = /COMUNE\.RM-001\.\d{4}\.\d{8}/.exec(filed)?.[0];
  assert.ok(protocol, `the application goes to the Sede di Roma Centro: ${filed}`);
  assert.ok(filed.includes(MARCO), `the facts name who filed it: ${filed}`);

  // "Termina l'assistenza": back to her card; her area is closed to him again.
  await j.navigate('assistenza-terminata', () => j.activate(stop), { path: cardPath });
  assert.equal(await page.getByRole('region', { name: it('acting-region') }).count(), 0, 'no banner after the end');
  await logout(j, 'uscita-operatore');

  // Anna, at home: what the desk did, in words, and the application in her list.
  await j.goto('/accedi', 'accedi-anna');
  await loginWithPin(j, anna, { step: 'area-anna' });
  await j.goto('/area-personale/attivita', 'attivita');
  const activity = (await main.innerText()).replace(/\s+/g, ' ');
  for (const id of ['audit-assistenza-inizio', 'audit-domanda-presentata', 'audit-assistenza-fine']) {
    assert.ok(activity.includes(it(id)), `her activity page says "${it(id)}": ${activity}`);
  }
  assert.ok(activity.includes(MARCO), 'and names the operator');
  assert.ok(!/domanda\.presentata|assistenza\.inizio/.test(activity), 'no action codes');
  await j.goto('/area-personale/domande', 'domande-anna');
  const row = main.getByRole('row').filter({ hasText: protocol });
  assert.equal(await row.count(), 1, 'the certificato is in her list');
  assert.ok((await row.innerText()).includes(CERTIFICATO), 'under its name');
});
