/**
 * The daily generation: a time-driven trigger (about 6 a.m. in the script's time zone; Apps
 * Script picks a minute within the hour) that asks the backend to generate the day's entries,
 * with the ID token of the person who installed it.
 *
 * A trigger belongs to one person (it runs as them, and only they see it: getProjectTriggers()
 * lists the current user's triggers of this project; ScriptApp.deleteTrigger() removes only
 * theirs) and, here, to one spreadsheet: with the add-on the same person may use it on several
 * companies' sheets, and an add-on may have one time-driven trigger per user per document, at
 * most hourly. So this user's triggers for the spreadsheet are theirs in this spreadsheet
 * (ScriptApp.getUserTriggers) plus those recorded for it: each trigger we create is recorded in
 * the user's properties, trigger id -> spreadsheet id, which also tells the handler which
 * spreadsheet to generate, whatever document context it runs in.
 *
 * One daily trigger per spreadsheet, whoever installed it: the spreadsheet's document
 * properties (shared by everyone who uses the document) hold DAILY_TRIGGER = {owner, id, hour,
 * since, last}; every allowed user reads from it who runs it, a second person's "Activer"
 * installs nothing, and only the owner can remove it (nobody else can delete their trigger).
 *
 * An owner who left: their trigger stops (a deleted account) or is refused by the backend (the
 * failure banner says so). The record is stale when its trigger has not been seen running for
 * STALE_AFTER_MS (two days; `last` is written by each run that has the document's context,
 * and by the sidebar from the backend's last daily run, for a run without that context) or
 * when the owner opens the sidebar and their trigger is gone; then anyone's "Activer" takes it
 * over with a trigger of their own. Should the old owner's trigger run again, it finds another
 * trigger id in the record, removes itself and generates nothing: never two daily triggers.
 *
 * A failed run (the backend unreachable, refusing or answering an error, no spreadsheet
 * recorded) writes a line in Historique when the run has the spreadsheet's context (the
 * spreadsheets.currentonly scope opens no other), records DAILY_FAILURE = {at, message} in the
 * document's properties for the sidebar's red banner (whoever opens it next), and rethrows, so
 * that Google's failure e-mail reaches the trigger's owner. A later daily run or generation
 * that starts clears it.
 */

var DAILY_HANDLER = 'dailyGenerate';
var DAILY_HOUR = 6;
var DAILY_LOCK_WAIT_MS = 60000;
var DAILY_RECORD_PREFIX = 'DAILY_TRIGGER_';
var DAILY_OWNER_PROPERTY = 'DAILY_TRIGGER';
var DAILY_FAILURE_PROPERTY = 'DAILY_FAILURE';
var STALE_AFTER_MS = 49 * 3600 * 1000;   // two daily runs missed, and the hour Apps Script picks
var HISTORY_TAB = 'Historique';
var HISTORY_HEADER = ['Date', 'Déclencheur', 'Action', 'Résultat'];
var HISTORY_ACTION = 'Génération des écritures';
var DATE_TIME_FORMAT = 'dd/mm/yyyy hh:mm';   // the sheet's number format of a date and time

function installDailyTrigger() {
  return withLock_(function () {
    var record = dailyRecord_();
    var me = currentEmail_();
    if (record && record.owner !== me && !dailyStale_(record)) return dailyTriggerState_();
    var mine = dailyTriggers_();
    var trigger = mine[0];
    if (!trigger) {
      trigger = ScriptApp.newTrigger(DAILY_HANDLER).timeBased().atHour(DAILY_HOUR).everyDays(1).create();
      PropertiesService.getUserProperties()
        .setProperty(DAILY_RECORD_PREFIX + trigger.getUniqueId(), SpreadsheetApp.getActive().getId());
    }
    if (!record || record.id !== trigger.getUniqueId()) {
      writeDailyRecord_({ owner: me, id: trigger.getUniqueId(), hour: DAILY_HOUR, since: new Date().toISOString() });
    }
    return dailyTriggerState_();
  });
}

