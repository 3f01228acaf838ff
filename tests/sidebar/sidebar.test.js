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
  // Months named in French beside the field; the fiscal year offered, in words.
  assert.equal(await sidebar.locator('#month-name').textContent(), 'octobre 2026');
  assert.equal(await sidebar.locator('#fec-year').inputValue(), '2026');
  assert.equal(await sidebar.locator('#fec-year-name').textContent(), 'janvier 2026 à décembre 2026');
  assert.equal(await sidebar.locator('#last-run').textContent(), 'Aucune action lancée depuis le panneau.');
  assert.equal(await sidebar.locator('#daily-state').textContent(), 'Génération des écritures désactivée.');
  assert.equal(await sidebar.locator('#error').isHidden(), true);
  await screenshot(frame(), 'sidebar-start.png');
});

test('a blank month is refused in French, never exported as another month, and the field refilled', async () => {
  const starts = await startCalls();
  await sidebar.locator('#month').fill('');
  assert.equal(await sidebar.locator('#month-name').textContent(), '');
  await sidebar.locator('[data-action="export"]').click();
  await sidebar.locator('#error').waitFor({ state: 'visible' });
  assert.equal(await sidebar.locator('#error').textContent(),
    'Choisissez le mois à exporter : le champ Mois était vide ; il propose de nouveau octobre 2026.');
  assert.equal(await startCalls(), starts, 'nothing started');
  assert.equal(await sidebar.locator('#job').isHidden(), true);
  assert.equal(await sidebar.locator('#month').inputValue(), '2026-10');
  assert.equal(await sidebar.locator('#month-name').textContent(), 'octobre 2026');
  await screenshot(frame(), 'sidebar-month-blank.png');
  // Another month typed: named in French at once.
  await sidebar.locator('#month').fill('2026-09');
  assert.equal(await sidebar.locator('#month-name').textContent(), 'septembre 2026');
  await sidebar.locator('#month').fill('2026-10');
});

test('a month with no entry: the refusal names the month in French, never a row 0', async () => {
  // Nothing generated yet: October has no entry in the sheet.
  const result = await runAction('export');
  assert.equal(result.outcome, 'refused');
  assert.match(result.message, /octobre 2026/);
  assert.doesNotMatch(result.message, /ligne 0|\(-\)/);
  assert.doesNotMatch(result.message, /\b2026-10\b/, 'no ISO month in the sentence');
  assert.equal(await sidebar.locator('#files').isHidden(), true);
  await screenshot(frame(), 'sidebar-month-empty.png');
});

test('sync products, then customers: HubSpot into Stripe, what changed said plainly', async () => {
  const products = await runAction('sync_products', {
    progressShot: async () => { await screenshot(frame(), 'sidebar-sync-progress.png'); }
  });
  assert.equal(products.label, 'Synchroniser les produits');
  assert.equal(products.outcome, 'ok');
  // "relié(s)" means nothing for products: never said; nothing needs her, nothing folded.
  assert.match(products.message, /^2 créé\(s\), 1 mis à jour, 0 archivé\(s\), 0 conflit\(s\) à arbitrer\. Créés : produit /);
  assert.equal(await sidebar.locator('#attention').isHidden(), true);
  assert.equal(await sidebar.locator('#result-message').isVisible(), true);
  await screenshot(frame(), 'sidebar-sync-products.png');
  const customers = await runAction('sync_customers');
  assert.equal(customers.label, 'Synchroniser les clients');
  // The demo has one person recorded twice in Stripe: the sync leaves it for a person to check.
  assert.equal(customers.outcome, 'warning');
  assert.match(customers.message, /^5 créé\(s\), 58 mis à jour, 1 relié\(s\), 0 archivé\(s\), 0 conflit\(s\) à arbitrer, 1 à vérifier\. /);
  assert.match(customers.message, /À vérifier : contact Aurélien Bernard \(HubSpot \d+\) : 2 clients Stripe ont l'e-mail/);
  // What needs her comes first; the whole report is folded below it.
  const needs = sidebar.locator('#attention > li');
  assert.equal(await needs.count(), 1);
  assert.equal(await needs.locator('.attention-title').textContent(), '1 client à vérifier');
  assert.match(await needs.locator('li').first().textContent(),
    /^contact Aurélien Bernard \(HubSpot \d+\) : 2 clients Stripe ont l'e-mail .+ : aucun n'est relié$/);
  const attentionBox = await sidebar.locator('#attention').boundingBox();
  const summaryBox = await sidebar.locator('#result-summary').boundingBox();
  assert.ok(attentionBox.y < summaryBox.y, 'what needs her above the details');
  assert.equal(await sidebar.locator('#result-message').isVisible(), false, 'the details folded');
  await screenshot(frame(), 'sidebar-sync-customers.png');
  await sidebar.locator('#result-summary').click();
  assert.equal(await sidebar.locator('#result-message').isVisible(), true, 'unfolded on a click');
});

test('generate: progress while it runs, then the entries and the anomalies with a link to their tab', async () => {
  let stage = '';
  // Every line the stage shows while it runs, kept by the page itself (the job is fast).
  await page.frames()[1].evaluate(() => {
    window.stagesSeen = [];
    new MutationObserver(() => window.stagesSeen.push(document.getElementById('job-stage').textContent))
      .observe(document.getElementById('job-stage'), { childList: true, characterData: true, subtree: true });
  });
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
  const seen = await page.frames()[1].evaluate(() => window.stagesSeen);
  // Counts said in words: documents read, the batch written ("lot 1 sur 1"), never a bare count.
  for (const line of seen.filter((text) => / : /.test(text))) {
    assert.match(line, /^(Lecture de Stripe : \d+ documents? lus?|Écriture dans la feuille : lot \d+ sur \d+)$/, line);
  }
  assert.equal(result.label, 'Générer les écritures');
  assert.equal(result.outcome, 'ok');
  assert.equal(result.message, '498 écriture(s) ajoutée(s) (1722 lignes) ; 4 anomalie(s) ; 505 document(s) Stripe lus');
  assert.equal(await sidebar.locator('#anomalies-count').textContent(), '4 anomalies à corriger.');
  // The anomalies lead, each document with its reason; the link to their tab stays below.
  assert.equal(await sidebar.locator('#attention .attention-title').textContent(), '4 anomalies à corriger');
  assert.equal(await sidebar.locator('#attention li li').count(), 4);
  assert.equal(await sidebar.locator('#anomalies-count').isHidden(), true, 'the count said once');
  assert.equal(await sidebar.locator('#open-anomalies').isVisible(), true);
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
    assert.equal(await startCalls(), 5, 'the empty month, the two syncs, generate, then validate, from the first sidebar');
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

// The backend down (503 and an HTML page on every route but the preview's own) or back up;
// a job already started runs on in its thread.
async function backendDown(down) {
  const answer = await fetch(new URL('backend-down', preview.url), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ down })
  });
  assert.equal(answer.status, 200);
}

