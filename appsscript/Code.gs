/**
 * Comptabilité: the menu, the sidebar and one small server function per action. Each action is
 * started by the backend as a background job; the sidebar follows its progress (getJob) and
 * shows the result. Calls to the backend are in Backend.gs, the daily trigger in Triggers.gs.
 *
 * The same files run as the script bound to one spreadsheet and as an Editor add-on installed
 * on many: the menu is the add-on menu (Extensions > Comptabilité) in both, what belongs to
 * one spreadsheet lives in its document properties, and nothing assumes a single document.
 *
 * Every server function returns a plain object: the backend's answer, or {error: "..."}
 * with a French message for the accountant. None of them ever returns the ID token.
 */

var MENU_TITLE = 'Comptabilité';
var ANOMALIES_TAB = 'Anomalies';
var LOCK_WAIT_MS = 5000;

/**
 * The menu, when the spreadsheet opens (a simple trigger: its event says what it may touch).
 * AuthMode.NONE: the add-on is installed for this person but not yet used in this spreadsheet;
 * nothing needing authorization may run (no properties, no backend, no trigger), so the menu
 * has one item, whose click makes Google ask for the authorization, then opens the sidebar.
 * LIMITED (a bound script, or the add-on already used here) and FULL (onInstall): the whole
 * menu, still without calling anything: opening a sheet must stay instant and silent.
 * @param {GoogleAppsScript.Events.SheetsOnOpen | GoogleAppsScript.Events.AddonOnInstall} [e]
 */
function onOpen(e) {
  var menu = SpreadsheetApp.getUi().createAddonMenu();
  if (e && e.authMode === ScriptApp.AuthMode.NONE) {
    menu.addItem('Ouvrir le panneau', 'showSidebar');
  } else {
    menu.addItem('Ouvrir le panneau', 'showSidebar')
      .addSeparator()
      .addItem('Générer les écritures', 'menuGenerate')
      .addItem('Contrôler l\'équilibre', 'menuValidate')
      .addItem('Supprimer les doublons', 'menuDedupe')
      .addItem('Vérifier la configuration', 'menuCheck');
  }
  menu.addToUi();
}

/**
 * The add-on was just installed from this spreadsheet (AuthMode.FULL): the document's onOpen
 * has already run without the add-on, so build the menu now.
 * @param {GoogleAppsScript.Events.AddonOnInstall} e
 */
function onInstall(e) {
  onOpen(e);
}

/** The sidebar: Sidebar.html with its CSS and JS included (the Apps Script include pattern). */
function showSidebar() {
  var page = HtmlService.createTemplateFromFile('Sidebar').evaluate().setTitle(MENU_TITLE);
  SpreadsheetApp.getUi().showSidebar(page);
}

/** Used by Sidebar.html: `<?!= include('Sidebar.css'); ?>`. */
function include(name) {
  return HtmlService.createHtmlOutputFromFile(name).getContent();
}

// --- One server function per action (called by the sidebar through google.script.run) ---

function startSyncProducts() { return startAction_('sync_products'); }
function startSyncCustomers() { return startAction_('sync_customers'); }
function startGenerate() { return startAction_('generate'); }
function startDedupe() { return startAction_('dedupe'); }
function startValidate() { return startAction_('validate'); }
function startExport(month) { return startAction_('export', { month: month || '' }); }
function startExportFecYear(year) { return startAction_('export_fec_year', { year: year || '' }); }
function startCheck() { return startAction_('check'); }

// The menu starts an action and opens the sidebar, which picks the running job up.
function menuGenerate() { startFromMenu_(startGenerate); }
function menuValidate() { startFromMenu_(startValidate); }
function menuDedupe() { startFromMenu_(startDedupe); }
function menuCheck() { startFromMenu_(startCheck); }

/** A job's progress and result. */
function getJob(jobId) {
  return callBackend_('get', '/jobs/' + encodeURIComponent(String(jobId)));
}

/**
 * The company's status (running job, last run, anomalies), the daily trigger's state and the
 * last daily run's failure, if any (read from the document, so it is there when the backend
 * is down too: then `error` says so beside it).
 */
function getStatus() {
  var status = callBackend_('get', '/status');
  noteDailyRun_(status.last_daily);
  status.daily = dailyTriggerState_();
  // The trigger's own failure (recorded in the document), else the daily job's in the backend.
  status.daily_failure = dailyFailure_() || status.daily_failure || null;
  return status;
}

/** A file an export made, for the sidebar to save: {name, mimeType, base64}. */
function downloadExport(jobId, name) {
  var path = '/jobs/' + encodeURIComponent(String(jobId)) + '/files/' + encodeURIComponent(String(name));
  var answer = fetchBackend_('get', path, {});
  if (!answer.response) return answer;
  var headers = answer.response.getHeaders();
  return {
    name: String(name),
    mimeType: headers['Content-Type'] || headers['content-type'] || 'text/plain',
    base64: Utilities.base64Encode(answer.response.getContent())
  };
}

/** Shows the Anomalies tab (the sidebar's link to it). */
function openAnomalies() {
  var sheet = SpreadsheetApp.getActive().getSheetByName(ANOMALIES_TAB);
  if (!sheet) {
    return { error: 'L\'onglet Anomalies n\'existe pas encore : lancez d\'abord une génération.' };
  }
  sheet.activate();
  return { ok: true };
}

// --- Helpers ---------------------------------------------------------------------------

/**
 * Starts an action under the document's lock, so that two clicks (or two people) starting at
 * the same moment make one call at a time; the backend then answers the running job to the
 * second one instead of starting another.
 */
function startAction_(action, params) {
  return withLock_(function () {
    var answer = callBackend_('post', '/actions/' + action, { params: params || {} });
    if (action === 'generate' && !answer.error) clearDailyFailure_();   // the day's entries come now
    return answer;
  });
}

function startFromMenu_(start) {
  var answer = start();
  if (answer.error) {
    SpreadsheetApp.getActive().toast(answer.error, MENU_TITLE, 10);
  }
  showSidebar();
}

/**
 * Runs work under the spreadsheet's lock. Outside a document (LockService.getDocumentLock() is
 * then null: the add-on's time-driven trigger may run so) the user's lock stands in: the
 * script lock would be one lock for every company of the add-on, and the backend answers the
 * running job to a second start anyway.
 * @template T
 * @param {function(): T} work
 * @param {number} [waitMs] how long to wait for the lock (LOCK_WAIT_MS by default)
 * @return {T | {error: string, busy: boolean}}
 */
function withLock_(work, waitMs) {
  var lock = LockService.getDocumentLock() || LockService.getUserLock();
  if (!lock.tryLock(waitMs || LOCK_WAIT_MS)) {
    return { error: 'Une autre action est en cours de lancement dans cette feuille ; réessayez dans un instant.', busy: true };
  }
  try {
    return work();
  } finally {
    lock.releaseLock();
  }
}
