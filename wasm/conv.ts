/**
 * Float32 WebAssembly SIMD convolution kernels for Conv Lens (AssemblyScript, `--runtime stub`: nothing here
 * allocates; every buffer is carved by `plan()` out of linear memory above `__heap_base`, which grows on demand).
 *
 * Same semantics and layouts as `gather` in src/engine/window.ts, on the 3-D normalised form:
 *   big    [batch][bigChannels][D][H][W]
 *   small  [batch][smallChannels][oD][oH][oW]
 *   weight [smallChannels][bigChannels/groups][kD][kH][kW]
 *   small[n,c,o] = bias[c] + Σ_{ci,t} weight[c,ci,t] · big[n, g·Cg+ci, o·stride − padBefore + t·dilation]
 *
 * Protocol (see src/engine/fast/wasmConv.ts): the caller writes the geometry into the parameter block
 * (`paramsPtr()`), calls `plan()` (computes the layout, grows memory, writes back the buffer offsets), copies
 * big/weight/bias to those offsets, calls `run()` and reads the output.
 *
 * Two paths:
 *  - general: per (batch item, group) the input is copied once into a zero-bordered buffer (skipped when no
 *    padding is needed), then im2col is done straight into packed column panels (NR output positions × kc taps,
 *    or, in column mode 1, through an explicit [K][N] column buffer first) and an MR×NR register-tiled SGEMM
 *    multiplies the packed weight panels with them (GotoBLAS/BLIS loop order: jc, pc, ic, jr, ir).
 *  - depthwise (groups == bigChannels == smallChannels): direct loops over a zero-bordered plane, vectorised
 *    along the output width.
 */

// ---------------------------------------------------------------------------------------------------------
// Parameter block (i32 slots)

const PARAMS: usize = memory.data(512, 64);

// inputs
const I_BATCH = 0;
const I_GROUPS = 1;
const I_BIGC = 2;
const I_SMALLC = 3;
const I_BIG = 4; // 3 slots
const I_SMALL = 7;
const I_KERNEL = 10;
const I_STRIDE = 13;
const I_DIL = 16;
const I_PAD = 19;
const I_HASBIAS = 22;
const I_PATH = 23; // 0 auto, 1 force im2col+GEMM, 2 force depthwise (only honoured when it applies)
const I_KC = 24; // 0 = default blocking
const I_NC = 25;
const I_MC = 26;
const I_COLMODE = 27; // 0 fused im2col→panels, 1 explicit column buffer
// outputs
const O_BIG = 32;
const O_WEIGHT = 33;
const O_BIAS = 34;
const O_OUT = 35;
const O_END = 36;
const O_PATH = 37; // 1 gemm, 2 depthwise
const O_KC = 38;
const O_NC = 39;
const O_MC = 40;

