// <input type="date"> for a keyboard user.
//
// Chromium's date control is made of parts in a user-agent shadow tree: a segment each for
// day, month and year, and a calendar button. Tab moves through them (the segments, then the
// button, then out of the field). Two consequences for a keyboard journey:
// - The digits go in the order of the browser's own UI language, not of the page's or the
//   context's locale: Debian's headless Chromium shows mm/dd/yyyy even with locale it-IT, an
//   Italian Chromium shows gg/mm/aaaa. `typeDate` reads the order from the control itself.
// - While the calendar button has the focus, the <input> no longer matches :focus-visible, so
//   its own outline is gone and the indicator is the button's (user-agent style). The
//   harness's Tab helpers check that stop on the button (`Journey#assertFocusStop`), read
//   through the DevTools protocol: page scripts cannot see a user-agent shadow tree.
import assert from 'node:assert/strict';

function attr(node, name) {
  const a = node.attributes ?? [];
  for (let i = 0; i < a.length; i += 2) if (a[i] === name) return a[i + 1];
  return undefined;
}

function* descendants(node) {
  for (const child of [...(node.children ?? []), ...(node.shadowRoots ?? [])]) {
    yield child;
    yield* descendants(child);
  }
}

/**
 * The parts of the date (or time) field with id `id`: `segments` in display order (e.g.
 * ['month', 'day', 'year']) and `picker`, the calendar button's computed style (null if it has
 * none). Uses a DevTools session of its own, detached at the end, so the variant's session
 * (which keeps scripts off) is untouched.
 */
export async function dateParts(page, id) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
    const input = [...descendants(root)].find((n) => attr(n, 'id') === id);
    assert.ok(input, `no element with id "${id}"`);
    const segments = [];
    let pickerNode = null;
    for (const node of (input.shadowRoots ?? []).flatMap((s) => [...descendants(s)])) {
      const pseudo = attr(node, 'pseudo') ?? '';
      const m = /^-webkit-datetime-edit-(\w+)-field$/.exec(pseudo);
      if (m) segments.push(m[1]);
      if (pseudo === '-webkit-calendar-picker-indicator') pickerNode = node;
    }
    let picker = null;
    if (pickerNode) {
      const { computedStyle } = await cdp.send('CSS.getComputedStyleForNode', { nodeId: pickerNode.nodeId });
      picker = Object.fromEntries(computedStyle.map((p) => [p.name, p.value]));
    }
    return { segments, picker };
  } finally {
    await cdp.detach();
  }
}

/**
 * Tab to a date field and type `iso` (YYYY-MM-DD) into it, the digits in the control's own
 * segment order; checks that the field then holds `iso`. The focus stays on the last segment.
 */
export async function typeDate(j, field, iso) {
  const [year, month, day] = iso.split('-');
  const parts = { year, month, day };
  const { segments } = await dateParts(j.page, await field.getAttribute('id'));
  assert.deepEqual([...segments].sort(), ['day', 'month', 'year'], `date field segments: ${segments}`);
  await j.tabTo(field);
  const digits = segments.map((s) => parts[s]).join('');
  await j.page.keyboard.type(digits);
  const value = await field.inputValue();
  assert.equal(value, iso, `typed ${digits} into the date field (${segments.join('/')}), it holds "${value}"`);
}
