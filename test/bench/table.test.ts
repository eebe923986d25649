// The bench's table from the families' reports: medians over rounds, a wrong output shown as wrong (never as a
// time), GFLOP/s and shares of the ceilings, ratios, the page-fault mark, and "PyTorch not found".
import { describe, expect, it } from 'vitest';
import { ALL_COLUMNS, ALL_RATIOS, aggregate, aggregateCeilings, render } from '../../bench/table.mjs';

const rows = [
  { id: 'A', label: 'A 1×1', flops: 2e6 },
  { id: 'B', label: 'B 2×2', flops: 4e6 },
  { id: 'P', label: 'pool', flops: null },
];
const ceilings = aggregateCeilings([
  {
    'wasm-simd-f32': { gflops: 40, chains: 12 },
    'scalar-js-f64': { gflops: 10, chains: 14 },
    'page-fault': { us: 10 },
  },
  { 'wasm-simd-f32': { gflops: 50, chains: 12 }, 'scalar-js-f64': { gflops: 8, chains: 14 }, 'page-fault': { us: 12 } },
  { 'wasm-simd-f32': { gflops: 45, chains: 12 }, 'scalar-js-f64': { gflops: 9, chains: 14 }, 'page-fault': { us: 11 } },
]);
const ok = (ms: number, extra: Record<string, unknown> = {}) => ({
  status: 'ok',
  ms,
  delta: 1e-6,
  tol: 1e-3,
  faultsPerCall: 0,
  ...extra,
});
const columns = ALL_COLUMNS.filter((c) => ['conv-lens f64', 'tfjs cpu', 'pytorch f64'].includes(c.id));
const perRound = {
  'conv-lens f64': [
    { A: ok(1), B: ok(2, { faultsPerCall: 100 }), P: ok(3) },
    { A: ok(3), B: ok(2, { faultsPerCall: 100 }), P: ok(3) },
    { A: ok(2), B: ok(2, { faultsPerCall: 100 }), P: ok(3) },
  ],
  'tfjs cpu': [
    { A: ok(4), B: { status: 'wrong', delta: 0.5, tol: 1e-3 }, P: { status: 'n/a', note: 'no kernel' } },
    { A: { status: 'skipped' }, B: ok(8), P: { status: 'n/a', note: 'no kernel' } },
  ],
  'pytorch f64': [{ A: { status: 'n/a', note: 'PyTorch not found' }, B: { status: 'n/a' }, P: { status: 'n/a' } }],
};
const cells = aggregate({ columns, rows, perRound, ceilings });

describe('bench table', () => {
  it('takes the best ceiling and the lowest page-fault cost', () => {
    expect(ceilings['wasm-simd-f32'].gflops).toBe(50);
    expect(ceilings['scalar-js-f64'].gflops).toBe(10);
    expect(ceilings['page-fault'].us).toBe(10);
  });

  it('aggregates the median over rounds, ignoring skipped rounds; a wrong round keeps the cell wrong', () => {
    expect(cells['conv-lens f64'].A.ms).toBe(2);
    expect(cells['conv-lens f64'].A.gflops).toBeCloseTo(1); // 2e6 FLOP in 2 ms
    expect(cells['conv-lens f64'].A.share).toBeCloseTo(0.1); // of the scalar-JS ceiling, 10 GFLOP/s
    expect(cells['tfjs cpu'].A).toMatchObject({ status: 'ok', ms: 4, rounds: 1 });
    expect(cells['tfjs cpu'].B).toMatchObject({ status: 'wrong', ms: null, delta: 0.5 });
    expect(cells['conv-lens f64'].B.faultMs).toBeCloseTo(1); // 100 faults × 10 µs
  });

  it('renders times, ratios, throughput and Δ; wrong is never a time; PyTorch not found is said', () => {
    const md = render({
      date: '2026-01-01',
      machine: 'test machine',
      rounds: 3,
      versions: { tfjs: '4.22.0' },
      meta: { 'pytorch f64': { notFound: 'PyTorch not found (tried /usr/bin/python3: not installed)' } },
      ceilings,
      columns,
      ratios: ALL_RATIOS.filter(([a, b]) => a === 'conv-lens f64' && b === 'tfjs cpu'),
      rows,
      cells,
      extras: { 'hover p50 (ms)': 3.14159, 'peak RSS (MB)': 250.44 },
    });
    const line = (label: string, table: string) => {
      const start = md.indexOf(table);
      const next = md.indexOf('\n**', start + 1);
      const block = md.slice(start, next < 0 ? undefined : next);
      return block.split('\n').find((l) => l.startsWith(`| ${label} |`));
    };
    expect(md).toContain('PyTorch not found (tried /usr/bin/python3: not installed)');
    expect(line('A 1×1', '**Median time')).toBe('| A 1×1 | 2 MFLOP | 2.00 ms | 4.00 ms | PyTorch not found |');
    // B: 1 ms of its 2 ms are page faults → marked; tfjs's wrong output shows its Δ, not a time
    expect(line('B 2×2', '**Median time')).toBe(
      '| B 2×2 | 4 MFLOP | 2.00 ms ᶠ | ✗ wrong (Δ 5.0e-1) | PyTorch not found |',
    );
    expect(md).toContain('ᶠ more than 20% of this time is page faults');
    expect(md).toContain('tfjs cpu (P): no kernel');
    expect(line('A 1×1', '**Ratios')).toBe('| A 1×1 | 2.00× |');
    expect(line('B 2×2', '**Ratios')).toBe('| B 2×2 | — |');
    expect(line('A 1×1', '**GFLOP/s')).toBe('| A 1×1 | 1.00 (10%) | 0.50 (5%) | PyTorch not found |');
    expect(line('pool', '**GFLOP/s')).toBeUndefined(); // no multiply-adds, no GFLOP/s row
    expect(line('B 2×2', '**max |Δ|')).toBe('| B 2×2 | 1.0e-6 | ✗ 5.0e-1 > 1.0e-3 | PyTorch not found |');
    expect(md).toContain('| hover p50 (ms) | 3.14 |');
    expect(md).toContain('| peak RSS (MB) | 250.4 |');
    expect(md).toContain('WebAssembly SIMD128 f32x4 50.0 GFLOP/s, scalar JS float64 10.0 GFLOP/s');
  });
});
