import { chromium } from 'playwright-core';
import axe from 'axe-core';
import fs from 'node:fs';
const url = process.argv[2];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync'] });
console.log('version', browser.version());
for (const js of [true, false]) {
  const ctx = await browser.newContext({ javaScriptEnabled: js });
  const page = await ctx.newPage(); page.setDefaultTimeout(10000); page.setDefaultNavigationTimeout(10000);
  page.on('console', m => console.log('console', m.type(), m.text(), JSON.stringify(m.location())));
  page.on('pageerror', e => console.log('pageerror', e));
  page.on('request', r => console.log('req', r.resourceType(), r.url()));
  page.on('response', r => console.log('resp', r.status(), r.url(), r.headers()['cache-control']));
  for (const p of ['/', '/pagina-che-non-esiste', '/lingua/en?torna=/aiuto']) {
    const t0 = Date.now();
    const resp = await page.goto(url + p);
    console.log('goto', p, resp.status(), Date.now()-t0);
    const t1 = Date.now();
    await page.evaluate(axe.source);
    const r = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa'] }, resultTypes: ['violations'] }));
    console.log('js', js, p, 'axe ms', Date.now()-t1, 'violations', JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})), null, 1));
  }
  await ctx.close();
}
await browser.close();
