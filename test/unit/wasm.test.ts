/**
 * The float32 WebAssembly SIMD conv (src/engine/fast/wasmConv.ts) against the reference direct loops
 * (`gather`, float64) on random window geometries, on both of its paths, and on the benchmark shapes.
 * Needs `node scripts/build-wasm.mjs` first (it writes src/engine/fast/convWasm.generated.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Triple, WindowGeometry } from '../../src/engine/geometry';
import { gather } from '../../src/engine/window';
import {
  convWasmF32,
  convWasmF32Tuned,
  lastWasmConvPath,
  releaseWasmConv,
  wasmSimdAvailable,
  type WasmConvTuning,
} from '../../src/engine/fast/wasmConv';

const RUNS = 300;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function randomF32(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 4 - 2;
  return a;
}

interface Problem {
  readonly w: WindowGeometry;
  readonly big: Float32Array;
  readonly weight: Float32Array;
  readonly bias: Float32Array | null;
}

function problem(w: WindowGeometry, hasBias: boolean, seed: number): Problem {
  const plane = w.big[0] * w.big[1] * w.big[2];
  const taps = w.kernel[0] * w.kernel[1] * w.kernel[2];
  return {
    w,
    big: randomF32(w.batch * w.bigChannels * plane, seed),
    weight: randomF32((w.smallChannels * w.bigChannels * taps) / w.groups, seed + 1),
    bias: hasBias ? randomF32(w.smallChannels, seed + 2) : null,
  };
}

function reference(p: Problem): Float64Array {
  return gather(p.w, Float64Array.from(p.big), Float64Array.from(p.weight), p.bias ? Float64Array.from(p.bias) : null);
}

function expectClose(actual: Float32Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (!(worst <= 1e-4 * (1 + scale))) {
    throw new Error(
      `output ${at}: got ${actual[at]}, want ${expected[at]} (|diff| ${worst}, allowed ${1e-4 * (1 + scale)})`,
    );
  }
}

/**
 * A random window: ranks 1–3 (leading dims of size 1), batch 1–2, groups 1–3 or depthwise, stride 1–3,
 * dilation 1–2, padding before 0–2 and a far end that may overrun by 0–2, sizes up to 12, channels up to 8.
 */
const windowArb = fc
  .record({
    rank: fc.constantFrom(1, 2, 3),
    batch: fc.integer({ min: 1, max: 2 }),
    depthwise: fc.boolean(),
    groups: fc.integer({ min: 1, max: 3 }),
    inPerGroup: fc.integer({ min: 1, max: 3 }),
    outPerGroup: fc.integer({ min: 1, max: 3 }),
    dwChannels: fc.integer({ min: 1, max: 8 }),
    dims: fc.array(
      fc.record({
        size: fc.integer({ min: 1, max: 12 }),
        kernel: fc.integer({ min: 1, max: 4 }),
        stride: fc.integer({ min: 1, max: 3 }),
        dilation: fc.integer({ min: 1, max: 2 }),
        pad: fc.integer({ min: 0, max: 2 }),
        overrun: fc.integer({ min: 0, max: 2 }),
      }),
      { minLength: 3, maxLength: 3 },
    ),
    bias: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  })
  .map((r) => {
    const triple = (f: (i: number) => number, fill: number): Triple =>
      [0, 1, 2].map((i) => (i < 3 - r.rank ? fill : f(i))) as Triple;
    const kernel = triple((i) => r.dims[i].kernel, 1);
    const stride = triple((i) => r.dims[i].stride, 1);
    const dilation = triple((i) => r.dims[i].dilation, 1);
    const padBefore = triple((i) => r.dims[i].pad, 0);
    // the input must hold at least one window: size + pad + overrun ≥ dilated kernel
    const big = triple((i) => {
      const d = r.dims[i];
      return Math.max(d.size, d.dilation * (d.kernel - 1) + 1 - d.pad - d.overrun);
    }, 1);
    const small = [0, 1, 2].map((i) => {
      const extent = big[i] + padBefore[i] + (i < 3 - r.rank ? 0 : r.dims[i].overrun);
      return Math.floor((extent - dilation[i] * (kernel[i] - 1) - 1) / stride[i]) + 1;
    }) as Triple;
    const groups = r.depthwise ? r.dwChannels : r.groups;
    const w: WindowGeometry = {
      batch: r.batch,
      groups,
      bigChannels: r.depthwise ? r.dwChannels : r.groups * r.inPerGroup,
      smallChannels: r.depthwise ? r.dwChannels : r.groups * r.outPerGroup,
      big,
      small,
      kernel,
      stride,
      dilation,
      padBefore,
    };
    return problem(w, r.bias, r.seed);
  });

