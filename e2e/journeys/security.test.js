// Identity journey 4: the security page. Mario is logged in on this browser and, through the
// app's API, on his phone. The page lists both accesses (this browser marked "questo", the
// app with its device name); "Esci da tutti i dispositivi" logs him out here and ends the
// app's token too.
import assert from 'node:assert/strict';
import { loginLink, loginWithPin } from '../lib/citizen.js';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';

const it = (id, args) => t('it', id, args);
const DEVICE = 'Telefono di Mario';

journey('citizen checks the security page and logs out everywhere', 'sicurezza', {}, async (j) => {
  const { page } = j;
  const mario = j.server.demo.citizen('Mario Rossi');

  // The app logs in with POST /api/v1/auth/pin and gets a bearer token.
  const login = await fetch(j.url('/api/v1/auth/pin'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ codice_fiscale: mario.codiceFiscale, pin: mario.pin, dispositivo: DEVICE }),
  });
  assert.equal(login.status, 201, await login.clone().text());
  const { token } = await login.json();
  const appSession = () => fetch(j.url('/api/v1/sessione'), { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await appSession()).status, 200, 'the app token works before logging out everywhere');

  await j.goto('/accedi', 'accedi', { lang: 'it' });
  await loginWithPin(j, mario);
  const security = await j.navigate(
    'sicurezza',
    () => j.activate(page.getByRole('link', { name: it('area-security-link'), exact: true })),
    { path: '/area-personale/sicurezza' },
  );
  assert.equal(security.h1, it('security-heading'));

  // The table of open accesses: one row for this browser ("questo"), one for the app.
  const table = page.getByRole('table', { name: it('security-sessions-heading') });
  const rows = table.getByRole('row');
  const texts = (await rows.allInnerTexts()).slice(1).map((r) => r.replace(/\s+/g, ' ').trim());
  const thisOne = texts.filter((r) => r.includes(`(${it('security-this-one')})`));
  assert.equal(thisOne.length, 1, `exactly one row marked as this browser:\n${texts.join('\n')}`);
  assert.ok(thisOne[0].startsWith(it('security-kind-browser')), `this browser's row: ${thisOne[0]}`);
  assert.ok(thisOne[0].includes('PIN'), `this browser's row says how: ${thisOne[0]}`);
  assert.ok(
    texts.some((r) => r.startsWith(`${it('security-kind-app')} – ${DEVICE}`)),
    `the app's token is listed with its device name:\n${texts.join('\n')}`,
  );
  // Every row has its own "Chiudi" button.
  assert.equal(await table.getByRole('button', { name: it('security-end'), exact: true }).count(), texts.length);

  await j.navigate(
    'uscito-ovunque',
    () => j.activate(page.getByRole('button', { name: it('security-logout-everywhere'), exact: true })),
    { path: '/' },
  );
  assert.ok(await loginLink(page).isVisible(), 'logged out here: the header offers "Accedi"');
  await j.goto('/area-personale/sicurezza', 'sicurezza-rifiutata', { status: 401 });
  assert.equal((await appSession()).status, 401, 'the app token is ended too');
});
