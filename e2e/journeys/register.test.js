// Identity journey 8: a citizen asks for a PIN at /registrati, only with the keyboard.
//
// 1. Mario Rossi follows the login page's "Non hai un PIN? Richiedilo" and sends the form with
//    two mistakes: a surname that is not the codice fiscale's ("Verdi") and a CAP of 3 digits.
//    The form comes back (422) with a summary (role=alert) whose links lead to the fields, the
//    two fields marked aria-invalid and described by their own error text, and everything he
//    typed kept. Corrected, it is sent (303) to "Richiesta ricevuta". Mario is already
//    registered in the demo, and the page is the same as for anybody: it does not tell who is
//    a citizen here. The form and its errors also fit a 320 px screen.
// 2. Giulia Neri, who is not in the demo data (her codice fiscale is made up here, check
//    character included, and confirmed by the site's own /api/v1/codice-fiscale), asks for a
//    PIN: the same "Richiesta ricevuta" page, and the demo server, which has no mail server,
//    writes the email with the first half of her PIN to its log. A fresh server per variant,
//    so that she is new every time.
import assert from 'node:assert/strict';
import { withCheckCharacter } from '../lib/codice-fiscale.js';
import { typeDate } from '../lib/date-field.js';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';
import { assertNoHorizontalScroll, assertOnScreen } from '../lib/layout.js';

const it = (id, args) => t('it', id, args);
const SMALL = { width: 320, height: 640 };

/** The registration form's fields, by their labels on the page. */
const registerForm = (page) => {
  const field = (id) => page.getByLabel(it(id), { exact: true });
  return {
    codiceFiscale: field('login-cf-label'),
    nome: field('register-nome'),
    cognome: field('register-cognome'),
    dataNascita: field('register-data'),
    email: field('register-email'),
    indirizzo: field('register-indirizzo'),
    cap: field('register-cap'),
    comune: field('register-comune'),
    provincia: field('register-provincia'),
    submit: page.getByRole('button', { name: it('register-submit'), exact: true }),
  };
};

/** Replace what a field holds: select it all (Ctrl+A) and type over it, by keyboard. */
async function retype(j, field, text) {
  if (!(await field.evaluate((el) => el === document.activeElement))) await j.tabTo(field);
  await j.page.keyboard.press('ControlOrMeta+A');
  await j.page.keyboard.type(text);
}

/** Type a whole registration with the keyboard, field after field (the channel stays email). */
async function fillRegistration(j, person) {
  const form = registerForm(j.page);
  await j.typeInto(form.codiceFiscale, person.codiceFiscale);
  await j.typeInto(form.nome, person.nome);
  await j.typeInto(form.cognome, person.cognome);
  await typeDate(j, form.dataNascita, person.dataNascita);
  await j.typeInto(form.email, person.email);
  await j.typeInto(form.indirizzo, person.indirizzo);
  await j.typeInto(form.cap, person.cap);
  await j.typeInto(form.comune, person.comune);
  await j.typeInto(form.provincia, person.provincia);
}

/**
 * Enter sends the form; the POST answers 303 to /registrati/richiesta-ricevuta, which says
 * exactly the same thing to everybody: its heading and three fixed paragraphs, no notice.
 */
async function sendAndExpectReceived(j, step) {
  const done = await j.navigate(step, () => j.page.keyboard.press('Enter'), { path: '/registrati/richiesta-ricevuta' });
  const post = done.response.request().redirectedFrom();
  assert.ok(post, 'the form was not answered with a redirect');
  assert.equal(post.method(), 'POST');
  assert.equal(new URL(post.url()).pathname, '/registrati');
  assert.equal((await post.response()).status(), 303, 'the form is answered 303 See Other');
  assert.equal(done.h1, it('register-done-heading'));
  const title = await j.page.title();
  assert.ok(title.startsWith(it('register-done-heading')), `title: ${title}`);
  const main = j.page.getByRole('main');
  const paragraphs = await main.locator('article p').allInnerTexts();
  assert.deepEqual(
    paragraphs.map((p) => p.trim()),
    [it('register-done-p1'), it('register-done-p2'), it('register-done-p3')],
    'the "Richiesta ricevuta" page says something more, or less, than its fixed text',
  );
  assert.equal(await main.getByRole('alert').count(), 0, 'an alert on the "Richiesta ricevuta" page');
  assert.equal(await main.getByRole('status').count(), 0, 'a status message on the "Richiesta ricevuta" page');
}

