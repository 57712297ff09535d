// The site's own copy (every crates/sportello/locales/<lang>/*.ftl file), so journeys assert
// on the real text without repeating it. Only the simple one-line `key = value` messages are
// read; `{ $name }` placeables are filled from `args` (the server renders without Unicode
// isolation marks, so the text matches the page exactly).
import fs from 'node:fs';
import path from 'node:path';
import { LOCALES_DIR } from './paths.js';

const cache = new Map();

function load(lang) {
  if (!cache.has(lang)) {
    const messages = new Map();
    const dir = path.join(LOCALES_DIR, lang);
    for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.ftl')).sort()) {
      for (const line of fs.readFileSync(path.join(dir, name), 'utf8').split('\n')) {
        const match = /^([a-zA-Z][\w-]*)\s*=\s*(.*)$/.exec(line);
        if (match) messages.set(match[1], match[2].trim());
      }
    }
    cache.set(lang, messages);
  }
  return cache.get(lang);
}

/**
 * The text of message `id` in `lang` ('it' or 'en'), with `{ $name }` filled from `args`;
 * throws if the message does not exist or an argument is missing.
 */
export function t(lang, id, args) {
  const text = load(lang).get(id);
  if (text === undefined) throw new Error(`no message "${id}" in ${lang}/*.ftl`);
  if (!args) return text;
  return text.replace(/\{\s*\$([\w-]+)\s*\}/g, (_, name) => {
    if (!(name in args)) throw new Error(`message "${id}" needs the argument $${name}`);
    return String(args[name]);
  });
}

/**
 * A RegExp matching message `id` with any value in each `{ $name }` placeable (or the given
 * pattern source for that name in `patterns`), e.g. the lock message with any time.
 */
export function tPattern(lang, id, patterns = {}) {
  const text = t(lang, id);
  const parts = text.split(/(\{\s*\$[\w-]+\s*\})/);
  const source = parts
    .map((part) => {
      const m = /^\{\s*\$([\w-]+)\s*\}$/.exec(part);
      if (m) return `(${patterns[m[1]] ?? '.+?'})`;
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(source);
}
