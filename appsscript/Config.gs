/**
 * The deployer's settings, written by `python -m deploy` (deploy/appsscript.py) with the App
 * Engine address it knows, then pushed with the rest (clasp push). The repository's copy names
 * no address: the script then reads the script property BACKEND_URL (Project Settings > Script
 * properties), as the local preview does.
 *
 * Where the ID token goes is decided here, by whoever deploys the code, and by nothing a
 * spreadsheet's editor can call from the sidebar: no function sets it (Backend.gs).
 */

var DEPLOYED_BACKEND_URL = '';
