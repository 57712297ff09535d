// Identity journey 5: a delegation. Anna Bianchi has delegated Mario Rossi. Mario, from his
// personal area, starts acting for Anna: the banner "Stai operando per conto di Anna Bianchi"
// is a named region at the top of the main content, and the area shows Anna's data. He goes
// back to his own data with the banner's button. Then Anna logs in and finds what Mario did
// on her behalf on "Cosa hanno fatto altri per tuo conto".
import assert from 'node:assert/strict';
import { assertLoggedInHeader, loginWithPin, logout } from '../lib/citizen.js';
import { t, tPattern } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';

const it = (id, args) => t('it', id, args);

journey('delegate acts for a citizen, who then sees it', 'delega', {}, async (j) => {
  const { page } = j;
  const mario = j.server.demo.citizen('Mario Rossi');
  const anna = j.server.demo.citizen('Anna Bianchi');
  const main = page.getByRole('main');
  const banner = page.getByRole('region', { name: it('acting-region'), exact: true });

  await j.goto('/accedi', 'accedi', { lang: 'it' });
  await loginWithPin(j, mario);
  assert.equal(await banner.count(), 0, 'no "per conto di" banner before choosing to act for someone');
  const received = main.getByRole('heading', { name: it('area-received-heading'), exact: true });
  assert.ok(await received.isVisible(), 'Mario sees the people who delegated him');

  const actFor = main.getByRole('button', { name: `${it('area-act-for')} ${anna.name}`, exact: true });
  const acting = await j.navigate('per-conto-di-anna', () => j.activate(actFor), { path: '/area-personale' });
  assert.equal(acting.h1, it('area-heading'));
  // The banner: a region with a name (a landmark screen readers list and announce), first in
  // <main>, saying for whom, with her codice fiscale.
  assert.ok(await banner.isVisible(), 'the "per conto di" region is visible');
  const bannerText = (await banner.innerText()).replace(/\s+/g, ' ');
  assert.ok(bannerText.includes(`${it('acting-banner')} ${anna.name}`), `banner: ${bannerText}`);
  assert.ok(bannerText.includes(anna.codiceFiscale), `banner: ${bannerText}`);
  assert.ok(
    await banner.evaluate((el) => el.closest('main') !== null && el === el.closest('main').firstElementChild),
    'the banner is the first thing in <main>, right after the skip link target',
  );
  // The area is now Anna's: her name and codice fiscale, not Mario's.
  const lead = (await main.locator('.lead').first().innerText()).replace(/\s+/g, ' ');
  assert.ok(lead.includes(anna.name) && lead.includes(anna.codiceFiscale), `the area shows Anna's data: ${lead}`);
  assert.ok(!lead.includes(mario.codiceFiscale), `Mario's codice fiscale is not shown as the subject: ${lead}`);
  // Nothing in it speaks to Mario as if Anna's PIN were his ("Il tuo PIN è attivo…").
  const pinNote = tPattern('it', 'area-pin-active');
  assert.ok(!pinNote.test(await main.innerText()), 'the area tells the delegate about "your PIN" (it is Anna\'s)');
  // Mario stays the one logged in: his name in the header.
  await assertLoggedInHeader(page, mario.name);

  const back = banner.getByRole('button', { name: it('acting-stop'), exact: true });
  await j.navigate('torna-ai-tuoi-dati', () => j.activate(back), { path: '/area-personale' });
  assert.equal(await banner.count(), 0, 'the banner is gone after going back to his own data');
  const ownLead = (await main.locator('.lead').first().innerText()).replace(/\s+/g, ' ');
  assert.ok(ownLead.includes(mario.codiceFiscale), `the area shows Mario's data again: ${ownLead}`);
  await logout(j);

  // Anna sees what Mario did for her.
  await j.goto('/accedi', 'accedi-anna');
  await loginWithPin(j, anna, { step: 'area-anna' });
  const activity = await j.navigate(
    'attivita',
    () => j.activate(main.getByRole('link', { name: it('area-activity-link'), exact: true })),
    { path: '/area-personale/attivita' },
  );
  assert.equal(activity.h1, it('activity-heading'));
  const rows = (await page.getByRole('table', { name: it('activity-heading') }).getByRole('row').allInnerTexts())
    .slice(1)
    .map((r) => r.replace(/\s+/g, ' ').trim());
  for (const id of ['audit-per-conto-inizio', 'audit-per-conto-consultazione', 'audit-per-conto-fine']) {
    assert.ok(
      rows.some((r) => r.includes(mario.name) && r.includes(it(id))),
      `no line "${mario.name} … ${it(id)}" on Anna's activity page:\n${rows.join('\n')}`,
    );
  }
});
