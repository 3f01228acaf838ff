'use strict';
// The daily trigger as the accountants live it (issue 14, point 4): a failed run is written in
// Historique, shown to whoever opens the sidebar next, and rethrown so that Google e-mails the
// trigger's owner; one daily trigger per spreadsheet, whoever installed it.

const test = require('node:test');
const assert = require('node:assert/strict');
const { loadScript, plain, json } = require('./load');

const STARTED = json(202, { job: { id: 'j' }, started: true });
const HEADER = ['Date', 'Déclencheur', 'Action', 'Résultat'];

function down() {
  throw new Error('Address unavailable: https://backend.example.test/actions/generate');
}

/** The local time `at` (ISO) shows in `zone`, as "dd/MM/yyyy à HH:mm". */
function wall(at, zone) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at)).map((x) => [x.type, x.value]));
  return `${p.day}/${p.month}/${p.year} à ${p.hour}:${p.minute}`;
}

// --- a failed run ------------------------------------------------------------------------

for (const [name, respond, message] of [
  ['the backend unreachable', down, /ne répond pas/],
  ['a refusal', () => json(403, { error: 'Cette adresse n\'a pas accès à cette société.' }), /n'a pas accès/],
  ['an error answer', () => ({ status: 500, body: '<html>Server Error</html>' }), /Le serveur de comptabilité ne répond pas \(erreur 500\)/]
]) {
  test(`${name}: a line in Historique, the failure recorded for the document, the run rethrows`, () => {
    const { script, state } = loadScript({ respond });
    state.rows.Historique = [HEADER];
    const before = Date.now();
    assert.throws(() => script.dailyGenerate({ triggerUid: 'old' }), (error) => message.test(error.message)
      && /^Génération quotidienne non lancée : /.test(error.message));
    const [line] = state.rows.Historique.slice(1);
    assert.equal(Object.prototype.toString.call(line[0]), '[object Date]', 'a date, not a text');
    assert.ok(line[0].getTime() >= before && line[0].getTime() <= Date.now(), 'the time of the run');
    assert.equal(state.formats['Historique!2:1'], 'dd/mm/yyyy hh:mm', 'shown as a date and time, in the sheet\'s zone');
    assert.deepEqual([...line.slice(1, 3)], ['déclencheur quotidien (comptable@example.fr)', 'Génération des écritures']);
    assert.match(line[3], /^Échec : /);
    assert.match(line[3], message);
    const failure = JSON.parse(state.documentProperties['sheet-123'].DAILY_FAILURE);
    assert.equal(failure.at, line[0].toISOString());
    assert.match(failure.message, message);
  });
}

test('text from the backend is written as text, never as a formula; a missing Historique tab is made', () => {
  const { script, state } = loadScript({ respond: () => json(403, { error: '=HYPERLINK("https://evil.example","clic")' }),
    tabs: ['Écritures'] });
  assert.throws(() => script.dailyGenerate());
  assert.ok(state.tabs.includes('Historique'));
  assert.deepEqual([...state.rows.Historique[0]], HEADER);
  assert.equal(state.rows.Historique[1][3], 'Échec : =HYPERLINK("https://evil.example","clic")');
  assert.equal(typeof state.rows.Historique[1][3], 'string');
  assert.ok(state.rows.Historique[1].every((cell) => !(cell && cell.formula)), 'no formula');
});

test('the banner\'s failure: for everyone who opens the sidebar, at the local time, also when the backend is down', () => {
  const { script, state } = loadScript({ respond: down, timeZone: 'Pacific/Kiritimati' });
  assert.throws(() => script.dailyGenerate());
  const at = JSON.parse(state.documentProperties['sheet-123'].DAILY_FAILURE).at;
  state.user = 'associe@example.fr';   // another accountant, the next morning
  const status = plain(script.getStatus());
  assert.match(status.error, /ne répond pas/, 'the backend is still down: the status says so');
  assert.equal(status.daily_failure.when, wall(at, 'Pacific/Kiritimati'));
  assert.notEqual(status.daily_failure.when, wall(at, 'UTC'), 'UTC+14: the local time differs');
  assert.match(status.daily_failure.message, /ne répond pas/);
  // Without a failure: null.
  assert.equal(plain(loadScript({ respond: () => json(200, {}) }).script.getStatus()).daily_failure, null);
});

test('the daily job\'s own failure in the backend (the call went through) is the banner too', () => {
  const backendSays = { when: '03/12/2026 à 06:02', message: 'Stripe refuse l\'accès avec la clé configurée.' };
  const { script } = loadScript({ respond: () => json(200, { daily_failure: backendSays }) });
  assert.deepEqual(plain(script.getStatus()).daily_failure, backendSays);
});

test('a later daily run, or a generation started from the sidebar, clears the failure', () => {
  let answer = down;
  const { script, state } = loadScript({ respond: (...args) => answer(...args) });
  assert.throws(() => script.dailyGenerate());
  answer = () => STARTED;
  assert.equal(plain(script.dailyGenerate()).started, true);
  assert.equal(state.documentProperties['sheet-123'].DAILY_FAILURE, undefined);
  answer = down;
  assert.throws(() => script.dailyGenerate());
  assert.ok(state.documentProperties['sheet-123'].DAILY_FAILURE);
  script.startValidate();
  assert.ok(state.documentProperties['sheet-123'].DAILY_FAILURE, 'a failed validate changes nothing');
  answer = () => STARTED;
  script.startValidate();
  assert.ok(state.documentProperties['sheet-123'].DAILY_FAILURE, 'another action is not the day\'s generation');
  script.startGenerate();
  assert.equal(state.documentProperties['sheet-123'].DAILY_FAILURE, undefined);
});

test('a run outside the spreadsheet\'s context writes nothing it cannot reach, and still fails', () => {
  const { script, state } = loadScript({ respond: down, addon: true });
  script.installDailyTrigger();
  const [trigger] = state.triggers;
  state.document = null;
  assert.throws(() => script.dailyGenerate({ triggerUid: trigger.id }), /ne répond pas/);
  assert.deepEqual(state.rows, {});
  assert.equal(state.documentProperties['sheet-123'].DAILY_FAILURE, undefined);
  // Nor does its success touch another spreadsheet's failure (the add-on may run in one).
  state.documentProperties['sheet-456'] = { DAILY_FAILURE: JSON.stringify({ at: new Date().toISOString(), message: 'x' }) };
  state.document = 'sheet-456';
  state.respond = () => STARTED;
  script.dailyGenerate({ triggerUid: trigger.id });
  assert.ok(state.documentProperties['sheet-456'].DAILY_FAILURE, 'sheet-456\'s failure kept');
});

// --- one daily trigger per spreadsheet -----------------------------------------------------

test('the spreadsheet\'s daily trigger is recorded for all: who, which, at what hour', () => {
  const { script, state } = loadScript({ addon: true });
  script.installDailyTrigger();
  const [trigger] = state.triggers;
  const record = JSON.parse(state.documentProperties['sheet-123'].DAILY_TRIGGER);
  assert.deepEqual([record.owner, record.id, record.hour], ['comptable@example.fr', trigger.id, 6]);
  state.user = 'associe@example.fr';
  assert.equal(plain(script.getStatus()).daily.text, 'Activée par comptable@example.fr : chaque jour vers 6 h.');
  assert.equal(plain(script.installDailyTrigger()).installed, true);
  assert.equal(state.triggers.length, 1, 'no second trigger');
  const refused = plain(script.removeDailyTrigger());
  assert.equal(refused.error, 'Seul(e) comptable@example.fr peut désactiver la génération quotidienne : '
    + 'Google ne laisse supprimer un déclencheur qu\'à la personne qui l\'a activé.');
  assert.equal(state.triggers.length, 1);
  state.user = 'comptable@example.fr';
  assert.equal(plain(script.removeDailyTrigger()).text, 'Désactivée.');
  assert.deepEqual([state.triggers.length, state.documentProperties['sheet-123'].DAILY_TRIGGER], [0, undefined]);
  state.user = 'associe@example.fr';
  assert.equal(plain(script.installDailyTrigger()).text, 'Activée par vous : chaque jour vers 6 h.');
  assert.equal(state.triggers[0].owner, 'associe@example.fr');
});

test('a stale record (not seen running for two days): another user takes over, the old trigger removes itself', () => {
  const { script, state } = loadScript({ addon: true, respond: () => STARTED });
  script.installDailyTrigger();
  const [old] = state.triggers;
  // The owner left: their trigger has not run for three days.
  const record = JSON.parse(state.documentProperties['sheet-123'].DAILY_TRIGGER);
  record.since = new Date(Date.now() - 3 * 24 * 3600 * 1000).toISOString();
  state.documentProperties['sheet-123'].DAILY_TRIGGER = JSON.stringify(record);
  state.user = 'associe@example.fr';
  const stale = plain(script.getStatus()).daily;
  assert.equal(stale.installed, false);
  assert.equal(stale.text, 'Désactivée : celle de comptable@example.fr ne tourne plus depuis deux jours ; activez-la pour la reprendre.');
  assert.equal(plain(script.installDailyTrigger()).text, 'Activée par vous : chaque jour vers 6 h.');
  const mine = state.triggers.find((t) => t.owner === 'associe@example.fr');
  assert.equal(JSON.parse(state.documentProperties['sheet-123'].DAILY_TRIGGER).id, mine.id);
  // The old owner's trigger runs once more: it generates nothing and removes itself.
  state.user = 'comptable@example.fr';
  assert.deepEqual(plain(script.dailyGenerate({ triggerUid: old.id })), { superseded: true });
  assert.equal(state.fetches.filter((f) => f.url.includes('/actions/')).length, 0);
  assert.deepEqual(state.triggers.map((t) => t.owner), ['associe@example.fr']);
  // The new one runs: its run is recorded (`last`), so the record stays fresh.
  state.user = 'associe@example.fr';
  assert.equal(plain(script.dailyGenerate({ triggerUid: mine.id })).started, true);
  assert.ok(JSON.parse(state.documentProperties['sheet-123'].DAILY_TRIGGER).last);
});

test('a trigger that runs without the document (an add-on\'s) stays fresh through the backend\'s last daily run', () => {
  const twoDaysAgo = new Date(Date.now() - 3 * 24 * 3600 * 1000).toISOString();
  const thisMorning = new Date(Date.now() - 3600 * 1000).toISOString();
  let lastDaily = null;
  const { script, state } = loadScript({ addon: true, respond: () => json(200, { last_daily: lastDaily }) });
  script.installDailyTrigger();
  const record = JSON.parse(state.documentProperties['sheet-123'].DAILY_TRIGGER);
  record.since = twoDaysAgo;     // its runs could not write `last` themselves
  state.documentProperties['sheet-123'].DAILY_TRIGGER = JSON.stringify(record);
  state.user = 'associe@example.fr';
  // The backend saw another person's daily run: not this trigger's, the record stays stale.
  lastDaily = { at: thisMorning, trigger: 'déclencheur quotidien (associe@example.fr)' };
  assert.equal(plain(script.getStatus()).daily.installed, false);
  // The backend saw the owner's run this morning: the trigger is alive, nobody takes it over.
  lastDaily = { at: thisMorning, trigger: 'déclencheur quotidien (comptable@example.fr)' };
  const daily = plain(script.getStatus()).daily;
  assert.equal(daily.installed, true);
  assert.equal(daily.text, 'Activée par comptable@example.fr : chaque jour vers 6 h.');
  assert.equal(JSON.parse(state.documentProperties['sheet-123'].DAILY_TRIGGER).last, thisMorning);
  assert.equal(state.triggers.length, 1, 'no second trigger installed');
});

test('the owner whose trigger is gone sees it off, and anyone may activate it again', () => {
  const { script, state } = loadScript({ addon: true });
  script.installDailyTrigger();
  state.triggers = [];   // deleted from the script editor's Triggers page
  assert.equal(plain(script.getStatus()).daily.text, 'Désactivée.');
  assert.equal(state.documentProperties['sheet-123'].DAILY_TRIGGER, undefined);
  state.user = 'associe@example.fr';
  assert.equal(plain(script.installDailyTrigger()).owner, 'associe@example.fr');
});

test('two triggers from before the record: the first person to open the sidebar keeps theirs, the other removes itself', () => {
  const { script, state } = loadScript({ addon: true, respond: () => STARTED });
  const install = () => {
    const trigger = script.ScriptApp.newTrigger('dailyGenerate').timeBased().atHour(6).everyDays(1).create();
    state.userProperties[state.user] = { [`DAILY_TRIGGER_${trigger.id}`]: 'sheet-123' };
    return trigger;
  };
  const first = install();
  state.user = 'associe@example.fr';
  const second = install();
  state.user = 'comptable@example.fr';
  assert.equal(plain(script.getStatus()).daily.text, 'Activée par vous : chaque jour vers 6 h.');
  state.user = 'associe@example.fr';
  assert.equal(plain(script.getStatus()).daily.text, 'Activée par comptable@example.fr : chaque jour vers 6 h.');
  assert.deepEqual(plain(script.dailyGenerate({ triggerUid: second.id })), { superseded: true });
  assert.deepEqual(state.triggers.map((t) => t.id), [first.id]);
});
