'use strict';
// The sidebar in a real headless Chromium, against the local backend and sandboxes, through
// the google.script.run stand-in: each button clicked, its progress and its result seen, on
// the demo company. Screenshots go to SCREENSHOTS_DIR (a temp folder unless set; `make
// screenshots` sets docs/screenshots/: tests/sidebar/harness.js).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startPreview, launchBrowser, screenshot } = require('./harness');

let preview;
let browser;
let context;
let page;
let sidebar;

const RESULT_TIMEOUT = 30000;

before(async () => {
  preview = await startPreview({ month: '2026-10', latency: 0.1 });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'fr-FR' });
  page = await context.newPage();
  page.on('pageerror', (error) => { throw error; });
  await page.goto(preview.url);
  sidebar = page.frameLocator('#sidebar');
});

after(async () => {
  if (browser) await browser.close();
  if (preview) await preview.stop();
});

async function startCalls() {
  return page.frames()[1].evaluate(() => window.standin.calls.filter((c) => c.name.startsWith('start')).length);
}

function frame() {
  return page.locator('.sidebar-frame');
}

/** Clicks an action's button, checks the progress bar shows, waits for the result. */
async function runAction(action, { progressShot } = {}) {
  const starts = await startCalls();
  await sidebar.locator(`[data-action="${action}"]`).click();
  // The progress panel shows at once (the job's first state), then stays while it runs.
  await sidebar.locator('#job').waitFor({ state: 'visible' });
  assert.equal(await sidebar.locator('#progress').getAttribute('role'), 'progressbar');
  if (progressShot) await progressShot();
  await sidebar.locator('#job').waitFor({ state: 'hidden', timeout: RESULT_TIMEOUT });
  await sidebar.locator('#result').waitFor({ state: 'visible' });
  assert.equal(await startCalls(), starts + 1, 'one start per click');
  const message = await sidebar.locator('#result-message').textContent();
  for (const button of await sidebar.locator('[data-action]').all()) {
    assert.ok(await button.isEnabled(), 'buttons are enabled again');
  }
  return {
    message,
    outcome: await sidebar.locator('#result').getAttribute('data-outcome'),
    label: await sidebar.locator('#result-label').textContent()
  };
}

test('the sidebar opens with the company, the month to export and the daily trigger', async () => {
  await sidebar.locator('#company').filter({ hasText: 'La Maison du Coworking' }).waitFor();
  assert.equal(await sidebar.locator('#email').textContent(), 'comptable@maison-coworking.example');
  assert.equal(await sidebar.locator('#month').inputValue(), '2026-10');
  assert.equal(await sidebar.locator('#last-run').textContent(), 'Aucune action lancée depuis le panneau.');
  assert.equal(await sidebar.locator('#daily-state').textContent(), 'Génération des écritures désactivée.');
  assert.equal(await sidebar.locator('#error').isHidden(), true);
  await screenshot(frame(), 'sidebar-start.png');
});