// @ts-ignore: decorator
@inline function pget(i: i32): i32 {
  return load<i32>(PARAMS + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function pset(i: i32, v: i32): void {
  store<i32>(PARAMS + (<usize>i << 2), v);
}

export function paramsPtr(): usize {
  return PARAMS;
}

// ---------------------------------------------------------------------------------------------------------
// Micro-kernel shape

/**
 * 5×8 register tile. Measured alternatives (V8 11.3 / Node 20, Zen 5): 6×8 needs 16 xmm registers and spills an
 * accumulator (S3 9.0 ms vs 5.5 ms); 4×8 is about even with 5×8; 3×8 slower; unrolling k by two makes V8
 * hoist the second step's loads above the first step's arithmetic and spill (S3 ~9 ms).
 */
const MR: i32 = 5; // output channels per register tile
const NR: i32 = 8; // output positions per register tile (two f32x4)
/** Bytes per packed weight (f32; storing them pre-broadcast as f32x4 was tried and is slower). */
const A_BYTES: i32 = 4;

// ---------------------------------------------------------------------------------------------------------
// Geometry and layout, set by plan()

let gBatch: i32 = 0;
let gGroups: i32 = 0;
let gBigC: i32 = 0;
let gSmallC: i32 = 0;
let gBD: i32 = 0;
let gBH: i32 = 0;
let gBW: i32 = 0;
let gOD: i32 = 0;
let gOH: i32 = 0;
let gOW: i32 = 0;
let gKD: i32 = 0;
let gKH: i32 = 0;
let gKW: i32 = 0;
let gSD: i32 = 0;
let gSH: i32 = 0;
let gSW: i32 = 0;
let gDD: i32 = 0;
let gDH: i32 = 0;
let gDW: i32 = 0;
let gPD: i32 = 0;
let gPH: i32 = 0;
let gPW: i32 = 0;
let gHasBias: i32 = 0;
let gPath: i32 = 0;
let gColMode: i32 = 0;

// padded ("Q") extents; gCopy = 0 when the input can be read in place
let gQD: i32 = 0;
let gQH: i32 = 0;
let gQW: i32 = 0;
let gCopy: i32 = 0;

let gBigPlane: i32 = 0;
let gTaps: i32 = 0;
let gCg: i32 = 0;
let gMg: i32 = 0;
let gMgPad: i32 = 0;
let gK: i32 = 0;
let gN: i32 = 0;
let gKC: i32 = 0;
let gNC: i32 = 0;
let gMC: i32 = 0;

let pBig: usize = 0;
let pWeight: usize = 0;
let pBias: usize = 0;
let pOut: usize = 0;
let pPad: usize = 0; // zero-bordered input copy
let pPadBytes: usize = 0;
let pA: usize = 0; // packed weights [g][MgPad/MR][K][MR]
let pBiasP: usize = 0; // packed bias [g][MgPad]
let pKoff: usize = 0; // i32 [K]: element offset of tap k in the padded buffer
let pBp: usize = 0; // packed column panels [NC/NR][KC][NR]
let pTile: usize = 0; // MR×NR edge tile
let pPos: usize = 0; // i32 [NR]: per-lane position offsets for panels that straddle rows
let pCol: usize = 0; // explicit column buffer [K][N] (column mode 1)
let pWs: usize = 0; // depthwise: splatted taps [taps] v128
let pToff: usize = 0; // depthwise: i32 [taps] byte offsets

// @ts-ignore: decorator
@inline function align64(x: u64): u64 {
  return (x + 63) & ~(<u64>63);
}

function imax(a: i32, b: i32): i32 {
  return a > b ? a : b;
}
function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** Padded extent along one dim: holds the input at [pad, pad + size) and every window read. */
function paddedExtent(size: i32, out: i32, kernel: i32, stride: i32, dil: i32, pad: i32): i32 {
  return imax(pad + size, (out - 1) * stride + (kernel - 1) * dil + 1);
}

/**
 * Reads the parameter block, chooses the path and blocking, lays out every buffer and grows memory.
 * Returns 0, or -1 when it would not fit in 4 GiB of linear memory.
 */
export function plan(): i32 {
  gBatch = pget(I_BATCH);
  gGroups = pget(I_GROUPS);
  gBigC = pget(I_BIGC);
  gSmallC = pget(I_SMALLC);
  gBD = pget(I_BIG);
  gBH = pget(I_BIG + 1);
  gBW = pget(I_BIG + 2);
  gOD = pget(I_SMALL);
  gOH = pget(I_SMALL + 1);
  gOW = pget(I_SMALL + 2);
  gKD = pget(I_KERNEL);
  gKH = pget(I_KERNEL + 1);
  gKW = pget(I_KERNEL + 2);
  gSD = pget(I_STRIDE);
  gSH = pget(I_STRIDE + 1);
  gSW = pget(I_STRIDE + 2);
  gDD = pget(I_DIL);
  gDH = pget(I_DIL + 1);
  gDW = pget(I_DIL + 2);
  gPD = pget(I_PAD);
  gPH = pget(I_PAD + 1);
  gPW = pget(I_PAD + 2);
  gHasBias = pget(I_HASBIAS);
  gColMode = pget(I_COLMODE);

  gQD = paddedExtent(gBD, gOD, gKD, gSD, gDD, gPD);
  gQH = paddedExtent(gBH, gOH, gKH, gSH, gDH, gPH);
  gQW = paddedExtent(gBW, gOW, gKW, gSW, gDW, gPW);
  gCopy = gPD != 0 || gPH != 0 || gPW != 0 || gQD != gBD || gQH != gBH || gQW != gBW ? 1 : 0;

  gBigPlane = gBD * gBH * gBW;
  gTaps = gKD * gKH * gKW;
  gN = gOD * gOH * gOW;
  gCg = gBigC / gGroups;
  gMg = gSmallC / gGroups;
  gK = gCg * gTaps;
  gMgPad = ((gMg + MR - 1) / MR) * MR;

  const depthwise = gGroups == gBigC && gGroups == gSmallC;
  const want = pget(I_PATH);
  gPath = depthwise && want != 1 ? 2 : 1;

  const batch = <u64>gBatch;
  let at: u64 = align64(<u64>__heap_base);
  pBig = <usize>at;
  at = align64(at + batch * <u64>gBigC * <u64>gBigPlane * 4);
  pWeight = <usize>at;
  at = align64(at + <u64>gSmallC * <u64>gK * 4);
  pBias = <usize>at;
  at = align64(at + <u64>gSmallC * 4);
  pOut = <usize>at;
  at = align64(at + batch * <u64>gSmallC * <u64>gN * 4);

  const qVolume = <u64>gQD * <u64>gQH * <u64>gQW;
  if (gPath == 2) {
    pPad = <usize>at;
    pPadBytes = <usize>(gCopy ? qVolume * 4 : 0);
    at = align64(at + (gCopy ? qVolume * 4 : 0) + 256);
    pWs = <usize>at;
    at = align64(at + <u64>gTaps * 16);
    pToff = <usize>at;
    at = align64(at + <u64>gTaps * 4);
  } else {
    // blocking: kc·NR·4 bytes of column panel in L1, MC·kc·4 bytes of weights in L2
    let kcMax = pget(I_KC);
    if (kcMax <= 0) kcMax = 512;
    const kBlocks = (gK + kcMax - 1) / kcMax;
    gKC = (gK + kBlocks - 1) / kBlocks;
    let nc = pget(I_NC);
    if (nc <= 0) nc = 128;
    gNC = ((nc + NR - 1) / NR) * NR;
    let mc = pget(I_MC);
    if (mc <= 0) mc = imax(MR, ((65536 / gKC) / MR) * MR);
    gMC = ((mc + MR - 1) / MR) * MR;

    pPad = <usize>at;
    pPadBytes = <usize>(gCopy ? <u64>gCg * qVolume * 4 : 0);
    at = align64(at + (gCopy ? <u64>gCg * qVolume * 4 : 0) + 256);
    pA = <usize>at;
    at = align64(at + <u64>gGroups * <u64>gMgPad * <u64>gK * <u64>A_BYTES);
    pBiasP = <usize>at;
    at = align64(at + <u64>gGroups * <u64>gMgPad * 4);
    pKoff = <usize>at;
    at = align64(at + <u64>gK * 4);
    pBp = <usize>at;
    at = align64(at + <u64>gNC * <u64>gKC * 4);
    pTile = <usize>at;
    at = align64(at + <u64>(MR * NR * 4));
    pPos = <usize>at;
    at = align64(at + <u64>(NR * 4));
    pCol = <usize>at;
    if (gColMode == 1) at = align64(at + <u64>gK * <u64>gN * 4);
  }
  at += 256; // slack for vector reads past the last element
  if (at > 0xffff0000) return -1;
  const needPages = <i32>((at + 0xffff) >> 16);
  const havePages = memory.size();
  if (needPages > havePages) {
    if (memory.grow(needPages - havePages) < 0) return -1;
  }

  pset(O_BIG, <i32>pBig);
  pset(O_WEIGHT, <i32>pWeight);
  pset(O_BIAS, <i32>pBias);
  pset(O_OUT, <i32>pOut);
  pset(O_END, <i32>at); // read as unsigned
  pset(O_PATH, gPath);
  pset(O_KC, gKC);
  pset(O_NC, gNC);
  pset(O_MC, gMC);
  return 0;
}

export function run(): void {
  if (gPath == 2) runDepthwise();
  else runGemm();
}

// ---------------------------------------------------------------------------------------------------------
// Shared: zero-bordered copy of `channels` input planes

/** memory.copy is a call into the engine (~tens of ns); rows are short, so copy them inline. */
// @ts-ignore: decorator
@inline function copyRow(dst: usize, src: usize, bytes: usize): void {
  const end = src + bytes;
  while (src + 64 <= end) {
    const a = v128.load(src);
    const b = v128.load(src, 16);
    const c = v128.load(src, 32);
    const d = v128.load(src, 48);
    v128.store(dst, a);
    v128.store(dst, b, 16);
    v128.store(dst, c, 32);
    v128.store(dst, d, 48);
    src += 64;
    dst += 64;
  }
  while (src + 16 <= end) {
    v128.store(dst, v128.load(src));
    src += 16;
    dst += 16;
  }
  while (src < end) {
    store<f32>(dst, load<f32>(src));
    src += 4;
    dst += 4;
  }
}

/** Copies `channels` planes starting at `src` into the padded buffer, whose borders are already zero. */
function copyPadded(src: usize, channels: i32): void {
  const rowBytes = <usize>gBW << 2;
  for (let ci = 0; ci < channels; ci++) {
    for (let d = 0; d < gBD; d++) {
      let s = src + ((<usize>(ci * gBD + d) * <usize>gBH * <usize>gBW) << 2);
      let q = pPad + ((((<usize>(ci * gQD + d + gPD) * <usize>gQH) + <usize>gPH) * <usize>gQW + <usize>gPW) << 2);
      const qRow = <usize>gQW << 2;
      for (let h = 0; h < gBH; h++) {
        copyRow(q, s, rowBytes);
        s += rowBytes;
        q += qRow;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// General path: im2col + SGEMM

/** Packs the weights of every group as [g][MgPad/MR][K][MR] (zero rows past Mg) and the bias as [g][MgPad]. */
function packWeights(): void {
  const K = gK;
  for (let g = 0; g < gGroups; g++) {
    for (let m0 = 0; m0 < gMgPad; m0 += MR) {
      let dst = pA + <usize>(g * gMgPad + m0) * <usize>K * <usize>A_BYTES;
      for (let k = 0; k < K; k++) {
        for (let r = 0; r < MR; r++) {
          const m = m0 + r;
          let v: f32 = 0;
          if (m < gMg) v = load<f32>(pWeight + ((<usize>((g * gMg + m)) * <usize>K + <usize>k) << 2));
          store<f32>(dst, v);
          dst += 4;
        }
      }
    }
    for (let m = 0; m < gMgPad; m++) {
      let v: f32 = 0;
      if (m < gMg && gHasBias) v = load<f32>(pBias + (<usize>(g * gMg + m) << 2));
      store<f32>(pBiasP + (<usize>(g * gMgPad + m) << 2), v);
    }
  }
}

/** Element offset, in the padded buffer, of every (ci, kd, kh, kw) row of the column matrix. */
function buildKoff(): void {
  let k = 0;
  for (let ci = 0; ci < gCg; ci++) {
    for (let kd = 0; kd < gKD; kd++) {
      for (let kh = 0; kh < gKH; kh++) {
        for (let kw = 0; kw < gKW; kw++) {
          const off = ((ci * gQD + kd * gDD) * gQH + kh * gDH) * gQW + kw * gDW;
          store<i32>(pKoff + (<usize>k << 2), off);
          k++;
        }
      }
    }
  }
}

/** Element offset, in the padded buffer, of the window origin of flattened output position j. */
// @ts-ignore: decorator
@inline function positionOffset(j: i32): i32 {
  const ow = j % gOW;
  const r = j / gOW;
  const oh = r % gOH;
  const od = r / gOH;
  return ((od * gSD) * gQH + oh * gSH) * gQW + ow * gSW;
}

/**
 * im2col straight into packed column panels: columns [jc, jc + nc) and rows [pc, pc + kc) of the column
 * matrix, as [panel][kc][NR] with zeros past the last column. `src` is the (padded) input of one group.
 */
function packColumnsFused(src: usize, jc: i32, nc: i32, pc: i32, kc: i32): void {
  const N = gN;
  const sw = gSW;
  for (let jp = 0; jp < nc; jp += NR) {
    const j0 = jc + jp;
    let dst = pBp + ((<usize>(jp * kc)) << 2);
    let koff = pKoff + (<usize>pc << 2);
    const kend = koff + (<usize>kc << 2);
    const ow0 = j0 % gOW;
    if (ow0 + NR <= gOW) {
      // the panel lies inside one output row: lane i reads base + koff + i·sw
      const base = src + (<usize>positionOffset(j0) << 2);
      if (sw == 1) {
        while (koff < kend) {
          const s = base + (<usize>load<i32>(koff) << 2);
          v128.store(dst, v128.load(s));
          v128.store(dst, v128.load(s, 16), 16);
          dst += 32;
          koff += 4;
        }
      } else if (sw == 2) {
        while (koff < kend) {
          const s = base + (<usize>load<i32>(koff) << 2);
          const a = v128.load(s);
          const b = v128.load(s, 16);
          const c = v128.load(s, 32);
          const d = v128.load(s, 48);
          v128.store(dst, f32x4.shuffle(a, b, 0, 2, 4, 6));
          v128.store(dst, f32x4.shuffle(c, d, 0, 2, 4, 6), 16);
          dst += 32;
          koff += 4;
        }
      } else {
        const step = <usize>sw << 2;
        while (koff < kend) {
          let s = base + (<usize>load<i32>(koff) << 2);
          for (let i = 0; i < NR; i++) {
            store<f32>(dst, load<f32>(s));
            s += step;
            dst += 4;
          }
          koff += 4;
        }
      }
    } else {
      // straddles rows or runs past the end: per-lane origins, zeros past N
      for (let i = 0; i < NR; i++) {
        const j = j0 + i;
        store<i32>(pPos + (<usize>i << 2), j < N ? positionOffset(j) : -1);
      }
      while (koff < kend) {
        const ko = load<i32>(koff);
        for (let i = 0; i < NR; i++) {
          const p = load<i32>(pPos + (<usize>i << 2));
          let v: f32 = 0;
          if (p >= 0) v = load<f32>(src + (<usize>(p + ko) << 2));
          store<f32>(dst, v);
          dst += 4;
        }
        koff += 4;
      }
    }
  }
}

/** Column mode 1: the explicit column matrix [K][N] of one group. */
function im2colExplicit(src: usize): void {
  const N = gN;
  const sw = gSW;
  for (let k = 0; k < gK; k++) {
    const ko = load<i32>(pKoff + (<usize>k << 2));
    let dst = pCol + ((<usize>k * <usize>N) << 2);
    for (let od = 0; od < gOD; od++) {
      for (let oh = 0; oh < gOH; oh++) {
        const s = src + (<usize>(((od * gSD) * gQH + oh * gSH) * gQW + ko) << 2);
        let ow = 0;
        if (sw == 1) {
          for (; ow + 4 <= gOW; ow += 4) {
            v128.store(dst, v128.load(s + (<usize>ow << 2)));
            dst += 16;
          }
          for (; ow < gOW; ow++) {
            store<f32>(dst, load<f32>(s + (<usize>ow << 2)));
            dst += 4;
          }
        } else {
          for (; ow < gOW; ow++) {
            store<f32>(dst, load<f32>(s + (<usize>(ow * sw) << 2)));
            dst += 4;
          }
        }
      }
    }
  }
}

/** Column mode 1: packs columns [jc, jc + nc) and rows [pc, pc + kc) of the column matrix into panels. */
function packColumnsExplicit(jc: i32, nc: i32, pc: i32, kc: i32): void {
  const N = gN;
  for (let jp = 0; jp < nc; jp += NR) {
    const j0 = jc + jp;
    let dst = pBp + ((<usize>(jp * kc)) << 2);
    let s = pCol + ((<usize>pc * <usize>N + <usize>j0) << 2);
    const rowBytes = <usize>N << 2;
    if (j0 + NR <= N) {
      for (let k = 0; k < kc; k++) {
        v128.store(dst, v128.load(s));
        v128.store(dst, v128.load(s, 16), 16);
        dst += 32;
        s += rowBytes;
      }
    } else {
      const valid = N - j0;
      for (let k = 0; k < kc; k++) {
        for (let i = 0; i < NR; i++) {
          store<f32>(dst + (<usize>i << 2), i < valid ? load<f32>(s + (<usize>i << 2)) : 0);
        }
        dst += 32;
        s += rowBytes;
      }
    }
  }
}

/**
 * C[0:MR, 0:NR] (row stride ldc bytes) = (first ? bias : C) + A·B over kc steps, A packed [kc][MR],
 * B packed [kc][NR]. 10 f32x4 accumulators, f32x4.mul + f32x4.add (no relaxed-simd FMA): with the two B
 * vectors, one broadcast A and one product that is 14 of the 15 xmm registers V8 allocates, so no
 * accumulator is spilled (a spilled accumulator puts a store-to-load round trip on its dependency chain).
 */
function microKernel(kc: i32, a: usize, b: usize, c: usize, ldc: usize, bias: usize, first: i32): void {
  let c00: v128, c01: v128; let c10: v128, c11: v128; let c20: v128, c21: v128; let c30: v128, c31: v128; let c40: v128, c41: v128;
  if (first) {
    c00 = v128.load32_splat(bias, 0);
    c01 = c00;
    c10 = v128.load32_splat(bias, 4);
    c11 = c10;
    c20 = v128.load32_splat(bias, 8);
    c21 = c20;
    c30 = v128.load32_splat(bias, 12);
    c31 = c30;
    c40 = v128.load32_splat(bias, 16);
    c41 = c40;
  } else {
    let r = c;
    c00 = v128.load(r);
    c01 = v128.load(r, 16);
    r += ldc;
    c10 = v128.load(r);
    c11 = v128.load(r, 16);
    r += ldc;
    c20 = v128.load(r);
    c21 = v128.load(r, 16);
    r += ldc;
    c30 = v128.load(r);
    c31 = v128.load(r, 16);
    r += ldc;
    c40 = v128.load(r);
    c41 = v128.load(r, 16);
  }
  const aEnd = a + <usize>(kc * MR * A_BYTES);
  while (a < aEnd) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a, 0);
    c00 = f32x4.add(c00, f32x4.mul(av, b0));
    c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(av, b0));
    c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(av, b0));
    c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(av, b0));
    c31 = f32x4.add(c31, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 16);
    c40 = f32x4.add(c40, f32x4.mul(av, b0));
    c41 = f32x4.add(c41, f32x4.mul(av, b1));
    a += 20;
    b += 32;
  }
  let r = c;
  v128.store(r, c00);
  v128.store(r, c01, 16);
  r += ldc;
  v128.store(r, c10);
  v128.store(r, c11, 16);
  r += ldc;
  v128.store(r, c20);
  v128.store(r, c21, 16);
  r += ldc;
  v128.store(r, c30);
  v128.store(r, c31, 16);
  r += ldc;
  v128.store(r, c40);
  v128.store(r, c41, 16);
}

/** One MR×NR tile of C, through the edge tile when it is cut by Mg or N. */
function tile(kc: i32, a: usize, b: usize, c: usize, ldc: usize, bias: usize, first: i32, mr: i32, nr: i32): void {
  if (mr == MR && nr == NR) {
    microKernel(kc, a, b, c, ldc, bias, first);
    return;
  }
  if (!first) {
    for (let r = 0; r < mr; r++) {
      for (let i = 0; i < nr; i++) {
        store<f32>(pTile + (<usize>(r * NR + i) << 2), load<f32>(c + <usize>r * ldc + (<usize>i << 2)));
      }
    }
  }
  microKernel(kc, a, b, pTile, <usize>(NR * 4), bias, first);
  for (let r = 0; r < mr; r++) {
    for (let i = 0; i < nr; i++) {
      store<f32>(c + <usize>r * ldc + (<usize>i << 2), load<f32>(pTile + (<usize>(r * NR + i) << 2)));
    }
  }
}

function runGemm(): void {
  packWeights();
  buildKoff();
  if (gCopy) memory.fill(pPad, 0, pPadBytes);
  const N = gN;
  const K = gK;
  const Mg = gMg;
  const ldc = <usize>N << 2;
  const groupBytes = (<usize>gCg * <usize>gBigPlane) << 2;
  for (let n = 0; n < gBatch; n++) {
    for (let g = 0; g < gGroups; g++) {
      let src = pBig + (<usize>(n * gGroups + g)) * groupBytes;
      if (gCopy) {
        copyPadded(src, gCg);
        src = pPad;
      }
      if (gColMode == 1) im2colExplicit(src);
      const cBase = pOut + ((<usize>(n * gSmallC + g * Mg) * <usize>N) << 2);
      const aGroup = pA + <usize>(g * gMgPad) * <usize>K * <usize>A_BYTES;
      const biasGroup = pBiasP + (<usize>(g * gMgPad) << 2);
      for (let jc = 0; jc < N; jc += gNC) {
        const nc = imin(gNC, N - jc);
        for (let pc = 0; pc < K; pc += gKC) {
          const kc = imin(gKC, K - pc);
          if (gColMode == 1) packColumnsExplicit(jc, nc, pc, kc);
          else packColumnsFused(src, jc, nc, pc, kc);
          const first = pc == 0 ? 1 : 0;
          for (let ic = 0; ic < Mg; ic += gMC) {
            const mc = imin(gMC, Mg - ic);
            for (let jr = 0; jr < nc; jr += NR) {
              const nr = imin(NR, nc - jr);
              const b = pBp + (<usize>(jr * kc) << 2);
              for (let ir = ic; ir < ic + mc; ir += MR) {
                const mr = imin(MR, Mg - ir);
                const a = aGroup + (<usize>ir * <usize>K + <usize>(pc * MR)) * <usize>A_BYTES;
                const c = cBase + <usize>ir * ldc + (<usize>(jc + jr) << 2);
                tile(kc, a, b, c, ldc, biasGroup + (<usize>ir << 2), first, mr, nr);
              }
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Depthwise path

function runDepthwise(): void {
  const taps = gTaps;
  const OW = gOW;
  const sw = gSW;
  const plane = <usize>gBigPlane << 2;
  const outPlane = (<usize>gN) << 2;
  const qRow = <usize>gQW << 2;
  const qSlice = <usize>gQH * qRow;
  // tap offsets (bytes) from a window origin
  let t = 0;
  for (let kd = 0; kd < gKD; kd++) {
    for (let kh = 0; kh < gKH; kh++) {
      for (let kw = 0; kw < gKW; kw++) {
        store<i32>(pToff + (<usize>t << 2), <i32>((<usize>(kd * gDD) * qSlice) + <usize>(kh * gDH) * qRow + (<usize>(kw * gDW) << 2)));
        t++;
      }
    }
  }
  if (gCopy) memory.fill(pPad, 0, pPadBytes);
  const tEnd = pToff + (<usize>taps << 2);
  const k3x3 = gKD == 1 && gKH == 3 && gKW == 3 && sw == 1;
  for (let n = 0; n < gBatch; n++) {
    for (let c = 0; c < gBigC; c++) {
      let src = pBig + <usize>(n * gBigC + c) * plane;
      if (gCopy) {
        copyPadded(src, 1);
        src = pPad;
      }
      const w = pWeight + (<usize>(c * taps) << 2);
      for (let i = 0; i < taps; i++) v128.store(pWs + (<usize>i << 4), v128.load32_splat(w + (<usize>i << 2)));
      const bs: f32 = gHasBias ? load<f32>(pBias + (<usize>c << 2)) : 0;
      const bv = f32x4.splat(bs);
      let o = pOut + <usize>(n * gBigC + c) * outPlane;
      for (let od = 0; od < gOD; od++) {
        for (let oh = 0; oh < gOH; oh++) {
          const row = src + <usize>(od * gSD) * qSlice + <usize>(oh * gSH) * qRow;
          let ow = 0;
          if (k3x3) {
            o = depthwiseRow3x3(row, o, OW, w, bs, <usize>(gDH * gQW) << 2, <usize>gDW << 2);
          } else if (sw == 1) {
            for (; ow + 8 <= OW; ow += 8) {
              const r = row + (<usize>ow << 2);
              let a0 = bv;
              let a1 = bv;
              let tp = pToff;
              let wp = pWs;
              while (tp < tEnd) {
                const s = r + <usize>load<i32>(tp);
                const wv = v128.load(wp);
                a0 = f32x4.add(a0, f32x4.mul(wv, v128.load(s)));
                a1 = f32x4.add(a1, f32x4.mul(wv, v128.load(s, 16)));
                tp += 4;
                wp += 16;
              }
              v128.store(o, a0);
              v128.store(o, a1, 16);
              o += 32;
            }
            for (; ow < OW; ow += 4) {
              const r = row + (<usize>ow << 2);
              let a0 = bv;
              let tp = pToff;
              let wp = pWs;
              while (tp < tEnd) {
                a0 = f32x4.add(a0, f32x4.mul(v128.load(wp), v128.load(r + <usize>load<i32>(tp))));
                tp += 4;
                wp += 16;
              }
              o = storePartial(o, a0, OW - ow);
            }
          } else if (sw == 2) {
            for (; ow < OW; ow += 4) {
              const r = row + (<usize>ow << 3);
              let a0 = bv;
              let tp = pToff;
              let wp = pWs;
              while (tp < tEnd) {
                const s = r + <usize>load<i32>(tp);
                const x = f32x4.shuffle(v128.load(s), v128.load(s, 16), 0, 2, 4, 6);
                a0 = f32x4.add(a0, f32x4.mul(v128.load(wp), x));
                tp += 4;
                wp += 16;
              }
              o = storePartial(o, a0, OW - ow);
            }
          } else {
            const step = <usize>sw << 2;
            for (; ow < OW; ow++) {
              const r = row + <usize>ow * step;
              let acc: f32 = bs;
              for (let i = 0; i < taps; i++) {
                acc += load<f32>(w + (<usize>i << 2)) * load<f32>(r + <usize>load<i32>(pToff + (<usize>i << 2)));
              }
              store<f32>(o, acc);
              o += 4;
            }
          }
        }
      }
    }
  }
}

/**
 * One output row of a 3×3, width-stride-1 depthwise window: the nine taps stay in registers, four outputs
 * per step (eight per step, in two accumulators, was slower: V8 hoists the 18 loads and spills). `row` is the window origin of output 0, `rowStep`/`colStep` the byte distances between taps.
 * Returns o advanced past the row.
 */
function depthwiseRow3x3(row: usize, o: usize, OW: i32, w: usize, bias: f32, rowStep: usize, colStep: usize): usize {
  const w00 = v128.load32_splat(w, 0);
  const w01 = v128.load32_splat(w, 4);
  const w02 = v128.load32_splat(w, 8);
  const w10 = v128.load32_splat(w, 12);
  const w11 = v128.load32_splat(w, 16);
  const w12 = v128.load32_splat(w, 20);
  const w20 = v128.load32_splat(w, 24);
  const w21 = v128.load32_splat(w, 28);
  const w22 = v128.load32_splat(w, 32);
  const bv = f32x4.splat(bias);
  const c1 = colStep;
  const c2 = colStep << 1;
  let ow = 0;
  let r0 = row;
  for (; ow < OW; ow += 4) {
    const r1 = r0 + rowStep;
    const r2 = r1 + rowStep;
    let a0 = f32x4.add(bv, f32x4.mul(w00, v128.load(r0)));
    a0 = f32x4.add(a0, f32x4.mul(w01, v128.load(r0 + c1)));
    a0 = f32x4.add(a0, f32x4.mul(w02, v128.load(r0 + c2)));
    a0 = f32x4.add(a0, f32x4.mul(w10, v128.load(r1)));
    a0 = f32x4.add(a0, f32x4.mul(w11, v128.load(r1 + c1)));
    a0 = f32x4.add(a0, f32x4.mul(w12, v128.load(r1 + c2)));
    a0 = f32x4.add(a0, f32x4.mul(w20, v128.load(r2)));
    a0 = f32x4.add(a0, f32x4.mul(w21, v128.load(r2 + c1)));
    a0 = f32x4.add(a0, f32x4.mul(w22, v128.load(r2 + c2)));
    o = storePartial(o, a0, OW - ow);
    r0 += 16;
  }
  return o;
}

/** Stores min(4, count) lanes of v at o; returns o advanced past them. */
function storePartial(o: usize, v: v128, count: i32): usize {
  if (count >= 4) {
    v128.store(o, v);
    return o + 16;
  }
  v128.store32_lane(o, v, 0);
  if (count > 1) v128.store32_lane(o, v, 1, 4);
  if (count > 2) v128.store32_lane(o, v, 2, 8);
  return o + (<usize>count << 2);
}
