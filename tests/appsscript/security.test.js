'use strict';
// Who can send the accountant's ID token where (issue 13, finding 5). Any editor of the
// spreadsheet can open the sidebar and, from its page, call through google.script.run every
// global function whose name does not end with "_", with any arguments. None of them may change
// the address the ID token is sent to: that address is the deployer's (Config.gs, written by
// `python -m deploy`; else the script property BACKEND_URL, which only the script project's
// editors set), and a wrong one is refused before any token leaves.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { loadScript, plain, json } = require('./load');
const { APPSSCRIPT, runFromClient, scriptFunctions } = require('./fakes');

const DEPLOYED = 'https://journal-prod.ew.r.appspot.com';
const EVIL = 'https://collector.evil.example';
// What python -m deploy writes (deploy/appsscript.py; tests/test_deploy.py checks the same form).
const CONFIG = `var DEPLOYED_BACKEND_URL = '${DEPLOYED}';\n`;

// The sidebar's needs, the menu's items, the simple triggers, the daily trigger's handler and
// the template's include(): the only functions a client may name. Anything else public is a
// door for an editor.
const PUBLIC = [
  // the sidebar (Sidebar.js.html)
  'startSyncProducts', 'startSyncCustomers', 'startGenerate', 'startDedupe', 'startValidate',
  'startExport', 'startExportFecYear', 'startCheck', 'getJob', 'getStatus', 'downloadExport', 'openAnomalies',
  'installDailyTrigger', 'removeDailyTrigger',
  // the menu (Menu.addItem names a function), the simple triggers, the sidebar's template
  'onOpen', 'onInstall', 'showSidebar', 'menuGenerate', 'menuValidate', 'menuDedupe', 'menuCheck',
  'include',
  // the time-driven trigger's handler (ScriptApp.newTrigger names it)
  'dailyGenerate'
].sort();

function sidebarCalls() {
  const js = fs.readFileSync(path.join(APPSSCRIPT, 'Sidebar.js.html'), 'utf8');
  const table = Function(`return ${js.match(/var SERVER_FUNCTIONS = (\{[\s\S]*?\});/)[1]}`)();
  const direct = [...js.matchAll(/server\('([A-Za-z_]+)'/g)].map((m) => m[1]);
  return [...new Set([...Object.values(table), ...direct])].sort();
}

function okBackend() {
  return (url) => (url.includes('/files/') ? { status: 200, body: 'x', headers: {} }
    : json(200, { job: { id: 'j', active: false }, started: true }));
}

// Arguments an editor could send from the sidebar's page, aimed at the backend address.
const HOSTILE = [[EVIL], [EVIL + '/'], [' ' + EVIL], ['http://127.0.0.1:9/'], [{ url: EVIL }], ['x', EVIL],
  [EVIL, EVIL, EVIL], ['maison-coworking']];

test('the functions a client can call through google.script.run are the listed ones, nothing else', () => {
  const { script, services } = loadScript({}, { 'Config.gs': CONFIG });
  const callable = scriptFunctions(script, services).filter((name) => !name.endsWith('_')).sort();
  assert.deepEqual(callable, PUBLIC);
  for (const name of ['setBackendUrl', 'setCompany', 'logTokenAudience']) {
    assert.throws(() => runFromClient(script, name, [EVIL]), /Script function not found/, name);
  }
});

test('the sidebar calls only public functions that exist', () => {
  const { script, services } = loadScript({}, { 'Config.gs': CONFIG });
  const callable = new Set(scriptFunctions(script, services).filter((name) => !name.endsWith('_')));
  for (const name of sidebarCalls()) assert.ok(callable.has(name), `the sidebar calls ${name}`);
});

test('no function a client can call moves the ID token elsewhere, whatever its arguments', () => {
  const { script, state, services } = loadScript({ respond: okBackend() }, { 'Config.gs': CONFIG });
  // Every global function a page could try, private names included: those are refused.
  for (const name of scriptFunctions(script, services)) {
    for (const args of HOSTILE) {
      try { runFromClient(script, name, args); } catch (e) { /* refused or failed: fine */ }
    }
  }
  state.fetches = [];
  script.startGenerate();
  script.getJob('j');
  script.dailyGenerate();
  assert.equal(state.fetches.length, 3);
  for (const fetch of state.fetches) {
    assert.ok(fetch.url.startsWith(DEPLOYED + '/'), fetch.url);
  }
  assert.equal(state.properties.BACKEND_URL, 'https://backend.example.test', 'the script property untouched');
});

test('the address the token goes to is the deployer\'s Config.gs, whatever the script property says', () => {
  const { script, state } = loadScript({ respond: okBackend() }, { 'Config.gs': CONFIG });
  state.properties.BACKEND_URL = EVIL;
  script.startGenerate();
  assert.equal(state.fetches[0].url, `${DEPLOYED}/actions/generate`);
  assert.match(state.fetches[0].options.headers.Authorization, /^Bearer /);
});

test('without a deployed address, the script property set in the project\'s settings is used', () => {
  const { script, state } = loadScript({ respond: okBackend() });
  script.startGenerate();
  assert.equal(state.fetches[0].url, 'https://backend.example.test/actions/generate');
});

test('a deployed address that is not https (but localhost) is refused before any token leaves', () => {
  for (const url of ['http://journal.example.test', 'ftp://journal.example.test', 'https://journal.example.test/x',
    'https://user@journal.example.test', 'https://journal.example.test?x', 'javascript:alert(1)']) {
    const { script, state } = loadScript({ respond: okBackend() }, { 'Config.gs': `var DEPLOYED_BACKEND_URL = ${JSON.stringify(url)};\n` });
    const answer = plain(script.startGenerate());
    assert.match(answer.error, /https:\/\//, url);
    assert.equal(state.fetches.length, 0, url);
    assert.ok(state.logs.some(([level, line]) => level === 'error' && line.includes('DEPLOYED_BACKEND_URL')), `${url}: said in the log`);
  }
  const local = loadScript({ respond: okBackend() }, { 'Config.gs': "var DEPLOYED_BACKEND_URL = 'http://localhost:8080';\n" });
  local.script.startGenerate();
  assert.equal(local.state.fetches[0].url, 'http://localhost:8080/actions/generate');
});

test('the repository\'s Config.gs names no address: the deployer\'s run writes it', () => {
  const { script } = loadScript();
  assert.equal(script.DEPLOYED_BACKEND_URL, '');
});
