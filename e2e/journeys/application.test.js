// Online applications (domande telematiche, issue 8), three journeys:
// 1. Mario Rossi (PIN dispositivo) starts "Richiesta di certificato di residenza" from "Le
//    mie domande", sends the step empty (error summary naming each question, fields marked),
//    then, with the keyboard only, answers "Per un familiare" and an esente use and fills in
//    the fields those answers ask for (always on the page, with a "solo se" note: no
//    JavaScript needed), checks the summary, files: protocol number, timeline, receipt PDF.
// 2. Mario applies for the assegno unico for two children (the second row of the group added
//    by "Aggiungi un'altra riga", a plain submit button) and for the bonus asilo nido with a
//    small PDF receipt attached.
// 3. Mario, for Anna Bianchi, files a certificato that goes to the Sede di Roma Centro; Elisa
//    Marino (operatore di sede, in a second browser) asks for a document with a reason and a
//    deadline; Anna sees "Servono documenti" (and who may send them: her PIN is ordinario);
//    Mario sends a PDF for her; Elisa accepts; Anna sees "Accolta" and the letter.
// A fresh server for each variant: applications, letters and a TOTP code (accepted once)
// would otherwise carry over from one variant to the other.
import assert from 'node:assert/strict';
import { loginWithPin, logout } from '../lib/citizen.js';
import { withCheckCharacter } from '../lib/codice-fiscale.js';
import { t } from '../lib/i18n.js';
import { Journey, journey } from '../lib/journey.js';
import { freshTotp } from '../lib/totp.js';

const it = (id, args) => t('it', id, args);
const CERTIFICATO = 'Richiesta di certificato di residenza';
const ASSEGNO = 'Domanda di assegno unico per i figli';
// Anna Bianchi's codice fiscale (demo data): a family member that exists.
const CF_FAMILIARE = 'BNCNNA52T45F205Q';

/** The `<dl class="sp-facts">` of the page as { term: description }. */
async function facts(main) {
  return main.locator('dl.sp-facts').first().evaluate((dl) => {
    const out = {};
    for (const dt of dl.querySelectorAll('dt')) out[dt.textContent.trim()] = dt.nextElementSibling.textContent.replace(/\s+/g, ' ').trim();
    return out;
  });
}

/** The error summary's links as [{ href, text }]. */
async function summaryLinks(main) {
  return main.getByRole('alert').locator('a').evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })));
}

