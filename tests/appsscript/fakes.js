'use strict';
// Fakes of the Apps Script services Code.gs uses, recording what the code does with them.
// `makeServices()` returns {globals, state}: globals go into the vm context the .gs files run
// in; state is what the tests script (answers, lock, token) and read back (calls made).

const fs = require('node:fs');
const path = require('node:path');

const APPSSCRIPT = path.resolve(__dirname, '..', '..', 'appsscript');
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.' +
  Buffer.from(JSON.stringify({ aud: 'client-id.apps.googleusercontent.com', email: 'comptable@example.fr' }))
    .toString('base64url') + '.c2lnbmF0dXJl';

function makeServices(overrides = {}) {
  const state = {
    properties: { BACKEND_URL: 'https://backend.example.test' },
    token: TOKEN,
    spreadsheetId: 'sheet-123',
    tabs: ['Écritures', 'Anomalies', 'Paramètres', 'Historique'],
    activated: [],
    toasts: [],
    menus: [],
    sidebars: [],
    triggers: [],
    fetches: [],
    logs: [],
    lock: { free: true, tries: 0, releases: 0, waits: [] },
    // (url, options) -> {status, body (string or Buffer), headers} or throws
    respond: () => ({ status: 200, body: '{}' }),
    ...overrides
  };

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
      state.fetches.push({ url, options: JSON.parse(JSON.stringify(options)) });
      const answer = state.respond(url, options);
      if (answer.status >= 400 && !options.muteHttpExceptions) {
        throw new Error(`Request failed for ${url} returned code ${answer.status}`);
      }
      return response(answer);
    }
  };

  class Trigger {
    constructor(handler, spec) {
      this.handler = handler;
      this.spec = spec;
      this.id = `trigger-${state.triggers.length + 1}-${Math.random().toString(16).slice(2)}`;
    }
    getHandlerFunction() { return this.handler; }
    getUniqueId() { return this.id; }
  }

  const ScriptApp = {
    getIdentityToken: () => state.token,
    getProjectTriggers: () => state.triggers.slice(),
    newTrigger(handler) {
      const spec = {};
      const builder = {
        timeBased() { spec.timeBased = true; return builder; },
        atHour(hour) { spec.hour = hour; return builder; },
        everyDays(days) { spec.everyDays = days; return builder; },
        create() {
          const trigger = new Trigger(handler, spec);
          state.triggers.push(trigger);
          return trigger;
        }
      };
      return builder;
    },
    deleteTrigger(trigger) {
      state.triggers = state.triggers.filter((t) => t.getUniqueId() !== trigger.getUniqueId());
    }
  };

  const lock = {
    tryLock(ms) {
      state.lock.tries += 1;
      state.lock.waits.push(ms);
      if (!state.lock.free) return false;
      state.lock.free = false;
      state.lock.held = true;
      return true;
    },
    releaseLock() {
      state.lock.releases += 1;
      state.lock.free = true;
      state.lock.held = false;
    },
    hasLock: () => Boolean(state.lock.held)
  };
  const LockService = { getDocumentLock: () => lock, getScriptLock: () => lock };

  const PropertiesService = {
    getScriptProperties: () => ({
      getProperty: (key) => (key in state.properties ? state.properties[key] : null),
      setProperty(key, value) { state.properties[key] = String(value); return this; },
      getProperties: () => ({ ...state.properties })
    })
  };

  function menu(title) {
    const built = { title, items: [], added: false };
    const chain = {
      addItem(caption, fn) { built.items.push({ caption, fn }); return chain; },
      addSeparator() { built.items.push({ separator: true }); return chain; },
      addToUi() { built.added = true; state.menus.push(built); }
    };
    return chain;
  }

  const ui = {
    createMenu: menu,
    showSidebar(output) { state.sidebars.push({ title: output.title, content: output.getContent() }); }
  };

  const spreadsheet = {
    getId: () => state.spreadsheetId,
    getSheetByName(name) {
      if (!state.tabs.includes(name)) return null;
      return { getName: () => name, activate() { state.activated.push(name); return this; } };
    },
    toast(message, title, seconds) { state.toasts.push({ message, title, seconds }); }
  };
  const SpreadsheetApp = { getUi: () => ui, getActive: () => spreadsheet, getActiveSpreadsheet: () => spreadsheet };

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

  const Utilities = {
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

module.exports = { makeServices, APPSSCRIPT, TOKEN };