const mario = {
  codiceFiscale: 'RSSMRA80A01H501U',
  nome: 'Mario',
  cognome: 'Rossi',
  dataNascita: '1980-01-01',
  email: 'mario.rossi@example.it',
  indirizzo: 'Via dei Mille 12',
  cap: '00185',
  comune: 'Roma',
  provincia: 'RM',
};

journey('citizen asks for a PIN, with mistakes first', 'registrati', {}, async (j) => {
  const { page } = j;
  assert.equal(j.server.demo.citizen('Mario Rossi').codiceFiscale, mario.codiceFiscale, 'Mario Rossi is registered in the demo');
  const form = registerForm(page);

  await j.goto('/accedi', 'accedi', { lang: 'it' });
  const link = page.getByRole('link', { name: it('login-register-link'), exact: true });
  const opened = await j.navigate('registrati', () => j.activate(link), { path: '/registrati' });
  assert.equal(opened.h1, it('register-heading'));
  await page.setViewportSize(SMALL);
  await assertNoHorizontalScroll(page, SMALL.width, `/registrati (${j.variant.id})`);
  await assertOnScreen(form.submit, SMALL.width, 'the "Richiedi il PIN" button');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Two mistakes: the surname is not the codice fiscale's, the CAP has 3 digits.
  const typed = { ...mario, cognome: 'Verdi', cap: '123' };
  await fillRegistration(j, typed);
  await j.navigate('errori', () => page.keyboard.press('Enter'), { status: 422, path: '/registrati' });
  const title = await page.title();
  assert.ok(title.startsWith(it('feedback-errors-title-prefix')), `the title does not start with "${it('feedback-errors-title-prefix')}": ${title}`);

  // The summary: an alert in <main>, one link per problem, each to its field.
  const summary = page.getByRole('main').getByRole('alert');
  assert.equal(await summary.count(), 1, 'one error summary with role=alert');
  assert.ok((await summary.innerText()).includes(it('feedback-errors-title')), 'the summary has its heading');
  const expected = [
    { field: form.cognome, id: 'campo-cognome', message: it('register-mismatch-cognome') },
    { field: form.cap, id: 'campo-cap', message: it('register-error-cap') },
  ];
  const links = summary.getByRole('link');
  assert.deepEqual(
    await links.evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent.trim()])),
    expected.map((e) => [`#${e.id}`, e.message]),
    'the summary lists the two problems, in the order of the form, each linked to its field',
  );
  const mismatch = await links.first().innerText();
  assert.ok(mismatch.startsWith('Il cognome non corrisponde al codice fiscale'), `the surname's message: ${mismatch}`);

  // Each wrong field: aria-invalid, described by its own error text (after any hint); the
  // right ones are not marked.
  for (const { field, id, message } of expected) {
    assert.equal(await field.getAttribute('id'), id);
    assert.equal(await field.getAttribute('aria-invalid'), 'true', `${id} is not aria-invalid`);
    const describedBy = ((await field.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
    const texts = await Promise.all(describedBy.map((ref) => page.locator(`[id="${ref}"]`).innerText()));
    assert.ok(texts.map((s) => s.trim()).includes(message), `${id} is not described by "${message}" (aria-describedby="${describedBy.join(' ')}": ${JSON.stringify(texts)})`);
  }
  for (const field of [form.codiceFiscale, form.nome, form.dataNascita, form.email, form.indirizzo, form.comune, form.provincia]) {
    assert.equal(await field.getAttribute('aria-invalid'), null, `${await field.getAttribute('id')} is marked invalid but is right`);
  }
  // What he typed is all there, the mistakes included.
  for (const key of Object.keys(typed)) {
    assert.equal(await form[key].inputValue(), typed[key], `the ${key} typed is not kept`);
  }

  await page.setViewportSize(SMALL);
  await assertNoHorizontalScroll(page, SMALL.width, `/registrati with errors (${j.variant.id})`);
  await assertOnScreen(links.first(), SMALL.width, 'the first link of the error summary');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Each summary link takes the keyboard to its field: the first to the surname, fixed there;
  // then back up (Shift+Tab) to the second, to the CAP.
  const followSummaryLink = async (link, { id }, key) => {
    await j.tabTo(link, { key });
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.hash === `#${id}`);
    assert.equal(await page.evaluate(() => document.activeElement?.id), id, `the summary link to #${id} does not move the focus there`);
  };
  await followSummaryLink(links.nth(0), expected[0], 'Tab');
  await retype(j, form.cognome, mario.cognome);
  await j.screenshot('cognome-corretto');
  await followSummaryLink(links.nth(1), expected[1], 'Shift+Tab');
  await retype(j, form.cap, mario.cap);
  await sendAndExpectReceived(j, 'richiesta-ricevuta');
});

