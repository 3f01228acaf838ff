'use strict';
// Loads the .gs files into one vm context, as Apps Script makes one global scope of them.

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { makeServices, APPSSCRIPT } = require('./fakes');

// `files` replaces some .gs files by other text (file name -> text): Config.gs as the deployer's
// `python -m deploy` writes it, for instance; a name ending .gs that is not in the folder is added.
function loadScript(overrides, files = {}) {
  const { globals, state } = makeServices(overrides);
  const services = new Set(Object.keys(globals));
  const context = vm.createContext(globals);
  const names = new Set([...fs.readdirSync(APPSSCRIPT).filter((f) => f.endsWith('.gs')), ...Object.keys(files)]);
  for (const file of [...names].sort()) {
    const text = file in files ? files[file] : fs.readFileSync(path.join(APPSSCRIPT, file), 'utf8');
    vm.runInContext(text, context, { filename: file });
  }
  return { script: context, state, services };
}

// Values made inside the vm context have the context's prototypes: compare them as JSON.
function plain(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function json(status, body, headers) {
  return { status, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } };
}

module.exports = { loadScript, plain, json };
