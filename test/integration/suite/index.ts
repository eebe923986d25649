/**
 * Entry point of the extension-host tests (the `extensionTestsPath` module). VS Code calls `run()`
 * inside the real extension host, both under code-server (scripts/vscode/run-integration.mjs) and
 * under @vscode/test-electron (scripts/vscode/run-integration-electron.mjs).
 *
 * It loads every compiled `*.test.js` beside it (sources: test/integration/suite/**\/*.test.ts,
 * built by scripts/vscode/build-tests.mjs), runs them with mocha (tdd ui: suite/test, or bdd's
 * describe/it imported from 'mocha'), and writes the result as JSON to $CONV_LENS_TEST_RESULT
 * (default: <tmpdir>/conv-lens-integration-result.json), because a browser page never exits.
 */
import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Mocha from 'mocha';

export interface TestRecord {
  /** Suite titles then the test title (a hook failure's title names the hook). */
  titlePath: string[];
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: { message: string; stack?: string; expected?: string; actual?: string };
}

export interface RunResult {
  passes: number;
  failures: number;
  pending: number;
  durationMs: number;
  tests: TestRecord[];
  /** Set when the suite could not even start (a test file that throws while loading, say). */
  loadError?: string;
  vscodeVersion?: string;
}

export function resultFile(): string {
  return process.env.CONV_LENS_TEST_RESULT || join(tmpdir(), 'conv-lens-integration-result.json');
}

function writeResult(result: RunResult): void {
  const file = resultFile();
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(result, null, 2));
  renameSync(partial, file); // atomic: the runner never reads half a file
}

function errorOf(err: unknown): TestRecord['error'] {
  const e = err as { message?: string; stack?: string; expected?: unknown; actual?: unknown; showDiff?: boolean };
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  return {
    message: String(e?.message ?? err),
    stack: e?.stack,
    ...(e && 'expected' in e && e.showDiff !== false ? { expected: show(e.expected), actual: show(e.actual) } : {}),
  };
}

function vscodeVersion(): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('vscode') as typeof import('vscode')).version;
  } catch {
    return undefined;
  }
}

export function run(): Promise<void> {
  const started = Date.now();
  // The bundles carry inline source maps: make stack traces point at the .ts sources.
  process.setSourceMapsEnabled?.(true);
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    reporter: 'spec', // goes to the extension host's stdout/log; the runner prints from the JSON
    timeout: Number(process.env.CONV_LENS_TEST_TIMEOUT_MS) || 30_000,
    ...(process.env.CONV_LENS_TEST_GREP ? { grep: process.env.CONV_LENS_TEST_GREP } : {}),
  });
  const files = readdirSync(__dirname, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(join(__dirname, f));

  const tests: TestRecord[] = [];
  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const result: RunResult = {
          passes: tests.filter((t) => t.state === 'passed').length,
          failures: tests.filter((t) => t.state === 'failed').length,
          pending: tests.filter((t) => t.state === 'pending').length,
          durationMs: Date.now() - started,
          tests,
          vscodeVersion: vscodeVersion(),
        };
        writeResult(result);
        if (failures > 0 || result.failures > 0) reject(new Error(`${result.failures} test(s) failed`));
        else resolve();
      });
      runner.on('pass', (t) => tests.push({ titlePath: t.titlePath(), state: 'passed', durationMs: t.duration }));
      runner.on('fail', (t, err) =>
        tests.push({ titlePath: t.titlePath(), state: 'failed', durationMs: t.duration, error: errorOf(err) }),
      );
      runner.on('pending', (t) => tests.push({ titlePath: t.titlePath(), state: 'pending' }));
    } catch (err) {
      const e = err as Error;
      writeResult({
        passes: 0,
        failures: 1,
        pending: 0,
        durationMs: Date.now() - started,
        tests,
        loadError: e?.stack ?? String(err),
        vscodeVersion: vscodeVersion(),
      });
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