test('sync products, then customers: HubSpot into Stripe, what changed said plainly', async () => {
  const products = await runAction('sync_products', {
    progressShot: async () => { await screenshot(frame(), 'sidebar-sync-progress.png'); }
  });
  assert.equal(products.label, 'Synchroniser les produits');
  assert.equal(products.outcome, 'ok');
  assert.match(products.message, /^2 créé\(s\), 1 mis à jour, 0 relié\(s\), 0 archivé\(s\), 0 conflit\(s\) à arbitrer\. Créés : produit /);
  await screenshot(frame(), 'sidebar-sync-products.png');
  const customers = await runAction('sync_customers');
  assert.equal(customers.label, 'Synchroniser les clients');
  // The demo has one person recorded twice in Stripe: the sync leaves it for a person to check.
  assert.equal(customers.outcome, 'warning');
  assert.match(customers.message, /^5 créé\(s\), 58 mis à jour, 1 relié\(s\), 0 archivé\(s\), 0 conflit\(s\) à arbitrer, 1 à vérifier\. /);
  assert.match(customers.message, /À vérifier : contact Aurélien Bernard \(HubSpot \d+\) : 2 clients Stripe ont l'e-mail/);
  await screenshot(frame(), 'sidebar-sync-customers.png');
});

test('generate: progress while it runs, then the entries and the anomalies with a link to their tab', async () => {
  let stage = '';
  const result = await runAction('generate', {
    progressShot: async () => {
      // The bar moves through the stages (Stripe, then the sheet) while the job runs.
      await sidebar.locator('#job-stage').filter({ hasText: /Stripe|Factures|Rapprochement|Écriture/ })
        .waitFor({ timeout: RESULT_TIMEOUT });
      stage = await sidebar.locator('#job-stage').textContent();
      assert.equal(await sidebar.locator('#job-label').textContent(), 'Générer les écritures');
      assert.ok(Number(await sidebar.locator('#progress').getAttribute('aria-valuenow')) > 0);
      for (const button of await sidebar.locator('[data-action]').all()) {
        assert.ok(await button.isDisabled(), 'buttons are disabled while a job runs');
      }
      await screenshot(frame(), 'sidebar-generate-progress.png');
    }
  });
  assert.match(stage, /Stripe|Factures|Rapprochement|Écriture/);
  assert.equal(result.label, 'Générer les écritures');
  assert.equal(result.outcome, 'ok');
  assert.equal(result.message, '498 écriture(s) ajoutée(s) (1722 lignes) ; 4 anomalie(s) ; 505 document(s) Stripe lus');
  assert.equal(await sidebar.locator('#anomalies-count').textContent(), '4 anomalies à corriger.');
  await sidebar.locator('#last-run .last-title').filter({ hasText: 'Générer les écritures' }).waitFor();
  assert.match(await sidebar.locator('#last-run').textContent(), /02\/11\/2026 à 07:0\d.*par comptable@maison-coworking\.example \(panneau\)/);
  await screenshot(frame(), 'sidebar-generate-result.png');

  // The sheet beside the sidebar now holds the entries.
  await page.locator('#tabs button', { hasText: 'Écritures' }).click();
  await page.locator('#table-wrap[data-tab="Écritures"] td', { hasText: 'MDC-2026-5401' }).first().waitFor();
  await screenshot(page, 'preview-overview.png');

  await sidebar.locator('#open-anomalies').click();
  await page.locator('#tabs [aria-selected="true"]', { hasText: 'Anomalies' }).waitFor();
  await page.locator('#table-wrap[data-tab="Anomalies"] td', { hasText: "n'a pas de code comptable" }).first().waitFor();
  assert.equal(await page.locator('#table-wrap[data-tab="Anomalies"] tr').count(), 5, 'a header and 4 anomalies');
  await screenshot(page, 'preview-anomalies.png');
});

// The sandbox's Sheets held until released (/preview/hold): validate surely still runs while
// the second person looks and starts, however fast or loaded the machine is.
async function holdSheets() {
  assert.equal((await fetch(new URL('hold/sheets', preview.url), { method: 'POST' })).status, 200);
}

async function release() {
  assert.equal((await fetch(new URL('release', preview.url), { method: 'POST' })).status, 200);
}

test('a second person opening the sidebar during a run follows that run, and starting again makes no second job', async () => {
  const second = await context.newPage();
  await holdSheets();
  try {
    await sidebar.locator('[data-action="validate"]').click();
    await sidebar.locator('#job').waitFor({ state: 'visible' });
    await second.goto(preview.url);
    const other = second.frameLocator('#sidebar');
    // Their sidebar shows the running job's progress, buttons disabled, without starting anything.
    await other.locator('#job').waitFor({ state: 'visible' });
    assert.equal(await other.locator('#job-label').textContent(), "Contrôler l'équilibre");
    assert.ok(await other.locator('[data-action="generate"]').isDisabled());
    await screenshot(second.locator('.sidebar-frame'), 'sidebar-second-person.png');
    // Both start at once while it runs: both get the running job back.
    const answers = await second.frames()[1].evaluate(() => Promise.all(['startValidate', 'startGenerate'].map((name) =>
      new Promise((resolve, reject) => google.script.run.withSuccessHandler(resolve).withFailureHandler(reject)[name]()))));
    assert.equal(await startCalls(), 4, 'the two syncs, generate, then validate, from the first sidebar');
    for (const answer of answers) {
      assert.equal(answer.started, false);
      assert.equal(answer.job.action, 'validate');
      assert.match(answer.message, /Une action est déjà en cours : Contrôler l'équilibre/);
    }
    assert.equal(answers[0].job.id, answers[1].job.id);
    await release();
    await other.locator('#job').waitFor({ state: 'hidden', timeout: RESULT_TIMEOUT });
    assert.match(await other.locator('#result-message').textContent(), /^Journal équilibré : 498 pièce\(s\), 1722 ligne\(s\) vérifiées$/);
    await sidebar.locator('#job').waitFor({ state: 'hidden', timeout: RESULT_TIMEOUT });
  } finally {
    await release();
    await second.close();
  }
});

test('validate: the journal balances', async () => {
  const result = await runAction('validate');
  assert.equal(result.outcome, 'ok');
  assert.equal(result.message, 'Journal équilibré : 498 pièce(s), 1722 ligne(s) vérifiées');
  await screenshot(frame(), 'sidebar-validate.png');
});

test('dedupe: no duplicate in a freshly generated journal', async () => {
  const result = await runAction('dedupe');
  assert.equal(result.label, 'Supprimer les doublons');
  assert.equal(result.message, 'Aucun doublon');
  await screenshot(frame(), 'sidebar-dedupe.png');
});

test('export: the month\'s Inexweb file and FEC, downloaded from the sidebar', async () => {
  assert.equal(await sidebar.locator('#month').inputValue(), '2026-10');
  const result = await runAction('export');
  assert.equal(result.outcome, 'ok');
  assert.match(result.message, /^Mois exporté \(octobre 2026\) : 1719 ligne\(s\) ; fichiers prêts : inexweb-2026-10\.txt \(Inexweb\) et FEC-extrait-918345620-2026-10\.txt \(FEC\)$/);
  const files = await sidebar.locator('#files li span').allTextContents();
  assert.deepEqual(files, ['inexweb-2026-10.txt', 'FEC-extrait-918345620-2026-10.txt']);
  await screenshot(frame(), 'sidebar-export.png');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    sidebar.locator('[data-file="inexweb-2026-10.txt"]').click()
  ]);
  assert.equal(download.suggestedFilename(), 'inexweb-2026-10.txt');
  const bytes = fs.readFileSync(await download.path());
  const header = bytes.subarray(0, bytes.indexOf(0x0d));
  assert.equal(header.toString('latin1'), 'Date\tCode journal\tPièce\tRef. Pièce\tNuméro du compte\tLibellé\tDébit\tCrédit\tActivité\tSite\tOffre');
  assert.ok(header.includes(Buffer.from([0xe8])), 'Windows-1252: è is one byte');
  assert.equal(bytes.toString('latin1').split('\r\n').filter(Boolean).length, 1720, 'the header and 1719 lines');

  const [fec] = await Promise.all([
    page.waitForEvent('download'),
    sidebar.locator('[data-file="FEC-extrait-918345620-2026-10.txt"]').click()
  ]);
  const fecText = fs.readFileSync(await fec.path(), 'utf8');
  assert.ok(fecText.startsWith('JournalCode\tJournalLib\tEcritureNum\tEcritureDate'));
});

