'use strict';
// Fakes of the Apps Script services the .gs files use, recording what the code does with them.
// `makeServices()` returns {globals, state}: globals go into the vm context the .gs files run
// in; state is what the tests script (answers, lock, token, user, document) and read back.
//
// Honest fakes: each offers only the methods the real class has (as @types/google-apps-script
// lists them; calling another one is a TypeError "... is not a function", as in Apps Script)
// and behaves as Google's reference documents it where the code depends on it:
// - ScriptApp.newTrigger() returns a TriggerBuilder (forSpreadsheet, timeBased, ...), whose
//   timeBased() returns a ClockTriggerBuilder (atHour, everyDays, nearMinute, inTimezone,
//   create, ...); a clock trigger needs a schedule; in an add-on, at most hourly and one
//   time-driven trigger per user per document.
// - Triggers belong to the user who made them: getProjectTriggers() lists the current user's
//   triggers of the project, getUserTriggers(spreadsheet) the current user's in that
//   spreadsheet; several users can be modelled (state.user).
// - Outside a containing document (state.document = null: a standalone run, or a trigger with
//   no document context) SpreadsheetApp.getActive(), LockService.getDocumentLock() and
//   PropertiesService.getDocumentProperties() return null.
// - state.authMode: NONE (an add-on's onOpen in a document where it is not used yet) allows no
//   service that needs authorization (properties, UrlFetchApp, the identity token, triggers);
//   LIMITED (a bound script's onOpen, a simple trigger) not UrlFetchApp, the token, triggers.

const fs = require('node:fs');
const path = require('node:path');

const APPSSCRIPT = path.resolve(__dirname, '..', '..', 'appsscript');
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.' +
  Buffer.from(JSON.stringify({ aud: 'client-id.apps.googleusercontent.com', email: 'comptable@example.fr' }))
    .toString('base64url') + '.c2lnbmF0dXJl';

// Apps Script enums are objects (compared by identity), not strings.
function makeEnum(name, values) {
  const result = {};
  for (const value of values) {
    result[value] = Object.freeze({ name: value, toString: () => value, toJSON: () => value, enum: name });
  }
  return Object.freeze(result);
}
const AuthMode = makeEnum('AuthMode', ['NONE', 'CUSTOM_FUNCTION', 'LIMITED', 'FULL']);
const EventType = makeEnum('EventType', ['CLOCK', 'ON_OPEN', 'ON_EDIT', 'ON_FORM_SUBMIT', 'ON_CHANGE', 'ON_EVENT_UPDATED']);
const TriggerSource = makeEnum('TriggerSource', ['SPREADSHEETS', 'CLOCK', 'FORMS', 'DOCUMENTS', 'CALENDAR']);