journey('a new citizen asks for a PIN and the first half is sent', 'registrati-nuovo', { freshServer: true }, async (j) => {
  const { page } = j;
  // Neri -> NRE, Giulia -> GLI, 1990 -> 90, May -> E, 15th + 40 (a woman) -> 55, Milano -> F205.
  const giulia = {
    codiceFiscale: withCheckCharacter('NREGLI90E55F205'),
    nome: 'Giulia',
    cognome: 'Neri',
    dataNascita: '1990-05-15',
    email: 'giulia.neri@example.it',
    indirizzo: 'Corso Buenos Aires 7',
    cap: '20124',
    comune: 'Milano',
    provincia: 'MI',
  };
  assert.ok(!j.server.demo.citizens.some((c) => c.codiceFiscale === giulia.codiceFiscale), 'Giulia Neri is in the demo data');
  const res = await fetch(j.url(`/api/v1/codice-fiscale/${giulia.codiceFiscale}`));
  const info = await res.json();
  assert.equal(res.status, 200, `the site does not take ${giulia.codiceFiscale}: ${JSON.stringify(info)}`);
  assert.equal(info.sex, 'F');
  assert.equal(info.birth_date, giulia.dataNascita);
  assert.equal(info.birthplace_name, 'Milano');

  await j.goto('/registrati', 'registrati', { lang: 'it' });
  await fillRegistration(j, giulia);
  await sendAndExpectReceived(j, 'richiesta-ricevuta');

  // No mail server in the demo: the email goes to the server's log, with the first half.
  const email = await waitForLoggedEmail(j.server, giulia.email);
  assert.match(email, new RegExp(`Gentile ${giulia.nome} ${giulia.cognome},`), `the email is not addressed to her:\n${email}`);
  const half = /prima parte del tuo PIN: ([A-Z0-9]{4} [A-Z0-9]{4})$/.exec(email);
  assert.ok(half, `no first half in the email:\n${email}`);
  j.t.diagnostic(`first half for ${giulia.codiceFiscale} in the server's log: ${half[1]}`);
});

/**
 * The email to `to` that the server wrote to its log (the demo's notify_log_fallback, at
 * level warn, on stderr), ANSI colours removed, from the recipient to the first half; waits
 * for the job runner (it polls every 500 ms) for up to 15 seconds.
 */
async function waitForLoggedEmail(server, to) {
  const escaped = to.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`email NOT SENT[^\\n]* to=${escaped} subject=[^\\n]* body=[\\s\\S]*?PIN: \\S{4} \\S{4}`);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const log = server.output().replace(/\x1b\[[0-9;]*m/g, '');
    const found = pattern.exec(log);
    if (found) return found[0];
    if (Date.now() > deadline) assert.fail(`no email to ${to} in the server's log after 15 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
