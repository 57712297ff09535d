// Journey 4: a visitor reports an accessibility problem with the form on the statement page.
// The first attempt has mistakes: the page comes back (422) with a summary linking each
// problem to its field, the fields marked invalid and what was typed kept. Corrected, the
// report is sent and the thanks page says so. Works the same with JavaScript off.
import assert from 'node:assert/strict';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';

journey('report an accessibility problem', 'segnalazione', {}, async (j) => {
  const { page } = j;
  const tIt = (id) => t('it', id);
  const description = () => page.getByLabel(tIt('feedback-description-label'));
  const email = () => page.getByLabel(tIt('feedback-email-label'));
  const send = () => page.getByRole('button', { name: tIt('feedback-submit') }).click();

  await j.goto('/accessibilita', 'dichiarazione', { lang: 'it' });

  await description().fill('corto');
  await email().fill('mario@');
  await j.navigate('errori', send, { status: 422, path: '/accessibilita', lang: 'it' });
  const summary = await page.getByRole('alert').innerText();
  assert.ok(summary.includes(tIt('field-descrizione-breve')), `summary: ${summary}`);
  assert.ok(summary.includes(tIt('field-email-non-valida')), `summary: ${summary}`);
  assert.equal(await description().getAttribute('aria-invalid'), 'true');
  assert.equal(await email().getAttribute('aria-invalid'), 'true');
  assert.equal(await email().inputValue(), 'mario@', 'what was typed is kept');
  // The summary's links lead to the fields.
  await page.getByRole('link', { name: tIt('field-email-non-valida') }).click();
  assert.equal(new URL(page.url()).hash, '#campo-email');

  await description().fill('Il pulsante per inviare il modulo non si raggiunge con la tastiera.');
  await email().fill('mario.rossi@example.it');
  const sent = await j.navigate('inviata', send, { path: '/accessibilita/inviata', lang: 'it' });
  assert.equal(sent.h1, tIt('feedback-thanks-title'));
});