journey('citizen fills in and files an application for a certificato di residenza', 'domanda-certificato', { freshServer: true }, async (j) => {
  const { page } = j;
  const mario = j.server.demo.citizen('Mario Rossi');
  const main = page.getByRole('main');
  const button = (id) => main.getByRole('button', { name: it(id), exact: true });

  await j.goto('/accedi', 'accedi', { lang: 'it' });
  await loginWithPin(j, mario);

  const list = await j.goto('/area-personale/domande', 'le-mie-domande');
  assert.equal(list.h1, it('domande-list-heading'));
  assert.ok((await main.innerText()).includes(it('domande-list-empty')), 'Mario has no applications yet');

  const start = await j.follow('inizio', main.getByRole('link', { name: CERTIFICATO, exact: true }), { path: '/area-personale/domande/nuova' });
  assert.equal(start.h1, CERTIFICATO);
  assert.equal(new URL(page.url()).searchParams.get('modulo'), 'certificato-residenza');

  const step = await j.navigate('passo-1', () => j.activate(button('domande-start-button')));
  assert.match(new URL(page.url()).pathname, /^\/area-personale\/domande\/[^/]+\/passo\/1$/);
  const base = new URL(page.url()).pathname.replace(/\/passo\/1$/, '');
  assert.equal(step.h1, CERTIFICATO);

  // The fields that depend on an answer are on the page from the start (nothing to reveal
  // without JavaScript), each with a note saying when to fill it in, tied to the field.
  const cf = main.getByLabel(/^Codice fiscale del familiare/);
  const motivo = main.getByLabel(/^Per quale uso è esente\?/);
  const copie = main.getByLabel(/^Numero di copie/);
  for (const [field, question, answer] of [
    [cf, 'Per chi chiedi il certificato?', '«Per un familiare che vive con me»'],
    [motivo, 'Uso del certificato', '«Esente da bollo, per un uso previsto dalla legge»'],
  ]) {
    assert.ok(await field.isVisible(), `${question}: the field that depends on it is on the page`);
    const note = it('domande-solo-se', { domanda: question, risposta: answer });
    assert.ok((await field.getAttribute('aria-describedby')).split(' ').some((id) => id.startsWith('condizione-')));
    const described = await field.evaluate((el) =>
      el.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id)?.textContent.trim()),
    );
    assert.ok(described.includes(note), `the note "${note}" describes the field: ${JSON.stringify(described)}`);
  }
  // Prefilled from what the institute knows: Mario's email address.
  assert.equal(await main.getByLabel(/^Email a cui mandare/).inputValue(), 'mario.rossi@example.org');

  // Sent empty: 422, the summary at the top links to each field by its question, the fields
  // are marked and say what is wrong. The fields nobody has to fill in are not in it.
  const toSummary = button('domande-to-summary');
  const empty = await j.navigate('passo-1-vuoto', () => toSummary.click(), { status: 422 });
  assert.equal(empty.h1, CERTIFICATO);
  assert.match(await page.title(), new RegExp(`^${it('feedback-errors-title-prefix')}`));
  const alert = main.getByRole('alert');
  assert.equal(await alert.count(), 1, 'one error summary');
  const firstInMain = await main.evaluate((m) => {
    const alertBox = m.querySelector('[role=alert]');
    return [...m.querySelectorAll('form, [role=alert]')][0] === alertBox;
  });
  assert.ok(firstInMain, 'the summary comes before the form');
  const required = it('campo-obbligatorio');
  const expected = [
    { href: '#campo-intestatario', text: `Per chi chiedi il certificato? – ${required}` },
    { href: '#campo-uso', text: `Uso del certificato – ${required}` },
    { href: '#campo-copie', text: `Numero di copie – ${required}` },
  ];
  assert.deepEqual(await summaryLinks(main), expected);
  for (const id of ['campo-intestatario', 'campo-intestatario-1', 'campo-uso', 'campo-uso-1', 'campo-copie']) {
    assert.equal(await main.locator(`#${id}`).getAttribute('aria-invalid'), 'true', `#${id} is aria-invalid`);
  }
  assert.equal(await cf.getAttribute('aria-invalid'), null, 'the familiare field is not in error');
  assert.equal(await copie.getAttribute('aria-describedby'), 'errore-campo-copie');
  assert.equal((await main.locator('#errore-campo-copie').innerText()).trim(), required);
  // The radio groups: the fieldset is described by its message, next to the options.
  assert.equal(await main.locator('fieldset:has(#campo-intestatario)').getAttribute('aria-describedby'), 'errore-campo-intestatario');

  // Keyboard only, from the summary: its first link takes the focus to the first question;
  // the arrow keys choose "Per un familiare", Tab goes to the codice fiscale, and so on;
  // Enter sends the step.
  const first = alert.getByRole('link').first();
  await j.tabTo(first);
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.hash === '#campo-intestatario');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'campo-intestatario');
  await page.keyboard.press('ArrowDown');
  assert.ok(await main.locator('#campo-intestatario-1').isChecked(), 'ArrowDown chose "Per un familiare"');
  await j.typeInto(cf, 'bncnna52t45f205q');
  await j.tabTo(main.locator('#campo-uso'));
  await page.keyboard.press('ArrowDown');
  assert.ok(await main.locator('#campo-uso-1').isChecked(), 'ArrowDown chose "Esente"');
  await j.typeInto(motivo, 'Pratica di assegni familiari (DPR 642/1972, allegato B)');
  await j.typeInto(copie, '2');
  await j.screenshot('passo-1-compilato');
  const riepilogo = await j.navigate('riepilogo', () => page.keyboard.press('Enter'), { path: `${base}/riepilogo` });
  assert.equal(riepilogo.h1, CERTIFICATO);
  const answers = await main.innerText();
  for (const text of ['Per un familiare che vive con me', CF_FAMILIARE, 'Pratica di assegni familiari (DPR 642/1972, allegato B)', 'mario.rossi@example.org']) {
    assert.ok(answers.includes(text), `the summary shows "${text}"`);
  }
  assert.ok(answers.includes(it('domande-filing-as-self')), 'he files in his own name');

  // Filed: the application's page with the protocol number, the timeline and the receipt.
  const filed = await j.navigate('presentata', () => j.activate(button('domande-file-button')), { path: base });
  assert.equal(filed.h1, CERTIFICATO);
  const shown = await facts(main);
  const protocol = shown[it('domande-col-protocol')];
  assert.match(protocol, /^[A-Z]+\.[A-Z0-9-]+\.\d{4}\.\d{8}$/, `protocol number: ${JSON.stringify(shown)}`);
  assert.equal((await main.getByRole('status').innerText()).trim(), `${it('domande-notice-filed')} ${protocol}`);
  assert.equal(shown[it('domande-col-state')], it('domande-stato-presentata'));
  assert.equal(shown[it('domande-filed-by')], it('domande-presentatore-cittadino'));
  const timeline = await main.locator('h2', { hasText: it('domande-timeline') }).locator('xpath=following-sibling::ol[1]/li').allInnerTexts();
  assert.equal(timeline.length, 1, `timeline: ${JSON.stringify(timeline)}`);
  assert.match(timeline[0], new RegExp(`${it('domande-stato-presentata')}$`));

  const receipt = main.getByRole('link', { name: it('domande-receipt-download'), exact: true });
  const href = await receipt.getAttribute('href');
  assert.equal(href, `${base}/ricevuta.pdf`);
  const pdf = await j.context.request.get(j.url(href));
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  assert.equal((await pdf.body()).subarray(0, 5).toString('latin1'), '%PDF-');
  const anonymous = await fetch(j.url(href), { redirect: 'manual' });
  assert.equal(anonymous.status, 401, 'the receipt is nobody else\'s business');

  // His list: the application with its number and state.
  await j.follow('le-mie-domande-dopo', main.getByRole('link', { name: it('domande-back-to-list'), exact: true }), { path: '/area-personale/domande' });
  const row = main.getByRole('row').filter({ has: page.getByRole('link', { name: CERTIFICATO, exact: true }) });
  assert.equal(await row.count(), 1);
  const cells = await row.locator('td').allInnerTexts();
  assert.deepEqual(cells.slice(0, 2).map((c) => c.trim()), [protocol, it('domande-stato-presentata')]);
});

