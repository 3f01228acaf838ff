'use strict';
// The same .gs files as an Editor add-on installed on many spreadsheets and as the script bound
// to one: the authorization modes of onOpen, onInstall, the daily trigger per user and per
// document, the lock outside a document, and the honesty of the fakes themselves.

const test = require('node:test');
const assert = require('node:assert/strict');
const { loadScript, plain, json } = require('./load');
const { makeServices } = require('./fakes');

const FULL_MENU = ['Ouvrir le panneau', 'Générer les écritures', 'Contrôler l\'équilibre',
  'Supprimer les doublons', 'Vérifier la configuration'];

function captions(menu) {
  return menu.items.filter((item) => !item.separator).map((item) => item.caption);
}

// --- onOpen and onInstall in each authorization mode ------------------------------------

test('AuthMode.NONE (add-on installed, not yet used in this sheet): one item, nothing needing authorization touched', () => {
  const { script, state } = loadScript({ addon: true, authMode: 'NONE' });
  script.onOpen({ authMode: script.ScriptApp.AuthMode.NONE });
  assert.equal(state.menus.length, 1);
  assert.equal(state.menus[0].addon, true);
  assert.deepEqual(captions(state.menus[0]), ['Ouvrir le panneau']);
  assert.equal(state.menus[0].items[0].fn, 'showSidebar');
  assert.deepEqual(state.denied, [], 'no property, fetch, token or trigger call was even attempted');
  assert.equal(state.fetches.length, 0);
});

test('the NONE fake refuses what the real one does: properties, fetch, token, triggers', () => {
  const { script } = loadScript({ authMode: 'NONE' });
  for (const call of [() => script.PropertiesService.getScriptProperties(), () => script.PropertiesService.getDocumentProperties(),
    () => script.PropertiesService.getUserProperties(), () => script.UrlFetchApp.fetch('https://x.test'),
    () => script.ScriptApp.getIdentityToken(), () => script.ScriptApp.getProjectTriggers()]) {
    assert.throws(call, /You do not have permission/);
  }
  // What any mode allows: the enum and the menu.
  assert.equal(String(script.ScriptApp.AuthMode.NONE), 'NONE');
  assert.equal(typeof script.SpreadsheetApp.getUi().createAddonMenu().addItem, 'function');
});

for (const mode of ['LIMITED', 'FULL']) {
  test(`AuthMode.${mode}: the whole add-on menu, still nothing called`, () => {
    const { script, state } = loadScript({ addon: true, authMode: mode });
    script.onOpen({ authMode: script.ScriptApp.AuthMode[mode] });
    assert.deepEqual(captions(state.menus[0]), FULL_MENU);
    for (const item of state.menus[0].items.filter((i) => !i.separator)) {
      assert.equal(typeof script[item.fn], 'function', item.fn);
    }
    assert.deepEqual(state.denied, []);
    assert.equal(state.fetches.length, 0);
  });
}

test('onInstall (AuthMode.FULL) builds the same menu as onOpen', () => {
  const { script, state } = loadScript({ addon: true, authMode: 'FULL' });
  script.onInstall({ authMode: script.ScriptApp.AuthMode.FULL });
  assert.equal(state.menus.length, 1);
  assert.equal(state.menus[0].addon, true);
  assert.deepEqual(captions(state.menus[0]), FULL_MENU);
});

test('bound script and add-on: the same add-on menu; run from the editor (no event) the whole menu', () => {
  const bound = loadScript({ addon: false, authMode: 'LIMITED' });
  bound.script.onOpen({ authMode: bound.script.ScriptApp.AuthMode.LIMITED });
  const addon = loadScript({ addon: true, authMode: 'LIMITED' });
  addon.script.onOpen({ authMode: addon.script.ScriptApp.AuthMode.LIMITED });
  assert.deepEqual(plain(bound.state.menus), plain(addon.state.menus));
  const editor = loadScript();
  editor.script.onOpen();
  assert.deepEqual(captions(editor.state.menus[0]), FULL_MENU);
});

// --- per-document state ---------------------------------------------------------------

test('the company is the document\'s (document properties), the backend address the project\'s', () => {
  const { script, state } = loadScript({ addon: true, respond: () => json(202, { job: {}, started: true }) });
  state.properties.BACKEND_URL = 'https://journal.example.test';
  assert.equal(script.setCompany_(' maison-coworking '), 'maison-coworking');
  assert.deepEqual(state.documentProperties['sheet-123'], { BACKEND_COMPANY: 'maison-coworking' });
  script.startGenerate();
  state.document = 'sheet-456';               // another company's sheet, same add-on install
  script.startGenerate();
  const bodies = state.fetches.map((f) => JSON.parse(f.options.payload));
  assert.deepEqual(bodies, [{ params: {}, spreadsheet_id: 'sheet-123', company: 'maison-coworking' },
    { params: {}, spreadsheet_id: 'sheet-456' }]);
  assert.ok(state.fetches.every((f) => f.url.startsWith('https://journal.example.test/')));
  state.document = 'sheet-123';
  assert.equal(script.setCompany_(''), '');
  assert.deepEqual(state.documentProperties['sheet-123'], {});
});

