'use strict';
// The local preview (python -m backend.web.preview: the backend, the Stripe and Sheets
// sandboxes with the demo company, the sidebar behind a google.script.run stand-in) and
// Debian's Chromium driven by playwright-core. Never downloads a browser.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
// Where the screenshots go: SCREENSHOTS_DIR (tests/web/test_web_node_suites.py sets a temp
// folder; `make screenshots` sets docs/screenshots, the only way the committed ones change),
// else a new temp folder, so that a test run leaves the work tree as it found it.
const SCREENSHOTS = process.env.SCREENSHOTS_DIR
  ? path.resolve(ROOT, process.env.SCREENSHOTS_DIR)
  : fs.mkdtempSync(path.join(os.tmpdir(), 'sidebar-screenshots-'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function python() {
  if (process.env.PYTHON) return process.env.PYTHON;
  const venv = path.join(ROOT, '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

/** Starts the preview on a free loopback port; resolves {url, stop, output()}. */
function startPreview({ month = '2026-10', latency = 0.1 } = {}) {
  const child = spawn(python(), ['-m', 'backend.web.preview', '--port', '0', '--month', month,
    '--latency', String(latency)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`preview did not start:\n${output}`)); }, 60000);
    const onData = (chunk) => {
      output += chunk;
      const match = output.match(/(http:\/\/127\.0\.0\.1:\d+\/preview\/)/);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          output: () => output,
          stop: () => new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', done);
            child.kill('SIGTERM');
          })
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`preview exited (${code}):\n${output}`)); });
  });
}

async function launchBrowser() {
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

async function screenshot(locatorOrPage, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, name);
  await locatorOrPage.screenshot({ path: file, animations: 'disabled' });
  return file;
}

module.exports = { startPreview, launchBrowser, screenshot, SCREENSHOTS, CHROMIUM };
