#!/usr/bin/env node
// `npm run bench`: Conv Lens against TensorFlow.js (cpu and wasm-SIMD backends), same machine, same run.
// One process per engine family per round, families interleaved and their order rotated every round, the
// median of each family's per-round medians reported, and the ratios computed from those. Prints a table,
// writes bench-results/latest.json, and with --readme replaces the table in README.md.
// Usage: node bench/run.mjs [--rounds 3] [--readme]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKWARD, CONV_SHAPES, POOL } from './shapes.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', '.out');
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 3;
const writeReadme = args.includes('--readme');

console.log('building the engine and the benchmark bundles…');
execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'ignore' });
mkdirSync(OUT, { recursive: true });
for (const name of ['convlens', 'extras']) {
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'esbuild'),
    [
      join(ROOT, 'bench', 'families', `${name}.ts`),
      '--bundle',
      '--platform=node',
      '--format=cjs',
      `--outfile=${join(OUT, `${name}.cjs`)}`,
      '--log-level=error',
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

// tfjs-cpu needs ~25 s per S3 weight gradient (see the issue): it is measured in the first round only
const FAMILIES = [
  { id: 'conv-lens f64', cmd: [join(OUT, 'convlens.cjs'), 'f64'] },
  { id: 'conv-lens f32 wasm', cmd: [join(OUT, 'convlens.cjs'), 'f32'] },
  {
    id: 'tfjs cpu',
    cmd: [join(ROOT, 'bench', 'families', 'tfjs.mjs'), 'cpu'],
    slow: ['S3 grad-weight', 'S3 backward'],
  },
  { id: 'tfjs wasm', cmd: [join(ROOT, 'bench', 'families', 'tfjs.mjs'), 'wasm'] },
];

const perRound = Object.fromEntries(FAMILIES.map((f) => [f.id, []]));
for (let r = 0; r < rounds; r++) {
  const order = FAMILIES.map((_, i) => FAMILIES[(i + r) % FAMILIES.length]);
  for (const f of order) {
    const skip = r > 0 && f.slow ? f.slow.join(',') : '';
    const t = Date.now();
    const p = spawnSync(process.execPath, [...f.cmd, skip], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
    if (p.status !== 0) throw new Error(`${f.id} failed: ${p.stderr}`);
    // the last line: tfjs prints a banner about tfjs-node to stdout first
    perRound[f.id].push(JSON.parse(p.stdout.trim().split('\n').at(-1)));
    console.log(`round ${r + 1}/${rounds}: ${f.id} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
}
const extrasRounds = [];
for (let r = 0; r < rounds; r++) {
  const p = spawnSync(process.execPath, [join(OUT, 'extras.cjs')], { cwd: ROOT, encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`extras failed: ${p.stderr}`);
  extrasRounds.push(JSON.parse(p.stdout));
}

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : null;
};
const ids = [...CONV_SHAPES.map((s) => s.id), ...BACKWARD.map((b) => b.id), POOL.id];
const table = {};
for (const f of FAMILIES)
  table[f.id] = Object.fromEntries(ids.map((id) => [id, median(perRound[f.id].map((m) => m[id]))]));
const extras = Object.fromEntries(Object.keys(extrasRounds[0]).map((k) => [k, median(extrasRounds.map((e) => e[k]))]));

const fmt = (ms) =>
  ms === null
    ? '—'
    : ms < 0.1
      ? `${(ms * 1000).toFixed(2)} µs`
      : ms < 10
        ? `${ms.toFixed(2)} ms`
        : `${ms.toFixed(1)} ms`;
const ratio = (a, b) => (a === null || b === null ? '—' : `${(b / a).toFixed(2)}×`);
const labels = Object.fromEntries(CONV_SHAPES.map((s) => [s.id, `${s.id} ${s.label}`]));
const lines = [];
lines.push(
  '| problem | conv-lens f64 | conv-lens f32 wasm | tfjs cpu | tfjs wasm SIMD | f64 vs tfjs cpu | f32 vs tfjs wasm |',
);
lines.push('|---|---:|---:|---:|---:|---:|---:|');
for (const id of ids) {
  const c = table['conv-lens f64'][id];
  const w = table['conv-lens f32 wasm'][id];
  const tc = table['tfjs cpu'][id];
  const tw = table['tfjs wasm'][id];
  lines.push(
    `| ${labels[id] ?? id} | ${fmt(c)} | ${fmt(w)} | ${fmt(tc)} | ${fmt(tw)} | ${ratio(c, tc)} | ${ratio(w, tw)} |`,
  );
}
const extraLines = Object.entries(extras).map(
  ([k, v]) => `| ${k} | ${v === null ? '—' : v.toFixed(k.includes('MB') ? 1 : 2)} |`,
);
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const machine = `${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}; ${rounds} interleaved rounds, medians; ratios > 1× mean Conv Lens is faster`;
const markdown = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}.`,
  '',
  ...lines,
  '',
  '| other measurement | value |',
  '|---|---:|',
  ...extraLines,
].join('\n');
console.log(`\n${markdown}\n`);

mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
writeFileSync(
  join(ROOT, 'bench-results', 'latest.json'),
  JSON.stringify({ date: new Date().toISOString(), machine, rounds, table, extras, perRound, extrasRounds }, null, 2),
);
console.log('wrote bench-results/latest.json');
if (writeReadme) {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < 0) throw new Error('README.md has no <!-- bench:start --> … <!-- bench:end --> block');
  writeFileSync(join(ROOT, 'README.md'), `${readme.slice(0, i + start.length)}\n${markdown}\n${readme.slice(j)}`);
  console.log('updated the table in README.md');
}
