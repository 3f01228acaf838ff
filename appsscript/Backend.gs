/**
 * Calls to the backend. Its address is the script property BACKEND_URL (Project Settings >
 * Script properties, or setBackendUrl() from the editor): one for the bound script, one for
 * the add-on project, which all its installs share. BACKEND_COMPANY, optional, names the
 * company, which the backend then checks against the spreadsheet: a document property (each
 * spreadsheet its own; setCompany() from the bound script's editor), or for a bound script set
 * up before the add-on existed, a script property.
 *
 * Each call carries the user's Google ID token (ScriptApp.getIdentityToken(): needs the
 * openid and userinfo.email scopes) and the spreadsheet's id; the backend verifies the token
 * and that the email and the spreadsheet belong to the same company.
 */

var BACKEND_URL_PROPERTY = 'BACKEND_URL';
var COMPANY_PROPERTY = 'BACKEND_COMPANY';
var UNREACHABLE = 'Le serveur de comptabilité ne répond pas ; réessayez dans un instant.';

/** From the script editor: setBackendUrl('https://PROJECT.REGION.r.appspot.com'). */
function setBackendUrl(url) {
  var value = checkedBackendUrl_(url);
  PropertiesService.getScriptProperties().setProperty(BACKEND_URL_PROPERTY, value);
  return value;
}

/** From the bound script's editor: setCompany('maison-coworking') ('' to forget it). */
function setCompany(company) {
  var properties = PropertiesService.getDocumentProperties();
  if (!properties) throw new Error('setCompany: run it from the script of a spreadsheet');
  var value = String(company || '').trim();
  if (value) properties.setProperty(COMPANY_PROPERTY, value); else properties.deleteProperty(COMPANY_PROPERTY);
  return value;
}

/**
 * From the script editor, once, to learn the audience the backend must accept
 * (ID_TOKEN_AUDIENCES): logs the token's `aud` and `email`, never the token.
 */
function logTokenAudience() {
  var token = ScriptApp.getIdentityToken();
  if (!token) throw new Error('no identity token: are the openid and userinfo.email scopes in appsscript.json?');
  var payload = JSON.parse(Utilities.newBlob(Utilities.base64DecodeWebSafe(token.split('.')[1])).getDataAsString());
  console.log('ID token audience (ID_TOKEN_AUDIENCES): ' + payload.aud + '; email: ' + payload.email);
  return payload.aud;
}

function checkedBackendUrl_(url) {
  var value = String(url || '').trim().replace(/\/+$/, '');
  if (!value) {
    throw new UserError_('L\'adresse du serveur de comptabilité n\'est pas configurée (propriété du script ' + BACKEND_URL_PROPERTY + ').');
  }
  var local = /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(value);
  if (!/^https:\/\/[^\/?#\s]+$/.test(value) && !local) {
    throw new UserError_('L\'adresse du serveur doit être une adresse https:// sans chemin (propriété ' + BACKEND_URL_PROPERTY + ').');
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
    var url = checkedBackendUrl_(properties.getProperty(BACKEND_URL_PROPERTY)) + path;
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
    return { error: (data && data.error) || ('Le serveur a répondu ' + status + '.'), status: status };
  } catch (e) {
    if (e instanceof UserError_) return { error: e.message };
    console.error('backend call ' + method + ' ' + path + ' failed: ' + e);
    return { error: UNREACHABLE };
  }
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
