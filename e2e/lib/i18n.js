// The site's own copy (crates/sportello/locales/<lang>/main.ftl), so journeys assert on the
// real text without repeating it. Only the simple `key = value` lines are read, which is all
// the site uses today.
import fs from 'node:fs';
import path from 'node:path';
import { LOCALES_DIR } from './paths.js';

const cache = new Map();

function load(lang) {
  if (!cache.has(lang)) {
    const messages = new Map();
    const file = path.join(LOCALES_DIR, lang, 'main.ftl');
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const match = /^([a-zA-Z][\w-]*)\s*=\s*(.*)$/.exec(line);
      if (match) messages.set(match[1], match[2].trim());
    }
    cache.set(lang, messages);
  }
  return cache.get(lang);
}

/** The text of message `id` in `lang` ('it' or 'en'); throws if it does not exist. */
export function t(lang, id) {
  const text = load(lang).get(id);
  if (text === undefined) throw new Error(`no message "${id}" in ${lang}/main.ftl`);
  return text;
}
