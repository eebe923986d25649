// The bench's results: per-round family reports → one cell per column and row (aggregate), and the Markdown
// that `npm run bench` prints and puts in the README (render). Pure functions, tested in test/bench.

/** The table's columns, in order; `ceiling`: what its GFLOP/s are a share of (see bench/ceilings.mjs). */
export const ALL_COLUMNS = [
  { id: 'conv-lens f64', header: 'Conv Lens f64', ceiling: 'scalar-js-f64' },
  { id: 'conv-lens f32 wasm', header: 'Conv Lens f32 wasm', ceiling: 'wasm-simd-f32' },
  { id: 'tfjs cpu', header: 'tfjs cpu', ceiling: 'scalar-js-f64' },
  { id: 'tfjs cpu +readback', header: 'tfjs cpu + readback', ceiling: 'scalar-js-f64' },
  { id: 'tfjs wasm', header: 'tfjs wasm', ceiling: 'wasm-simd-f32' },
  { id: 'tfjs wasm +readback', header: 'tfjs wasm + readback', ceiling: 'wasm-simd-f32' },
  { id: 'pytorch f64', header: 'PyTorch f64', ceiling: 'scalar-js-f64' },
  { id: 'pytorch f32', header: 'PyTorch f32', ceiling: 'wasm-simd-f32' },
];

/** Ratio columns: [Conv Lens column, peer column]; the peer's time over Conv Lens's. */
export const ALL_RATIOS = [
  ['conv-lens f64', 'tfjs cpu'],
  ['conv-lens f32 wasm', 'tfjs wasm'],
  ['conv-lens f32 wasm', 'tfjs wasm +readback'],
  ['conv-lens f64', 'pytorch f64'],
  ['conv-lens f32 wasm', 'pytorch f32'],
];

export const CEILING_NAMES = { 'wasm-simd-f32': 'WebAssembly SIMD128 f32x4', 'scalar-js-f64': 'scalar JS float64' };

export const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : null;
};

/** The best of each ceiling over the rounds, and the lowest page-fault cost: noise only ever makes them worse. */
export function aggregateCeilings(ceilingRounds) {
  const out = {};
  for (const key of Object.keys(CEILING_NAMES)) {
    const best = ceilingRounds.reduce((a, c) => (c[key]?.gflops > a.gflops ? c[key] : a), { gflops: 0 });
    out[key] = { gflops: best.gflops, chains: best.chains ?? null };
  }
  const faultUs = ceilingRounds.map((c) => c['page-fault']?.us).filter((us) => typeof us === 'number');
  out['page-fault'] = { us: faultUs.length ? Math.min(...faultUs) : null };
  return out;
}

/**
 * One cell per column and row from the rounds' reports (perRound[column] = [rows of round 1, …]): the median
 * of the rounds' medians; a row that was ever 'wrong' (or 'failed') stays so, with the worst |Δ|.
 */
export function aggregate({ columns, rows, perRound, ceilings }) {
  const cells = {};
  for (const col of columns) {
    cells[col.id] = {};
    for (const row of rows) {
      const seen = (perRound[col.id] ?? []).map((r) => r[row.id]).filter((c) => c && c.status !== 'skipped');
      const ok = seen.filter((c) => c.status === 'ok');
      const deltas = seen.map((c) => c.delta).filter((d) => typeof d === 'number');
      const worst = seen.find((c) => c.status === 'wrong') ?? seen.find((c) => c.status === 'failed');
      const cell = {
        status: worst?.status ?? (ok.length ? 'ok' : (seen[0]?.status ?? 'n/a')),
        ms: worst ? null : median(ok.map((c) => c.ms)),
        delta: deltas.length ? Math.max(...deltas) : null,
        tol: seen.find((c) => typeof c.tol === 'number')?.tol ?? null,
        faultsPerCall: median(ok.map((c) => c.faultsPerCall)),
        rounds: ok.length,
        note: worst?.note ?? seen.find((c) => c.note)?.note,
      };
      cell.gflops = cell.ms && row.flops ? row.flops / (cell.ms * 1e6) : null;
      const ceiling = ceilings[col.ceiling]?.gflops;
      cell.share = cell.gflops && ceiling ? cell.gflops / ceiling : null;
      const faultUs = ceilings['page-fault']?.us;
      cell.faultMs = cell.faultsPerCall !== null && faultUs ? (cell.faultsPerCall * faultUs) / 1000 : null;
      cells[col.id][row.id] = cell;
    }
  }
  return cells;
}

export const fmtMs = (ms) =>
  ms < 0.1 ? `${(ms * 1000).toFixed(2)} µs` : ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
