// Journey 2: keyboard only. From the home page, with nothing but Tab, Shift+Tab and Enter,
// reach and open Aiuto in the main navigation, then the accessibility statement in the
// footer. Every element that gets focus on the way must show a visible focus indicator
// (outline >= 2px, or a >= 2px box-shadow ring) and be visible itself.
import assert from 'node:assert/strict';
import { t } from '../lib/i18n.js';
import { describeFocus, journey } from '../lib/journey.js';

journey('keyboard only', 'keyboard', {}, async (j) => {
  const { page } = j;
  const tIt = (id) => t('it', id);

  await j.goto('/', 'home', { lang: 'it' });

  // Forward through the page: skip links first, then header, then the navigation.
  const forward = await j.tabUntil((f) => f.region === 'nav' && f.href === '/aiuto');
  assert.equal(forward[0].href, '#main-content', `first stop is ${describeFocus(forward[0])}, not the skip link`);
  const target = forward.at(-1);
  assert.equal(target.text, tIt('nav-help'));
  assert.ok(target.focusVisible, 'the focused nav link does not match :focus-visible');
  await j.screenshot('aiuto-focused');

  const help = await j.navigate('aiuto', () => page.keyboard.press('Enter'), { path: '/aiuto', lang: 'it' });
  assert.equal(help.h1, tIt('help-heading'));

  // Backwards from the top of the new page: Shift+Tab wraps to the end of the document,
  // then walks up through the footer links to the accessibility statement.
  const backward = await j.tabUntil((f) => f.region === 'footer' && f.href === '/accessibilita', { key: 'Shift+Tab' });
  assert.ok(backward.every((f) => f.region === 'footer'), `Shift+Tab left the footer before reaching the statement link:\n${backward.map(describeFocus).join('\n')}`);
  assert.equal(backward.at(-1).text, tIt('footer-accessibility'));
  await j.screenshot('dichiarazione-focused');

  const statement = await j.navigate('dichiarazione-accessibilita', () => page.keyboard.press('Enter'), { path: '/accessibilita', lang: 'it' });
  assert.equal(statement.h1, tIt('accessibility-heading'));
  assert.match(await page.getByRole('main').innerText(), /WCAG 2\.1/);
});
