#!/usr/bin/env node
// `npm run bench`: Conv Lens against TensorFlow.js (cpu and wasm-SIMD backends) and PyTorch (float64 and
// float32), same machine, same run, one thread each. Usage:
//   node bench/run.mjs [--rounds 3] [--readme] [--families conv-lens,tfjs,pytorch] [--no-extras]
// (--families and --no-extras are for working on the bench; --readme wants the full run.)
//
// 1. bench/reference.ts writes every problem's inputs and Conv Lens's float64 answers (direct loops) to
//    bench/.out/data as raw float64 files: every family reads the same numbers from there.
// 2. Rounds: in each, this machine's multiply-add ceilings (bench/ceilings.mjs) and one process per engine
//    family (bench/families/*; their output contract is in bench/harness.mjs), interleaved, their order
//    rotated every round. A family checks each output against the reference before timing it (max |Δ| and
//    its tolerance in the table; an output that disagrees is reported "wrong" and not timed), then reports the
//    median time per call. The table shows the median over rounds of those medians; ceilings are the best.
//    tfjs-cpu's S3 gradients take ~20 s a call: they are measured in the first round only.
// 3. Other measurements: see below. Then the table is printed, bench-results/latest.json written, and with
//    --readme the block between <!-- bench:start --> and <!-- bench:end --> in README.md replaced.
//
// OTHER MEASUREMENTS — the contract for bench/extras/<topic>.ts (also .mts, .js, .mjs):
//   export default async function (): Promise<Record<string, number>>
// Each module is bundled with esbuild (it may import src/ directly) and run once per round in a process of
// its own (so its peak memory is its own), with the repository root as the working directory and
// dist/ already built. It returns row label → value; the label carries its unit in parentheses, e.g.
// 'hover p50 (ms)' or 'peak RSS (MB)', and must be unique across all modules (a duplicate fails the bench).
// The table lists modules in file-name order and each module's labels in its own order, with the median over
// rounds. A module that throws fails the bench with its message. Nothing else to register: drop the file in.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROWS } from './shapes.mjs';
import { ALL_COLUMNS, ALL_RATIOS, aggregate, aggregateCeilings, median, render } from './table.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', '.out');
const DATA = join(OUT, 'data');
const args = process.argv.slice(2);
const option = (name) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
const rounds = Number(option('rounds')) || 3;
const writeReadme = args.includes('--readme');
const onlyFamilies = option('families')?.split(',');
const runExtras = !args.includes('--no-extras');
if (writeReadme && (onlyFamilies || !runExtras))
  throw new Error('--readme wants the full bench: drop --families/--no-extras');
const started = Date.now();