function removeDailyTrigger() {
  return withLock_(function () {
    var record = dailyRecord_();
    var me = currentEmail_();
    if (record && record.owner !== me && !dailyStale_(record)) {
      return {
        error: 'Seul(e) ' + record.owner + ' peut désactiver la génération quotidienne : '
          + 'Google ne laisse supprimer un déclencheur qu\'à la personne qui l\'a activé.'
      };
    }
    var records = PropertiesService.getUserProperties();
    dailyTriggers_().forEach(function (trigger) {
      ScriptApp.deleteTrigger(trigger);
      records.deleteProperty(DAILY_RECORD_PREFIX + trigger.getUniqueId());
    });
    var properties = PropertiesService.getDocumentProperties();
    if (properties) properties.deleteProperty(DAILY_OWNER_PROPERTY);
    return dailyTriggerState_();
  });
}

/**
 * The trigger's handler. Throws when the generation could not be started (after writing the
 * failure where the sheet's users see it), so that the run shows as failed and Google e-mails
 * the trigger's owner.
 * @param {GoogleAppsScript.Events.TimeDriven} [e]
 */
function dailyGenerate(e) {
  var spreadsheetId = dailySpreadsheet_(e);
  if (!spreadsheetId) {
    var lost = 'Déclencheur sans feuille : désactivez puis réactivez la génération quotidienne.';
    console.error('daily generation not started: trigger ' + (e && e.triggerUid) + ' is recorded for no spreadsheet');
    throw new Error('Génération quotidienne non lancée : ' + lost);
  }
  var here = dailyDocument_(spreadsheetId);
  var record = here ? dailyRecord_() : null;
  if (record && e && e.triggerUid && record.id !== e.triggerUid) {
    // Taken over by someone else (see the file's comment): this trigger is no longer the one.
    removeOwnTrigger_(e.triggerUid);
    console.log('daily trigger ' + e.triggerUid + ' superseded by ' + record.owner + '\'s: removed');
    return { superseded: true };
  }
  // Nobody waits on the trigger: it may wait for someone's click to be sent rather than
  // count a busy lock as a failed day.
  var answer = withLock_(function () {
    return callBackend_('post', '/actions/generate', { trigger: 'daily' }, spreadsheetId);
  }, DAILY_LOCK_WAIT_MS);
  // Seen running: the record stays fresh (only the recorded trigger's own runs count).
  if (record && e && e.triggerUid === record.id) writeDailyRecord_(merge_(record, { last: new Date().toISOString() }));
  if (answer.error) {
    console.error('daily generation not started: ' + answer.error);
    recordDailyFailure_(here, answer.error);
    throw new Error('Génération quotidienne non lancée : ' + answer.error);
  }
  if (here) clearDailyFailure_();   // else the active document is another spreadsheet, or none
  console.log('daily generation: job ' + answer.job.id + (answer.started ? ' started' : ' already running'));
  return answer;
}

/**
 * The spreadsheet a daily trigger generates: the one recorded for it, else the document it
 * runs in (a bound script's trigger from before the record existed).
 * @param {GoogleAppsScript.Events.TimeDriven} [e]
 * @return {string | null}
 */
function dailySpreadsheet_(e) {
  var recorded = e && e.triggerUid
    ? PropertiesService.getUserProperties().getProperty(DAILY_RECORD_PREFIX + e.triggerUid) : null;
  if (recorded) return recorded;
  var active = SpreadsheetApp.getActive();
  return active ? active.getId() : null;
}

/**
 * The active spreadsheet when the run is in `spreadsheetId`'s context, else null (its document
 * properties and tabs are then out of reach).
 * @param {string} spreadsheetId
 * @return {GoogleAppsScript.Spreadsheet.Spreadsheet | null}
 */
function dailyDocument_(spreadsheetId) {
  var active = SpreadsheetApp.getActive();
  return active && active.getId() === spreadsheetId ? active : null;
}

/**
 * What the sidebar shows: whether the spreadsheet's daily generation runs, who installed it,
 * whether this user may remove it.
 */