describe.skipIf(!wasmSimdAvailable())('convWasmF32 (float32, WebAssembly SIMD) equals gather', () => {
  it('reports SIMD support on Node 20', () => {
    expect(wasmSimdAvailable()).toBe(true);
  });

  it('on random geometries (automatic path)', () => {
    fc.assert(
      fc.property(windowArb, (p) => {
        expectClose(convWasmF32(p.w, p.big, p.weight, p.bias), reference(p));
        const depthwise = p.w.groups === p.w.bigChannels && p.w.groups === p.w.smallChannels;
        expect(lastWasmConvPath()).toBe(depthwise ? 'depthwise' : 'gemm');
      }),
      { numRuns: RUNS },
    );
  });

  const variants: [string, WasmConvTuning][] = [
    ['im2col+GEMM forced on depthwise problems too', { path: 'gemm' }],
    ['explicit column buffer', { path: 'gemm', columns: 'explicit' }],
    ['tiny blocks (several kc, nc and mc blocks)', { path: 'gemm', kc: 5, nc: 8, mc: 6 }],
    ['tiny blocks, explicit columns', { path: 'gemm', kc: 7, nc: 16, mc: 6, columns: 'explicit' }],
  ];
  for (const [name, tuning] of variants) {
    it(`on random geometries: ${name}`, () => {
      fc.assert(
        fc.property(windowArb, (p) => {
          expectClose(convWasmF32Tuned(p.w, p.big, p.weight, p.bias, tuning), reference(p));
        }),
        { numRuns: RUNS / 2 },
      );
    });
  }

  it('on wide rows (full panels, vector tails, stride 2 shuffles)', () => {
    fc.assert(
      fc.property(
        fc.record({
          width: fc.integer({ min: 8, max: 70 }),
          stride: fc.integer({ min: 1, max: 3 }),
          kernel: fc.integer({ min: 1, max: 7 }),
          pad: fc.integer({ min: 0, max: 3 }),
          channels: fc.integer({ min: 1, max: 9 }),
          out: fc.integer({ min: 1, max: 13 }),
          depthwise: fc.boolean(),
          seed: fc.integer({ min: 1, max: 1 << 30 }),
        }),
        (r) => {
          const bigW = Math.max(r.width, r.kernel);
          const w: WindowGeometry = {
            batch: 1,
            groups: r.depthwise ? r.channels : 1,
            bigChannels: r.channels,
            smallChannels: r.depthwise ? r.channels : r.out,
            big: [1, 3, bigW],
            small: [1, Math.floor((3 + 2 * 1 - 3) / 1) + 1, Math.floor((bigW + 2 * r.pad - r.kernel) / r.stride) + 1],
            kernel: [1, 3, r.kernel],
            stride: [1, 1, r.stride],
            dilation: [1, 1, 1],
            padBefore: [0, 1, r.pad],
          };
          const p = problem(w, true, r.seed);
          expectClose(convWasmF32(p.w, p.big, p.weight, p.bias), reference(p));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('on 3×3 depthwise windows (the register-tiled row kernel), any height stride, dilation and padding', () => {
    fc.assert(
      fc.property(
        fc.record({
          h: fc.integer({ min: 1, max: 9 }),
          width: fc.integer({ min: 1, max: 40 }),
          sh: fc.integer({ min: 1, max: 3 }),
          dh: fc.integer({ min: 1, max: 2 }),
          dw: fc.integer({ min: 1, max: 2 }),
          ph: fc.integer({ min: 0, max: 2 }),
          pw: fc.integer({ min: 0, max: 2 }),
          overrun: fc.integer({ min: 0, max: 2 }),
          channels: fc.integer({ min: 1, max: 5 }),
          batch: fc.integer({ min: 1, max: 2 }),
          bias: fc.boolean(),
          seed: fc.integer({ min: 1, max: 1 << 30 }),
        }),
        (r) => {
          const bigH = Math.max(r.h, 2 * r.dh + 1 - r.ph);
          const bigW = Math.max(r.width, 2 * r.dw + 1 - r.pw - r.overrun);
          const w: WindowGeometry = {
            batch: r.batch,
            groups: r.channels,
            bigChannels: r.channels,
            smallChannels: r.channels,
            big: [1, bigH, bigW],
            small: [1, Math.floor((bigH + r.ph - 2 * r.dh - 1) / r.sh) + 1, bigW + r.pw + r.overrun - 2 * r.dw],
            kernel: [1, 3, 3],
            stride: [1, r.sh, 1],
            dilation: [1, r.dh, r.dw],
            padBefore: [0, r.ph, r.pw],
          };
          const p = problem(w, r.bias, r.seed);
          expectClose(convWasmF32(p.w, p.big, p.weight, p.bias), reference(p));
          expect(lastWasmConvPath()).toBe('depthwise');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses operands whose sizes do not match the geometry', () => {
    const w: WindowGeometry = {
      batch: 1,
      groups: 1,
      bigChannels: 1,
      smallChannels: 1,
      big: [1, 1, 4],
      small: [1, 1, 2],
      kernel: [1, 1, 3],
      stride: [1, 1, 1],
      dilation: [1, 1, 1],
      padBefore: [0, 0, 0],
    };
    expect(() => convWasmF32(w, new Float32Array(3), new Float32Array(3), null)).toThrow(/input has 3 values/);
  });

  it('gives the same answer after releasing its instance', () => {
    const w: WindowGeometry = {
      batch: 1,
      groups: 1,
      bigChannels: 2,
      smallChannels: 3,
      big: [1, 6, 7],
      small: [1, 6, 7],
      kernel: [1, 3, 3],
      stride: [1, 1, 1],
      dilation: [1, 1, 1],
      padBefore: [0, 1, 1],
    };
    const p = problem(w, true, 77);
    const before = convWasmF32(p.w, p.big, p.weight, p.bias);
    releaseWasmConv();
    expect(convWasmF32(p.w, p.big, p.weight, p.bias)).toEqual(before);
    expectClose(before, reference(p));
  });

  // The benchmark shapes (NCHW, weight OIHW), once each: a sample of outputs against the direct loops.
  const shapes: [string, number, number, number, number, number, number, number][] = [
    // name, N, C, H(=W), O, k, stride, pad   (O = 0: depthwise)
    ['S1 1×1×5×5 k3 p1', 1, 1, 5, 1, 3, 1, 1],
    ['S2 1×3×32×32 → 16 k3 p1', 1, 3, 32, 16, 3, 1, 1],
    ['S3 1×64×56×56 → 64 k3 p1', 1, 64, 56, 64, 3, 1, 1],
    ['S4 1×3×224×224 → 64 k7 s2 p3', 1, 3, 224, 64, 7, 2, 3],
    ['S5 depthwise 1×32×112×112 k3 p1', 1, 32, 112, 0, 3, 1, 1],
  ];
  for (const [name, n, c, hw, o, k, s, pad] of shapes) {
    it(`benchmark shape ${name}`, () => {
      const out = Math.floor((hw + 2 * pad - k) / s) + 1;
      const depthwise = o === 0;
      const w: WindowGeometry = {
        batch: n,
        groups: depthwise ? c : 1,
        bigChannels: c,
        smallChannels: depthwise ? c : o,
        big: [1, hw, hw],
        small: [1, out, out],
        kernel: [1, k, k],
        stride: [1, s, s],
        dilation: [1, 1, 1],
        padBefore: [0, pad, pad],
      };
      const p = problem(w, true, 1234 + c);
      const got = convWasmF32(p.w, p.big, p.weight, p.bias);
      // one channel in, one out (S1) is depthwise too
      expect(lastWasmConvPath()).toBe(
        w.groups === w.bigChannels && w.groups === w.smallChannels ? 'depthwise' : 'gemm',
      );
      // reference on a sample of output positions: the full gather on S3/S4 takes seconds
      const taps = k * k;
      const cg = depthwise ? 1 : c;
      const rand = rng(99);
      const samples: number[] = [0, got.length - 1];
      for (let i = 0; i < 400; i++) samples.push(Math.floor(rand() * got.length));
      let scale = 0;
      const want = samples.map((idx) => {
        const plane = out * out;
        const ch = Math.floor(idx / plane) % w.smallChannels;
        const b = Math.floor(idx / (plane * w.smallChannels));
        const oh = Math.floor((idx % plane) / out);
        const ow = idx % out;
        const g = depthwise ? ch : 0;
        let acc = 0;
        for (let ci = 0; ci < cg; ci++) {
          for (let kh = 0; kh < k; kh++) {
            const ih = oh * s - pad + kh;
            if (ih < 0 || ih >= hw) continue;
            for (let kw = 0; kw < k; kw++) {
              const iw = ow * s - pad + kw;
              if (iw < 0 || iw >= hw) continue;
              acc += p.weight[(ch * cg + ci) * taps + kh * k + kw] * p.big[((b * c + g * cg + ci) * hw + ih) * hw + iw];
            }
          }
        }
        const v = acc + p.bias![ch];
        scale = Math.max(scale, Math.abs(v));
        return v;
      });
      samples.forEach((idx, i) => {
        expect(Math.abs(got[idx] - want[i]), `output ${idx}`).toBeLessThanOrEqual(1e-4 * (1 + scale));
      });
      if (got.length <= 20000) expectClose(got, reference(p));
    });
  }
});
