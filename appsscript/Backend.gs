/**
 * Calls to the backend. Its address is the script property BACKEND_URL (Project Settings >
 * Script properties, or setBackendUrl() from the editor); BACKEND_COMPANY, optional, names the
 * company, which the backend then checks against the spreadsheet.
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

/** The backend's JSON answer, or {error: "<French>"}. */
function callBackend_(method, path, fields) {
  var answer = fetchBackend_(method, path, fields);
  if (answer.error) return answer;
  var data = parseJson_(answer.response.getContentText());
  if (data === null || typeof data !== 'object') return { error: UNREACHABLE };
  return data;
}

/** {response} for a 2xx answer; {error, status} otherwise. */
function fetchBackend_(method, path, fields) {
  try {
    var properties = PropertiesService.getScriptProperties();
    var url = checkedBackendUrl_(properties.getProperty(BACKEND_URL_PROPERTY)) + path;
    var token = ScriptApp.getIdentityToken();
    if (!token) {
      throw new UserError_('Google ne fournit pas votre identité au script : autorisez-le à nouveau (menu Comptabilité).');
    }
    var body = {};
    for (var key in fields) body[key] = fields[key];
    body.spreadsheet_id = SpreadsheetApp.getActive().getId();
    var company = properties.getProperty(COMPANY_PROPERTY);
    if (company) body.company = company;
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
