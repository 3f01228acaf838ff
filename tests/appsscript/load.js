'use strict';
// Loads the .gs files into one vm context, as Apps Script makes one global scope of them.

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { makeServices, APPSSCRIPT } = require('./fakes');

function loadScript(overrides) {
  const { globals, state } = makeServices(overrides);
  const context = vm.createContext(globals);
  for (const file of fs.readdirSync(APPSSCRIPT).filter((f) => f.endsWith('.gs')).sort()) {
    vm.runInContext(fs.readFileSync(path.join(APPSSCRIPT, file), 'utf8'), context, { filename: file });
  }
  return { script: context, state };
}

// Values made inside the vm context have the context's prototypes: compare them as JSON.
function plain(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function json(status, body, headers) {
  return { status, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } };
}

module.exports = { loadScript, plain, json };
