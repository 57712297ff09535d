// Question journey: Mario Rossi asks the contact center a question (topic, subject, text, no
// attachment): he gets its number, finds it in his list and the acknowledgement letter in his
// mailbox. Paolo Conti (contact center) logs in with password and TOTP, opens it from his
// queue and answers. Mario finds the answer on the question's page and a new letter in the
// mailbox, rates the answer (1 to 5 on the four criteria, "solved: yes") and the question is
// closed.
// A fresh server for each variant: a TOTP code is accepted only once, and the question's
// number and letters would otherwise pile up across the variants.
import assert from 'node:assert/strict';
import { loginWithPin, logoutButton } from '../lib/citizen.js';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';
import { freshTotp } from '../lib/totp.js';

const it = (id, args) => t('it', id, args);
const TOPIC = it('risponde-topic-famiglia');
const SUBJECT = 'Nuova DSU dopo la nascita di mia figlia';
const TEXT = "Mia figlia è nata il 2 marzo: devo presentare una nuova DSU per l'assegno unico, o basta quella di gennaio?";
const ANSWER = "Sì: con la nuova DSU l'ISEE tiene conto di sua figlia. Può presentarla online, in un CAF o da un patronato.";
const CRITERIA = ['risponde-rating-velocita', 'risponde-rating-completezza', 'risponde-rating-chiarezza', 'risponde-rating-utilita'];

