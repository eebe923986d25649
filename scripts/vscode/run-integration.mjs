#!/usr/bin/env node
// Extension-host integration tests in a real VS Code (code-server 4.100.3 = VS Code 1.100.3),
// the @vscode/test-electron kind, on machines that cannot download VS Code:
//   1. setup (idempotent), build the extension (scripts/build.mjs) and the tests (build-tests.mjs);
//   2. start code-server serving a fresh copy of test/integration/workspace/;
//   3. open the workbench in headless Chromium with a `payload` that loads this repo as the
//      extension under development and out/integration/suite/index.js as the tests module;
//   4. wait for the JSON result the suite writes, print it mocha-spec style, exit non-zero on failure.
// Usage: node scripts/vscode/run-integration.mjs
// Env: CONV_LENS_TEST_GREP=<regexp> (only matching tests), CONV_LENS_INTEGRATION_TIMEOUT_MS (default
//      240000: whole run), CONV_LENS_TEST_TIMEOUT_MS (per test, default 30000), CONV_LENS_SKIP_BUILD=1,
//      CONV_LENS_KEEP_TMP=1 (keep code-server's temp dir and logs), HEADFUL=1.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBUGPY_ADAPTER_FIXTURE, ROOT, launchBrowser, runSetup, startCodeServer } from './server.mjs';
import { mapStack, printSpec, step } from './report.mjs';

const WORKSPACE = join(ROOT, 'test', 'integration', 'workspace');
const TESTS_MODULE = join(ROOT, 'out', 'integration', 'suite', 'index.js');
const TIMEOUT_MS = Number(process.env.CONV_LENS_INTEGRATION_TIMEOUT_MS) || 240_000;
const t0 = Date.now();

const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const say = (msg) => console.log(`[integration +${elapsed()}] ${msg}`);

runSetup();
if (!process.env.CONV_LENS_SKIP_BUILD) {
  step(say, 'building the extension (scripts/build.mjs)', process.execPath, ['scripts/build.mjs']);
  step(say, 'building the tests (scripts/vscode/build-tests.mjs)', process.execPath, [
    'scripts/vscode/build-tests.mjs',
  ]);
}
if (!existsSync(TESTS_MODULE)) {
  console.error(`${TESTS_MODULE} missing: build the tests first (node scripts/vscode/build-tests.mjs)`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const resultDir = mkdtempSync(join(tmpdir(), 'conv-lens-integration-'));
const resultFile = join(resultDir, 'result.json');
process.on('exit', () => rmSync(resultDir, { recursive: true, force: true }));
const env = { CONV_LENS_TEST_RESULT: resultFile };
for (const k of ['CONV_LENS_TEST_GREP', 'CONV_LENS_TEST_TIMEOUT_MS', 'CONV_LENS_MEASURE_ROUNDS'])
  if (process.env[k]) env[k] = process.env[k];

let server;
let browser;
let exitCode = 1;
const browserConsole = [];
try {
  say('starting code-server');
  server = await startCodeServer({ workspace: WORKSPACE, env, testExtensions: [DEBUGPY_ADAPTER_FIXTURE] });
  say(`code-server on ${server.url} (pid ${server.pid})`);
  const url = server.workbenchUrl({
    payload: [
      ['extensionDevelopmentPath', server.remoteUri(ROOT)],
      ['extensionTestsPath', server.remoteUri(TESTS_MODULE)],
    ],
  });

  browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // The browser console also carries the extension host's console.log (a test's own logging), as
  // "%c INFO color: #33f <text>" lines. Kept for the timeout message; CONV_LENS_VERBOSE=1 streams it.
  page.on('pageerror', (e) => browserConsole.push(`[pageerror] ${e.message}`));
  page.on('console', (m) => {
    const text = m
      .text()
      .replace(/^%c\s*(\w+)\s+color:\s*#\w+\s*/, '[$1] ')
      .split('\n')
      .slice(0, 3)
      .join('\n');
    browserConsole.push(text);
    if (browserConsole.length > 200) browserConsole.shift();
    if (process.env.CONV_LENS_VERBOSE) console.log(`  [browser ${m.type()}] ${text}`);
  });
  say('opening the workbench with the extensionTestsPath payload');
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  say('workbench loaded; waiting for the test results');

  const deadline = Date.now() + TIMEOUT_MS;
  while (!existsSync(resultFile)) {
    if (Date.now() > deadline) {
      const message =
        `no test result in ${resultFile} after ${TIMEOUT_MS / 1000} s: the extension host never ran ` +
        `or never finished the suite (${TESTS_MODULE}).\n${server.diagnostics()}` +
        (browserConsole.length
          ? `\n--- browser console (with the extension host's console.log) ---\n${browserConsole.slice(-30).join('\n')}`
          : '');
      throw new Error(message);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const result = JSON.parse(readFileSync(resultFile, 'utf8'));
  say(`suite finished in VS Code ${result.vscodeVersion ?? '?'} (${result.durationMs} ms in the extension host)`);
  for (const t of result.tests) if (t.error) t.error.stack = mapStack(t.error.stack);
  const { passed, failed } = printSpec(result.tests, mapStack(result.loadError));
  if (passed + failed === 0) console.error('no test ran: is there a *.test.ts in test/integration/suite/?');
  exitCode = failed === 0 && passed > 0 ? 0 : 1;
  console.log(`${passed} passed, ${failed} failed`);
} catch (e) {
  console.error(`integration run failed: ${e?.stack ?? e}`);
  console.log('0 passed, 1 failed');
  exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
  rmSync(resultDir, { recursive: true, force: true });
}
process.exit(exitCode);
