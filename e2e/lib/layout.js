// Layout checks for small screens (WCAG 1.4.10 reflow).
import assert from 'node:assert/strict';

/**
 * No horizontal scrolling at `width` CSS px: documentElement.scrollWidth <= width. On failure
 * lists the elements that stick out on the right.
 */
export async function assertNoHorizontalScroll(page, width, where) {
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  if (scrollWidth <= width) return;
  const wide = await page.evaluate((w) => {
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > w + 0.5 && r.width > 0) out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} right=${Math.round(r.right)}`);
    }
    return out.slice(0, 10);
  }, width);
  assert.fail(`${where}: horizontal scrolling, scrollWidth ${scrollWidth} > ${width}; too wide:\n${wide.join('\n')}`);
}

/** `locator` is visible and lies entirely within the `width` px wide viewport. */
export async function assertOnScreen(locator, width, what) {
  assert.ok(await locator.isVisible(), `${what} is not visible`);
  const box = await locator.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= width + 0.5, `${what} is off screen: ${JSON.stringify(box)}`);
}
