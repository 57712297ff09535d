// Identity journey 7: a 320 x 640 CSS px screen (WCAG 1.4.10 reflow) for the pages behind
// the login: the login page with an error, the personal area (with the header's name and
// "Esci"), the area while acting for someone (the banner), and the security page's table.
// No horizontal scrolling anywhere; the header's name and "Esci" stay on screen.
import assert from 'node:assert/strict';
import { loginForm, loginWithPin, logoutButton } from '../lib/citizen.js';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';
import { assertNoHorizontalScroll, assertOnScreen } from '../lib/layout.js';

const it = (id, args) => t('it', id, args);
const WIDTH = 320;

journey('identity pages on a small screen', 'identity-small-screen', { viewport: { width: WIDTH, height: 640 } }, async (j) => {
  const { page } = j;
  const mario = j.server.demo.citizen('Mario Rossi');
  const anna = j.server.demo.citizen('Anna Bianchi');
  const fits = async () => assertNoHorizontalScroll(page, WIDTH, `${j.path()} (${j.variant.id})`);

  await j.goto('/accedi', 'accedi', { lang: 'it' });
  await fits();
  await assertOnScreen(loginForm(page).submit, WIDTH, 'the "Entra" button');

  // A mistake (a PIN too short): the error must fit too.
  await loginWithPin(j, mario, { pin: 'ABC', step: 'accedi-errore', path: '/accedi', status: 422 });
  await fits();
  assert.equal((await page.getByRole('main').getByRole('alert').innerText()).trim(), it('login-error-pin-length', { expected: 16, found: 3 }));

  await loginWithPin(j, mario);
  await fits();
  const header = page.getByRole('banner');
  await assertOnScreen(header.getByRole('link', { name: mario.name, exact: true }), WIDTH, 'the name in the header');
  await assertOnScreen(logoutButton(page), WIDTH, 'the "Esci" button');

  await j.navigate(
    'per-conto-di-anna',
    () => j.activate(page.getByRole('button', { name: `${it('area-act-for')} ${anna.name}`, exact: true })),
    { path: '/area-personale' },
  );
  await fits();
  const banner = page.getByRole('region', { name: it('acting-region'), exact: true });
  await assertOnScreen(banner.getByRole('button', { name: it('acting-stop'), exact: true }), WIDTH, 'the "Torna ai tuoi dati" button');
  await j.navigate('torna', () => j.activate(banner.getByRole('button', { name: it('acting-stop'), exact: true })), { path: '/area-personale' });

  await j.goto('/area-personale/sicurezza', 'sicurezza');
  await fits();
  await assertOnScreen(page.getByRole('button', { name: it('security-logout-everywhere'), exact: true }), WIDTH, 'the "Esci da tutti i dispositivi" button');
});
