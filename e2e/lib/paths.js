// Where things are: the e2e/ directory, the repository root, the server binary, the browser
// and the screenshot root. Every path can be overridden from the environment.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(E2E_DIR, '..');

/** The server under test: $SPORTELLO_BIN, default ../target/debug/sportello (from e2e/). */
export const SPORTELLO_BIN = path.resolve(
  E2E_DIR,
  process.env.SPORTELLO_BIN || path.join('..', 'target', 'debug', 'sportello'),
);

/** Debian's chromium (installed by scripts/ensure-chromium.sh); $CHROMIUM_BIN overrides. */
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/** Screenshots and axe reports: $E2E_ARTIFACTS, default <repo>/test-artifacts/e2e. */
export const ARTIFACTS_DIR = path.resolve(
  process.env.E2E_ARTIFACTS || path.join(REPO_ROOT, 'test-artifacts', 'e2e'),
);

/** The site's translations, read so journeys can assert on the real copy. */
export const LOCALES_DIR = path.join(REPO_ROOT, 'crates', 'sportello', 'locales');
