/**
 * Calls to the backend. Its address is the deployer's: DEPLOYED_BACKEND_URL in Config.gs,
 * written by `python -m deploy`; when that is empty (the repository's copy, a bound script
 * set up by hand, the local preview), the script property BACKEND_URL (Project Settings >
 * Script properties: one for the bound script, one for the add-on project, which all its
 * installs share). No function sets it: anyone who can open the sidebar (every editor of the
 * spreadsheet) can call, through google.script.run, every global function whose name does not
 * end with "_", with any arguments, and none of them may decide where the ID token goes.
 * BACKEND_COMPANY, optional, names the company, which the backend then checks against the
 * spreadsheet: a document property (each spreadsheet its own; setCompany_() from the bound
 * script's editor), or for a bound script set up before the add-on existed, a script property.
 *
 * Each call carries the user's Google ID token (ScriptApp.getIdentityToken(): needs the
 * openid and userinfo.email scopes) and the spreadsheet's id; the backend verifies the token
 * and that the email and the spreadsheet belong to the same company.
 *
 * Set-up functions are private (trailing "_"): the sidebar cannot call them; see
 * appsscript/README.md for running them once from the editor.
 */

var BACKEND_URL_PROPERTY = 'BACKEND_URL';
var COMPANY_PROPERTY = 'BACKEND_COMPANY';
var UNREACHABLE = 'Le serveur de comptabilité ne répond pas ; réessayez dans un instant.';

/** From the bound script's editor: setCompany_('maison-coworking') ('' to forget it). */
function setCompany_(company) {
  var properties = PropertiesService.getDocumentProperties();
  if (!properties) throw new Error('setCompany_: run it from the script of a spreadsheet');
  var value = String(company || '').trim();
  if (value) properties.setProperty(COMPANY_PROPERTY, value); else properties.deleteProperty(COMPANY_PROPERTY);
  return value;
}

/**
 * From the script editor, once, to learn the audience the backend must accept
 * (ID_TOKEN_AUDIENCES): logs the token's `aud` and `email`, never the token.
 */
function logTokenAudience_() {
  var token = ScriptApp.getIdentityToken();
  if (!token) throw new Error('no identity token: are the openid and userinfo.email scopes in appsscript.json?');
  var payload = JSON.parse(Utilities.newBlob(Utilities.base64DecodeWebSafe(token.split('.')[1])).getDataAsString());
  console.log('ID token audience (ID_TOKEN_AUDIENCES): ' + payload.aud + '; email: ' + payload.email);
  return payload.aud;
}

/**
 * The backend's address: the deployer's Config.gs, else the script property; checked each
 * time, so that a wrong one fails before any token leaves, in the sidebar and in the log.
 * (`typeof`: a project pushed without Config.gs still works from the property.)
 * @return {string}
 */
function backendUrl_() {
  var deployed = typeof DEPLOYED_BACKEND_URL === 'string' ? DEPLOYED_BACKEND_URL.trim() : '';
  var source = deployed ? 'DEPLOYED_BACKEND_URL (Config.gs)' : 'propriété du script ' + BACKEND_URL_PROPERTY;
  var value = deployed || PropertiesService.getScriptProperties().getProperty(BACKEND_URL_PROPERTY);
  try {
    return checkedBackendUrl_(value, source);
  } catch (e) {
    if (e instanceof UserError_) console.error('backend address refused: ' + e.message);
    throw e;
  }
}

/**
 * https://HOST[:PORT] and nothing else (no path, query, fragment or user), or http to this
 * machine for the local preview.
 * @param {*} url
 * @param {string} source where it came from, for the message
 * @return {string}
 */
function checkedBackendUrl_(url, source) {
  var value = String(url || '').trim().replace(/\/+$/, '');
  if (!value) {
    throw new UserError_('L\'adresse du serveur de comptabilité n\'est pas configurée (' + source + ').');
  }
  var local = /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(value);
  if (!/^https:\/\/[A-Za-z0-9.-]+(:\d+)?$/.test(value) && !local) {
    throw new UserError_('L\'adresse du serveur doit être une adresse https:// sans chemin (' + source + ').');
  }
  return value;
}

