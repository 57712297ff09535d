// Identity journey 2: wrong PINs. A wrong PIN brings the form back (401) with a clear Italian
// error in a role=alert that both fields point to (aria-describedby), the codice fiscale
// still typed in and the PIN emptied. The 5th wrong PIN in a row locks it (429), and the
// message says when to try again (the lock lasts 30 minutes); then even the right PIN is
// refused. A fresh server for each variant: the lock would otherwise carry over.
import assert from 'node:assert/strict';
import { loginForm, loginWithPin } from '../lib/citizen.js';
import { t, tPattern } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';

const it = (id, args) => t('it', id, args);
const LOCK_MINUTES = 30;

/** "24/11/2026 00:50" for an instant, Rome time, as the server writes it. */
function romeTime(ms) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Rome', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]),
  );
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

journey('citizen types a wrong PIN until it locks', 'pin-errato', { freshServer: true }, async (j) => {
  const { page } = j;
  const mario = j.server.demo.citizen('Mario Rossi');
  // Well formed (same alphabet, same length), but not his PIN.
  const last = mario.pin.at(-1);
  const wrongPin = mario.pin.slice(0, -1) + (last === '2' ? '3' : '2');
  const form = loginForm(page);
  const alert = page.getByRole('main').getByRole('alert');

  const assertErrorShown = async (expected, where) => {
    const text = (await alert.innerText()).trim();
    if (expected instanceof RegExp) assert.match(text, expected, where);
    else assert.equal(text, expected, where);
    // The alert is in the login form's section, and both fields are described by it, so a
    // screen reader reads the error again when the person goes back to the field.
    const alertId = await alert.getAttribute('id');
    assert.ok(alertId, `${where}: the alert has no id to point to`);
    for (const [name, field] of [['codice fiscale', form.codiceFiscale], ['PIN', form.pin]]) {
      const describedBy = ((await field.getAttribute('aria-describedby')) ?? '').split(/\s+/);
      assert.ok(describedBy.includes(alertId), `${where}: the ${name} field is not described by the error (aria-describedby="${describedBy.join(' ')}")`);
    }
    assert.equal(await form.codiceFiscale.inputValue(), mario.codiceFiscale, `${where}: the codice fiscale is kept`);
    assert.equal(await form.pin.inputValue(), '', `${where}: the PIN is not sent back`);
    const title = await page.title();
    assert.ok(title.startsWith(it('feedback-errors-title-prefix')), `${where}: the title does not start with "${it('feedback-errors-title-prefix')}": ${title}`);
  };

  await j.goto('/accedi', 'accedi', { lang: 'it' });
  for (let attempt = 1; attempt <= 4; attempt += 1) {
    // After the first error the codice fiscale is still there: the person only retypes the PIN.
    if (attempt === 1) {
      await loginWithPin(j, mario, { pin: wrongPin, step: `pin-errato-${attempt}`, path: '/accedi', status: 401 });
    } else {
      await j.typeInto(form.pin, wrongPin);
      await j.navigate(`pin-errato-${attempt}`, () => page.keyboard.press('Enter'), { path: '/accedi', status: 401 });
    }
    await assertErrorShown(it('login-error-wrong'), `attempt ${attempt}`);
  }

  // The 5th wrong PIN locks it for half an hour; the message says until when.
  const before = Date.now();
  await j.typeInto(form.pin, wrongPin);
  const locked = await j.navigate('pin-bloccato', () => page.keyboard.press('Enter'), { path: '/accedi', status: 429 });
  const after = Date.now();
  assert.ok(locked.response.headers()['retry-after'], 'a 429 without Retry-After');
  const lockedPattern = tPattern('it', 'login-error-locked', { until: '\\d{2}/\\d{2}/\\d{4} \\d{2}:\\d{2}' });
  await assertErrorShown(lockedPattern, 'attempt 5');
  const until = lockedPattern.exec(await alert.innerText())[1];
  const plausible = new Set();
  for (let ms = before + (LOCK_MINUTES - 1) * 60_000; ms <= after + (LOCK_MINUTES + 1) * 60_000; ms += 30_000) plausible.add(romeTime(ms));
  assert.ok(plausible.has(until), `retry time ${until} is not about ${LOCK_MINUTES} minutes from now (${[...plausible].join(', ')})`);

  // Locked means locked: the right PIN is refused too, with the same message.
  await j.typeInto(form.pin, mario.pin);
  await j.navigate('pin-giusto-ma-bloccato', () => page.keyboard.press('Enter'), { path: '/accedi', status: 429 });
  await assertErrorShown(lockedPattern, 'right PIN while locked');
});
