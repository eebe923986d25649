#!/usr/bin/env node
// End-to-end tests: the packaged VSIX installed into code-server (VS Code 1.100.3), driven by
// Playwright in headless Debian Chromium, like a person would.
//   1. setup (idempotent); `npm run package` unless CONV_LENS_VSIX=<path> names a VSIX;
//   2. start code-server with the VSIX installed (`code-server --install-extension`) serving a fresh
//      copy of test/e2e/workspace/ (server.workspace);
//   3. import test/e2e/*.e2e.mjs (they register tests with test() from test/e2e/driver.mjs) and run
//      each test in a fresh browser context; a failing test leaves test/e2e/screenshots/FAILED-<name>.png.
// Usage: node scripts/vscode/run-e2e.mjs [file-filter]
// Env: CONV_LENS_VSIX=<path>, CONV_LENS_E2E_GREP=<regexp>, CONV_LENS_KEEP_TMP=1, HEADFUL=1,
//      CONV_LENS_VERBOSE=1 (stream the browser console).
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEBUGPY_ADAPTER_FIXTURE, ROOT, launchBrowser, runSetup, startCodeServer } from './server.mjs';
import { printSpec, step } from './report.mjs';

const E2E = join(ROOT, 'test', 'e2e');
const WORKSPACE = join(E2E, 'workspace');
const t0 = Date.now();
const say = (msg) => console.log(`[e2e +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

function bail(msg) {
  console.error(msg);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

runSetup();

let vsix = process.env.CONV_LENS_VSIX && resolve(process.env.CONV_LENS_VSIX);
if (vsix) {
  if (!existsSync(vsix)) bail(`CONV_LENS_VSIX=${vsix}: no such file`);
} else {
  step(say, 'packaging the VSIX (npm run package)', 'npm', ['run', 'package']);
  const { name, version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  vsix = join(ROOT, `${name}-${version}.vsix`);
  if (!existsSync(vsix)) bail(`npm run package did not produce ${vsix}`);
}

// Screenshots of this run only.
rmSync(join(E2E, 'screenshots'), { recursive: true, force: true });

// Load the test files; each registers its tests with driver.test().
const driver = await import(pathToFileURL(join(E2E, 'driver.mjs')).href);
const filter = process.argv[2];
const files = readdirSync(E2E)
  .filter((f) => f.endsWith('.e2e.mjs') && (!filter || f.includes(filter)))
  .sort();
for (const f of files) {
  driver._setCurrentFile(f);
  await import(pathToFileURL(join(E2E, f)).href);
}
let tests = driver._registeredTests();
if (tests.some((t) => t.only)) tests = tests.filter((t) => t.only);
if (process.env.CONV_LENS_E2E_GREP)
  tests = tests.filter((t) => new RegExp(process.env.CONV_LENS_E2E_GREP).test(t.name));
if (tests.length === 0)
  bail(`no e2e test found in ${relative(ROOT, E2E)}/*.e2e.mjs${filter ? ` matching ${filter}` : ''}`);

const records = [];
let server;
let browser;
try {
  say(`starting code-server with ${relative(ROOT, vsix)} installed`);
  // the extension host's event-loop delay, sampled by the extension itself (src/editor/eventLoopLog.ts)
  process.env.CONV_LENS_EVENT_LOOP_LOG = join(mkdtempSync(join(tmpdir(), 'conv-lens-loop-')), 'event-loop.jsonl');
  server = await startCodeServer({
    workspace: WORKSPACE,
    vsix,
    testExtensions: [DEBUGPY_ADAPTER_FIXTURE],
    env: { CONV_LENS_EVENT_LOOP_LOG: process.env.CONV_LENS_EVENT_LOOP_LOG },
  });
  say(
    `code-server on ${server.url} (pid ${server.pid}); extensions: ${server.listExtensions().join(', ') || '(none)'}`,
  );
  browser = await launchBrowser();

  for (const t of tests) {
    const titlePath = [t.file, t.name];
    if (t.skip) {
      records.push({ titlePath, state: 'pending' });
      continue;
    }
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const consoleLines = [];
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    page.on('console', (m) => {
      const text = m
        .text()
        .replace(/^%c\s*(\w+)\s+color:\s*#\w+\s*/, '[$1] ')
        .split('\n')
        .slice(0, 3)
        .join('\n');
      consoleLines.push(text);
      if (consoleLines.length > 200) consoleLines.shift();
      if (process.env.CONV_LENS_VERBOSE) console.log(`  [browser ${m.type()}] ${text}`);
    });
    const started = Date.now();
    say(`running: ${t.file} > ${t.name}`);
    try {
      let timer;
      await Promise.race([
        t.fn({ page, context, server, browser, workspace: server.workspace, vsix }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      records.push({ titlePath, state: 'passed', durationMs: Date.now() - started });
    } catch (e) {
      let shot = '';
      try {
        shot = relative(ROOT, await driver.screenshot(page, `FAILED-${t.name}`));
      } catch {}
      const err = e instanceof Error ? e : new Error(String(e));
      const extra = `${shot ? `\nscreenshot: ${shot}` : ''}\n--- last browser console lines ---\n${consoleLines.slice(-15).join('\n')}`;
      records.push({
        titlePath,
        state: 'failed',
        durationMs: Date.now() - started,
        error: {
          message: err.message,
          stack: `${err.stack ?? err.message}${extra}`,
          expected: err.expected,
          actual: err.actual,
        },
      });
    } finally {
      await context.close().catch(() => {});
    }
  }
} catch (e) {
  records.push({
    titlePath: ['e2e run'],
    state: 'failed',
    error: { message: e?.message ?? String(e), stack: `${e?.stack ?? e}\n${server?.diagnostics?.() ?? ''}` },
  });
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
}

const { passed, failed } = printSpec(records);
say('done');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
