// What citizen journeys share: the login form's fields and the header after login, found
// by their accessible names in the site's own copy.
import assert from 'node:assert/strict';
import { t } from './i18n.js';

const it = (id, args) => t('it', id, args);

export const loginForm = (page) => ({
  codiceFiscale: page.getByLabel(it('login-cf-label'), { exact: true }),
  pin: page.getByLabel(it('login-pin-label'), { exact: true }),
  submit: page.getByRole('button', { name: it('login-submit'), exact: true }),
});

/** The header's "Esci" button (shown only when logged in). */
export const logoutButton = (page) => page.getByRole('banner').getByRole('button', { name: it('logout'), exact: true });

/** The header's "Accedi" link (shown only when logged out). */
export const loginLink = (page) => page.getByRole('banner').getByRole('link', { name: it('login'), exact: true });

/**
 * On the login page: type codice fiscale and PIN with the keyboard (Tab between fields) and
 * send with Enter; checks the page it lands on (the personal area unless `path` says).
 */
export async function loginWithPin(j, citizen, { step = 'area-personale', path = '/area-personale', pin = citizen.pin, status = 200 } = {}) {
  const form = loginForm(j.page);
  await j.typeInto(form.codiceFiscale, citizen.codiceFiscale);
  await j.typeInto(form.pin, pin);
  return j.navigate(step, () => j.page.keyboard.press('Enter'), { path, status });
}

/** The header shows the person's name (a link to their area) and the "Esci" button. */
export async function assertLoggedInHeader(page, name) {
  const header = page.getByRole('banner');
  assert.ok(await header.getByRole('link', { name, exact: true }).isVisible(), `the header does not show "${name}"`);
  assert.ok(await logoutButton(page).isVisible(), 'the header has no "Esci" button');
  assert.equal(await loginLink(page).count(), 0, 'the header still offers "Accedi"');
}

/** Logs out with the header's "Esci" button, by keyboard; lands on the home page. */
export async function logout(j, step = 'uscito') {
  const result = await j.navigate(step, () => j.activate(logoutButton(j.page)), { path: '/' });
  assert.ok(await loginLink(j.page).isVisible(), 'after logging out the header does not offer "Accedi"');
  return result;
}