function dailyTriggerState_() {
  var record = dailyRecord_();
  var me = currentEmail_();
  var mine = dailyTriggers_();
  var recordedId = record ? record.id : '';
  if (record && record.owner === me && !mine.some(function (t) { return t.getUniqueId() === recordedId; })) {
    // The owner's trigger is gone (deleted from the script editor, or disabled by Google): the
    // record is stale, anyone may activate the generation again.
    PropertiesService.getDocumentProperties().deleteProperty(DAILY_OWNER_PROPERTY);
    record = null;
  }
  if (!record && mine.length) {
    // A trigger from before the record (each person could install one): the first to open the
    // sidebar records theirs; the others' find another id in the record at their next run and
    // remove themselves.
    record = { owner: me, id: mine[0].getUniqueId(), hour: DAILY_HOUR, since: new Date().toISOString() };
    writeDailyRecord_(record);
  }
  if (record && !dailyStale_(record)) {
    return {
      installed: true,
      hour: record.hour || DAILY_HOUR,
      owner: record.owner,
      mine: record.owner === me,
      text: 'Activée par ' + (record.owner === me ? 'vous' : record.owner) + ' : chaque jour vers '
        + (record.hour || DAILY_HOUR) + ' h.'
    };
  }
  return {
    installed: false,
    hour: DAILY_HOUR,
    text: record
      ? 'Désactivée : celle de ' + record.owner + ' ne tourne plus depuis deux jours ; activez-la pour la reprendre.'
      : 'Désactivée.'
  };
}

/**
 * This user's daily triggers for the active spreadsheet.
 * @return {GoogleAppsScript.Script.Trigger[]}
 */
function dailyTriggers_() {
  var spreadsheet = SpreadsheetApp.getActive();
  var here = spreadsheet.getId();
  var records = PropertiesService.getUserProperties();
  var recordedHere = ScriptApp.getProjectTriggers().filter(function (trigger) {
    return records.getProperty(DAILY_RECORD_PREFIX + trigger.getUniqueId()) === here;
  });
  /** @type {Object<string, boolean>} */
  var seen = {};
  return ScriptApp.getUserTriggers(spreadsheet).concat(recordedHere).filter(function (trigger) {
    var id = trigger.getUniqueId();
    if (trigger.getHandlerFunction() !== DAILY_HANDLER || seen[id]) return false;
    seen[id] = true;
    return true;
  });
}

/** @param {string} triggerId this user's trigger to remove, with its record */
function removeOwnTrigger_(triggerId) {
  ScriptApp.getProjectTriggers().forEach(function (trigger) {
    if (trigger.getUniqueId() === triggerId) ScriptApp.deleteTrigger(trigger);
  });
  PropertiesService.getUserProperties().deleteProperty(DAILY_RECORD_PREFIX + triggerId);
}

/**
 * The spreadsheet's daily trigger record, or null (none, or no document context).
 * @return {{owner: string, id: string, hour: number, since: string, last?: string} | null}
 */
function dailyRecord_() {
  var properties = PropertiesService.getDocumentProperties();
  var record = properties ? parseJson_(properties.getProperty(DAILY_OWNER_PROPERTY) || '') : null;
  return record && typeof record === 'object' && record.owner && record.id ? record : null;
}

/** @param {Object<string, *>} record */
function writeDailyRecord_(record) {
  var properties = PropertiesService.getDocumentProperties();
  if (properties) properties.setProperty(DAILY_OWNER_PROPERTY, JSON.stringify(record));
}

/**
 * The backend's word that the recorded trigger ran (/status `last_daily`: when the latest
 * scheduled generation reached it, and whose trigger, as backend/web/actions.py's
 * trigger_label writes it): keeps the record fresh when the trigger's own runs cannot (an
 * add-on's trigger may run without the document's context, where its properties are null).
 * @param {{at: string, trigger: string} | null | undefined} lastDaily
 */