journey('citizen asks a question, the contact center answers, the citizen rates it', 'quesito', { freshServer: true }, async (j) => {
  const { page } = j;
  const { demo } = j.server;
  const mario = demo.citizen('Mario Rossi');
  const paolo = demo.staff('paolo.conti');
  const main = page.getByRole('main');
  const facts = async () =>
    main.locator('dl.sp-facts').evaluate((dl) => {
      const out = {};
      for (const dt of dl.querySelectorAll('dt')) out[dt.textContent.trim()] = dt.nextElementSibling.textContent.replace(/\s+/g, ' ').trim();
      return out;
    });
  const mailbox = () =>
    main.locator('section[aria-labelledby="cassetta-results-heading"] tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ subject: tr.querySelector('th a').textContent.trim(), unread: tr.querySelector('.badge') !== null, text: tr.innerText })),
    );
  // A table row by the question number in it (an inner locator of `filter({ has })` is
  // queried inside the row, so it starts from the page).
  const rowOf = (number) => main.getByRole('row').filter({ has: page.getByRole('link', { name: number, exact: true }) });
  const logOut = (step) => j.navigate(step, () => j.activate(logoutButton(page)), { path: '/' });
  // Letters are filed by a background job (risponde.lettera) queued with the step that causes
  // them, so one arrives within a poll of the job runner: wait for it (the list marks nothing
  // read) before opening the mailbox.
  const letterFiled = async (subject) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const listing = await page.request.get(j.url('/area-personale/cassetta'));
      if ((await listing.text()).includes(subject)) return;
      assert.ok(Date.now() < deadline, `the letter "${subject}" was not filed within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  // Mario asks.
  await j.goto('/accedi', 'accedi', { lang: 'it' });
  await loginWithPin(j, mario);
  const list = await j.goto('/area-personale/quesiti', 'quesiti-vuoto');
  assert.equal(list.h1, it('risponde-list-heading'));
  assert.ok((await main.innerText()).includes(it('risponde-list-empty')), 'Mario has no questions yet');
  const form = await j.follow('nuovo', main.getByRole('link', { name: it('risponde-new-link'), exact: true }), {
    path: '/area-personale/quesiti/nuovo',
  });
  assert.equal(form.h1, it('risponde-new-heading'));
  await main.getByLabel(it('risponde-field-topic'), { exact: true }).selectOption({ label: TOPIC });
  await j.typeInto(main.getByLabel(it('risponde-field-subject'), { exact: true }), SUBJECT);
  await j.typeInto(main.getByLabel(it('risponde-field-text'), { exact: true }), TEXT);
  const sent = await j.navigate('inviato', () => main.getByRole('button', { name: it('risponde-submit'), exact: true }).click());
  assert.match(new URL(page.url()).pathname, /^\/area-personale\/quesiti\/[^/]+$/);
  const questionPath = new URL(page.url()).pathname;
  assert.equal(sent.h1, SUBJECT);
  const sentFacts = await facts();
  const number = sentFacts[it('risponde-col-number')];
  assert.match(number, /^Q-\d{4}-\d{6}$/, `question number: ${JSON.stringify(sentFacts)}`);
  assert.equal((await main.getByRole('status').innerText()).trim(), it('risponde-sent', { numero: number }));
  assert.equal(sentFacts[it('risponde-col-topic')], TOPIC);
  assert.equal(sentFacts[it('risponde-col-state')], it('risponde-state-inviata'));
  assert.ok((await main.innerText()).includes(TEXT), 'the question page shows the text');

  // His list: the question with its number, linking to its page.
  await j.follow('quesiti', main.getByRole('link', { name: it('risponde-back-to-list'), exact: true }), { path: '/area-personale/quesiti' });
  const numberLink = main.getByRole('table').getByRole('link', { name: number, exact: true });
  assert.equal(await numberLink.getAttribute('href'), questionPath);
  const row = (await rowOf(number).innerText()).replace(/\s+/g, ' ');
  assert.ok(row.includes(SUBJECT) && row.includes(TOPIC) && row.includes(it('risponde-state-inviata')), `list row: ${row}`);

  // The acknowledgement letter, unread, in the mailbox.
  await letterFiled(it('risponde-letter-received-subject', { numero: number }));
  await j.goto('/area-personale/cassetta', 'cassetta-ricevuta');
  const received = (await mailbox())[0];
  assert.equal(received.subject, it('risponde-letter-received-subject', { numero: number }));
  assert.ok(received.unread, 'the acknowledgement is unread');
  await logOut('mario-esce');

  // Paolo (contact center) answers from his queue.
  await j.goto('/personale/accedi', 'accesso-personale');
  await j.typeInto(page.getByLabel(it('staff-username-label'), { exact: true }), paolo.username);
  await j.typeInto(page.getByLabel(it('staff-password-label'), { exact: true }), demo.staffPassword);
  const code = await freshTotp(demo.staffTotpSecret);
  await j.typeInto(page.getByLabel(it('staff-code-label'), { exact: true }), code);
  await j.navigate('back-office', () => page.keyboard.press('Enter'), { path: '/backoffice' });
  await j.goto('/backoffice/risponde', 'coda');
  const queueLink = main.getByRole('table').getByRole('link', { name: number, exact: true });
  const queueRow = (await rowOf(number).innerText()).replace(/\s+/g, ' ');
  assert.ok(queueRow.includes(SUBJECT) && queueRow.includes(mario.name), `queue row: ${queueRow}`);
  const staffView = await j.follow('quesito-personale', queueLink);
  assert.equal(staffView.h1, `${number} – ${SUBJECT}`);
  assert.ok((await main.innerText()).includes(TEXT), "the operator reads the citizen's text");
  await j.typeInto(main.getByLabel(it('risponde-answer-label'), { exact: true }), ANSWER);
  await j.navigate('risposta-inviata', () => main.getByRole('button', { name: it('risponde-answer-submit'), exact: true }).click());
  assert.equal((await main.getByRole('status').innerText()).trim(), it('risponde-staff-done-risposta'));
  assert.equal((await facts())[it('risponde-col-state')], it('risponde-state-risposta'));
  await logOut('paolo-esce');

  // Mario reads the answer: a new letter in the mailbox, and on the question's page.
  await j.goto('/accedi', 'accedi-di-nuovo');
  await loginWithPin(j, mario, { step: 'area-personale-di-nuovo' });
  await letterFiled(it('risponde-letter-answer-subject', { numero: number }));
  await j.goto('/area-personale/cassetta', 'cassetta-risposta');
  const letters = await mailbox();
  assert.equal(letters[0].subject, it('risponde-letter-answer-subject', { numero: number }));
  assert.ok(letters[0].unread, 'the answer letter is unread');
  assert.ok(letters[0].text.includes(number), 'the letter refers to the question number');

  await j.goto('/area-personale/quesiti', 'quesiti-risposto');
  await j.follow('risposta', main.getByRole('table').getByRole('link', { name: number, exact: true }), { path: questionPath });
  assert.equal((await facts())[it('risponde-col-state')], it('risponde-state-risposta'));
  const answer = main.getByRole('article').filter({ hasText: ANSWER });
  assert.equal(await answer.count(), 1, 'the answer is on the page');
  assert.ok((await answer.innerText()).includes(it('risponde-author-contact-center')), 'the answer is signed by the contact center');

  // The rating: 5, 4, 5, 5 and "solved: yes". Bootstrap Italia draws the radios with their
  // label, which takes the click.
  const scores = [5, 4, 5, 5];
  for (const [i, id] of CRITERIA.entries()) {
    const group = main.getByRole('group', { name: it(id), exact: true });
    await group.getByText(String(scores[i]), { exact: true }).click();
    assert.ok(await group.getByRole('radio', { name: String(scores[i]), exact: true }).isChecked(), `${it(id)}: ${scores[i]} is not chosen`);
  }
  const solved = main.getByRole('group', { name: it('risponde-rating-solved'), exact: true });
  await solved.getByText(it('risponde-yes'), { exact: true }).click();
  assert.ok(await solved.getByRole('radio', { name: it('risponde-yes'), exact: true }).isChecked());
  const rated = await j.navigate('valutato', () => main.getByRole('button', { name: it('risponde-rating-submit'), exact: true }).click(), {
    path: questionPath,
  });
  assert.equal(rated.h1, SUBJECT);
  assert.equal(new URL(page.url()).searchParams.get('fatto'), 'valutazione');
  assert.equal((await main.getByRole('status').innerText()).trim(), it('risponde-done-rating'));
  assert.equal((await facts())[it('risponde-col-state')], it('risponde-state-chiusa'));
  const text = await main.innerText();
  assert.ok(text.includes(it('risponde-closed-note')), 'the page says the question is closed');
  assert.equal(await main.getByRole('button', { name: it('risponde-rating-submit'), exact: true }).count(), 0, 'the rating form is gone');
  assert.equal(await main.getByRole('button', { name: it('risponde-reply-submit'), exact: true }).count(), 0, 'no more messages');

  // The list says it is closed.
  await j.follow('quesiti-chiuso', main.getByRole('link', { name: it('risponde-back-to-list'), exact: true }), { path: '/area-personale/quesiti' });
  const closedRow = (await rowOf(number).innerText()).replace(/\s+/g, ' ');
  assert.ok(closedRow.includes(it('risponde-state-chiusa')), `list row: ${closedRow}`);
});
