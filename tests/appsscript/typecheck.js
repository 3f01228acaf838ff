'use strict';
// Type-checks appsscript/ with TypeScript's checkJs against the published type definitions:
// the server code (every .gs file, one global scope as in Apps Script) against
// @types/google-apps-script, and the sidebar's client script (the <script> of Sidebar.js.html)
// against the DOM and @types/google.script.client-side. tsc reads neither .gs nor .html, so
// each is copied into a temporary folder as .js, at the same line numbers, and tsc's messages
// are mapped back to the real files. Exit status 0 when both programs type-check.
//
//   node tests/appsscript/typecheck.js

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const APPSSCRIPT = path.join(ROOT, 'appsscript');
const BASE = path.join(__dirname, 'tsconfig.json');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The script element's content of an .html file, blank lines before it to keep line numbers. */
function clientScript(file) {
  const text = fs.readFileSync(file, 'utf8');
  const open = text.indexOf('<script>');
  const close = text.lastIndexOf('</script>');
  if (open < 0 || close < open) throw new Error(`${file}: no <script> element`);
  const before = text.slice(0, open + '<script>'.length);
  const newlines = (before.match(/\n/g) || []).length;
  return '\n'.repeat(newlines) + ' '.repeat(before.length - before.lastIndexOf('\n') - 1) + text.slice(open + '<script>'.length, close);
}

/** Writes the program's files and its tsconfig; returns {config, names: tmp file -> real file}. */
function program(dir, name, sources, compilerOptions) {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder);
  const names = {};
  for (const [real, text] of sources) {
    const copy = path.join(folder, path.basename(real).replace(/\.(gs|html)$/, '.js'));
    fs.writeFileSync(copy, text);
    names[copy] = path.relative(ROOT, real);
  }
  const config = path.join(folder, 'tsconfig.json');
  fs.writeFileSync(config, JSON.stringify({ extends: BASE, compilerOptions, files: Object.keys(names) }, null, 2));
  return { config, names };
}

function run() {
  if (!fs.existsSync(TSC)) {
    console.error('typescript is not installed (npm ci)');
    return 2;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'appsscript-typecheck-'));
  try {
    const gs = fs.readdirSync(APPSSCRIPT).filter((f) => f.endsWith('.gs')).sort()
      .map((f) => [path.join(APPSSCRIPT, f), fs.readFileSync(path.join(APPSSCRIPT, f), 'utf8')]);
    const client = path.join(APPSSCRIPT, 'Sidebar.js.html');
    const programs = [
      program(dir, 'server', gs, { lib: ['es2019'], types: ['google-apps-script'] }),
      program(dir, 'client', [[client, clientScript(client)]],
        { lib: ['es2019', 'dom'], types: ['google.script.client-side'] })
    ];
    let failed = false;
    for (const { config, names } of programs) {
      const done = spawnSync(process.execPath, [TSC, '--project', config, '--pretty', 'false'], { encoding: 'utf8' });
      let output = (done.stdout || '') + (done.stderr || '');
      for (const [copy, real] of Object.entries(names)) {
        output = output.split(path.relative(process.cwd(), copy)).join(real).split(copy).join(real);
      }
      if (done.status !== 0) {
        failed = true;
        process.stdout.write(output);
      }
      const files = Object.values(names).join(', ');
      console.log(`${done.status === 0 ? 'ok' : 'FAILED'}: ${files}`);
    }
    return failed ? 1 : 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = run();