// ---- build -------------------------------------------------------------------------------------------------
console.log('building the engine and the benchmark bundles…');
execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'ignore' });
rmSync(OUT, { recursive: true, force: true });
mkdirSync(join(OUT, 'extras'), { recursive: true });
const esbuild = join(ROOT, 'node_modules', '.bin', 'esbuild');
function bundle(entry, outfile) {
  execFileSync(
    esbuild,
    [entry, '--bundle', '--platform=node', '--format=cjs', `--outfile=${outfile}`, '--log-level=error'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}
bundle(join(ROOT, 'bench', 'families', 'convlens.ts'), join(OUT, 'convlens.cjs'));
bundle(join(ROOT, 'bench', 'reference.ts'), join(OUT, 'reference.cjs'));
const extrasDir = join(ROOT, 'bench', 'extras');
const extraModules = (existsSync(extrasDir) ? readdirSync(extrasDir) : [])
  .filter((f) => /\.(ts|mts|js|mjs)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.d.mts'))
  .sort()
  .map((file) => {
    const name = basename(file, extname(file));
    const entry = join(OUT, 'extras', `${name}.entry.mjs`);
    // the runner around the module: await its default export, print the result as the last stdout line
    writeFileSync(
      entry,
      [
        `import measure from ${JSON.stringify(join(extrasDir, file))};`,
        'measure().then(',
        "  (r) => process.stdout.write('\\n' + JSON.stringify(r) + '\\n'),",
        '  (e) => { console.error(e); process.exit(1); },',
        ');',
        '',
      ].join('\n'),
    );
    bundle(entry, join(OUT, 'extras', `${name}.cjs`));
    return { file, bundle: join(OUT, 'extras', `${name}.cjs`) };
  });

// ---- reference data ----------------------------------------------------------------------------------------
console.log("computing the inputs and Conv Lens's float64 answers…");
{
  const p = spawnSync(process.execPath, [join(OUT, 'reference.cjs'), DATA], { cwd: ROOT, encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`reference failed: ${p.stderr}`);
  console.log(`  ${(JSON.parse(p.stdout).ms / 1000).toFixed(1)} s`);
}

// ---- families ----------------------------------------------------------------------------------------------
const SLOW_TFJS_CPU = ['S3 grad-weight', 'S3 backward'];
const FAMILIES = [
  { id: 'conv-lens f64', cmd: [join(OUT, 'convlens.cjs'), 'f64'] },
  { id: 'conv-lens f32 wasm', cmd: [join(OUT, 'convlens.cjs'), 'f32'] },
  { id: 'tfjs cpu', cmd: [join(ROOT, 'bench', 'families', 'tfjs.mjs'), 'cpu'], slow: SLOW_TFJS_CPU },
  { id: 'tfjs wasm', cmd: [join(ROOT, 'bench', 'families', 'tfjs.mjs'), 'wasm'] },
  { id: 'pytorch f64', cmd: [join(ROOT, 'bench', 'families', 'pytorch.mjs'), 'f64'] },
  { id: 'pytorch f32', cmd: [join(ROOT, 'bench', 'families', 'pytorch.mjs'), 'f32'] },
].filter((f) => !onlyFamilies || onlyFamilies.some((o) => f.id.startsWith(o)));

const COLUMNS = ALL_COLUMNS.filter((c) => FAMILIES.some((f) => c.id.startsWith(f.id)));
const RATIOS = ALL_RATIOS.filter(([a, b]) => [a, b].every((id) => COLUMNS.some((c) => c.id === id)));

let failures = 0;
function runFamily(f, round) {
  const skip = round > 0 && f.slow ? ['--skip', f.slow.join(',')] : [];
  const p = spawnSync(process.execPath, [...f.cmd, '--data', DATA, ...skip], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const last = p.stdout?.trim().split('\n').at(-1);
  if (p.status === 0 && last?.startsWith('{')) return JSON.parse(last).columns;
  failures++;
  const note = `the family's process failed (${p.status ?? p.signal}): ${(p.stderr ?? '').trim().split('\n').at(-1)}`;
  console.error(`${f.id}: ${note}\n${p.stderr}`);
  return Object.fromEntries(
    COLUMNS.filter((c) => c.id.startsWith(f.id)).map((c) => [
      c.id,
      { meta: {}, rows: Object.fromEntries(ROWS.map((r) => [r.id, { status: 'failed', note }])) },
    ]),
  );
}

const perRound = Object.fromEntries(COLUMNS.map((c) => [c.id, []]));
const meta = {};
const ceilingRounds = [];
for (let r = 0; r < rounds; r++) {
  const t0 = Date.now();
  const c = spawnSync(process.execPath, [join(ROOT, 'bench', 'ceilings.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (c.status !== 0) throw new Error(`ceilings failed: ${c.stderr}`);
  ceilingRounds.push(JSON.parse(c.stdout));
  console.log(`round ${r + 1}/${rounds}: ceilings (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const order = FAMILIES.map((_, i) => FAMILIES[(i + r) % FAMILIES.length]);
  for (const f of order) {
    const t = Date.now();
    const columns = runFamily(f, r);
    for (const [id, col] of Object.entries(columns)) {
      perRound[id]?.push(col.rows);
      if (Object.keys(col.meta).length) meta[id] = col.meta;
    }
    console.log(`round ${r + 1}/${rounds}: ${f.id} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
}

// ---- other measurements ------------------------------------------------------------------------------------
const extrasRounds = [];
for (let r = 0; r < (runExtras ? rounds : 0); r++) {
  const merged = {};
  for (const m of extraModules) {
    const t = Date.now();
    const p = spawnSync(process.execPath, [m.bundle], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
    if (p.status !== 0) throw new Error(`bench/extras/${m.file} failed: ${p.stderr}`);
    const result = JSON.parse(p.stdout.trim().split('\n').at(-1));
    for (const [label, value] of Object.entries(result)) {
      if (label in merged) throw new Error(`bench/extras/${m.file}: the label '${label}' is also another module's`);
      if (typeof value !== 'number') throw new Error(`bench/extras/${m.file}: '${label}' is not a number`);
      merged[label] = value;
    }
    console.log(`round ${r + 1}/${rounds}: extras/${m.file} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
  extrasRounds.push(merged);
}

// ---- aggregate and render ---------------------------------------------------------------------------------
const ceilings = aggregateCeilings(ceilingRounds);
const cells = aggregate({ columns: COLUMNS, rows: ROWS, perRound, ceilings });
const table = Object.fromEntries(
  COLUMNS.map((c) => [c.id, Object.fromEntries(ROWS.map((r) => [r.id, cells[c.id][r.id].ms]))]),
);
const extras = Object.fromEntries(
  Object.keys(extrasRounds[0] ?? {}).map((k) => [k, median(extrasRounds.map((e) => e[k]))]),
);
const torchMeta = meta['pytorch f32'] ?? meta['pytorch f64'];
const versions = {
  convLens: meta['conv-lens f64']?.version ?? null,
  node: process.versions.node,
  v8: process.versions.v8,
  tfjs: meta['tfjs cpu']?.version ?? meta['tfjs wasm']?.version ?? null,
  torch: torchMeta?.version ?? null,
  torchThreads: torchMeta?.threads ?? null,
  torchBlas: torchMeta?.blas ?? null,
  python: torchMeta?.python ?? null,
};
// a VM's model name hides the generation ("AMD EPYC"), and two hosts of one name can differ 2× in native
// float32 throughput (Zen 4 runs AVX-512 on 256-bit datapaths, Zen 5 on 512-bit): the cpuid family and model say
function cpuIdentity() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name) => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(info)?.[1]?.trim();
    const family = field('cpu family');
    const model = field('model');
    return family && model ? `, cpuid family ${family} model ${model}` : '';
  } catch {
    return '';
  }
}
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}${cpuIdentity()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`;
const date = new Date().toISOString();
const markdown = render({
  date: date.slice(0, 10),
  machine,
  rounds,
  versions,
  meta,
  ceilings,
  columns: COLUMNS,
  ratios: RATIOS,
  rows: ROWS,
  cells,
  extras,
});
console.log(`\n${markdown}\n`);

mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
writeFileSync(
  join(ROOT, 'bench-results', 'latest.json'),
  JSON.stringify(
    {
      date,
      machine,
      rounds,
      durationS: (Date.now() - started) / 1000,
      flopCount: '2 FLOPs per multiply-add of the dense conv formula; backward with both gradients counts two products',
      versions,
      families: Object.fromEntries(COLUMNS.map((c) => [c.id, { header: c.header, ceiling: c.ceiling, ...meta[c.id] }])),
      ceilings: { ...ceilings, rounds: ceilingRounds },
      rows: ROWS.map((r) => ({ id: r.id, label: r.label, flops: r.flops })),
      table,
      delta: Object.fromEntries(
        COLUMNS.map((c) => [c.id, Object.fromEntries(ROWS.map((r) => [r.id, cells[c.id][r.id].delta]))]),
      ),
      gflops: Object.fromEntries(
        COLUMNS.map((c) => [c.id, Object.fromEntries(ROWS.map((r) => [r.id, cells[c.id][r.id].gflops]))]),
      ),
      cells,
      extras,
      perRound,
      extrasRounds,
    },
    null,
    2,
  ),
);
console.log(`wrote bench-results/latest.json (${((Date.now() - started) / 60000).toFixed(1)} min in all)`);
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
if (failures) {
  console.error(`${failures} family process(es) failed: see above`);
  process.exitCode = 1;
}