function makeServices(overrides = {}) {
  const state = {
    properties: { BACKEND_URL: 'https://backend.example.test' },  // script properties
    documentProperties: {},       // spreadsheet id -> {key: value}
    userProperties: {},           // email -> {key: value}
    token: TOKEN,
    user: 'comptable@example.fr',
    spreadsheetId: 'sheet-123',
    document: 'sheet-123',        // the containing document of the run; null: none
    addon: false,                 // running as an Editor add-on (its trigger limits apply)
    authMode: 'FULL',
    tabs: ['Écritures', 'Anomalies', 'Paramètres', 'Historique'],
    rows: {},                     // tab -> the cells appended by the script (see setCell)
    formats: {},                  // 'tab!row:column' -> the number format the script set
    timeZone: 'Europe/Paris',     // the spreadsheet's (File > Settings), not the script's
    activated: [],
    toasts: [],
    menus: [],
    sidebars: [],
    triggers: [],                 // every user's: {id, owner, document, handler, spec, ...}
    fetches: [],
    logs: [],
    denied: [],                   // calls refused for the authorization mode
    lock: { free: true, tries: 0, releases: 0, waits: [] },       // the document's
    userLock: { free: true, tries: 0, releases: 0, waits: [] },
    scriptLock: { free: true, tries: 0, releases: 0, waits: [] },
    // (url, options) -> {status, body (string or Buffer), headers} or throws
    respond: () => ({ status: 200, body: '{}' }),
    ...overrides
  };
  if (!('document' in overrides) && 'spreadsheetId' in overrides) state.document = overrides.spreadsheetId;
  let sequence = 0;

  // --- authorization ---------------------------------------------------------------------
  const NEEDS = { properties: ['NONE'], external: ['NONE', 'LIMITED'], token: ['NONE', 'LIMITED'], triggers: ['NONE', 'LIMITED'] };
  function authorize(kind, call) {
    if (NEEDS[kind].includes(state.authMode)) {
      state.denied.push(call);
      throw new Error(`You do not have permission to call ${call}. Required permissions: authorization (${state.authMode})`);
    }
  }

  // --- UrlFetchApp ---------------------------------------------------------------------
  function response(answer) {
    const body = Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body ?? '', 'utf8');
    return {
      getResponseCode: () => answer.status,
      getContentText: () => body.toString('utf8'),
      getContent: () => Array.from(body, (b) => (b > 127 ? b - 256 : b)),
      getHeaders: () => ({ ...(answer.headers || {}) })
    };
  }

  const UrlFetchApp = {
    fetch(url, options = {}) {
      authorize('external', 'UrlFetchApp.fetch');
      state.fetches.push({ url, options: JSON.parse(JSON.stringify(options)) });
      const answer = state.respond(url, options);
      if (answer.status >= 400 && !options.muteHttpExceptions) {
        throw new Error(`Request failed for ${url} returned code ${answer.status}`);
      }
      return response(answer);
    }
  };

  // --- ScriptApp and its triggers --------------------------------------------------------
  class Trigger {
    constructor(fields) {
      Object.assign(this, fields);
      sequence += 1;
      this.id = `trigger-${sequence}`;
    }
    getHandlerFunction() { return this.handler; }
    getUniqueId() { return this.id; }
    getEventType() { return this.eventType; }
    getTriggerSource() { return this.source; }
    getTriggerSourceId() { return this.sourceId; }
  }

  function save(fields) {
    const trigger = new Trigger({ owner: state.user, ...fields });
    state.triggers.push(trigger);
    return trigger;
  }

  function clockBuilder(handler) {
    const spec = {};
    const builder = {
      after(ms) { spec.after = ms; return builder; },
      at(date) { spec.at = date; return builder; },
      atDate(year, month, day) { spec.atDate = [year, month, day]; return builder; },
      atHour(hour) {
        if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new Error(`Invalid argument: hour (${hour})`);
        spec.hour = hour;
        return builder;
      },
      everyDays(n) { spec.everyDays = n; return builder; },
      everyHours(n) { spec.everyHours = n; return builder; },
      everyMinutes(n) { spec.everyMinutes = n; return builder; },
      everyWeeks(n) { spec.everyWeeks = n; return builder; },
      inTimezone(zone) { spec.timezone = zone; return builder; },
      nearMinute(minute) { spec.minute = minute; return builder; },
      onMonthDay(day) { spec.monthDay = day; return builder; },
      onWeekDay(day) { spec.weekDay = day; return builder; },
      create() {
        authorize('triggers', 'ClockTriggerBuilder.create');
        const recurring = ['everyDays', 'everyHours', 'everyMinutes', 'everyWeeks', 'monthDay'].some((k) => k in spec);
        if (!recurring && !('after' in spec) && !('at' in spec) && !('atDate' in spec)) {
          throw new Error('The trigger has no schedule: call everyDays, everyHours, at, after... before create()');
        }
        const document = state.addon ? state.document : null;
        if (state.addon) {
          if ('everyMinutes' in spec) throw new Error('Add-ons may use time-driven triggers at most once per hour');
          const mine = state.triggers.filter((t) => t.owner === state.user && t.document === document
            && t.eventType === EventType.CLOCK);
          if (mine.length) throw new Error('This add-on already has a time-driven trigger for this user in this document');
        }
        return save({ handler, spec: { timeBased: true, ...spec }, eventType: EventType.CLOCK,
          source: TriggerSource.CLOCK, sourceId: null, document });
      }
    };
    return builder;
  }

  function spreadsheetBuilder(handler, spreadsheetId) {
    let eventType = null;
    const builder = {
      onChange() { eventType = EventType.ON_CHANGE; return builder; },
      onEdit() { eventType = EventType.ON_EDIT; return builder; },
      onFormSubmit() { eventType = EventType.ON_FORM_SUBMIT; return builder; },
      onOpen() { eventType = EventType.ON_OPEN; return builder; },
      create() {
        authorize('triggers', 'SpreadsheetTriggerBuilder.create');
        if (!eventType) throw new Error('The trigger has no event: call onOpen, onEdit... before create()');
        return save({ handler, spec: {}, eventType, source: TriggerSource.SPREADSHEETS,
          sourceId: spreadsheetId, document: spreadsheetId });
      }
    };
    return builder;
  }

  const ScriptApp = {
    AuthMode,
    EventType,
    TriggerSource,
    getIdentityToken() {
      authorize('token', 'ScriptApp.getIdentityToken');
      return state.token === TOKEN ? tokenFor(state.user) : state.token;
    },
    getProjectTriggers() {
      authorize('triggers', 'ScriptApp.getProjectTriggers');
      return state.triggers.filter((t) => t.owner === state.user);
    },
    getUserTriggers(container) {
      authorize('triggers', 'ScriptApp.getUserTriggers');
      const id = container.getId();
      return state.triggers.filter((t) => t.owner === state.user && t.document === id);
    },
    newTrigger(handler) {
      return {
        timeBased: () => clockBuilder(handler),
        forSpreadsheet: (sheet) => spreadsheetBuilder(handler, typeof sheet === 'string' ? sheet : sheet.getId()),
        forDocument() { throw new Error('no Google Docs document in these tests'); },
        forForm() { throw new Error('no Google Form in these tests'); },
        forUserCalendar() { throw new Error('no calendar in these tests'); }
      };
    },
    deleteTrigger(trigger) {
      authorize('triggers', 'ScriptApp.deleteTrigger');
      state.triggers = state.triggers.filter((t) => !(t.owner === state.user && t.id === trigger.getUniqueId()));
    }
  };

  // --- LockService -----------------------------------------------------------------------
  function makeLock(record) {
    return {
      tryLock(ms) {
        record.tries += 1;
        record.waits.push(ms);
        if (!record.free) return false;
        record.free = false;
        record.held = true;
        return true;
      },
      waitLock(ms) {
        if (!this.tryLock(ms)) throw new Error('Lock timeout: another process was holding the lock for too long.');
      },
      releaseLock() {
        record.releases += 1;
        record.free = true;
        record.held = false;
      },
      hasLock: () => Boolean(record.held)
    };
  }
  const LockService = {
    getDocumentLock: () => (state.document ? makeLock(state.lock) : null),
    getUserLock: () => makeLock(state.userLock),
    getScriptLock: () => makeLock(state.scriptLock)
  };

  // --- PropertiesService -----------------------------------------------------------------
  function store(values) {
    return {
      getProperty: (key) => (key in values ? values[key] : null),
      setProperty(key, value) { values[key] = String(value); return this; },
      deleteProperty(key) { delete values[key]; return this; },
      getProperties: () => ({ ...values }),
      getKeys: () => Object.keys(values)
    };
  }
  const PropertiesService = {
    getScriptProperties() {
      authorize('properties', 'PropertiesService.getScriptProperties');
      return store(state.properties);
    },
    getDocumentProperties() {
      authorize('properties', 'PropertiesService.getDocumentProperties');
      if (!state.document) return null;
      state.documentProperties[state.document] ??= {};
      return store(state.documentProperties[state.document]);
    },
    getUserProperties() {
      authorize('properties', 'PropertiesService.getUserProperties');
      state.userProperties[state.user] ??= {};
      return store(state.userProperties[state.user]);
    }
  };

  // --- SpreadsheetApp and its Ui ---------------------------------------------------------
  function menu(title, addon) {
    const built = { title, addon, items: [], added: false };
    const chain = {
      addItem(caption, fn) { built.items.push({ caption, fn }); return chain; },
      addSeparator() { built.items.push({ separator: true }); return chain; },
      addSubMenu(sub) { built.items.push({ submenu: sub }); return chain; },
      addToUi() { built.added = true; state.menus.push(built); }
    };
    return chain;
  }

  const ui = {
    createMenu: (caption) => menu(caption, false),
    // The sub-menu of Extensions; Apps Script names it (the add-on's or the script's name).
    createAddonMenu: () => menu(null, true),
    showSidebar(output) { state.sidebars.push({ title: output.title, content: output.getContent() }); }
  };

  // A value written to a cell as Sheets stores it (setValues and appendRow take input as a
  // person types it): a leading apostrophe makes the rest plain text; "=..." is a formula; a
  // Date stays a date (shown in the spreadsheet's zone); other text is kept as text here.
  function setCell(value) {
    if (typeof value === 'string' && value.startsWith("'")) return value.slice(1);
    if (typeof value === 'string' && value.startsWith('=')) return { formula: value };
    return value;
  }

  function sheetOf(name) {
    state.rows[name] ??= [];
    const rows = state.rows[name];
    const sheet = {
      getName: () => name,
      activate() { state.activated.push(name); return sheet; },
      appendRow(values) { rows.push(values.map(setCell)); return sheet; },
      getLastRow: () => rows.length,
      getRange(row, column) {
        if (!Number.isInteger(row) || !Number.isInteger(column) || row < 1 || column < 1) {
          throw new Error('Exception: The coordinates of the range are outside the dimensions of the sheet.');
        }
        const range = {
          setNumberFormat(format) { state.formats[`${name}!${row}:${column}`] = format; return range; },
          getValue: () => (rows[row - 1] || [])[column - 1] ?? ''
        };
        return range;
      }
    };
    return sheet;
  }

  function spreadsheet() {
    if (!state.document) return null;
    return {
      getId: () => state.document,
      getSpreadsheetTimeZone: () => state.timeZone,
      getSheetByName(name) {
        return state.tabs.includes(name) ? sheetOf(name) : null;
      },
      insertSheet(name) {
        if (state.tabs.includes(name)) throw new Error(`A sheet with the name "${name}" already exists.`);
        state.tabs.push(name);
        return sheetOf(name);
      },
      toast(message, title, seconds) { state.toasts.push({ message, title, seconds }); }
    };
  }
  const SpreadsheetApp = { getUi: () => ui, getActive: spreadsheet, getActiveSpreadsheet: spreadsheet };

  // --- HtmlService -----------------------------------------------------------------------
  function output(content) {
    return {
      content,
      title: '',
      setTitle(title) { this.title = title; return this; },
      getContent() { return this.content; }
    };
  }
  function readHtml(name) {
    return fs.readFileSync(path.join(APPSSCRIPT, `${name}.html`), 'utf8');
  }
  // Only the scriptlet the sidebar uses: <?!= include('Name'); ?>, evaluated by calling the
  // script's own include() (globals.include, set once the .gs files are loaded).
  const HtmlService = {
    createHtmlOutputFromFile: (name) => output(readHtml(name)),
    createTemplateFromFile(name) {
      const text = readHtml(name);
      return {
        evaluate() {
          const rendered = text.replace(/<\?!=\s*include\('([^']+)'\);?\s*\?>/g,
            (_, file) => globals.include(file));
          if (rendered.includes('<?')) throw new Error(`unsupported scriptlet in ${name}.html`);
          return output(rendered);
        }
      };
    }
  };

  // formatDate(date, zone, pattern) for the letters the script uses (SimpleDateFormat's: dd MM
  // yyyy HH mm ss, 'quoted' literals).
  function formatDate(date, zone, pattern) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'
    }).formatToParts(date).map((p) => [p.type, p.value]));
    const letters = { dd: parts.day, MM: parts.month, yyyy: parts.year, HH: parts.hour, mm: parts.minute, ss: parts.second };
    return pattern.replace(/'([^']*)'|yyyy|dd|MM|HH|mm|ss/g, (match, literal) => (literal !== undefined ? literal : letters[match]));
  }

  const Utilities = {
    formatDate,
    base64Encode: (bytes) => Buffer.from(bytes.map((b) => b & 255)).toString('base64'),
    base64DecodeWebSafe: (text) => Array.from(Buffer.from(text, 'base64url')),
    newBlob: (bytes) => ({ getDataAsString: () => Buffer.from(bytes.map((b) => b & 255)).toString('utf8') })
  };

  const quiet = {
    log: (...args) => state.logs.push(['log', args.join(' ')]),
    info: (...args) => state.logs.push(['info', args.join(' ')]),
    warn: (...args) => state.logs.push(['warn', args.join(' ')]),
    error: (...args) => state.logs.push(['error', args.join(' ')])
  };

  const globals = {
    UrlFetchApp, ScriptApp, LockService, PropertiesService, SpreadsheetApp, HtmlService,
    Utilities, console: quiet, Logger: { log: quiet.log }
  };
  return { globals, state };
}

