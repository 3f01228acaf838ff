'use strict';
// Code.gs, Backend.gs and Triggers.gs with fakes of the Apps Script services.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { loadScript, plain, json } = require('./load');
const { APPSSCRIPT, TOKEN } = require('./fakes');

const BACKEND = 'https://backend.example.test';

function bodyOf(fetch) {
  return JSON.parse(fetch.options.payload);
}

test('onOpen adds the add-on menu, whose items call existing functions', () => {
  const { script, state } = loadScript();
  script.onOpen({ authMode: script.ScriptApp.AuthMode.LIMITED });
  assert.equal(state.menus.length, 1);
  const menu = state.menus[0];
  assert.equal(menu.addon, true, 'Extensions > the script\'s or add-on\'s name');
  assert.ok(menu.added);
  const items = menu.items.filter((item) => !item.separator);
  assert.deepEqual(items.map((i) => i.caption), ['Ouvrir le panneau', 'Générer les écritures',
    'Contrôler l\'équilibre', 'Supprimer les doublons', 'Vérifier la configuration']);
  for (const item of items) assert.equal(typeof script[item.fn], 'function', item.fn);
  assert.equal(state.fetches.length, 0, 'opening the sheet calls nothing');
});

test('showSidebar shows Sidebar.html with its CSS and JS included', () => {
  const { script, state } = loadScript();
  script.showSidebar();
  assert.equal(state.sidebars.length, 1);
  const { title, content } = state.sidebars[0];
  assert.equal(title, 'Comptabilité');
  assert.ok(!content.includes('<?'), 'every scriptlet evaluated');
  assert.match(content, /<style>[\s\S]*\.progress[\s\S]*<\/style>/);
  assert.match(content, /<script>[\s\S]*google\.script\.run[\s\S]*<\/script>/);
  assert.match(content, /<html lang="fr">/);
});

