'use strict';
// A failed daily run as the accountant meets it (issue 14, point 4), in a real headless
// Chromium against the local preview: the daily trigger's handler (the real Code.gs, in the
// stand-in's worker) is refused by the backend, writes its line in the Sheets sandbox's
// Historique and rethrows; at the next opening the sidebar shows the red banner, until a run
// goes through. Screenshot: daily-failure.png (tests/sidebar/harness.js says where).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startPreview, launchBrowser, screenshot } = require('./harness');

let preview;
let browser;
let page;
let sidebar;

before(async () => {
  preview = await startPreview({ month: '2026-10', latency: 0.05 });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'fr-FR' });
  page = await context.newPage();
  page.on('pageerror', (error) => { throw error; });
  await open();
});

after(async () => {
  if (browser) await browser.close();
  if (preview) await preview.stop();
});

/** Opens (or reopens) the spreadsheet with its sidebar. */
async function open() {
  await page.goto(preview.url);
  sidebar = page.frameLocator('#sidebar');
  await sidebar.locator('#company').filter({ hasText: 'La Maison du Coworking' }).waitFor();
}

function sidebarFrame() {
  return page.frames().find((f) => f.url().endsWith('/preview/sidebar'));
}

/** What the backend answers the daily trigger's call from now on (null: as usual). */
async function dailyAnswer(status) {
  const response = await page.request.post(new URL('/preview/daily-answer', preview.url).href, { data: { status } });
  assert.equal(response.status(), 200);
}

/** Runs the daily trigger's handler as Apps Script would, with its trigger's id. */
async function runDaily() {
  return sidebarFrame().evaluate(() => new Promise((resolve) => {
    const [trigger] = JSON.parse(localStorage.getItem('preview-triggers') || '[]');
    google.script.run
      .withSuccessHandler((value) => resolve({ ok: true, value }))
      .withFailureHandler((error) => resolve({ ok: false, message: error.message }))
      .dailyGenerate({ triggerUid: trigger && trigger.id });
  }));
}

async function historique() {
  const response = await page.request.get(new URL('/preview/sheet', preview.url).href);
  const tab = (await response.json()).tabs.find((t) => t.title === 'Historique');
  return tab ? tab.rows : [];
}

test('a refused daily run: a line in Historique, the run fails, a red banner at the next opening', async () => {
  await sidebar.locator('#daily-install').click();
  await sidebar.locator('#daily-state').filter({ hasText: 'activée par vous : chaque jour vers 6 h.' }).waitFor();
  assert.ok(await sidebar.locator('#daily-failure').isHidden(), 'no banner before a failure');

  await dailyAnswer(503);
  const run = await runDaily();
  assert.deepEqual(run, { ok: false, message: 'Génération quotidienne non lancée : Le serveur de comptabilité ne répond pas (erreur 503) : réessayez dans quelques minutes.' });

  const rows = await historique();
  assert.deepEqual(rows[0], ['Date', 'Déclencheur', 'Action', 'Résultat']);
  const line = rows[rows.length - 1];
  assert.deepEqual(line.slice(1), ['déclencheur quotidien (comptable@maison-coworking.example)',
    'Génération des écritures', 'Échec : Le serveur de comptabilité ne répond pas (erreur 503) : réessayez dans quelques minutes.']);
  assert.match(line[0], /^\d\d\/\d\d\/\d{4} \d\d:\d\d$/, 'a date and time of the sheet');

  await open();   // the next opening, whoever opens it
  const banner = sidebar.locator('#daily-failure');
  await banner.waitFor({ state: 'visible' });
  const title = await sidebar.locator('#daily-failure-title').textContent();
  // The same local time as the Historique line (the company's zone), said in French.
  assert.equal(title, `La génération quotidienne du ${line[0].replace(' ', ' à ')} a échoué`);
  assert.equal(await sidebar.locator('#daily-failure-message').textContent(), 'Le serveur de comptabilité ne répond pas (erreur 503) : réessayez dans quelques minutes.');
  assert.match(await sidebar.locator('#daily-failure-help').textContent(), /Générer les écritures/);
  const color = await banner.evaluate((el) => getComputedStyle(el).borderLeftColor);
  assert.equal(color, 'rgb(197, 34, 31)', 'red (--red)');
  await screenshot(page.locator('.sidebar-frame'), 'daily-failure.png');
});

test('with the backend down, the next opening still shows the banner, and says the server is down', async () => {
  await page.request.post(new URL('/preview/backend-down', preview.url).href, { data: { down: true } });
  try {
    await page.goto(preview.url);
    sidebar = page.frameLocator('#sidebar');
    await sidebar.locator('#daily-failure').waitFor({ state: 'visible' });
    assert.equal(await sidebar.locator('#daily-failure-message').textContent(), 'Le serveur de comptabilité ne répond pas (erreur 503) : réessayez dans quelques minutes.');
    assert.match(await sidebar.locator('#daily-failure-help').textContent(), /^Le serveur ne répond toujours pas/);
    assert.match(await sidebar.locator('#error').textContent(), /503/);
  } finally {
    await page.request.post(new URL('/preview/backend-down', preview.url).href, { data: { down: false } });
  }
});

test('the next daily run that goes through takes the banner away', async () => {
  await dailyAnswer(null);
  const run = await runDaily();
  assert.equal(run.ok, true, JSON.stringify(run));
  assert.ok(run.value.job && run.value.job.id);
  await open();
  assert.ok(await sidebar.locator('#daily-failure').isHidden());
  // Let the day's generation the run started finish before the preview stops.
  await sidebar.locator('#job').waitFor({ state: 'hidden', timeout: 60000 });
});