const outage = () => backendDown(true);
const restore = () => backendDown(false);

test('the server down when she clicks: the sidebar says the action was not started', async () => {
  const starts = await startCalls();
  await outage();
  try {
    await sidebar.locator('[data-action="validate"]').click();
    await sidebar.locator('#error').waitFor({ state: 'visible' });
    assert.equal(await sidebar.locator('#error').textContent(),
      "L'action « Contrôler l'équilibre » n'a pas été lancée : Le serveur de comptabilité ne répond pas (erreur 503) : réessayez dans quelques minutes.");
    assert.equal(await sidebar.locator('#job').isHidden(), true, 'no bar for a job that does not exist');
    for (const button of await sidebar.locator('[data-action]').all()) {
      assert.ok(await button.isEnabled(), 'she may try again');
    }
    assert.equal(await startCalls(), starts + 1);
    await screenshot(frame(), 'sidebar-server-down-at-start.png');
  } finally {
    await restore();
  }
});

test('the server lost mid-job: the bar ends, the job was started and may still run; its outcome shows when the server is back', async () => {
  await holdSheets();          // the job surely still runs while the server is lost
  try {
    await sidebar.locator('[data-action="validate"]').click();
    await sidebar.locator('#job').waitFor({ state: 'visible' });
    await sidebar.locator('#job-stage').filter({ hasText: /Contrôle|Lecture/ }).waitFor({ timeout: RESULT_TIMEOUT });
    await outage();
    await sidebar.locator('#result[data-lost="true"]').waitFor({ timeout: RESULT_TIMEOUT });
    assert.equal(await sidebar.locator('#job').isHidden(), true, 'the bar ends: no "En attente…" beside an error');
    assert.equal(await sidebar.locator('#result').getAttribute('data-outcome'), 'unavailable');
    assert.equal(await sidebar.locator('#result-message').textContent(),
      "L'action « Contrôler l'équilibre » a bien été lancée, mais le serveur ne répond plus : elle continue "
      + "peut-être. Son résultat s'affichera ici dès que le serveur répondra ; vous pouvez aussi rouvrir le "
      + "panneau plus tard : « Dernière exécution » le montrera.");
    assert.equal(await sidebar.locator('#error').isHidden(), true);
    // Still asked for, slowly, without a red error at each try.
    const polls = () => page.frames()[1].evaluate(() => window.standin.calls.filter((c) => c.name === 'getJob').length);
    const before = await polls();
    await page.waitForFunction(async (count) => {
      const inner = document.querySelector('#sidebar').contentWindow;
      return inner.standin.calls.filter((c) => c.name === 'getJob').length > count;
    }, before, { timeout: RESULT_TIMEOUT });
    assert.equal(await sidebar.locator('#error').isHidden(), true);
    assert.equal(await sidebar.locator('#result[data-lost="true"]').count(), 1);
    await screenshot(frame(), 'sidebar-server-lost.png');
  } finally {
    await restore();
    await release();
  }
  // The server back: the next answer shows how the job ended.
  await sidebar.locator('#result-message').filter({ hasText: /^Journal équilibré/ }).waitFor({ timeout: RESULT_TIMEOUT });
  assert.equal(await sidebar.locator('#result').getAttribute('data-lost'), null);
  assert.equal(await sidebar.locator('#result').getAttribute('data-outcome'), 'ok');
  assert.equal(await sidebar.locator('#result-label').textContent(), "Contrôler l'équilibre");
  await screenshot(frame(), 'sidebar-server-back.png');
});