test('the daily trigger is installed and removed from the sidebar', async () => {
  await sidebar.locator('#daily-install').click();
  await sidebar.locator('#daily-state').filter({ hasText: 'activée : chaque jour vers 6 h.' }).waitFor();
  assert.ok(await sidebar.locator('#daily-install').isHidden());
  await screenshot(frame(), 'sidebar-daily-trigger.png');
  await sidebar.locator('#daily-remove').click();
  await sidebar.locator('#daily-state').filter({ hasText: 'désactivée.' }).waitFor();
  assert.ok(await sidebar.locator('#daily-remove').isHidden());
});

test('generate again: nothing new to write, the last run says so', async () => {
  const result = await runAction('generate');
  // Documents still waiting (the anomalies) are read again; nothing is written twice.
  assert.match(result.message, /^Aucune nouvelle écriture ; 4 anomalie\(s\) ; \d+ document\(s\) Stripe lus$/);
  await sidebar.locator('#last-run').filter({ hasText: 'Aucune nouvelle écriture' }).waitFor();
  const calls = await page.frames()[1].evaluate(() => window.standin.calls.map((c) => c.name));
  assert.equal(await startCalls(), 8, 'one start per click: 2 syncs, generate twice, validate twice, dedupe, export');
  for (const name of ['getStatus', 'startGenerate', 'getJob', 'startValidate', 'startDedupe', 'startExport',
    'downloadExport', 'openAnomalies', 'startSyncProducts', 'startSyncCustomers', 'installDailyTrigger', 'removeDailyTrigger']) {
    assert.ok(calls.includes(name), `${name} called through google.script.run`);
  }
});

