import { chromium } from 'playwright-core';
const url = process.argv[2];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync'] });
const ctx = await browser.newContext({ javaScriptEnabled: true });
const page = await ctx.newPage();
page.setDefaultTimeout(8000);
page.on('request', r => console.log('req', r.resourceType(), r.url().slice(0,100), r.isNavigationRequest()));
page.on('response', r => console.log('resp', r.status(), r.url().slice(0,100), r.headers()['cache-control']));
page.on('requestfailed', r => console.log('failed', r.url().slice(0,100), r.failure()));
try {
  const resp = await page.goto(url + '/lingua/en?torna=/aiuto');
  console.log('goto', resp.status(), resp.url(), await page.evaluate(() => document.documentElement.lang));
} catch (e) { console.log('ERR', e.message); }
try {
  await page.goto(url + '/');
  await page.click('.sp-lang-switch');
  console.log('clicked', page.url(), await page.evaluate(() => document.documentElement.lang));
} catch (e) { console.log('ERR2', e.message); }
await browser.close();
