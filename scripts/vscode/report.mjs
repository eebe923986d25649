// Prints test records mocha-spec style. Shared by run-integration.mjs and run-e2e.mjs.
// A record: { titlePath: string[], state: 'passed'|'failed'|'pending', durationMs?, error?: { message, stack?, expected?, actual? } }
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs a build step with inherited output; on failure prints the closing line and exits 1. */
export function step(say, title, cmd, args) {
  say(title);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${title} failed (exit ${r.status})`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const color = (code, s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const green = (s) => color(32, s);
const red = (s) => color(31, s);
const cyan = (s) => color(36, s);
const gray = (s) => color(90, s);

/** Prints the records; returns { passed, failed, pending }. The caller prints the final `N passed, M failed`. */
export function printSpec(tests, loadError) {
  const failures = [];
  let printedPath = [];
  console.log('');
  for (const t of tests) {
    const suites = t.titlePath.slice(0, -1);
    const title = t.titlePath[t.titlePath.length - 1];
    // Print the suite headings that differ from the previous test's.
    let common = 0;
    while (common < suites.length && common < printedPath.length && suites[common] === printedPath[common]) common++;
    for (let i = common; i < suites.length; i++) console.log(`${'  '.repeat(i + 1)}${suites[i]}`);
    printedPath = suites;
    const indent = '  '.repeat(suites.length + 1);
    const ms = t.durationMs !== undefined ? gray(` (${t.durationMs}ms)`) : '';
    if (t.state === 'passed') console.log(`${indent}${green('✔')} ${gray(title)}${ms}`);
    else if (t.state === 'pending') console.log(`${indent}${cyan(`- ${title}`)}`);
    else {
      failures.push(t);
      console.log(`${indent}${red(`${failures.length}) ${title}`)}${ms}`);
    }
  }
  const passed = tests.filter((t) => t.state === 'passed').length;
  const pending = tests.filter((t) => t.state === 'pending').length;
  let failed = failures.length;
  console.log('');
  console.log(green(`  ${passed} passing`));
  if (pending) console.log(cyan(`  ${pending} pending`));
  if (loadError) {
    failed += 1;
    console.log(red(`  the suite failed to load:`));
    console.log(
      loadError
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n'),
    );
  }
  if (failures.length) {
    console.log(red(`  ${failures.length} failing`));
    failures.forEach((t, i) => {
      console.log('');
      const [first, ...rest] = t.titlePath;
      console.log(`  ${i + 1}) ${first}`);
      rest.forEach((p, j) => console.log(`${'  '.repeat(j + 3)} ${p}${j === rest.length - 1 ? ':' : ''}`));
      const err = t.error ?? { message: 'unknown error' };
      const stack = err.stack && err.stack.includes(err.message) ? err.stack : `${err.message}\n${err.stack ?? ''}`;
      console.log(
        red(
          stack
            .split('\n')
            .filter(Boolean)
            .map((l) => `     ${l}`)
            .join('\n'),
        ),
      );
      // node:assert already puts a diff in its message; show expected/actual only when it did not.
      if ((err.expected !== undefined || err.actual !== undefined) && !/\+ actual - expected/.test(stack)) {
        const block = (sign, v) =>
          String(v)
            .split('\n')
            .map((l) => `     ${sign} ${l}`)
            .join('\n');
        console.log(`     ${green('+ expected')} ${red('- actual')}`);
        console.log(green(block('+', err.expected)));
        console.log(red(block('-', err.actual)));
      }
    });
  }
  console.log('');
  return { passed, failed, pending };
}

/**
 * Rewrites stack frames of the bundled tests (out/integration/**.js:L:C) to their .ts sources through
 * the bundles' inline source maps (the extension host's own stack formatting ignores source maps).
 */
const sourceMaps = new Map();
export function mapStack(text) {
  if (!text) return text;
  return text.replace(/((?:\/[^\s()]*?)?out\/integration\/[^\s():]+\.js):(\d+):(\d+)/g, (whole, file, line, col) => {
    const abs = isAbsolute(file) ? file : resolve(ROOT, file);
    if (!sourceMaps.has(abs)) {
      let map = null;
      try {
        const m = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(readFileSync(abs, 'utf8'));
        if (m) map = new SourceMap(JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')));
      } catch {}
      sourceMaps.set(abs, map);
    }
    const entry = sourceMaps.get(abs)?.findEntry(Number(line) - 1, Number(col) - 1);
    if (!entry?.originalSource) return whole;
    const src = entry.originalSource.replace(/^file:\/\//, '');
    const shown = relative(ROOT, isAbsolute(src) ? src : resolve(dirname(abs), src));
    return `${shown}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