function UserError_(message) {
  this.message = message;
}

/**
 * The backend's JSON answer, or {error: "<French>"}.
 * @param {GoogleAppsScript.URL_Fetch.HttpMethod} method
 * @param {string} path
 * @param {Object<string, *>} [fields]
 * @param {string | null} [spreadsheetId] the active spreadsheet's when absent (the daily
 *     trigger names its own: it may run outside any document)
 * @return {*}
 */
function callBackend_(method, path, fields, spreadsheetId) {
  var answer = fetchBackend_(method, path, fields, spreadsheetId);
  if (!answer.response) return answer;
  var data = parseJson_(answer.response.getContentText());
  if (data === null || typeof data !== 'object') return { error: UNREACHABLE };
  return data;
}

/**
 * {response} for a 2xx answer; {error, status} otherwise.
 * @param {GoogleAppsScript.URL_Fetch.HttpMethod} method
 * @param {string} path
 * @param {Object<string, *>} [fields]
 * @param {string | null} [spreadsheetId]
 * @return {{response: GoogleAppsScript.URL_Fetch.HTTPResponse, error?: undefined}
 *     | {response?: undefined, error: string, status?: number}}
 */
function fetchBackend_(method, path, fields, spreadsheetId) {
  try {
    var properties = PropertiesService.getScriptProperties();
    var url = backendUrl_() + path;
    var spreadsheet = spreadsheetId ? null : SpreadsheetApp.getActive();
    if (!spreadsheetId && !spreadsheet) {
      throw new UserError_('Ouvrez le panneau depuis la feuille de la société.');
    }
    var token = ScriptApp.getIdentityToken();
    if (!token) {
      throw new UserError_('Google ne fournit pas votre identité au script : autorisez-le à nouveau (menu Comptabilité).');
    }
    /** @type {Object<string, *>} */
    var body = {};
    for (var key in fields) body[key] = fields[key];
    body.spreadsheet_id = spreadsheetId || (spreadsheet && spreadsheet.getId());
    var company = documentCompany_() || properties.getProperty(COMPANY_PROPERTY);
    if (company) body.company = company;
    /** @type {GoogleAppsScript.URL_Fetch.URLFetchRequestOptions} */
    var options = {
      method: method,
      muteHttpExceptions: true,
      followRedirects: false,
      headers: { Authorization: 'Bearer ' + token }
    };
    if (method === 'get') {
      url += '?' + queryString_(body);
    } else {
      options.contentType = 'application/json';
      options.payload = JSON.stringify(body);
    }
    var response = UrlFetchApp.fetch(url, options);
    var status = response.getResponseCode();
    if (status >= 200 && status < 300) return { response: response };
    var data = parseJson_(response.getContentText());
    return { error: (data && data.error) || statusMessage_(status), status: status };
  } catch (e) {
    if (e instanceof UserError_) return { error: e.message };
    console.error('backend call ' + method + ' ' + path + ' failed: ' + e);
    return { error: UNREACHABLE };
  }
}

/**
 * An answer with no message of ours (Google's front end, a proxy): what it means for her,
 * the code kept for whoever she asks for help.
 * @param {number} status
 * @return {string}
 */
function statusMessage_(status) {
  if (status >= 500) {
    return 'Le serveur de comptabilité ne répond pas (erreur ' + status + ') : réessayez dans quelques minutes.';
  }
  return 'Le serveur de comptabilité a refusé la demande (erreur ' + status + ').';
}

/** The spreadsheet's BACKEND_COMPANY; null outside a document (getDocumentProperties() is then null). */
function documentCompany_() {
  var properties = PropertiesService.getDocumentProperties();
  return properties ? properties.getProperty(COMPANY_PROPERTY) : null;
}

/** @param {Object<string, *>} fields */
function queryString_(fields) {
  var parts = [];
  for (var key in fields) {
    if (typeof fields[key] === 'string') {
      parts.push(encodeURIComponent(key) + '=' + encodeURIComponent(fields[key]));
    }
  }
  return parts.join('&');
}

function parseJson_(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return null;
  }
}
