/**
 * The daily generation: a time-driven trigger (about 6 a.m. in the script's time zone; Apps
 * Script picks a minute within the hour) that asks the backend to generate the day's entries,
 * with the ID token of the person who installed it. Installing twice keeps one trigger.
 *
 * A trigger belongs to one person (it runs as them, and only they see it: getProjectTriggers()
 * lists the current user's triggers of this project) and, here, to one spreadsheet: with the
 * add-on the same person may use it on several companies' sheets, and an add-on may have one
 * time-driven trigger per user per document, at most hourly. So the spreadsheet's triggers are
 * this user's in this spreadsheet (ScriptApp.getUserTriggers) plus those recorded for it: each
 * trigger we create is recorded in the user's properties, trigger id -> spreadsheet id, which
 * also tells the handler which spreadsheet to generate, whatever document context it runs in.
 */

var DAILY_HANDLER = 'dailyGenerate';
var DAILY_HOUR = 6;
var DAILY_RECORD_PREFIX = 'DAILY_TRIGGER_';

function installDailyTrigger() {
  return withLock_(function () {
    if (dailyTriggers_().length === 0) {
      var trigger = ScriptApp.newTrigger(DAILY_HANDLER).timeBased().atHour(DAILY_HOUR).everyDays(1).create();
      PropertiesService.getUserProperties()
        .setProperty(DAILY_RECORD_PREFIX + trigger.getUniqueId(), SpreadsheetApp.getActive().getId());
    }
    return dailyTriggerState_();
  });
}

function removeDailyTrigger() {
  return withLock_(function () {
    var records = PropertiesService.getUserProperties();
    dailyTriggers_().forEach(function (trigger) {
      ScriptApp.deleteTrigger(trigger);
      records.deleteProperty(DAILY_RECORD_PREFIX + trigger.getUniqueId());
    });
    return dailyTriggerState_();
  });
}

/**
 * The trigger's handler.
 * @param {GoogleAppsScript.Events.TimeDriven} [e]
 */
function dailyGenerate(e) {
  var spreadsheetId = dailySpreadsheet_(e);
  if (!spreadsheetId) {
    console.error('daily generation not started: trigger ' + (e && e.triggerUid) + ' is recorded for no spreadsheet');
    return { error: 'Déclencheur sans feuille : désactivez puis réactivez la génération quotidienne.' };
  }
  var answer = withLock_(function () {
    return callBackend_('post', '/actions/generate', { trigger: 'daily' }, spreadsheetId);
  });
  if (answer.error) {
    console.error('daily generation not started: ' + answer.error);
  } else {
    console.log('daily generation: job ' + answer.job.id + (answer.started ? ' started' : ' already running'));
  }
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

function dailyTriggerState_() {
  var installed = dailyTriggers_().length > 0;
  return {
    installed: installed,
    hour: DAILY_HOUR,
    text: installed ? 'Activée : chaque jour vers ' + DAILY_HOUR + ' h.' : 'Désactivée.'
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