// 2. Mario applies for the assegno unico for two children: the repeating group "Figli a
//    carico" gets its second row from "Aggiungi un'altra riga" (a plain submit button: no
//    JavaScript needed), what was typed in the first row is kept. Then the bonus asilo nido,
//    with the receipt of a monthly fee attached as a small PDF.
journey('citizen applies for the assegno unico (two children) and the bonus asilo nido (with a receipt)', 'domanda-figli', { freshServer: true }, async (j) => {
  const { page } = j;
  const mario = j.server.demo.citizen('Mario Rossi');
  const main = page.getByRole('main');
  const button = (id) => main.getByRole('button', { name: it(id), exact: true });
  const field = (id) => main.locator(`#${id}`);
  const choose = async (id) => {
    await main.locator(`label[for="${id}"]`).click();
    assert.ok(await field(id).isChecked(), `#${id} is chosen`);
  };
  const CHILDREN = [
    { nome: 'Luca', cognome: 'Rossi', cf: withCheckCharacter('RSSLCU19C10H501'), nascita: '2019-03-10' },
    { nome: 'Giulia', cognome: 'Rossi', cf: withCheckCharacter('RSSGLI21E55H501'), nascita: '2021-05-15' },
  ];
  const fillChild = async (index, child) => {
    await field(`campo-figli-${index}-nome`).fill(child.nome);
    await field(`campo-figli-${index}-cognome`).fill(child.cognome);
    await field(`campo-figli-${index}-codice_fiscale`).fill(child.cf);
    await field(`campo-figli-${index}-data_nascita`).fill(child.nascita);
    await choose(`campo-figli-${index}-disabilita-no`);
  };
  const rows = () => main.locator('fieldset.sp-group-row');

  await j.goto('/accedi', 'accedi', { lang: 'it' });
  await loginWithPin(j, mario);
  await j.goto('/area-personale/domande', 'le-mie-domande');
  const start = await j.follow('assegno-inizio', main.getByRole('link', { name: ASSEGNO, exact: true }), { path: '/area-personale/domande/nuova' });
  assert.equal(start.h1, ASSEGNO);
  await j.navigate('assegno-passo-1', () => button('domande-start-button').click());
  const base = new URL(page.url()).pathname.replace(/\/passo\/1$/, '');
  assert.equal(await rows().count(), 1, 'one empty row to start with');
  assert.equal((await rows().first().locator(':scope > legend').innerText()).trim(), `Figli a carico – ${it('domande-group-row')} 1`);

  // First child, then "Aggiungi un'altra riga": the step comes back with a second, empty row.
  await fillChild(0, CHILDREN[0]);
  const added = await j.navigate('assegno-riga-aggiunta', () => button('domande-group-add').click(), { path: `${base}/passo/1` });
  assert.equal(added.h1, ASSEGNO);
  assert.equal(await rows().count(), 2, 'a second row');
  assert.equal(await field('campo-figli-0-nome').inputValue(), 'Luca', 'the first row is kept');
  assert.equal(await field('campo-figli-0-codice_fiscale').inputValue(), CHILDREN[0].cf);
  assert.ok(await field('campo-figli-0-disabilita-no').isChecked(), 'the first row\'s answer is kept');
  assert.equal(await field('campo-figli-1-nome').inputValue(), '', 'the second row is empty');
  assert.equal(await main.getByRole('alert').count(), 0, 'adding a row is not an error');

  // A wrong codice fiscale in the second row: the summary names the field and its row.
  await fillChild(1, { ...CHILDREN[1], cf: 'RSSGLI21E55H501A' });
  await j.navigate('assegno-riga-sbagliata', () => button('domande-next').click(), { path: `${base}/passo/1`, status: 422 });
  const problems = await summaryLinks(main);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.equal(problems[0].href, '#campo-figli-1-codice_fiscale');
  assert.ok(problems[0].text.startsWith(`Codice fiscale (Figli a carico, ${it('domande-group-row')} 2) – `), problems[0].text);
  assert.equal(await field('campo-figli-1-codice_fiscale').getAttribute('aria-invalid'), 'true');
  assert.equal(await field('campo-figli-0-nome').inputValue(), 'Luca', 'the first row is still there');
  await field('campo-figli-1-codice_fiscale').fill(CHILDREN[1].cf);
  await j.navigate('assegno-passo-2', () => button('domande-next').click(), { path: `${base}/passo/2` });

  // ISEE: yes, and its value (asked right under the question).
  await choose('campo-isee_presente');
  await field('campo-isee_valore').fill('15.000,00');
  await j.navigate('assegno-passo-3', () => button('domande-next').click(), { path: `${base}/passo/3` });
  await choose('campo-ripartizione');
  await field('campo-iban').fill('IT60 X054 2811 1010 0000 0123 456');
  const summary = await j.navigate('assegno-riepilogo', () => button('domande-to-summary').click(), { path: `${base}/riepilogo` });
  assert.equal(summary.h1, ASSEGNO);
  const listed = await main.locator('dd ol > li').allInnerTexts();
  assert.equal(listed.length, 2, `children in the summary: ${JSON.stringify(listed)}`);
  assert.ok(listed[0].includes('Luca') && listed[0].includes(CHILDREN[0].cf), listed[0]);
  assert.ok(listed[1].includes('Giulia') && listed[1].includes(CHILDREN[1].cf), listed[1]);
  await j.navigate('assegno-presentata', () => button('domande-file-button').click(), { path: base });
  assert.equal((await facts(main))[it('domande-col-state')], it('domande-stato-presentata'));

  // The bonus asilo nido, with the receipt attached on the second step.
  await j.goto('/area-personale/domande/nuova?modulo=bonus-asilo-nido', 'nido-inizio');
  await j.navigate('nido-passo-1', () => button('domande-start-button').click());
  const nido = new URL(page.url()).pathname.replace(/\/passo\/1$/, '');
  await field('campo-cf_figlio').fill(withCheckCharacter('RSSMRC25B14H501'));
  await field('campo-data_nascita_figlio').fill('2025-02-14');
  await j.navigate('nido-passo-2', () => button('domande-next').click(), { path: `${nido}/passo/2` });
  await field('campo-nome_nido').fill('Nido Il Girasole');
  await field('campo-comune_nido').fill('Milano');
  await choose('campo-tipo_nido');
  await field('campo-mesi').fill('10');
  await field('campo-retta_mensile').fill('450,00');
  const receipt = main.getByLabel(/^Ricevuta di pagamento di una retta/);
  assert.equal(await receipt.getAttribute('type'), 'file');
  await receipt.setInputFiles({ name: 'ricevuta-ottobre.pdf', mimeType: 'application/pdf', buffer: SMALL_PDF });
  await j.navigate('nido-passo-3', () => button('domande-next').click(), { path: `${nido}/passo/3` });
  // Back to the second step: the file is attached, named on the page.
  await j.navigate('nido-passo-2-di-nuovo', () => button('domande-back').click(), { path: `${nido}/passo/2` });
  assert.ok((await main.innerText()).includes(`${it('domande-file-attached')} ricevuta-ottobre.pdf`), 'the step says which file is attached');
  await j.navigate('nido-passo-3-di-nuovo', () => button('domande-next').click(), { path: `${nido}/passo/3` });
  await field('campo-iban').fill('IT60X0542811101000000123456');
  await j.navigate('nido-riepilogo', () => button('domande-to-summary').click(), { path: `${nido}/riepilogo` });
  assert.ok((await main.innerText()).includes('ricevuta-ottobre.pdf'), 'the summary lists the receipt');
  await j.navigate('nido-presentata', () => button('domande-file-button').click(), { path: nido });
  assert.equal((await facts(main))[it('domande-col-state')], it('domande-stato-presentata'));
  assert.ok((await main.innerText()).includes('ricevuta-ottobre.pdf'), 'the application shows the receipt among its data');

  // Both in his list.
  await j.goto('/area-personale/domande', 'le-mie-domande-dopo');
  for (const title of [ASSEGNO, 'Domanda di bonus asilo nido']) {
    const row = main.getByRole('row').filter({ has: page.getByRole('link', { name: title, exact: true }) });
    assert.ok((await row.innerText()).includes(it('domande-stato-presentata')), `${title} is presentata`);
  }
});