const fmtExp = (x) => (x === 0 ? '0' : x.toExponential(1));
const flopText = (flops) => {
  if (flops === null) return '—';
  const [scale, unit] = flops >= 1e9 ? [1e9, 'G'] : flops >= 1e6 ? [1e6, 'M'] : flops >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${Number((flops / scale).toPrecision(3))} ${unit}FLOP`;
};
/** A cell where page faults on fresh memory are more than this share of the time gets the mark ᶠ. */
export const FAULT_MARK_SHARE = 0.2;

/**
 * The Markdown block: a header line, then time per call, ratios, GFLOP/s (share of ceiling) and max |Δ|, each
 * a grid of rows × columns, the notes for cells that were not measured, and the other measurements.
 */
export function render({ date, machine, rounds, versions, meta, ceilings, columns, ratios, rows, cells, extras }) {
  const torch = meta['pytorch f32'] ?? meta['pytorch f64'];
  const notFound = (col) => col.id.startsWith('pytorch') && (meta[col.id]?.notFound ?? null);
  const faulty = (cell) => cell.status === 'ok' && cell.faultMs !== null && cell.faultMs > FAULT_MARK_SHARE * cell.ms;
  const timeCell = (col, cell) => {
    if (notFound(col)) return 'PyTorch not found';
    if (cell.status === 'ok') return `${fmtMs(cell.ms)}${faulty(cell) ? ' ᶠ' : ''}`;
    if (cell.status === 'wrong') return `✗ wrong (Δ ${cell.delta === null ? '?' : fmtExp(cell.delta)})`;
    if (cell.status === 'failed') return 'failed ¹';
    return '—';
  };
  const throughputCell = (col, cell) => {
    if (notFound(col)) return 'PyTorch not found';
    if (cell.status !== 'ok' || cell.gflops === null) return '—';
    const g = cell.gflops < 10 ? cell.gflops.toFixed(2) : cell.gflops.toFixed(1);
    return cell.share === null ? g : `${g} (${Math.round(cell.share * 100)}%)`;
  };
  const deltaCell = (col, cell) => {
    if (notFound(col)) return 'PyTorch not found';
    if (cell.delta === null) return '—';
    return cell.status === 'wrong' ? `✗ ${fmtExp(cell.delta)} > ${fmtExp(cell.tol)}` : fmtExp(cell.delta);
  };
  const header = (first, names) => [
    `| ${[first, ...names].join(' | ')} |`,
    `|---|${names.map(() => '---:').join('|')}|`,
  ];
  const grid = (render, keep = () => true) => [
    ...header(
      'problem',
      columns.map((c) => c.header),
    ),
    ...rows.filter(keep).map((r) => `| ${r.label} | ${columns.map((c) => render(c, cells[c.id][r.id])).join(' | ')} |`),
  ];
  const name = (id) => columns.find((c) => c.id === id).header;
  const ratio = (r, [a, b]) => {
    const x = cells[a][r.id];
    const y = cells[b][r.id];
    return x.status === 'ok' && y.status === 'ok' ? `${(y.ms / x.ms).toFixed(2)}×` : '—';
  };
  const notes = [];
  for (const col of columns) {
    if (notFound(col)) continue;
    const byNote = new Map();
    for (const r of rows) {
      const cell = cells[col.id][r.id];
      if (cell.status !== 'ok' && cell.note) byNote.set(cell.note, [...(byNote.get(cell.note) ?? []), r.id]);
    }
    for (const [note, ids] of byNote) notes.push(`${col.header} (${ids.join(', ')}): ${note}`);
  }
  const faultUs = ceilings['page-fault']?.us;
  const torchText = torch?.notFound
    ? torch.notFound
    : torch
      ? `PyTorch ${torch.version} (${torch.python}, ${torch.threads} thread; BLAS ${torch.blas}` +
        (torch.mmGflops ? `: torch.mm ${torch.mmGflops.float64.toFixed(1)} GFLOP/s in float64)` : ')')
      : 'PyTorch not run';
  const ceilingText = Object.keys(CEILING_NAMES)
    .filter((k) => ceilings[k]?.gflops)
    .map((k) => `${CEILING_NAMES[k]} ${ceilings[k].gflops.toFixed(1)} GFLOP/s`)
    .join(', ');
  const lines = [
    `Measured ${date} on ${machine}; TensorFlow.js ${versions.tfjs ?? '—'}; ${torchText}. ${rounds} interleaved ` +
      `rounds, medians, one thread everywhere. This machine's ceilings, measured in the same run: ${ceilingText}; ` +
      `a page touched for the first time costs ${faultUs ? faultUs.toFixed(1) : '?'} µs.`,
    '',
    '**Median time per call**',
    '',
    ...header('problem', ['work', ...columns.map((c) => c.header)]),
    ...rows.map(
      (r) =>
        `| ${r.label} | ${flopText(r.flops)} | ${columns.map((c) => timeCell(c, cells[c.id][r.id])).join(' | ')} |`,
    ),
  ];
  const marks = [];
  if (columns.some((c) => rows.some((r) => faulty(cells[c.id][r.id]))))
    marks.push(
      `ᶠ more than ${FAULT_MARK_SHARE * 100}% of this time is page faults on freshly allocated memory ` +
        '(faults per call × the cost above; per cell in bench-results/latest.json)',
    );
  if (notes.length) marks.push(`— not measured, or ¹ failed: ${notes.join('; ')}`);
  for (const m of marks) lines.push('', `${m}.`);
  if (ratios.length)
    lines.push(
      '',
      "**Ratios** (the peer's time ÷ Conv Lens's; > 1× means Conv Lens is faster)",
      '',
      ...header(
        'problem',
        ratios.map(([a, b]) => `${name(a)} vs ${name(b)}`),
      ),
      ...rows.map((r) => `| ${r.label} | ${ratios.map((p) => ratio(r, p)).join(' | ')} |`),
    );
  lines.push(
    '',
    "**GFLOP/s** (2 FLOPs per multiply-add of the dense formula) and, in parentheses, the share of this machine's " +
      'ceiling: WebAssembly SIMD128 for the wasm columns and PyTorch f32, scalar JS for the others',
    '',
    ...grid(throughputCell, (r) => r.flops !== null),
    '',
    "**max |Δ| against Conv Lens's float64 answer**, checked before timing (✗: beyond the tolerance, not timed)",
    '',
    ...grid(deltaCell),
  );
  const extraRows = Object.entries(extras ?? {});
  if (extraRows.length)
    lines.push(
      '',
      '| other measurement | value |',
      '|---|---:|',
      ...extraRows.map(
        ([k, v]) => `| ${k} | ${v === null ? '—' : v.toFixed(k.includes('MB') || Math.abs(v) >= 100 ? 1 : 2)} |`,
      ),
    );
  return lines.join('\n');
}
