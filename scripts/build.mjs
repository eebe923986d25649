// One build for every bundle: the extension host, its engine worker, the CLI and the panel's webview.
// Usage: node scripts/build.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// the WebAssembly kernels first: the bundles embed them (src/engine/fast/convWasm.generated.ts)
execFileSync(process.execPath, [fileURLToPath(new URL('./build-wasm.mjs', import.meta.url))], { stdio: 'inherit' });

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  define: { CONV_LENS_VERSION: JSON.stringify(version) },
};

/** Prints esbuild's errors in the form VS Code's $esbuild-watch problem matcher reads. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...common, entryPoints: ['src/worker.ts'], outfile: 'dist/worker.js' },
  { ...common, entryPoints: ['src/cli/bin.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  {
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview/main.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  {
    ...common,
    entryPoints: ['webview/tensorFile.ts'],
    outfile: 'dist/webview/tensorFile.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

// The codicon font and stylesheet are served to the webview from dist/webview (its only script/style root
// besides media/), so they travel in the VSIX without node_modules.
const codicons = new URL('../node_modules/@vscode/codicons/dist/', import.meta.url);
if (existsSync(codicons)) {
  mkdirSync(new URL('../dist/webview/', import.meta.url), { recursive: true });
  for (const file of ['codicon.css', 'codicon.ttf'])
    copyFileSync(new URL(file, codicons), new URL(`../dist/webview/${file}`, import.meta.url));
}

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context({ ...options, plugins: [problemMatcher] });
    await ctx.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
