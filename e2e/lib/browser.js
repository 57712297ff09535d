// Debian's chromium, driven by playwright-core (no Playwright browser download needed).
import { chromium } from 'playwright-core';
import { CHROMIUM_BIN } from './paths.js';

// Without the background-networking flags Chromium keeps calling Google services, which on
// a closed network only means timeouts and noise.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * One browser per test file. Playwright's launch() always starts Chromium on a fresh,
 * temporary user-data-dir (and deletes it on close), so no state leaks between runs.
 */
export async function launchBrowser() {
  try {
    return await chromium.launch({
      executablePath: CHROMIUM_BIN,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
  } catch (err) {
    err.message =
      `cannot start ${CHROMIUM_BIN} (run scripts/ensure-chromium.sh, or set CHROMIUM_BIN): ` +
      err.message;
    throw err;
  }
}

/**
 * True when the page's scripting is enabled. Parsing `<noscript>` tells: with scripting on
 * its content is raw text, with scripting off it becomes elements. Synchronous and without
 * side effects on the document (the element is never attached).
 */
export async function scriptingEnabled(page) {
  return page.evaluate(() => {
    const probe = document.createElement('div');
    probe.innerHTML = '<noscript><i></i></noscript>';
    return probe.querySelector('i') === null;
  });
}
