// Bundles the extension-host tests: test/integration/suite/index.ts and every **/*.test.ts under it
// into out/integration/suite/ (CJS, `vscode` and `mocha` left to the extension host / node_modules:
// the tests must share the one mocha instance that index.ts creates). Helpers imported by tests are
// bundled into each test file. Usage: node scripts/vscode/build-tests.mjs
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'test', 'integration');
const OUT = join(ROOT, 'out', 'integration');

const entryPoints = readdirSync(join(SRC, 'suite'), { recursive: true })
  .map((f) => join(SRC, 'suite', String(f)))
  .filter((f) => f.endsWith('/index.ts') || f.endsWith('.test.ts'));

// A clean folder, so a deleted or renamed test never runs from a stale bundle.
rmSync(OUT, { recursive: true, force: true });
await esbuild.build({
  entryPoints,
  outbase: SRC,
  outdir: OUT,
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});
console.log(
  `built ${entryPoints.length} integration file(s) into ${relative(ROOT, OUT)}/: ${entryPoints.map((f) => relative(SRC, f)).join(', ')}`,
);
