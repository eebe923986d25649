import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRandom } from '../../src/engine/gradcheck';
import type { Triple, WindowGeometry } from '../../src/engine/geometry';
import { gather } from '../../src/engine/window';
import { fftApplies, fftConv } from '../../src/engine/algorithms/fft';
import { winogradApplies, winogradConv } from '../../src/engine/algorithms/winograd';

// ---------------------------------------------------------------------------------------------------------
// Generators

interface DimSpec {
  big: number;
  kernel: number;
  stride: number;
  dilation: number;
  padBefore: number;
  padAfter: number;
}

const TRIVIAL: DimSpec = { big: 1, kernel: 1, stride: 1, dilation: 1, padBefore: 0, padAfter: 0 };

function outSize(d: DimSpec): number {
  return Math.floor((d.big + d.padBefore + d.padAfter - d.dilation * (d.kernel - 1) - 1) / d.stride) + 1;
}

/** One spatial dim; padding in 0 … effective kernel − 1 on each side. */
function dimArb(
  o: { kernel?: fc.Arbitrary<number>; stride?: fc.Arbitrary<number>; dilation?: fc.Arbitrary<number> } = {},
): fc.Arbitrary<DimSpec> {
  return fc
    .record({
      big: fc.integer({ min: 1, max: 9 }),
      kernel: o.kernel ?? fc.integer({ min: 1, max: 4 }),
      stride: o.stride ?? fc.integer({ min: 1, max: 3 }),
      dilation: o.dilation ?? fc.integer({ min: 1, max: 2 }),
    })
    .chain((d) => {
      const eff = d.dilation * (d.kernel - 1) + 1;
      return fc.record({
        big: fc.constant(d.big),
        kernel: fc.constant(d.kernel),
        stride: fc.constant(d.stride),
        dilation: fc.constant(d.dilation),
        padBefore: fc.integer({ min: 0, max: eff - 1 }),
        padAfter: fc.integer({ min: 0, max: eff - 1 }),
      });
    })
    .filter((d) => outSize(d) >= 1);
}

interface Case {
  w: WindowGeometry;
  seed: number;
  hasBias: boolean;
}

function caseArb(dims: fc.Arbitrary<[DimSpec, DimSpec, DimSpec]>): fc.Arbitrary<Case> {
  return fc
    .record({
      batch: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 3 }),
      bigPerGroup: fc.integer({ min: 1, max: 3 }),
      smallPerGroup: fc.integer({ min: 1, max: 3 }),
      dims,
      hasBias: fc.boolean(),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
    })
    .map(({ batch, groups, bigPerGroup, smallPerGroup, dims: ds, hasBias, seed }) => {
      const pick = (k: keyof DimSpec): Triple => [ds[0][k], ds[1][k], ds[2][k]];
      const w: WindowGeometry = {
        batch,
        groups,
        bigChannels: groups * bigPerGroup,
        smallChannels: groups * smallPerGroup,
        big: pick('big'),
        small: [outSize(ds[0]), outSize(ds[1]), outSize(ds[2])],
        kernel: pick('kernel'),
        stride: pick('stride'),
        dilation: pick('dilation'),
        padBefore: pick('padBefore'),
      };
      return { w, seed, hasBias };
    });
}

/** Spatial rank 1, 2 or 3: the leading dims of a lower-rank problem are trivial, as the engine normalises them. */
const anyDims: fc.Arbitrary<[DimSpec, DimSpec, DimSpec]> = fc
  .integer({ min: 1, max: 3 })
  .chain((rank) =>
    fc.tuple(rank >= 3 ? dimArb() : fc.constant(TRIVIAL), rank >= 2 ? dimArb() : fc.constant(TRIVIAL), dimArb()),
  );

const three = { kernel: fc.constant(3), stride: fc.constant(1), dilation: fc.constant(1) };
/** 2-D, 3×3, stride 1, dilation 1 (padding 0 … 2 either side). */
const winogradDims: fc.Arbitrary<[DimSpec, DimSpec, DimSpec]> = fc.tuple(
  fc.constant(TRIVIAL),
  dimArb(three),
  dimArb(three),
);
/** conv3d with a 1×3×3 kernel: depth of any size, stride, dilation, and padding up to 1 (whole planes of padding). */
const winogradDepthDims: fc.Arbitrary<[DimSpec, DimSpec, DimSpec]> = fc.tuple(
  fc.record({
    big: fc.integer({ min: 1, max: 4 }),
    kernel: fc.constant(1),
    stride: fc.integer({ min: 1, max: 3 }),
    dilation: fc.integer({ min: 1, max: 2 }),
    padBefore: fc.integer({ min: 0, max: 1 }),
    padAfter: fc.integer({ min: 0, max: 1 }),
  }),
  dimArb(three),
  dimArb(three),
);

