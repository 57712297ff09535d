// Identity journey 3: Lucia Verdi activates her PIN with the two halves (the demo prints
// them), from the login page's link; she is logged in straight away and told that the PIN is
// active. She logs out and back in with the whole PIN. A fresh server for each variant: a
// PIN is activated only once.
import assert from 'node:assert/strict';
import { assertLoggedInHeader, loginWithPin, logout } from '../lib/citizen.js';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';

const it = (id, args) => t('it', id, args);

journey('citizen activates the PIN with its two halves', 'attiva-pin', { freshServer: true }, async (j) => {
  const { page } = j;
  const lucia = j.server.demo.citizen('Lucia Verdi');
  assert.ok(lucia.halves, 'the demo banner prints Lucia Verdi with two halves to activate');
  const [first, second] = lucia.halves;

  await j.goto('/accedi', 'accedi', { lang: 'it' });
  const link = page.getByRole('link', { name: it('login-activate-link'), exact: true });
  const form = await j.navigate('attiva', () => j.activate(link), { path: '/accedi/attiva-pin' });
  assert.equal(form.h1, it('activate-heading'));

  await j.typeInto(page.getByLabel(it('login-cf-label'), { exact: true }), lucia.codiceFiscale.toLowerCase());
  await j.typeInto(page.getByLabel(it('activate-first-label'), { exact: true }), first);
  await j.typeInto(page.getByLabel(it('activate-second-label'), { exact: true }), second);
  const area = await j.navigate('attivato', () => page.keyboard.press('Enter'), { path: '/area-personale' });
  assert.equal(area.h1, it('area-heading'));
  const status = page.getByRole('main').getByRole('status');
  assert.equal((await status.innerText()).trim(), it('area-pin-activated'));
  await assertLoggedInHeader(page, lucia.name);

  // From now on the whole PIN (first half followed by the second) opens the door.
  await logout(j);
  await j.goto('/accedi', 'accedi-di-nuovo');
  await loginWithPin(j, lucia, { pin: first + second, step: 'area-con-pin-completo' });
  await assertLoggedInHeader(page, lucia.name);
});