// --- the daily trigger: per user, per document ----------------------------------------

test('the daily trigger is each user\'s and each spreadsheet\'s (add-on)', () => {
  const { script, state } = loadScript({ addon: true });
  assert.equal(plain(script.installDailyTrigger()).installed, true);
  const [first] = state.triggers;
  assert.equal(first.owner, 'comptable@example.fr');
  assert.deepEqual(plain(first.spec), { timeBased: true, hour: 6, everyDays: 1 });
  assert.deepEqual(state.userProperties['comptable@example.fr'], { [`DAILY_TRIGGER_${first.id}`]: 'sheet-123' });

  // Another spreadsheet, same person: not installed there; installing makes a second one.
  state.document = 'sheet-456';
  assert.equal(plain(script.getStatus()).daily.installed, false);
  script.installDailyTrigger();
  script.installDailyTrigger();
  assert.equal(state.triggers.length, 2, 'one per spreadsheet, installing twice keeps one');

  // Another person in the first spreadsheet: they see the first person's, and installing
  // makes no second one (one daily trigger per spreadsheet, whoever installed it); they cannot
  // remove it, and are told who can.
  state.user = 'associe@example.fr';
  state.document = 'sheet-123';
  assert.deepEqual(plain(script.getStatus()).daily, { installed: true, hour: 6, owner: 'comptable@example.fr',
    mine: false, text: 'Activée par comptable@example.fr : chaque jour vers 6 h.' });
  assert.equal(plain(script.installDailyTrigger()).owner, 'comptable@example.fr');
  assert.equal(state.triggers.length, 2);
  assert.match(plain(script.removeDailyTrigger()).error, /Seul\(e\) comptable@example\.fr peut désactiver/);
  assert.equal(state.triggers.length, 2);

  // The first person removes the first spreadsheet's: the other spreadsheet's stays.
  state.user = 'comptable@example.fr';
  script.removeDailyTrigger();
  assert.deepEqual(state.triggers.map((t) => [t.owner, t.document]), [['comptable@example.fr', 'sheet-456']]);
  assert.deepEqual(Object.values(state.userProperties['comptable@example.fr']), ['sheet-456']);
});

test('the daily trigger of a bound script (a clock trigger with no document) is found through its record', () => {
  const { script, state } = loadScript({ addon: false });
  script.installDailyTrigger();
  assert.equal(state.triggers[0].document, null);
  assert.deepEqual(plain(script.ScriptApp.getUserTriggers(script.SpreadsheetApp.getActive())), []);
  assert.equal(plain(script.installDailyTrigger()).installed, true);
  assert.equal(state.triggers.length, 1, 'installing twice keeps one');
  script.removeDailyTrigger();
  assert.equal(state.triggers.length, 0);
});

test('the handler generates the spreadsheet its trigger was installed from, even outside any document', () => {
  const { script, state } = loadScript({ addon: true, respond: () => json(202, { job: { id: 'j' }, started: true }) });
  script.installDailyTrigger();
  state.document = 'sheet-456';
  script.installDailyTrigger();
  const [first, second] = state.triggers;
  // The time-driven run: no active spreadsheet, no document lock.
  state.document = null;
  const documentLockTries = state.lock.tries;
  script.dailyGenerate({ authMode: script.ScriptApp.AuthMode.FULL, triggerUid: second.id });
  script.dailyGenerate({ authMode: script.ScriptApp.AuthMode.FULL, triggerUid: first.id });
  assert.deepEqual(state.fetches.map((f) => JSON.parse(f.options.payload).spreadsheet_id), ['sheet-456', 'sheet-123']);
  assert.deepEqual([state.lock.tries - documentLockTries, state.userLock.tries, state.userLock.releases], [0, 2, 2],
    'the user\'s lock stood in');
  // A trigger recorded for no spreadsheet, outside a document: nothing sent, the log says why,
  // and the run fails (Google e-mails its owner).
  assert.throws(() => script.dailyGenerate({ triggerUid: 'unknown' }), /Déclencheur sans feuille/);
  assert.equal(state.fetches.length, 2);
  assert.ok(state.logs.some(([level, line]) => level === 'error' && line.includes('unknown')));
});

