// Online applications in English: Mario Rossi logs in, switches the site to English and
// starts "Request for a certificate of residence". The form's own texts (title, step, questions,
// options, the "fill in only if" notes, the error summary, the answers in the summary) are in
// English too, and nothing on those pages is left in Italian (every built-in form is
// translated); axe checks each page, including that any Italian part is marked lang="it".
import assert from 'node:assert/strict';
import { loginWithPin } from '../lib/citizen.js';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';

const en = (id, args) => t('en', id, args);
const CERTIFICATO = 'Request for a certificate of residence';
const CF_FAMILIARE = 'BNCNNA52T45F205Q';

/** The error summary's links as [{ href, text }]. */
async function summaryLinks(main) {
  return main.getByRole('alert').locator('a').evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })));
}

/** Elements of main marked as Italian: none, on a form that has all its English. */
async function italianParts(main) {
  return main.locator('[lang="it"]').allInnerTexts();
}

journey('citizen fills in an application in English', 'domanda-inglese', { freshServer: true }, async (j) => {
  const { page } = j;
  const mario = j.server.demo.citizen('Mario Rossi');
  const main = page.getByRole('main');
  const button = (id) => main.getByRole('button', { name: en(id), exact: true });

  await j.goto('/accedi', 'accedi', { lang: 'it' });
  await loginWithPin(j, mario);
  await j.goto('/lingua/en?torna=/area-personale/domande', 'applications', { path: '/area-personale/domande', lang: 'en' });

  const start = await j.follow('start', main.getByRole('link', { name: CERTIFICATO, exact: true }), { path: '/area-personale/domande/nuova', lang: 'en' });
  assert.equal(start.h1, CERTIFICATO);
  assert.ok((await main.innerText()).includes('The certificate'), 'the steps are listed in English');
  assert.deepEqual(await italianParts(main), []);

  const step = await j.navigate('step-1', () => j.activate(button('domande-start-button')), { lang: 'en' });
  assert.equal(step.h1, CERTIFICATO);
  const base = new URL(page.url()).pathname.replace(/\/passo\/1$/, '');
  const cf = main.getByLabel(/^The family member's codice fiscale/);
  const note = en('domande-solo-se', { domanda: 'Who is the certificate for?', risposta: '«For a family member who lives with me»' });
  const described = await cf.evaluate((el) =>
    el.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id)?.textContent.trim()),
  );
  assert.ok(described.includes(note), `the note "${note}" describes the field: ${JSON.stringify(described)}`);
  assert.deepEqual(await italianParts(main), []);

  // Sent empty: the error summary names each question in English.
  const empty = await j.navigate('step-1-empty', () => button('domande-to-summary').click(), { status: 422, lang: 'en' });
  assert.equal(empty.h1, CERTIFICATO);
  const required = en('campo-obbligatorio');
  assert.deepEqual(await summaryLinks(main), [
    { href: '#campo-intestatario', text: `Who is the certificate for? – ${required}` },
    { href: '#campo-uso', text: `Use of the certificate – ${required}` },
    { href: '#campo-copie', text: `Number of copies – ${required}` },
  ]);

  // Bootstrap Italia draws the radio buttons over their labels: click the label.
  const choose = async (label) => {
    await main.locator('label.form-check-label', { hasText: label }).click();
    assert.ok(await main.getByLabel(label, { exact: true }).isChecked(), `"${label}" is chosen`);
  };
  await choose('For a family member who lives with me');
  await j.typeInto(cf, CF_FAMILIARE);
  await choose('With a revenue stamp (16 euro)');
  await j.typeInto(main.getByLabel(/^Number of copies/), '1');
  const summary = await j.navigate('summary', () => button('domande-to-summary').click(), { path: `${base}/riepilogo`, lang: 'en' });
  assert.equal(summary.h1, CERTIFICATO);
  const answers = await main.innerText();
  for (const text of ['Who is the certificate for?', 'For a family member who lives with me', 'With a revenue stamp (16 euro)', CF_FAMILIARE]) {
    assert.ok(answers.includes(text), `the summary shows "${text}"`);
  }
  assert.deepEqual(await italianParts(main), []);
});
