/*
 * The Apps Script services Code.gs uses, the browser way, for the local preview. Code.gs runs
 * here unchanged; server functions are called by name from the sidebar (standin.js).
 *
 * UrlFetchApp: synchronous XMLHttpRequest (allowed in a worker), to this backend.
 * ScriptApp.getIdentityToken(): a token minted by the preview's local issuer (/preview/token).
 * PropertiesService: BACKEND_URL is this server; document and user properties are kept in the
 * page's localStorage (one user, one spreadsheet: they outlive a reload, as the real ones
 * outlive a session). SpreadsheetApp: the spreadsheet's tabs are the Sheets sandbox's (read
 * through /preview/sheet, rows appended through /preview/sheet/append), its time zone the
 * company's (/preview/spreadsheet). LockService: the worker runs one call at a time, so a lock is always free. Triggers
 * are kept in the page's localStorage: one user, one spreadsheet, so getUserTriggers and
 * getProjectTriggers list the same. The builders have the real ones' methods only
 * (ScriptApp.newTrigger(...).timeBased().atHour(...)...), as tests/appsscript/fakes.js.
 */
var preview = { origin: '', config: null, triggers: [], token: null, tokenUntil: 0,
                documentProperties: {}, userProperties: {} };

function request_(method, url, headers, body) {
  var xhr = new XMLHttpRequest();
  xhr.open(method.toUpperCase(), url, false);
  xhr.responseType = 'arraybuffer';
  for (var name in headers || {}) xhr.setRequestHeader(name, headers[name]);
  xhr.send(body === undefined ? null : body);
  return xhr;
}

function text_(xhr) {
  return new TextDecoder('utf-8').decode(new Uint8Array(xhr.response || new ArrayBuffer(0)));
}

function previewConfig_() {
  if (!preview.config) preview.config = JSON.parse(text_(request_('get', preview.origin + '/preview/config')));
  return preview.config;
}

function ui_(message) {
  message.type = 'ui';
  postMessage(message);
}

// --- Apps Script services ---------------------------------------------------------------

var UrlFetchApp = {
  fetch: function (url, options) {
    options = options || {};
    var headers = {};
    for (var name in options.headers || {}) headers[name] = options.headers[name];
    if (options.contentType) headers['Content-Type'] = options.contentType;
    var xhr = request_(options.method || 'get', url, headers, options.payload);
    if (xhr.status >= 400 && !options.muteHttpExceptions) {
      throw new Error('Request failed for ' + url + ' returned code ' + xhr.status);
    }
    return {
      getResponseCode: function () { return xhr.status; },
      getContentText: function () { return text_(xhr); },
      getContent: function () {
        return Array.prototype.map.call(new Uint8Array(xhr.response), function (b) { return b > 127 ? b - 256 : b; });
      },
      getHeaders: function () {
        var headers = {};
        xhr.getAllResponseHeaders().trim().split(/\r?\n/).forEach(function (line) {
          var at = line.indexOf(':');
          if (at > 0) {
            var key = line.slice(0, at).trim().toLowerCase().replace(/(^|-)([a-z])/g, function (m, dash, c) { return dash + c.toUpperCase(); });
            headers[key] = line.slice(at + 1).trim();
          }
        });
        return headers;
      }
    };
  }
};

function Trigger_(handler, id) {
  this.handler = handler;
  this.id = id;
}
Trigger_.prototype.getHandlerFunction = function () { return this.handler; };
Trigger_.prototype.getUniqueId = function () { return this.id; };

function saveTriggers_() {
  postMessage({ type: 'triggers', triggers: preview.triggers.map(function (t) { return { handler: t.handler, id: t.id }; }) });
}

var ScriptApp = {
  getIdentityToken: function () {
    if (!preview.token || Date.now() > preview.tokenUntil) {
      preview.token = JSON.parse(text_(request_('post', preview.origin + '/preview/token'))).token;
      preview.tokenUntil = Date.now() + 30 * 60 * 1000;
    }
    return preview.token;
  },
  getProjectTriggers: function () { return preview.triggers.slice(); },
  getUserTriggers: function () { return preview.triggers.slice(); },
  newTrigger: function (handler) {
    var clock = {
      atHour: function () { return clock; },
      everyDays: function () { return clock; },
      everyHours: function () { return clock; },
      nearMinute: function () { return clock; },
      inTimezone: function () { return clock; },
      create: function () {
        var trigger = new Trigger_(handler, String(Date.now()) + Math.random().toString(16).slice(2));
        preview.triggers.push(trigger);
        saveTriggers_();
        return trigger;
      }
    };
    return { timeBased: function () { return clock; } };
  },
  deleteTrigger: function (trigger) {
    preview.triggers = preview.triggers.filter(function (t) { return t.id !== trigger.getUniqueId(); });
    saveTriggers_();
  }
};

var lock_ = { tryLock: function () { return true; }, waitLock: function () {}, releaseLock: function () {}, hasLock: function () { return true; } };
var LockService = {
  getDocumentLock: function () { return lock_; },
  getScriptLock: function () { return lock_; },
  getUserLock: function () { return lock_; }
};

function store_(values) {
  return {
    getProperty: function (key) { return key in values ? values[key] : null; },
    setProperty: function (key, value) { values[key] = String(value); return this; },
    deleteProperty: function (key) { delete values[key]; return this; },
    getProperties: function () { return Object.assign({}, values); }
  };
}