function noteDailyRun_(lastDaily) {
  var record = dailyRecord_();
  if (!record || !lastDaily || lastDaily.trigger !== 'déclencheur quotidien (' + record.owner + ')') return;
  var ran = Date.parse(lastDaily.at);
  var seen = Date.parse(record.last || record.since || '');
  if (!isNaN(ran) && (isNaN(seen) || ran > seen)) writeDailyRecord_(merge_(record, { last: lastDaily.at }));
}

/** Not seen running for two days since it was installed or last ran. */
function dailyStale_(record) {
  var seen = Date.parse(record.last || record.since || '');
  return !isNaN(seen) && Date.now() - seen > STALE_AFTER_MS;
}

/**
 * The email of the person running the script, from their Google ID token (no other scope).
 * @return {string}
 */
function currentEmail_() {
  var token = ScriptApp.getIdentityToken();
  if (!token) return '';
  var payload = parseJson_(Utilities.newBlob(Utilities.base64DecodeWebSafe(token.split('.')[1])).getDataAsString());
  return payload && typeof payload.email === 'string' ? payload.email : '';
}

/**
 * Writes the failure where the sheet's users see it: a line in Historique and the document's
 * DAILY_FAILURE (the sidebar's banner), when the run has the spreadsheet's context.
 * @param {GoogleAppsScript.Spreadsheet.Spreadsheet | null} spreadsheet
 * @param {string} message in French
 */
function recordDailyFailure_(spreadsheet, message) {
  if (!spreadsheet) return;
  var now = new Date();
  try {
    appendHistory_(spreadsheet, now, 'déclencheur quotidien (' + currentEmail_() + ')', 'Échec : ' + message);
  } catch (error) {
    console.error('daily failure not written in ' + HISTORY_TAB + ': ' + error);
  }
  var properties = PropertiesService.getDocumentProperties();
  if (properties) properties.setProperty(DAILY_FAILURE_PROPERTY, JSON.stringify({ at: now.toISOString(), message: message }));
}

/** A daily run or a generation started: the banner goes. */
function clearDailyFailure_() {
  var properties = PropertiesService.getDocumentProperties();
  if (properties) properties.deleteProperty(DAILY_FAILURE_PROPERTY);
}

/**
 * The recorded failure for the sidebar, its time in the spreadsheet's zone, or null.
 * @return {{when: string, message: string} | null}
 */
function dailyFailure_() {
  var properties = PropertiesService.getDocumentProperties();
  var failure = properties ? parseJson_(properties.getProperty(DAILY_FAILURE_PROPERTY) || '') : null;
  if (!failure || typeof failure !== 'object' || !failure.at) return null;
  var zone = SpreadsheetApp.getActive().getSpreadsheetTimeZone();
  return {
    when: Utilities.formatDate(new Date(failure.at), zone, 'dd/MM/yyyy \'à\' HH:mm'),
    message: String(failure.message || '')
  };
}

/**
 * One line in Historique as the backend writes it (backend/spreadsheet.py HISTORY_HEADER): the
 * time as a date and time of the sheet (shown in its zone), then texts, each quoted so that
 * Sheets never reads one as a formula or a number. The tab is created when missing.
 * @param {GoogleAppsScript.Spreadsheet.Spreadsheet} spreadsheet
 * @param {Date} at
 * @param {string} trigger
 * @param {string} result
 */
function appendHistory_(spreadsheet, at, trigger, result) {
  var sheet = spreadsheet.getSheetByName(HISTORY_TAB);
  if (!sheet) {
    sheet = spreadsheet.insertSheet(HISTORY_TAB);
    sheet.appendRow(HISTORY_HEADER);
  }
  sheet.appendRow([at, '\'' + trigger, '\'' + HISTORY_ACTION, '\'' + result]);
  sheet.getRange(sheet.getLastRow(), 1).setNumberFormat(DATE_TIME_FORMAT);
}

/**
 * @param {Object<string, *>} a
 * @param {Object<string, *>} b
 * @return {Object<string, *>}
 */
function merge_(a, b) {
  /** @type {Object<string, *>} */
  var out = {};
  for (var key in a) out[key] = a[key];
  for (var other in b) out[other] = b[other];
  return out;
}
