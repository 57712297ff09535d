// Mailbox journey: Mario Rossi logs in with his PIN; the header's "Nuovo" badge says he has
// one letter to read. He opens the mailbox from it, searches his letters, keeps only the
// unread one, opens it (it is marked read: the badge goes away) and downloads its PDF. Then
// he chooses how to be told about new letters: email kept, the alerts in English.
// A fresh server for each variant: opening the letter and saving the choice change his data.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { loginWithPin } from '../lib/citizen.js';
import { t } from '../lib/i18n.js';
import { journey } from '../lib/journey.js';

const it = (id, args) => t('it', id, args);
// The demo mailbox (crates/sportello/src/demo.rs): six letters, only the newest unread.
const DECISION = "Domanda di assegno unico accolta";
const LETTERS = 6;
// Mario's address in the demo (demo::MARIO_EMAIL): alerts of new letters go there.
const MARIO_EMAIL = 'mario.rossi@example.org';

journey('citizen reads a letter in the mailbox and chooses the alerts', 'cassetta', { freshServer: true }, async (j) => {
  const { page } = j;
  const mario = j.server.demo.citizen('Mario Rossi');
  const main = page.getByRole('main');
  const header = page.getByRole('banner');
  // The header's badge: a link named "Nuovo <n> lettere da leggere nella cassetta postale".
  const badge = () => header.getByRole('link', { name: new RegExp(`^${it('cassetta-badge-new')} \\d+ ${it('cassetta-badge-label')}$`) });
  const rows = () =>
    main.locator('section[aria-labelledby="cassetta-results-heading"] tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        subject: tr.querySelector('th a').textContent.trim(),
        href: tr.querySelector('th a').getAttribute('href'),
        unread: tr.querySelector('.badge') !== null,
      })),
    );

  await j.goto('/accedi', 'accedi', { lang: 'it' });
  await loginWithPin(j, mario);

  // One letter to read: the badge in the header, and the count in the personal area.
  assert.equal(await badge().count(), 1, 'the header shows the "new letters" badge');
  assert.equal((await badge().locator('.badge').innerText()).trim(), '1');
  assert.ok((await main.innerText()).includes(`${it('cassetta-area-unread')} 1`), 'the personal area says one letter is unread');

  // The badge leads to the mailbox: all six letters, newest first, only the decision unread.
  const list = await j.navigate('cassetta', () => j.activate(badge()), { path: '/area-personale/cassetta' });
  assert.equal(list.h1, it('cassetta-heading'));
  const all = await rows();
  assert.equal(all.length, LETTERS, `letters: ${JSON.stringify(all)}`);
  assert.equal(all[0].subject, DECISION, 'the newest letter comes first');
  assert.deepEqual(all.filter((r) => r.unread).map((r) => r.subject), [DECISION]);

  // A search in the subject: "assegno unico" finds two letters (the decision and the request
  // for documents), the words kept in the box.
  const search = main.getByLabel(it('cassetta-search-label'), { exact: true });
  await j.typeInto(search, 'assegno unico');
  await j.navigate('cerca', () => page.keyboard.press('Enter'), { path: '/area-personale/cassetta' });
  assert.equal(new URL(page.url()).searchParams.get('q'), 'assegno unico');
  assert.equal(await search.inputValue(), 'assegno unico');
  const found = await rows();
  assert.ok(found.length >= 1 && found.length < LETTERS, `search results: ${JSON.stringify(found)}`);
  assert.ok(found.some((r) => r.subject === DECISION), 'the search finds the decision');
  assert.ok(found.every((r) => /assegno unico/i.test(r.subject)), `every result is about the assegno unico: ${JSON.stringify(found)}`);

  // Only the unread ones: the search emptied, "Da leggere" chosen in the Stato select.
  await search.fill('');
  await main.getByLabel(it('cassetta-filter-state'), { exact: true }).selectOption({ label: it('cassetta-state-unread') });
  await j.navigate('da-leggere', () => main.getByRole('button', { name: it('cassetta-filter-apply'), exact: true }).click(), {
    path: '/area-personale/cassetta',
  });
  assert.equal(new URL(page.url()).searchParams.get('stato'), 'da-leggere');
  const unread = await rows();
  assert.deepEqual(unread.map((r) => r.subject), [DECISION]);
  assert.ok(await main.getByRole('link', { name: it('cassetta-filter-reset'), exact: true }).isVisible(), 'a link takes the filters away');

  // The letter: opened, it is read; the badge is gone from the header.
  const letter = await j.follow('lettera', main.getByRole('link', { name: DECISION, exact: true }));
  assert.equal(letter.h1, DECISION);
  assert.match(new URL(page.url()).pathname, /^\/area-personale\/cassetta\/[^/]+$/);
  assert.equal(await badge().count(), 0, 'the badge is gone once the letter is read');
  const download = main.getByRole('link', { name: new RegExp(`^${it('cassetta-download')}`) });
  const href = await download.getAttribute('href');
  assert.equal(href, `${new URL(page.url()).pathname}/pdf`);

  // The PDF: with JavaScript a real download by click; without it, the same address asked
  // with the page's cookies (the browser context's request client shares them).
  if (j.js) {
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    assert.match(file.suggestedFilename(), /\.pdf$/);
    const bytes = fs.readFileSync(await file.path());
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  }
  const pdf = await j.context.request.get(j.url(href));
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  assert.match(pdf.headers()['content-disposition'] ?? '', /^attachment;/);
  assert.equal((await pdf.body()).subarray(0, 5).toString('latin1'), '%PDF-');
  // Without the session the letter is nobody's business.
  const anonymous = await fetch(j.url(href), { redirect: 'manual' });
  assert.equal(anonymous.status, 401);

  // Back in the list, nothing left to read.
  await j.follow('cassetta-letta', main.getByRole('link', { name: it('cassetta-back'), exact: true }), { path: '/area-personale/cassetta' });
  assert.deepEqual((await rows()).filter((r) => r.unread), []);

  // How to be told about new letters: from the personal area. The demo has Mario's email
  // address on file and email chosen, but no mobile number: SMS, asked for, is refused with a
  // message tied to the box; he takes it away, keeps email, chooses English for the alerts
  // and saves: the page says so and keeps the choice.
  await j.follow('area', header.getByRole('link', { name: mario.name, exact: true }), { path: '/area-personale' });
  const prefs = await j.follow('notifiche', main.getByRole('link', { name: it('area-notifiche-link'), exact: true }), {
    path: '/area-personale/notifiche',
  });
  assert.equal(prefs.h1, it('notifiche-heading'));
  // Bootstrap Italia draws checkboxes and radios with their label, which takes the click.
  const channels = main.getByRole('group', { name: it('notifiche-channels-legend'), exact: true });
  const language = main.getByRole('group', { name: it('notifiche-lang-legend'), exact: true });
  const email = channels.getByRole('checkbox', { name: it('notifiche-channel-email'), exact: true });
  const sms = channels.getByRole('checkbox', { name: it('notifiche-channel-sms'), exact: true });
  const italian = language.getByRole('radio', { name: it('notifiche-lang-it'), exact: true });
  const english = language.getByRole('radio', { name: it('notifiche-lang-en'), exact: true });
  const submit = main.getByRole('button', { name: it('notifiche-submit'), exact: true });
  const shown = await main.innerText();
  assert.ok(shown.includes(MARIO_EMAIL), 'his email address is on file');
  assert.ok(shown.includes(it('notifiche-contact-none')), 'no mobile number on file');
  assert.ok(await email.isChecked(), 'email is chosen');
  assert.ok(!(await sms.isChecked()), 'SMS is not chosen');
  assert.ok(await italian.isChecked(), 'the alerts are in Italian by default');

  await channels.getByText(it('notifiche-channel-sms'), { exact: true }).click();
  await language.getByText(it('notifiche-lang-en'), { exact: true }).click();
  assert.ok((await sms.isChecked()) && (await english.isChecked()), 'SMS and English are chosen');
  const refused = await j.navigate('preferenze-errore', () => submit.click(), { path: '/area-personale/notifiche', status: 422 });
  assert.equal(refused.h1, it('notifiche-heading'));
  assert.match(await page.title(), new RegExp(`^${it('feedback-errors-title-prefix')}`));
  const alert = main.getByRole('alert');
  assert.ok((await alert.innerText()).includes(it('notifiche-error-no-mobile')), 'the summary says there is no mobile number');
  assert.equal(await sms.getAttribute('aria-invalid'), 'true');
  assert.equal(await sms.getAttribute('aria-describedby'), 'errore-sms');
  assert.equal((await main.locator('#errore-sms').innerText()).trim(), it('notifiche-error-no-mobile'));
  assert.ok(await english.isChecked(), 'the language chosen is kept');
  assert.ok(await email.isChecked(), 'email is kept');

  await channels.getByText(it('notifiche-channel-sms'), { exact: true }).click();
  assert.ok(!(await sms.isChecked()), 'SMS taken away');
  const saved = await j.navigate('preferenze-salvate', () => submit.click(), { path: '/area-personale/notifiche' });
  assert.equal(saved.h1, it('notifiche-heading'));
  assert.equal(new URL(page.url()).searchParams.get('salvate'), '1');
  assert.equal((await main.getByRole('status').innerText()).trim(), it('notifiche-saved'));
  assert.ok(await email.isChecked(), 'email stays on');
  assert.ok(!(await sms.isChecked()), 'SMS stays off');
  assert.ok(await english.isChecked(), 'English is kept');
  assert.ok(!(await italian.isChecked()), 'Italian is no longer chosen');
});