function saveProperties_() {
  postMessage({ type: 'properties', document: preview.documentProperties, user: preview.userProperties });
}

// A store whose changes are saved in the page (saveProperties_), for the next opening.
function savedStore_(values) {
  var inner = store_(values);
  return {
    getProperty: inner.getProperty,
    setProperty: function (key, value) { inner.setProperty(key, value); saveProperties_(); return this; },
    deleteProperty: function (key) { inner.deleteProperty(key); saveProperties_(); return this; },
    getProperties: inner.getProperties
  };
}

var PropertiesService = {
  getScriptProperties: function () {
    var values = { BACKEND_URL: preview.origin };
    if (previewConfig_().company) values.BACKEND_COMPANY = previewConfig_().company;
    return store_(values);
  },
  getDocumentProperties: function () { return savedStore_(preview.documentProperties); },
  getUserProperties: function () { return savedStore_(preview.userProperties); }
};

function append_(tab, row) {
  var xhr = request_('post', preview.origin + '/preview/sheet/append', { 'Content-Type': 'application/json' },
    JSON.stringify({ tab: tab, row: row }));
  if (xhr.status !== 200) throw new Error('Exception: Service Spreadsheets failed while accessing document ' + previewConfig_().spreadsheet_id + '.');
}

// A tab of the sandbox's spreadsheet: what Code.gs does with a Sheet. appendRow takes a row
// as Sheets does (a Date is a date and time; "'" before a text keeps it text).
function sheet_(name) {
  var rows = -1;
  var sheet = {
    getName: function () { return name; },
    activate: function () { ui_({ what: 'activate', tab: name }); return sheet; },
    appendRow: function (values) {
      append_(name, values.map(function (v) { return v instanceof Date ? { at: v.toISOString() } : v; }));
      rows = -1;
      return sheet;
    },
    getLastRow: function () {
      if (rows < 0) {
        var tabs = JSON.parse(text_(request_('get', preview.origin + '/preview/sheet'))).tabs;
        var tab = tabs.filter(function (t) { return t.title === name; })[0];
        rows = tab && tab.rows[0] && tab.rows[0].length ? tab.count + 1 : 0;
      }
      return rows;
    },
    getRange: function () {
      // The number formats of the sandbox's tabs are set by the backend; here, nothing to do.
      var range = { setNumberFormat: function () { return range; } };
      return range;
    }
  };
  return sheet;
}

var SpreadsheetApp = {
  getActive: function () {
    return {
      getId: function () { return previewConfig_().spreadsheet_id; },
      getSpreadsheetTimeZone: function () {
        return JSON.parse(text_(request_('get', preview.origin + '/preview/spreadsheet'))).time_zone;
      },
      getSheetByName: function (name) {
        var tabs = JSON.parse(text_(request_('get', preview.origin + '/preview/sheet'))).tabs;
        var found = tabs.some(function (tab) { return tab.title === name; });
        return found ? sheet_(name) : null;
      },
      insertSheet: function (name) {
        append_(name, null);
        return sheet_(name);
      },
      toast: function (message, title) { ui_({ what: 'toast', message: message, title: title }); }
    };
  },
  getUi: function () {
    return { showSidebar: function () { ui_({ what: 'sidebar' }); } };
  }
};
SpreadsheetApp.getActiveSpreadsheet = SpreadsheetApp.getActive;

var Utilities = {
  // SimpleDateFormat's letters the script uses (dd MM yyyy HH mm ss, 'quoted' literals).
  formatDate: function (date, zone, pattern) {
    var parts = {};
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    var letters = { dd: parts.day, MM: parts.month, yyyy: parts.year, HH: parts.hour, mm: parts.minute, ss: parts.second };
    return pattern.replace(/'([^']*)'|yyyy|dd|MM|HH|mm|ss/g, function (match, literal) {
      return literal !== undefined ? literal : letters[match];
    });
  },
  base64Encode: function (bytes) {
    var text = '';
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i] & 255);
    return btoa(text);
  },
  base64DecodeWebSafe: function (text) {
    var plain = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
    return Array.prototype.map.call(plain, function (c) { return c.charCodeAt(0); });
  },
  newBlob: function (bytes) {
    return { getDataAsString: function () { return new TextDecoder('utf-8').decode(new Uint8Array(bytes)); } };
  }
};

// --- calls from the sidebar ---------------------------------------------------------------

onmessage = function (event) {
  var message = event.data;
  if (message.type === 'init') {
    preview.origin = message.origin;
    preview.triggers = (message.triggers || []).map(function (t) { return new Trigger_(t.handler, t.id); });
    preview.documentProperties = (message.properties && message.properties.document) || {};
    preview.userProperties = (message.properties && message.properties.user) || {};
    importScripts(preview.origin + '/preview/appsscript.js');
    return;
  }
  if (message.type !== 'call') return;
  try {
    var fn = self[message.name];
    if (typeof fn !== 'function' || /_$/.test(message.name)) {
      throw new Error('Script function not found: ' + message.name);
    }
    var value = fn.apply(null, message.args);
    postMessage({ type: 'result', id: message.id, ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) });
  } catch (e) {
    postMessage({ type: 'result', id: message.id, ok: false, error: String(e && e.message || e) });
  }
};