test('export: the month\'s Inexweb file and FEC, downloaded from the sidebar', async () => {
  assert.equal(await sidebar.locator('#month').inputValue(), '2026-10');
  const result = await runAction('export');
  assert.equal(result.outcome, 'ok');
  // The sheet holds 1722 lines: the 3 dated in November (Paris time) go with November's files, said.
  assert.match(result.message, /^Mois exporté \(octobre 2026\) : 1719 ligne\(s\) ; 3 lignes datées de novembre 2026 : exportées avec novembre 2026 ; fichiers prêts : inexweb-2026-10\.txt \(Inexweb\) et FEC-extrait-918345620-2026-10\.txt \(FEC\)$/);
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

test('the FEC of the fiscal year: the year offered, the file downloaded', async () => {
  assert.equal(await sidebar.locator('#fec-year').inputValue(), '2026');
  const result = await runAction('export_fec_year');
  assert.equal(result.label, "Exporter le FEC de l'exercice");
  assert.equal(result.outcome, 'ok');
  // The whole year: October's entries and the three lines dated in November.
  assert.match(result.message, /^FEC de l'exercice \(janvier 2026 à décembre 2026\) : 498 pièce\(s\), 1722 ligne\(s\) ; fichier prêt : (\S+)$/);
  const files = await sidebar.locator('#files li span').allTextContents();
  assert.equal(files.length, 1);
  assert.ok(result.message.endsWith(files[0]));
  await screenshot(frame(), 'sidebar-fec-year.png');
  const [fec] = await Promise.all([
    page.waitForEvent('download'),
    sidebar.locator(`[data-file="${files[0]}"]`).click()
  ]);
  assert.equal(fec.suggestedFilename(), files[0]);
  const lines = fs.readFileSync(await fec.path(), 'utf8').split(/\r?\n/).filter(Boolean);
  assert.ok(lines[0].startsWith('JournalCode\tJournalLib\tEcritureNum\tEcritureDate'));
  assert.equal(lines.length, 1 + 1722);
  // A blank year is refused in the sidebar, the year offered again.
  const starts = await startCalls();
  await sidebar.locator('#fec-year').fill('');
  await sidebar.locator('[data-action="export_fec_year"]').click();
  await sidebar.locator('#error').waitFor({ state: 'visible' });
  assert.equal(await sidebar.locator('#error').textContent(), "Indiquez l'année de l'exercice, par exemple 2026.");
  assert.equal(await sidebar.locator('#fec-year').inputValue(), '2026');
  assert.equal(await startCalls(), starts);
});

test('the daily trigger is installed and removed from the sidebar', async () => {
  await sidebar.locator('#daily-install').click();
  await sidebar.locator('#daily-state').filter({ hasText: 'activée par vous : chaque jour vers 6 h.' }).waitFor();
  assert.ok(await sidebar.locator('#daily-install').isHidden());
  await screenshot(frame(), 'sidebar-daily-trigger.png');
  await sidebar.locator('#daily-remove').click();
  await sidebar.locator('#daily-state').filter({ hasText: 'désactivée.' }).waitFor();
  assert.ok(await sidebar.locator('#daily-remove').isHidden());
});

test('generate again: nothing new to write, the last run says so', async () => {
  const result = await runAction('generate');
  // Documents still waiting (the anomalies) are read again; nothing is written twice.
  // Fewer documents read than the first time, and why: the window, and those already journaled.
  assert.match(result.message, /^Aucune nouvelle écriture ; 4 anomalie\(s\) ; \d+ document\(s\) Stripe lus : ceux créés depuis le 1er octobre 2026 \(date du plus ancien document encore en attente\), dont \d+ déjà dans le journal et laissé\(s\) tel\(s\) quel\(s\)$/);
  await sidebar.locator('#last-run').filter({ hasText: 'Aucune nouvelle écriture' }).waitFor();
  const calls = await page.frames()[1].evaluate(() => window.standin.calls.map((c) => c.name));
  assert.equal(await startCalls(), 12, 'one start per click: the empty month, 2 syncs, generate twice, validate '
    + 'four times (one refused at the start, one lost), dedupe, export, the fiscal year');
  for (const name of ['getStatus', 'startGenerate', 'getJob', 'startValidate', 'startDedupe', 'startExport', 'startExportFecYear',
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
