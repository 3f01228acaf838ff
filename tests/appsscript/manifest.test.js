'use strict';
// appsscript.json asks for the fewest scopes that work: each one is needed by a call the
// code makes, and the code calls nothing that would need another.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { APPSSCRIPT } = require('./fakes');

const manifest = JSON.parse(fs.readFileSync(path.join(APPSSCRIPT, 'appsscript.json'), 'utf8'));
const code = fs.readdirSync(APPSSCRIPT).filter((f) => f.endsWith('.gs'))
  .map((f) => fs.readFileSync(path.join(APPSSCRIPT, f), 'utf8')).join('\n');

// scope -> the calls that need it
const NEEDED_BY = {
  'https://www.googleapis.com/auth/spreadsheets.currentonly': /SpreadsheetApp\.getActive\(\)/,
  'https://www.googleapis.com/auth/script.container.ui': /getUi\(\)[\s\S]*showSidebar|\.showSidebar\(/,
  'https://www.googleapis.com/auth/script.external_request': /UrlFetchApp\.fetch/,
  'https://www.googleapis.com/auth/script.scriptapp': /ScriptApp\.newTrigger/,
  openid: /ScriptApp\.getIdentityToken\(\)/,
  'https://www.googleapis.com/auth/userinfo.email': /ScriptApp\.getIdentityToken\(\)/
};

// Calls that would need a broader scope than the ones above.
const FORBIDDEN = [
  /SpreadsheetApp\.open(ById|ByUrl)?\(/, /DriveApp\./, /GmailApp\./, /MailApp\./, /DocumentApp\./,
  /Session\.getActiveUser/, /ScriptApp\.getOAuthToken/, /CalendarApp\./, /UrlFetchApp\.fetchAll/
];

test('the manifest: V8, Paris time, the scopes listed and no others', () => {
  assert.equal(manifest.runtimeVersion, 'V8');
  assert.equal(manifest.timeZone, 'Europe/Paris');
  assert.deepEqual([...manifest.oauthScopes].sort(), Object.keys(NEEDED_BY).sort());
});

test('each scope is used by the code', () => {
  for (const [scope, use] of Object.entries(NEEDED_BY)) {
    assert.match(code, use, `${scope} is not used: remove it`);
  }
});

test('the code calls nothing that needs a broader scope', () => {
  for (const call of FORBIDDEN) assert.doesNotMatch(code, call);
});

test('.clasp.json.example points clasp at this folder', () => {
  const clasp = JSON.parse(fs.readFileSync(path.join(APPSSCRIPT, '.clasp.json.example'), 'utf8'));
  assert.equal(clasp.rootDir, '.');
  assert.match(clasp.scriptId, /REPLACE/);
});

test('urlFetchWhitelist: one https prefix, the backend\'s host and "/", as Apps Script requires', () => {
  // Required for a versioned deployment (the add-on), honoured by the bound script too: the ID
  // token can only be sent to that prefix. Google's rules: https, a full domain, a non-empty
  // path. The repository holds a placeholder the deploy guide replaces (appsscript/README.md).
  assert.equal(manifest.urlFetchWhitelist.length, 1);
  const [prefix] = manifest.urlFetchWhitelist;
  assert.match(prefix, /^https:\/\/[^/?#\s]+\/$/);
  const readme = fs.readFileSync(path.join(APPSSCRIPT, 'README.md'), 'utf8');
  if (prefix.includes('REPLACE')) assert.ok(readme.includes(prefix), 'the deploy guide names the placeholder to replace');
});
