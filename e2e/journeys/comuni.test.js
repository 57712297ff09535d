// Municipality deployment (municipality = true): the page-feedback widget is the Designers
// Italia "modello Comuni" rating, which the AgID site validator (pa-website-validator)
// checks on the home page and on a service page. This journey does what the validator does:
// for each number of stars it clicks [data-element="feedback-rate-N"] and reads, with the
// validator's own visibility test, which follow-up question shows: the "difficulties" one
// for 1 to 3 stars, the "what you liked" one for 4 and 5. The widget works without
// JavaScript (CSS :has() shows the matching question), so both variants run it. Then a
// visitor sends a rating and gets the component's exact thanks.
import assert from 'node:assert/strict';
import { assertNoAxeViolations } from '../lib/axe.js';
import { journey } from '../lib/journey.js';

// The component's texts, exactly as the validator compares them.
const TITLE = 'Quanto sono chiare le informazioni su questa pagina?';
const THANKS = 'Grazie, il tuo parere ci aiuterà a migliorare il servizio!';
const POSITIVE = 'Quali sono stati gli aspetti che hai preferito?';
const NEGATIVE = 'Dove hai incontrato le maggiori difficoltà?';

/**
 * The validator's check on the current page: scroll the component into view, click each
 * star, and after each click read both follow-up fieldsets' visibility as it does
 * (computed visibility not hidden, and a box with height and width).
 */
async function validatorStarCheck(page) {
  const feedback = page.locator('[data-element="feedback"]');
  assert.equal(await feedback.count(), 1, 'one [data-element="feedback"] component');
  await feedback.scrollIntoViewIfNeeded();
  assert.equal((await page.locator('[data-element="feedback-title"]').innerText()).trim(), TITLE);
  const seen = [];
  for (let i = 1; i <= 5; i += 1) {
    await page.locator(`[data-element="feedback-rate-${i}"]`).click();
    const visible = await page.evaluate(() => {
      const shown = (selector) => {
        const el = document.querySelector(selector);
        if (!el) return null;
        const style = window.getComputedStyle(el);
        const rect = el.getBoundingClientRect();
        return style.visibility !== 'hidden' && rect.height > 0 && rect.width > 0;
      };
      return {
        positive: shown('[data-element="feedback-rating-positive"]'),
        negative: shown('[data-element="feedback-rating-negative"]'),
      };
    });
    seen.push({ stars: i, ...visible });
    const expected = i <= 3 ? { positive: false, negative: true } : { positive: true, negative: false };
    assert.deepEqual(visible, expected, `after clicking feedback-rate-${i}: ${JSON.stringify(seen)}`);
    assert.ok(await page.locator(`#stella-${i}`).isChecked(), `clicking feedback-rate-${i} chooses ${i} stars`);
  }
  // The question the validator reads in the visible fieldset, and its answers.
  const question = page.locator('[data-element="feedback-rating-positive"] [data-element="feedback-rating-question"]');
  assert.equal((await question.innerText()).trim(), POSITIVE);
  assert.equal(
    (await page.locator('[data-element="feedback-rating-negative"] [data-element="feedback-rating-question"]').textContent()).trim(),
    NEGATIVE,
  );
  assert.equal(await page.locator('[data-element="feedback-rating-positive"] [data-element="feedback-rating-answer"]').count(), 5);
  assert.ok(await page.locator('[data-element="feedback-input-text"]').isVisible(), 'the details field shows once stars are chosen');
}

journey('municipality: the modello Comuni rating', 'comuni', { serverEnv: { SPORTELLO_MUNICIPALITY: 'true' } }, async (j) => {
  const { page } = j;

  // Before any star, neither follow-up question is shown.
  await j.goto('/', 'home', { lang: 'it' });
  for (const which of ['positive', 'negative']) {
    assert.equal(await page.locator(`[data-element="feedback-rating-${which}"]`).isVisible(), false, `${which} question hidden before a choice`);
  }
  await validatorStarCheck(page);
  await j.screenshot('home-5-stelle');

  const card = await j.goto('/servizi/naspi', 'scheda', { lang: 'it' });
  assert.equal(card.h1, 'NASpI: indennità di disoccupazione');
  await validatorStarCheck(page);

  // A visitor: 2 stars, what went badly, a detail, "Avanti".
  const form = page.locator('form[data-element="feedback"]');
  await page.locator('[data-element="feedback-rate-2"]').click();
  await form.getByText('Ho avuto problemi tecnici', { exact: true }).click();
  assert.ok(await form.getByLabel('Ho avuto problemi tecnici', { exact: true }).isChecked());
  await form.getByLabel('Dettaglio', { exact: true }).fill('Il collegamento alla domanda non si apriva.');
  await j.screenshot('valutazione-compilata');
  await assertNoAxeViolations(j, 'the filled-in rating form');
  await j.navigate('grazie', () => form.getByRole('button', { name: 'Avanti', exact: true }).click(), { path: '/servizi/naspi' });
  const landed = new URL(page.url());
  assert.equal(landed.search, '?valutazione=grazie');
  assert.equal(landed.hash, '#valutazione');
  const thanks = page.locator('[data-element="feedback"]');
  assert.equal((await thanks.getByRole('status').innerText()).trim(), THANKS);
  assert.equal((await thanks.locator('[data-element="feedback-title"]').innerText()).trim(), TITLE);
});