test('check: the configuration, line by line, errors first, each with how to fix it', async () => {
  const starts = await startCalls();
  const result = await runAction('check');
  assert.equal(result.label, 'Vérifier la configuration');
  // The demo company has no webhook secrets and the preview no public address: two errors.
  assert.equal(result.outcome, 'refused');
  assert.match(result.message, /^Configuration vérifiée : 2 erreur\(s\) \(Webhook Stripe, Webhook HubSpot\)/);
  const lines = [];
  for (const item of await sidebar.locator('#checks li').all()) {
    lines.push({
      status: await item.getAttribute('data-status'),
      mark: await item.locator('.mark').textContent(),
      label: await item.locator('.check-label').textContent(),
      message: await item.locator('.check-message').textContent(),
      fix: await item.locator('.check-fix').count() ? await item.locator('.check-fix').textContent() : ''
    });
  }
  const rank = { error: 0, warning: 1, ok: 2 };
  assert.deepEqual(lines.map((l) => l.status), [...lines.map((l) => l.status)].sort((a, b) => rank[a] - rank[b]),
    'errors first, then warnings, then what is fine');
  assert.deepEqual(lines.filter((l) => l.status === 'error').map((l) => l.label), ['Webhook Stripe', 'Webhook HubSpot']);
  for (const label of ['Clé Stripe', 'Jetons HubSpot', 'Feuille Google', 'Onglets', 'Base de données']) {
    assert.equal(lines.find((l) => l.label === label)?.status, 'ok', label);
  }
  for (const line of lines) {
    assert.equal(line.mark, { error: '✗', warning: '⚠', ok: '✓' }[line.status], line.label);
    assert.ok(line.message, `${line.label} says what was found`);
    assert.equal(Boolean(line.fix), line.status !== 'ok', `${line.label}: a fix exactly when something is wrong`);
  }
  assert.match(lines[0].fix, /stripe_webhook/);
  assert.equal(await startCalls(), starts + 1);
  const calls = await page.frames()[1].evaluate(() => window.standin.calls.map((c) => c.name));
  assert.ok(calls.includes('startCheck'), 'startCheck called through google.script.run');
  await screenshot(frame(), 'sidebar-check.png');

  // Another action's result hides the check's lines.
  await runAction('validate');
  assert.equal(await sidebar.locator('#checks').isHidden(), true);
});
