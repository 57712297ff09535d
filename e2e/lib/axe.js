// axe-core, injected with page.evaluate. That goes through the DevTools protocol
// (Runtime.evaluate / callFunctionOn), which the page's Content-Security-Policy
// (script-src 'self') does not apply to: no bypassCSP, the page is audited exactly as served.
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** WCAG 2.0 and 2.1, levels A and AA: what the accessibility statement promises. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Run axe-core on the page's current document. Returns the full axe results. */
export async function runAxe(page) {
  const injected = await page.evaluate(() => typeof window.axe === 'object');
  if (!injected) await page.evaluate(AXE_SOURCE);
  return page.evaluate(
    (tags) =>
      window.axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      }),
    AXE_TAGS,
  );
}

/** Human-readable report: id, impact, help, and each failing node's target selectors. */
export function formatViolations(violations) {
  const lines = [];
  for (const v of violations) {
    lines.push(`  - ${v.id} [${v.impact}] ${v.help} (${v.helpUrl})`);
    for (const node of v.nodes) {
      lines.push(`      target: ${node.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(', ')}`);
      const summary = (node.failureSummary || '').split('\n').map((s) => s.trim()).filter(Boolean);
      for (const s of summary.slice(0, 4)) lines.push(`        ${s}`);
    }
  }
  return lines.join('\n');
}

/**
 * axe on a page state that no navigation checked (a form opened and filled in place):
 * `j.axe()` lifts the JS-off variant's scripting block only for the audit.
 */
export async function assertNoAxeViolations(j, what) {
  const violations = await j.axe();
  if (violations.length > 0) {
    throw new Error(`axe-core on ${what} (${j.variant.id}): ${violations.length} violation(s):\n${formatViolations(violations)}`);
  }
}