test('each sidebar button calls a public server function of the script', () => {
  const { script } = loadScript();
  const html = fs.readFileSync(path.join(APPSSCRIPT, 'Sidebar.html'), 'utf8');
  const js = fs.readFileSync(path.join(APPSSCRIPT, 'Sidebar.js.html'), 'utf8');
  const buttons = [...html.matchAll(/data-action="([a-z_]+)"/g)].map((m) => m[1]);
  assert.deepEqual(buttons, ['sync_products', 'sync_customers', 'generate', 'dedupe', 'validate', 'export',
    'export_fec_year', 'check']);
  const table = js.match(/var SERVER_FUNCTIONS = (\{[\s\S]*?\});/)[1];
  const functions = Function(`return ${table}`)();
  for (const action of buttons) {
    const name = functions[action];
    assert.ok(name && !name.endsWith('_'), `${action} has a public server function`);
    assert.equal(typeof script[name], 'function', name);
  }
  const called = [...js.matchAll(/server\('([A-Za-z]+)'/g)].map((m) => m[1]);
  for (const name of called) assert.equal(typeof script[name], 'function', name);
});

const STARTS = [
  ['startSyncProducts', [], 'sync_products', {}],
  ['startSyncCustomers', [], 'sync_customers', {}],
  ['startGenerate', [], 'generate', {}],
  ['startDedupe', [], 'dedupe', {}],
  ['startValidate', [], 'validate', {}],
  ['startExport', ['2026-10'], 'export', { month: '2026-10' }],
  ['startExportFecYear', ['2026'], 'export_fec_year', { year: '2026' }],
  ['startCheck', [], 'check', {}]
];

for (const [fn, args, action, params] of STARTS) {
  test(`${fn} starts ${action} on the backend with the ID token, under the document lock`, () => {
    const job = { id: 'job-1', action, state: 'queued', active: true };
    const { script, state } = loadScript({
      respond: () => json(202, { job, started: true })
    });
    const answer = plain(script[fn](...args));
    assert.deepEqual(answer, { job, started: true });
    assert.equal(state.fetches.length, 1);
    const [call] = state.fetches;
    assert.equal(call.url, `${BACKEND}/actions/${action}`);
    assert.equal(call.options.method, 'post');
    assert.equal(call.options.headers.Authorization, `Bearer ${TOKEN}`);
    assert.equal(call.options.contentType, 'application/json');
    assert.equal(call.options.muteHttpExceptions, true);
    assert.deepEqual(bodyOf(call), { params, spreadsheet_id: 'sheet-123' });
    assert.equal(state.lock.tries, 1);
    assert.equal(state.lock.releases, 1);
    assert.ok(state.lock.free);
  });
}

test('the company named in the script properties is sent along', () => {
  const { script, state } = loadScript({ respond: () => json(202, { job: {}, started: true }) });
  state.properties.BACKEND_COMPANY = 'maison-coworking';
  script.startGenerate();
  assert.equal(bodyOf(state.fetches[0]).company, 'maison-coworking');
});

test('a start while the lock is held calls nothing and says so in French', () => {
  const { script, state } = loadScript();
  state.lock.free = false;
  const answer = plain(script.startGenerate());
  assert.equal(answer.busy, true);
  assert.match(answer.error, /Une autre action est en cours de lancement/);
  assert.equal(state.fetches.length, 0);
  assert.equal(state.lock.releases, 0, 'a lock not taken is not released');
});

test('the lock is released when the call fails', () => {
  const { script, state } = loadScript({ respond: () => { throw new Error('DNS error: backend'); } });
  const answer = plain(script.startDedupe());
  assert.match(answer.error, /ne répond pas/);
  assert.equal(state.lock.releases, 1);
  assert.ok(state.lock.free);
});

test('the backend\'s French refusal is passed on; a bare error gets its status', () => {
  const refused = loadScript({ respond: () => json(403, { error: 'Ce compte Google n\'a pas accès.', code: 'forbidden' }) });
  assert.deepEqual(plain(refused.script.startGenerate()), { error: 'Ce compte Google n\'a pas accès.', status: 403 });
  const broken = loadScript({ respond: () => ({ status: 502, body: '<html>Bad gateway</html>' }) });
  assert.deepEqual(plain(broken.script.startGenerate()), { error: 'Le serveur de comptabilité ne répond pas (erreur 502) : réessayez dans quelques minutes.', status: 502 });
  const garbled = loadScript({ respond: () => ({ status: 200, body: 'not json' }) });
  assert.match(plain(garbled.script.getJob('x')).error, /ne répond pas/);
});

test('no backend address, or not https: nothing is sent', () => {
  for (const [url, message] of [[undefined, /n'est pas configurée/], ['http://backend.example.test', /https:\/\//],
    ['https://backend.example.test/path', /sans chemin/], ['javascript:alert(1)', /https:\/\//]]) {
    const { script, state } = loadScript();
    if (url === undefined) delete state.properties.BACKEND_URL; else state.properties.BACKEND_URL = url;
    assert.match(plain(script.startGenerate()).error, message, String(url));
    assert.equal(state.fetches.length, 0);
  }
  const local = loadScript({ respond: () => json(202, { job: {}, started: true }) });
  local.state.properties.BACKEND_URL = 'http://127.0.0.1:8080/';
  local.script.startGenerate();
  assert.equal(local.state.fetches[0].url, 'http://127.0.0.1:8080/actions/generate');
});

test('without an identity token nothing is sent', () => {
  const { script, state } = loadScript({ token: null });
  assert.match(plain(script.startValidate()).error, /identité/);
  assert.equal(state.fetches.length, 0);
});

test('getJob and getStatus read with GET, the spreadsheet in the query', () => {
  const { script, state } = loadScript({
    respond: (url) => (url.includes('/status') ? json(200, { company: { id: 'demo' } }) : json(200, { job: { id: 'a/b' } }))
  });
  assert.deepEqual(plain(script.getJob('a/b')), { job: { id: 'a/b' } });
  assert.equal(state.fetches[0].url, `${BACKEND}/jobs/a%2Fb?spreadsheet_id=sheet-123`);
  assert.equal(state.fetches[0].options.method, 'get');
  assert.equal(state.fetches[0].options.payload, undefined);
  const status = plain(script.getStatus());
  assert.equal(status.company.id, 'demo');
  assert.deepEqual(status.daily, { installed: false, hour: 6, text: 'Désactivée.' });
});

test('downloadExport hands the file over as base64', () => {
  const bytes = Buffer.from('Date\tCode journal\r\n01/10/2026\tVT\tCaf\xe9\r\n', 'latin1');
  const { script, state } = loadScript({
    respond: () => ({ status: 200, body: bytes, headers: { 'Content-Type': 'text/plain; charset=windows-1252' } })
  });
  const file = plain(script.downloadExport('job-1', 'inexweb-2026-10.txt'));
  assert.equal(state.fetches[0].url, `${BACKEND}/jobs/job-1/files/inexweb-2026-10.txt?spreadsheet_id=sheet-123`);
  assert.equal(file.name, 'inexweb-2026-10.txt');
  assert.equal(file.mimeType, 'text/plain; charset=windows-1252');
  assert.deepEqual(Buffer.from(file.base64, 'base64'), bytes);
  const missing = loadScript({ respond: () => json(404, { error: 'Fichier introuvable.' }) });
  assert.equal(plain(missing.script.downloadExport('job-1', 'x.txt')).error, 'Fichier introuvable.');
});

test('openAnomalies shows the Anomalies tab, or says it does not exist yet', () => {
  const { script, state } = loadScript();
  assert.deepEqual(plain(script.openAnomalies()), { ok: true });
  assert.deepEqual(state.activated, ['Anomalies']);
  const fresh = loadScript({ tabs: ['Feuille 1'] });
  assert.match(plain(fresh.script.openAnomalies()).error, /n'existe pas encore/);
});

test('the daily trigger: installed once, at 6 every day, and removed', () => {
  const { script, state } = loadScript();
  const other = script.ScriptApp.newTrigger('somethingElse').timeBased().everyDays(1).create();
  assert.deepEqual(plain(script.installDailyTrigger()), { installed: true, hour: 6, owner: 'comptable@example.fr',
    mine: true, text: 'Activée par vous : chaque jour vers 6 h.' });
  script.installDailyTrigger();
  const daily = state.triggers.filter((t) => t.getHandlerFunction() === 'dailyGenerate');
  assert.equal(daily.length, 1, 'installing twice keeps one trigger');
  assert.deepEqual(plain(daily[0].spec), { timeBased: true, hour: 6, everyDays: 1 });
  assert.equal(typeof script.dailyGenerate, 'function');
  assert.deepEqual(plain(script.removeDailyTrigger()), { installed: false, hour: 6, text: 'Désactivée.' });
  assert.deepEqual(state.triggers.map((t) => t.getUniqueId()), [other.getUniqueId()], 'other triggers are left alone');
  assert.equal(state.lock.releases, state.lock.tries);
});

test('the trigger handler asks for the daily generation', () => {
  const { script, state } = loadScript({ respond: () => json(202, { job: { id: 'j' }, started: true }) });
  script.dailyGenerate();
  assert.equal(state.fetches[0].url, `${BACKEND}/actions/generate`);
  assert.deepEqual(bodyOf(state.fetches[0]), { trigger: 'daily', spreadsheet_id: 'sheet-123' });
  assert.ok(state.logs.some(([, line]) => line.includes('job j started')));
  const refused = loadScript({ respond: () => json(403, { error: 'Refusé.' }) });
  assert.throws(() => refused.script.dailyGenerate(), /Génération quotidienne non lancée : Refusé\./);
  assert.ok(refused.state.logs.some(([level, line]) => level === 'error' && line.includes('Refusé.')));
});

test('a menu action starts the action and opens the sidebar; a refusal shows as a toast', () => {
  const { script, state } = loadScript({ respond: () => json(202, { job: { id: 'j' }, started: true }) });
  script.menuGenerate();
  assert.equal(state.fetches[0].url, `${BACKEND}/actions/generate`);
  assert.equal(state.sidebars.length, 1);
  const refused = loadScript({ respond: () => json(403, { error: 'Refusé.' }) });
  refused.script.menuValidate();
  assert.deepEqual(plain(refused.state.toasts), [{ message: 'Refusé.', title: 'Comptabilité', seconds: 10 }]);
  assert.equal(refused.state.sidebars.length, 1);
});

test('the ID token never leaves the script: not returned, not logged', () => {
  const { script, state } = loadScript({
    respond: (url) => (url.includes('/files/') ? { status: 200, body: 'x', headers: {} } : json(200, { job: { id: 'j' }, started: true }))
  });
  const answers = [script.startGenerate(), script.getJob('j'), script.getStatus(), script.downloadExport('j', 'f.txt'),
    script.dailyGenerate(), script.installDailyTrigger(), script.openAnomalies()];
  const audience = script.logTokenAudience_();
  assert.equal(audience, 'client-id.apps.googleusercontent.com');
  const seen = JSON.stringify(plain(answers)) + JSON.stringify(state.logs);
  assert.ok(!seen.includes(TOKEN), 'token in an answer or a log');
  assert.ok(!seen.includes(TOKEN.split('.')[2]), 'token signature in an answer or a log');
  assert.ok(state.logs.some(([, line]) => line.includes('client-id.apps.googleusercontent.com')));
});