/** deterministic values from the case's seed (the engine's mulberry32), so a failing case replays exactly */
const rng = seededRandom;

function values(n: number, next: () => number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = next() * 4 - 2; // [-2, 2)
  return a;
}

function tensors(c: Case): { big: Float64Array; weight: Float64Array; bias: Float64Array | null } {
  const { w } = c;
  const next = rng(c.seed);
  const big = values(w.batch * w.bigChannels * w.big[0] * w.big[1] * w.big[2], next);
  const weight = values(w.smallChannels * (w.bigChannels / w.groups) * w.kernel[0] * w.kernel[1] * w.kernel[2], next);
  const bias = c.hasBias ? values(w.smallChannels, next) : null;
  return { big, weight, bias };
}

/** |a − b| ≤ 1e-9 · (1 + max|b|) everywhere; returns a description of the first mismatch, or null. */
function mismatch(a: Float64Array, b: Float64Array): string | null {
  if (a.length !== b.length) return `length ${a.length} ≠ ${b.length}`;
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  const tol = 1e-9 * (1 + scale);
  for (let i = 0; i < b.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol)) return `index ${i}: got ${a[i]}, expected ${b[i]} (tol ${tol})`;
  }
  return null;
}

function checkAgainstGather(conv: typeof gather) {
  return (c: Case) => {
    const { big, weight, bias } = tensors(c);
    const got = conv(c.w, big, weight, bias);
    const want = gather(c.w, big, weight, bias);
    const m = mismatch(got, want);
    if (m) throw new Error(`${m}\ngeometry ${JSON.stringify(c.w)} bias=${c.hasBias}`);
  };
}

// ---------------------------------------------------------------------------------------------------------

describe('fftConv', () => {
  it('applies to every geometry', () => {
    fc.assert(
      fc.property(caseArb(anyDims), (c) => fftApplies(c.w)),
      { numRuns: 50 },
    );
  });

  it('equals gather on random geometries (rank 1-3, groups, stride, dilation, padding, overrun, bias)', () => {
    fc.assert(fc.property(caseArb(anyDims), checkAgainstGather(fftConv)), { numRuns: 150 });
  });

  it('equals gather on a fixed strided, dilated, grouped 3-D case', () => {
    const w: WindowGeometry = {
      batch: 2,
      groups: 2,
      bigChannels: 4,
      smallChannels: 6,
      big: [5, 7, 9],
      small: [2, 3, 3],
      kernel: [2, 3, 4],
      stride: [3, 2, 3],
      dilation: [2, 1, 2],
      padBefore: [1, 0, 2],
    };
    checkAgainstGather(fftConv)({ w, seed: 12345, hasBias: true });
  });
});

describe('winogradConv', () => {
  it('equals gather on random 2-D 3×3 stride-1 geometries', () => {
    fc.assert(fc.property(caseArb(winogradDims), checkAgainstGather(winogradConv)), { numRuns: 150 });
  });

  it('equals gather on conv3d geometries with a 1×3×3 kernel (depth stride/padding free)', () => {
    fc.assert(fc.property(caseArb(winogradDepthDims), checkAgainstGather(winogradConv)), { numRuns: 50 });
  });

  it('applies to 3×3 stride-1 2-D geometries', () => {
    fc.assert(
      fc.property(caseArb(winogradDims), (c) => winogradApplies(c.w)),
      { numRuns: 50 },
    );
  });

  const base: WindowGeometry = {
    batch: 1,
    groups: 1,
    bigChannels: 1,
    smallChannels: 1,
    big: [1, 8, 8],
    small: [1, 6, 6],
    kernel: [1, 3, 3],
    stride: [1, 1, 1],
    dilation: [1, 1, 1],
    padBefore: [0, 0, 0],
  };

  it.each<[string, Partial<WindowGeometry>]>([
    ['stride 2', { stride: [1, 2, 2], small: [1, 3, 3] }],
    ['stride 2 in W only', { stride: [1, 1, 2], small: [1, 6, 3] }],
    ['dilation 2', { dilation: [1, 2, 2], small: [1, 4, 4] }],
    ['a 5×5 kernel', { kernel: [1, 5, 5], small: [1, 4, 4] }],
    ['a 3×1 kernel', { kernel: [1, 3, 1], small: [1, 6, 8] }],
    ['a 3-D 3×3×3 kernel', { big: [4, 8, 8], kernel: [3, 3, 3], small: [2, 6, 6] }],
  ])('does not apply with %s, and winogradConv refuses it', (_name, change) => {
    const w = { ...base, ...change };
    expect(winogradApplies(w)).toBe(false);
    const n = w.batch * w.bigChannels * w.big[0] * w.big[1] * w.big[2];
    expect(() =>
      winogradConv(w, new Float64Array(n), new Float64Array(w.kernel[0] * w.kernel[1] * w.kernel[2]), null),
    ).toThrow(Error);
  });
});
