// Identity journey 1: Mario Rossi logs in with codice fiscale and PIN from the header's
// "Accedi" link, only with the keyboard; the personal area opens and the header shows his
// name and "Esci". He logs out with "Esci", and the personal area is then refused.
import assert from 'node:assert/strict';
import { assertLoggedInHeader, loginLink, loginWithPin, logout } from '../lib/citizen.js';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';

const it = (id, args) => t('it', id, args);

journey('citizen logs in with codice fiscale and PIN', 'accesso-pin', {}, async (j) => {
  const { page } = j;
  const mario = j.server.demo.citizen('Mario Rossi');

  await j.goto('/', 'home', { lang: 'it' });
  // From the top of the page, Tab to the header's "Accedi" and open it with Enter.
  const accedi = await j.navigate('accedi', () => j.activate(loginLink(page)), { path: '/accedi', lang: 'it' });
  assert.equal(accedi.h1, it('login-heading'));

  const area = await loginWithPin(j, mario);
  assert.equal(area.h1, it('area-heading'));
  const main = page.getByRole('main');
  assert.ok((await main.innerText()).includes(mario.codiceFiscale), 'the personal area shows the codice fiscale');
  assert.ok((await main.innerText()).includes(mario.name), 'the personal area shows the name');
  await assertLoggedInHeader(page, mario.name);

  await logout(j);

  // The session is gone: the personal area is refused (401), and says so in Italian.
  const refused = await j.goto('/area-personale', 'area-rifiutata', { status: 401, lang: 'it' });
  assert.equal(refused.h1, it('error-forbidden-title'));
  assert.ok(await loginLink(page).isVisible(), 'the refused page offers "Accedi" in the header');
});