// 3. Mario, delegated by Anna Bianchi (who lives in Rome), files a certificato di residenza for
//    her: it goes to the Sede di Roma Centro. Elisa Marino (operatore di sede there, her own
//    browser) finds it in her queue, opens it and asks for a document with a reason and a
//    deadline. Anna logs in, sees "Servono documenti" and sends a PDF. Elisa accepts with a
//    reason; Anna sees "Accolta" and the letter in her mailbox.
journey('a sede operator asks for documents and accepts an application', 'domanda-istruttoria', { freshServer: true }, async (j) => {
  const { page } = j;
  const { demo } = j.server;
  const mario = demo.citizen('Mario Rossi');
  const anna = demo.citizen('Anna Bianchi');
  const elisa = demo.staff('elisa.marino');
  const main = page.getByRole('main');
  const button = (id) => main.getByRole('button', { name: it(id), exact: true });

  // Mario acts for Anna and files.
  await j.goto('/accedi', 'accedi', { lang: 'it' });
  await loginWithPin(j, mario);
  await j.navigate('per-conto-di-anna', () => j.activate(main.getByRole('button', { name: `${it('area-act-for')} ${anna.name}`, exact: true })), {
    path: '/area-personale',
  });
  await j.goto('/area-personale/domande/nuova?modulo=certificato-residenza', 'inizio');
  await j.navigate('passo-1', () => j.activate(button('domande-start-button')));
  const base = new URL(page.url()).pathname.replace(/\/passo\/1$/, '');
  await main.getByText('Per me', { exact: true }).click();
  await main.getByText('In bollo (16 euro)', { exact: true }).click();
  await main.getByLabel(/^Numero di copie/).fill('1');
  // Anna has no email address on file: the field is empty, Mario types hers.
  await main.getByLabel(/^Email a cui mandare/).fill('anna.bianchi@example.org');
  await j.navigate('riepilogo', () => button('domande-to-summary').click(), { path: `${base}/riepilogo` });
  const summaryText = await main.innerText();
  assert.ok(summaryText.includes(anna.name), 'the summary says for whom he files');
  await j.navigate('presentata', () => button('domande-file-button').click(), { path: base });
  const protocol = (await facts(main))[it('domande-col-protocol')];
  assert.match(protocol, /^COMUNE\.RM-001\.\d{4}\.\d{8}$/, 'the application goes to the Sede di Roma Centro');
  const id = base.split('/').pop();
  await logout(j);

  // Elisa, in her own browser: the queue of her sede, the case.
  const op = await Journey.open({ t: j.t, browser: j.context.browser(), server: j.server, slug: 'domanda-istruttoria-operatore', variant: j.variant });
  try {
    const opMain = op.page.getByRole('main');
    const opButton = (name) => opMain.getByRole('button', { name: it(name), exact: true });
    await op.goto('/personale/accedi', 'accesso-personale');
    await op.typeInto(op.page.getByLabel(it('staff-username-label'), { exact: true }), elisa.username);
    await op.typeInto(op.page.getByLabel(it('staff-password-label'), { exact: true }), demo.staffPassword);
    await op.typeInto(op.page.getByLabel(it('staff-code-label'), { exact: true }), await freshTotp(demo.staffTotpSecret));
    await op.navigate('back-office', () => op.page.keyboard.press('Enter'), { path: '/backoffice' });
    const queue = await op.goto('/backoffice/domande', 'coda');
    assert.equal(queue.h1, `${it('domande-queue-heading')} – Sede di Roma Centro`);
    const row = opMain.getByRole('row').filter({ has: op.page.getByRole('link', { name: protocol, exact: true }) });
    assert.equal(await row.count(), 1, 'the application is in the queue of her sede');
    const rowText = await row.innerText();
    assert.ok(rowText.includes(CERTIFICATO) && rowText.includes(anna.name), `queue row: ${rowText}`);
    const caseView = await op.follow('pratica', row.getByRole('link', { name: protocol, exact: true }), { path: `/backoffice/domande/${id}` });
    assert.equal(caseView.h1, CERTIFICATO);
    const caseFacts = await facts(opMain);
    assert.equal(caseFacts[it('domande-col-state')], it('domande-stato-presentata'));
    assert.ok(caseFacts[it('domande-filed-by')].includes(mario.name), `filed by: ${caseFacts[it('domande-filed-by')]}`);

    // A case is examined before anything else: "Avvia l'esame" (no reason needed).
    await op.navigate('esame-avviato', () => opButton('domande-atto-avvia-istruttoria').click(), { path: `/backoffice/domande/${id}` });
    assert.equal((await facts(opMain))[it('domande-col-state')], it('domande-stato-in-istruttoria'));

    // Asking for documents without saying which: refused, the field says why.
    const reason = opMain.getByLabel(it('domande-act-reason'), { exact: true });
    const deadline = opMain.getByLabel(it('domande-act-deadline'), { exact: true });
    const refused = await op.navigate('richiesta-senza-motivo', () => opButton('domande-atto-chiedi-integrazione').click(), {
      path: `/backoffice/domande/${id}/atto`,
      status: 422,
    });
    assert.equal(refused.h1, CERTIFICATO);
    const problems = await summaryLinks(opMain);
    assert.deepEqual(problems.map((p) => p.href), ['#campo-motivazione', '#campo-scadenza']);
    assert.equal(await reason.getAttribute('aria-invalid'), 'true');
    assert.equal(await deadline.getAttribute('aria-invalid'), 'true');
    assert.ok((await reason.getAttribute('aria-describedby')).split(' ').includes('errore-campo-motivazione'));

    const DOCS = "Serve la copia del documento d'identità di Anna Bianchi.";
    const due = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    await reason.fill(DOCS);
    await deadline.fill(due);
    await op.navigate('documenti-chiesti', () => opButton('domande-atto-chiedi-integrazione').click(), { path: `/backoffice/domande/${id}` });
    assert.equal((await opMain.getByRole('status').innerText()).trim(), it('domande-notice-office-fatto'));
    assert.equal((await facts(opMain))[it('domande-col-state')], it('domande-stato-richiesta-integrazione'));

    // Anna: "Servono documenti". With her PIN ordinario she may not send them herself: the
    // page says so (and who can), instead of a form that would refuse her.
    await j.goto('/accedi', 'accedi-anna');
    await loginWithPin(j, anna, { step: 'area-anna' });
    await j.goto('/area-personale/domande', 'domande-anna');
    const annaRow = main.getByRole('row').filter({ has: page.getByRole('link', { name: CERTIFICATO, exact: true }) });
    assert.ok((await annaRow.innerText()).includes(it('domande-stato-richiesta-integrazione')), 'her list says "Servono documenti"');
    await j.follow('domanda-anna', annaRow.getByRole('link', { name: CERTIFICATO, exact: true }), { path: base });
    const asked = await facts(main);
    assert.equal(asked[it('domande-col-state')], it('domande-stato-richiesta-integrazione'));
    const [y, m, d] = due.split('-');
    assert.equal(asked[it('domande-integration-due')], `${d}/${m}/${y}`);
    assert.ok((await main.innerText()).includes(DOCS), 'the request says which documents');
    assert.ok((await main.innerText()).includes(it('domande-integrate-serve-dispositivo')), 'she is told who can send them');
    assert.equal(await main.getByLabel(it('domande-integrate-files'), { exact: true }).count(), 0);
    await logout(j, 'uscita-anna');

    // Mario, her delegate, sends the PDF for her.
    await j.goto('/accedi', 'accedi-mario');
    await loginWithPin(j, mario, { step: 'area-mario' });
    await j.navigate('di-nuovo-per-anna', () => j.activate(main.getByRole('button', { name: `${it('area-act-for')} ${anna.name}`, exact: true })), {
      path: '/area-personale',
    });
    await j.goto(base, 'domanda-documenti');
    await main.getByLabel(it('domande-integrate-files'), { exact: true }).setInputFiles({ name: 'carta-identita.pdf', mimeType: 'application/pdf', buffer: SMALL_PDF });
    await main.getByLabel(it('domande-integrate-note'), { exact: true }).fill('Ecco la carta di identità.');
    await j.navigate('documenti-inviati', () => button('domande-integrate-submit').click(), { path: base });
    assert.equal((await main.getByRole('status').innerText()).trim(), it('domande-notice-integrated'));
    assert.equal((await facts(main))[it('domande-col-state')], it('domande-stato-integrata'));
    assert.ok(await main.getByRole('link', { name: 'carta-identita.pdf', exact: true }).isVisible(), 'the document sent is listed');
    await logout(j, 'uscita-mario');

    // Elisa accepts, with a reason.
    const again = await op.goto(`/backoffice/domande/${id}`, 'pratica-integrata');
    assert.equal(again.h1, CERTIFICATO);
    assert.equal((await facts(opMain))[it('domande-col-state')], it('domande-stato-integrata'));
    assert.ok(await opMain.getByRole('link', { name: 'carta-identita.pdf', exact: true }).isVisible(), 'the document is in the case');
    const WHY = 'Documento ricevuto: il certificato è pronto e lo mandiamo per email.';
    await reason.fill(WHY);
    await op.navigate('accolta', () => opButton('domande-atto-accogli').click(), { path: `/backoffice/domande/${id}` });
    assert.equal((await facts(opMain))[it('domande-col-state')], it('domande-stato-accolta'));
    assert.equal(await opButton('domande-atto-accogli').count(), 0, 'a decision is final: no more acts');
    await op.finish();
  } finally {
    await op.close();
  }

  // Anna: "Accolta", the reason, and the letter in her mailbox.
  await j.goto('/accedi', 'accedi-anna-dopo');
  await loginWithPin(j, anna, { step: 'area-anna-dopo' });
  const decided = await j.goto(base, 'domanda-accolta');
  assert.equal(decided.h1, CERTIFICATO);
  assert.equal((await facts(main))[it('domande-col-state')], it('domande-stato-accolta'));
  assert.ok((await main.innerText()).includes('il certificato è pronto'), 'she reads the reason');
  const subject = `Domanda accolta: ${CERTIFICATO}`;
  await letterFiled(j, subject);
  const box = await j.goto('/area-personale/cassetta', 'cassetta-anna');
  assert.equal(box.h1, it('cassetta-heading'));
  const letter = await j.follow('lettera', main.getByRole('link', { name: subject, exact: true }));
  assert.equal(letter.h1, subject);
  assert.ok((await main.innerText()).includes(protocol), 'the letter names the protocol number');
});

// A one-page PDF, small and real enough for the check on the bytes.
const SMALL_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
  'latin1',
);

/** Letters are filed by a background job: wait until the mailbox lists `subject`. */
async function letterFiled(j, subject) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const listing = await j.page.request.get(j.url('/area-personale/cassetta'));
    if ((await listing.text()).includes(subject)) return;
    assert.ok(Date.now() < deadline, `the letter "${subject}" was not filed within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
