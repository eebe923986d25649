#!/usr/bin/env node
// The same extension-host suite as run-integration.mjs, under @vscode/test-electron's runTests: it
// downloads a desktop VS Code into .vscode-test/ and runs out/integration/suite/index.js in it. For
// machines that can reach Microsoft's update servers (ours cannot: use run-integration.mjs there).
// On Linux without a display run it under Xvfb: `xvfb-run -a node scripts/vscode/run-integration-electron.mjs`.
// Usage: node scripts/vscode/run-integration-electron.mjs
// Env: VSCODE_VERSION (default 'stable'; e.g. 1.90.0, the lowest engine package.json accepts),
//      CONV_LENS_TEST_GREP, CONV_LENS_TEST_TIMEOUT_MS, CONV_LENS_SKIP_BUILD=1.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { ROOT } from './server.mjs';
import { mapStack, printSpec, step } from './report.mjs';

const WORKSPACE = join(ROOT, 'test', 'integration', 'workspace');
const TESTS_MODULE = join(ROOT, 'out', 'integration', 'suite', 'index.js');
const t0 = Date.now();
const say = (msg) => console.log(`[integration-electron +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

if (!process.env.CONV_LENS_SKIP_BUILD) {
  step(say, 'building the extension (scripts/build.mjs)', process.execPath, ['scripts/build.mjs']);
  step(say, 'building the tests (scripts/vscode/build-tests.mjs)', process.execPath, [
    'scripts/vscode/build-tests.mjs',
  ]);
}

const tmp = mkdtempSync(join(tmpdir(), 'conv-lens-electron-'));
const resultFile = join(tmp, 'result.json');
const extensionTestsEnv = { CONV_LENS_TEST_RESULT: resultFile };
for (const k of ['CONV_LENS_TEST_GREP', 'CONV_LENS_TEST_TIMEOUT_MS'])
  if (process.env[k]) extensionTestsEnv[k] = process.env[k];

let exitCode = 1;
try {
  say(`running the suite in VS Code ${process.env.VSCODE_VERSION || 'stable'} (downloaded by @vscode/test-electron)`);
  let vscodeExit;
  try {
    vscodeExit = await runTests({
      version: process.env.VSCODE_VERSION || 'stable',
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: TESTS_MODULE,
      extensionTestsEnv,
      launchArgs: [
        WORKSPACE,
        '--disable-extensions', // other installed extensions; the one under development still loads
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--user-data-dir',
        join(tmp, 'user-data'),
        '--extensions-dir',
        join(tmp, 'extensions'),
      ],
    });
  } catch (e) {
    // runTests rejects when VS Code exits non-zero, which is also what a failing suite does.
    vscodeExit = e;
  }
  if (!existsSync(resultFile)) {
    const why = String(vscodeExit?.message ?? vscodeExit);
    const hint = /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|download/i.test(why)
      ? '\nVS Code could not be downloaded here: use `node scripts/vscode/run-integration.mjs` (code-server) instead.'
      : '';
    throw new Error(`VS Code ended (${why}) without writing ${resultFile}${hint}`);
  }
  const result = JSON.parse(readFileSync(resultFile, 'utf8'));
  say(`suite finished in VS Code ${result.vscodeVersion ?? '?'} (${result.durationMs} ms in the extension host)`);
  for (const t of result.tests) if (t.error) t.error.stack = mapStack(t.error.stack);
  const { passed, failed } = printSpec(result.tests, mapStack(result.loadError));
  exitCode = failed === 0 && passed > 0 ? 0 : 1;
  console.log(`${passed} passed, ${failed} failed`);
} catch (e) {
  console.error(`integration (electron) run failed: ${e?.stack ?? e}`);
  console.log('0 passed, 1 failed');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