// google.script.run as Apps Script serves it to an HTML page (the sidebar): any global
// function of the script may be called by name, with any arguments the client sends, except
// the private ones, whose names end with an underscore ("Server functions whose names end
// with an underscore are considered private ... cannot be called by google.script": Google's
// "HTML Service: Communicate with Server Functions"). Other names fail as "Script function
// not found". `script` is the vm context the .gs files run in.
function runFromClient(script, name, args = []) {
  if (/_$/.test(name) || typeof script[name] !== 'function') {
    throw new Error(`Script function not found: ${name}`);
  }
  return script[name](...args);
}

// The functions a client could name: every global function of the .gs files, private or not
// (what a page's google.script.run could try), whatever the fakes put in the scope.
function scriptFunctions(script, services) {
  return Object.keys(script).filter((name) => typeof script[name] === 'function' && !services.has(name));
}

// The ID token of `email` (the fakes' TOKEN is comptable@example.fr's): the token follows
// state.user, as Google's follows the person running the script.
function tokenFor(email) {
  return `${TOKEN.split('.')[0]}.${Buffer.from(JSON.stringify({ aud: 'client-id.apps.googleusercontent.com', email }))
    .toString('base64url')}.c2lnbmF0dXJl`;
}

module.exports = { makeServices, runFromClient, scriptFunctions, APPSSCRIPT, TOKEN, AuthMode, tokenFor };