test('a bound script\'s trigger from before the record: the document it runs in', () => {
  const { script, state } = loadScript({ respond: () => json(202, { job: { id: 'j' }, started: true }) });
  script.dailyGenerate({ triggerUid: 'old-trigger' });
  assert.equal(JSON.parse(state.fetches[0].options.payload).spreadsheet_id, 'sheet-123');
});

test('the add-on fake keeps Google\'s limits: one time-driven trigger per user per document, at most hourly', () => {
  const { script, state } = loadScript({ addon: true });
  script.installDailyTrigger();
  assert.throws(() => script.ScriptApp.newTrigger('other').timeBased().everyHours(1).create(), /already has a time-driven trigger/);
  state.document = 'sheet-456';
  assert.throws(() => script.ScriptApp.newTrigger('other').timeBased().everyMinutes(30).create(), /at most once per hour/);
  state.user = 'associe@example.fr';
  state.document = 'sheet-123';
  script.ScriptApp.newTrigger('other').timeBased().everyHours(1).create();
  assert.equal(state.triggers.length, 2);
});

// --- the lock -------------------------------------------------------------------------

test('outside a document the document lock is null and the user\'s lock is used', () => {
  const { script, state } = loadScript({ document: null });
  assert.equal(script.LockService.getDocumentLock(), null);
  state.userLock.free = false;
  assert.throws(() => script.dailyGenerate({ triggerUid: 'x' }), /Déclencheur sans feuille/);
  const busy = loadScript({ document: null, respond: () => json(202, { job: { id: 'j' }, started: true }) });
  busy.state.userProperties['comptable@example.fr'] = { DAILY_TRIGGER_t1: 'sheet-123' };
  busy.state.userLock.free = false;
  assert.throws(() => busy.script.dailyGenerate({ triggerUid: 't1' }), /Une autre action est en cours/);
  assert.equal(busy.state.fetches.length, 0);
  // Nobody waits on the trigger: it waits a minute for the lock, a click five seconds.
  assert.deepEqual([...busy.state.userLock.waits], [60000]);
  assert.equal(busy.state.scriptLock.tries, 0, 'never the script lock: one for every company');
});

test('a sidebar call outside any spreadsheet says so in French, sends nothing', () => {
  const { script, state } = loadScript({ document: null });
  assert.match(plain(script.getJob('j')).error, /feuille de la société/);
  assert.equal(state.fetches.length, 0);
});

// --- the fakes are honest: the trigger builders -----------------------------------------

test('TriggerBuilder has no clock methods before timeBased(), as in Apps Script', () => {
  const { globals } = makeServices();
  const builder = globals.ScriptApp.newTrigger('dailyGenerate');
  for (const method of ['atHour', 'everyDays', 'create', 'nearMinute', 'onOpen']) {
    assert.throws(() => builder[method](6), (error) => error instanceof TypeError && /is not a function/.test(error.message), method);
  }
  const clock = builder.timeBased();
  for (const method of ['atHour', 'everyDays', 'nearMinute', 'inTimezone', 'create']) assert.equal(typeof clock[method], 'function', method);
  assert.equal(typeof clock.onOpen, 'undefined', 'a ClockTriggerBuilder has no onOpen');
  const sheet = globals.ScriptApp.newTrigger('f').forSpreadsheet('sheet-123');
  assert.deepEqual(Object.keys(sheet).sort(), ['create', 'onChange', 'onEdit', 'onFormSubmit', 'onOpen']);
  assert.throws(() => sheet.atHour(6), TypeError);
  assert.throws(() => clock.create(), /no schedule/);
  assert.throws(() => clock.atHour(24), /hour/);
  assert.equal(clock.atHour(6).everyDays(1).nearMinute(15).inTimezone('Europe/Paris').create().getHandlerFunction(), 'dailyGenerate');
});

test('getProjectTriggers lists the current user\'s triggers only', () => {
  const { globals, state } = makeServices();
  globals.ScriptApp.newTrigger('a').timeBased().everyDays(1).create();
  state.user = 'associe@example.fr';
  globals.ScriptApp.newTrigger('b').forSpreadsheet('sheet-123').onOpen().create();
  assert.deepEqual(globals.ScriptApp.getProjectTriggers().map((t) => t.getHandlerFunction()), ['b']);
  state.user = 'comptable@example.fr';
  assert.deepEqual(globals.ScriptApp.getProjectTriggers().map((t) => t.getHandlerFunction()), ['a']);
  assert.equal(state.triggers.length, 2);
});
