// Identity journey 6: the back office. Paolo Conti (contact center) logs in at
// /personale/accedi with the demo password and the 6-digit code an authenticator app would
// show for the demo's TOTP secret (computed here, RFC 6238). He searches a codice fiscale
// nobody has (a clear "not found", tied to the field), then Mario Rossi's, and sees his card.
// A fresh server for each variant: a TOTP code is accepted only once.
import assert from 'node:assert/strict';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';
import { freshTotp } from '../lib/totp.js';

const it = (id, args) => t('it', id, args);
// Well formed (check character included), registered to nobody in the demo.
const UNKNOWN_CF = 'BNCGNN60A01F205K';

journey('staff member logs in and opens a citizen card', 'personale', { freshServer: true }, async (j) => {
  const { page } = j;
  const { demo } = j.server;
  const paolo = demo.staff('paolo.conti');
  const mario = demo.citizen('Mario Rossi');
  const main = page.getByRole('main');

  // From the citizens' login page, the link for staff.
  await j.goto('/accedi', 'accedi', { lang: 'it' });
  const login = await j.navigate(
    'accesso-personale',
    () => j.activate(main.getByRole('link', { name: it('login-staff-link'), exact: true })),
    { path: '/personale/accedi' },
  );
  assert.equal(login.h1, it('staff-login-heading'));

  await j.typeInto(page.getByLabel(it('staff-username-label'), { exact: true }), paolo.username);
  await j.typeInto(page.getByLabel(it('staff-password-label'), { exact: true }), demo.staffPassword);
  const code = await freshTotp(demo.staffTotpSecret);
  await j.typeInto(page.getByLabel(it('staff-code-label'), { exact: true }), code);
  const home = await j.navigate('back-office', () => page.keyboard.press('Enter'), { path: '/backoffice' });
  assert.equal(home.h1, it('backoffice-heading'));
  const header = page.getByRole('banner');
  assert.ok(await header.getByRole('link', { name: 'Paolo Conti', exact: true }).isVisible(), 'the header shows the staff member');
  assert.ok(await header.getByRole('button', { name: it('logout'), exact: true }).isVisible(), 'the header has "Esci"');

  await j.navigate(
    'cerca',
    () => j.activate(main.getByRole('link', { name: it('backoffice-citizens-link'), exact: true })),
    { path: '/backoffice/cittadini' },
  );
  const cf = page.getByLabel(it('login-cf-label'), { exact: true });

  // Nobody with that codice fiscale: 404, a clear message the field points to, the text kept.
  await j.typeInto(cf, UNKNOWN_CF);
  await j.navigate('nessuno', () => page.keyboard.press('Enter'), { path: '/backoffice/cittadini', status: 404 });
  const alert = main.getByRole('alert');
  assert.equal((await alert.innerText()).trim(), it('citizen-search-none'));
  assert.ok(((await cf.getAttribute('aria-describedby')) ?? '').split(/\s+/).includes(await alert.getAttribute('id')), 'the field is described by the "not found" message');
  assert.equal(await cf.inputValue(), UNKNOWN_CF);

  // Mario, typed the way people do (lower case, spaces).
  await cf.fill('');
  await j.typeInto(cf, mario.codiceFiscale.toLowerCase().replace(/(.{6})(.{5})/, '$1 $2 '));
  const card = await j.navigate('scheda', () => page.keyboard.press('Enter'));
  assert.match(new URL(page.url()).pathname, /^\/backoffice\/cittadini\/[^/]+$/);
  assert.equal(card.h1, mario.name);
  const text = (await main.innerText()).replace(/\s+/g, ' ');
  assert.ok(text.includes(mario.codiceFiscale), 'the card shows the codice fiscale');
  assert.ok(text.includes(it('citizen-audited-note')), 'the card says that opening it is recorded');
});
