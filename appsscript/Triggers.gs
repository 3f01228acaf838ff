/**
 * The daily generation: a time-driven trigger (about 6 a.m. in the script's time zone)
 * that asks the backend to generate the day's entries, with the ID token of the person who
 * installed it. Installing twice keeps one trigger.
 */

var DAILY_HANDLER = 'dailyGenerate';
var DAILY_HOUR = 6;

function installDailyTrigger() {
  return withLock_(function () {
    if (dailyTriggers_().length === 0) {
      ScriptApp.newTrigger(DAILY_HANDLER).timeBased().atHour(DAILY_HOUR).everyDays(1).create();
    }
    return dailyTriggerState_();
  });
}

function removeDailyTrigger() {
  return withLock_(function () {
    dailyTriggers_().forEach(function (trigger) {
      ScriptApp.deleteTrigger(trigger);
    });
    return dailyTriggerState_();
  });
}

/** The trigger's handler. */
function dailyGenerate() {
  var answer = withLock_(function () {
    return callBackend_('post', '/actions/generate', { trigger: 'daily' });
  });
  if (answer.error) {
    console.error('daily generation not started: ' + answer.error);
  } else {
    console.log('daily generation: job ' + answer.job.id + (answer.started ? ' started' : ' already running'));
  }
  return answer;
}

function dailyTriggerState_() {
  var installed = dailyTriggers_().length > 0;
  return {
    installed: installed,
    hour: DAILY_HOUR,
    text: installed ? 'Activée : chaque jour vers ' + DAILY_HOUR + ' h.' : 'Désactivée.'
  };
}

function dailyTriggers_() {
  return ScriptApp.getProjectTriggers().filter(function (trigger) {
    return trigger.getHandlerFunction() === DAILY_HANDLER;
  });
}
