/**
 * Convolution through the FFT (convolution theorem). Per spatial dim, the input is zero-padded into a plane
 * that holds exactly the positions the windows read, the (dilated) kernel is laid out from index 0 in a
 * plane of the same size, and the correlation r[j] = Σ_t k[t] · x[j + t] is read back as
 * IFFT( FFT(x) · conj(FFT(k)) ). The output is r at j = o·stride.
 *
 * Sizes. With O outputs, stride s and effective kernel span E = d·(k−1)+1, the windows read padded
 * positions 0 … (O−1)·s + E − 1, so the padded plane needs L = (O−1)·s + E entries (this can be shorter
 * than padBefore + input + padAfter when a stride leaves the tail unread, or longer when the last window
 * overruns the input: both are handled by reading zero outside the input). A circular correlation of
 * length N ≥ L is exact at every j we keep: j + t ≤ (O−1)·s + E − 1 = L − 1 < N, so no tap wraps around.
 * N is L rounded up to a power of two, for the radix-2 transform; a dim with N = 1 is not transformed
 * (a length-1 DFT is the identity).
 *
 * Work: each input-channel plane is transformed once per batch item, each kernel plane once in all; the
 * sum over the input channels of a group happens in the frequency domain, so there is one inverse
 * transform per (batch item, output channel).
 */
import type { WindowGeometry } from '../geometry';

/** The FFT handles every window geometry: padding, overrun, stride, dilation and groups. */
export function fftApplies(w: WindowGeometry): boolean {
  void w;
  return true;
}

interface Plan {
  readonly n: number;
  /** cos(2πk/n), sin(2πk/n) for k < n/2, each computed directly (no recurrence, so no drift) */
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  /** bit-reversal permutation of 0 … n−1 */
  readonly rev: Uint32Array;
}

const plans = new Map<number, Plan>();

function planFor(n: number): Plan {
  let p = plans.get(n);
  if (p) return p;
  const half = n >> 1;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    const a = (2 * Math.PI * k) / n;
    cos[k] = Math.cos(a);
    sin[k] = Math.sin(a);
  }
  const rev = new Uint32Array(n);
  let bits = 0;
  while (1 << bits < n) bits++;
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) if (i & (1 << b)) r |= 1 << (bits - 1 - b);
    rev[i] = r;
  }
  p = { n, cos, sin, rev };
  plans.set(n, p);
  return p;
}

function nextPow2(v: number): number {
  let n = 1;
  while (n < v) n *= 2;
  return n;
}

/**
 * In-place iterative radix-2 FFT of the n complex values at re/im[off + i·step], i < n.
 * Forward uses e^{−2πi jk/n}; inverse uses e^{+2πi jk/n} and does not scale.
 */
function fft1(re: Float64Array, im: Float64Array, off: number, step: number, n: number, inverse: boolean): void {
  if (n <= 1) return;
  const { cos, sin, rev } = planFor(n);
  for (let i = 0; i < n; i++) {
    const r = rev[i];
    if (r > i) {
      const a = off + i * step,
        b = off + r * step;
      let t = re[a];
      re[a] = re[b];
      re[b] = t;
      t = im[a];
      im[a] = im[b];
      im[b] = t;
    }
  }
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const tw = n / size; // twiddle for k in a butterfly of this size is index k·tw in the length-n table
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * tw],
          wi = sign * sin[k * tw];
        const a = off + (start + k) * step,
          b = a + half * step;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** 3-D transform of an [N0][N1][N2] row-major complex array, one axis at a time (dims of size 1 skipped). */
function fft3(
  re: Float64Array,
  im: Float64Array,
  base: number,
  N: readonly [number, number, number],
  inverse: boolean,
): void {
  const [N0, N1, N2] = N;
  if (N2 > 1) for (let r = 0; r < N0 * N1; r++) fft1(re, im, base + r * N2, 1, N2, inverse);
  if (N1 > 1) {
    for (let i0 = 0; i0 < N0; i0++)
      for (let i2 = 0; i2 < N2; i2++) fft1(re, im, base + i0 * N1 * N2 + i2, N2, N1, inverse);
  }
  if (N0 > 1) for (let r = 0; r < N1 * N2; r++) fft1(re, im, base + r, N1 * N2, N0, inverse);
}

/** Conv forward through the FFT. Same layouts and result as `gather` (window.ts), up to FFT round-off. */
export function fftConv(
  w: WindowGeometry,
  big: Float64Array,
  weight: Float64Array,
  bias: Float64Array | null,
): Float64Array {
  const Cg = w.bigChannels / w.groups;
  const Og = w.smallChannels / w.groups;
  const [BD, BH, BW] = w.big;
  const [OD, OH, OW] = w.small;
  const [KD, KH, KW] = w.kernel;
  const [sd, sh, sw] = w.stride;
  const [pd, ph, pw] = w.padBefore;
  const [dd, dh, dw] = w.dilation;
  const outPlane = OD * OH * OW;
  const out = new Float64Array(w.batch * w.smallChannels * outPlane);
  if (out.length === 0) return out;

  // padded plane extent per dim (see the header): (O−1)·s + d·(k−1) + 1
  const L: [number, number, number] = [
    (OD - 1) * sd + dd * (KD - 1) + 1,
    (OH - 1) * sh + dh * (KH - 1) + 1,
    (OW - 1) * sw + dw * (KW - 1) + 1,
  ];
  const N: [number, number, number] = [nextPow2(L[0]), nextPow2(L[1]), nextPow2(L[2])];
  const M = N[0] * N[1] * N[2];
  const NHW = N[1] * N[2];

  // Kernel spectra, once: the dilated kernel sits at offsets t·d from 0, so its correlation with the padded
  // input lines tap t up with position j + t·d.
  const taps = KD * KH * KW;
  const kRe = new Float64Array(w.smallChannels * Cg * M);
  const kIm = new Float64Array(w.smallChannels * Cg * M);
  for (let f = 0; f < w.smallChannels * Cg; f++) {
    const base = f * M;
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          kRe[base + kd * dd * NHW + kh * dh * N[2] + kw * dw] = weight[f * taps + (kd * KH + kh) * KW + kw];
        }
      }
    }
    fft3(kRe, kIm, base, N, false);
  }

  // The padded input index j holds big[j − padBefore]; only j < L is ever read, and only in-range input
  // positions are copied (everything else, before and after, stays zero).
  const dFrom = Math.max(0, pd),
    dTo = Math.min(L[0], BD + pd);
  const hFrom = Math.max(0, ph),
    hTo = Math.min(L[1], BH + ph);
  const wFrom = Math.max(0, pw),
    wTo = Math.min(L[2], BW + pw);
  const bigPlane = BD * BH * BW;

  const xRe = new Float64Array(w.bigChannels * M);
  const xIm = new Float64Array(w.bigChannels * M);
  const accRe = new Float64Array(M);
  const accIm = new Float64Array(M);
  const scale = 1 / M;

  for (let n = 0; n < w.batch; n++) {
    xRe.fill(0);
    xIm.fill(0);
    for (let cb = 0; cb < w.bigChannels; cb++) {
      const src = (n * w.bigChannels + cb) * bigPlane;
      const dst = cb * M;
      for (let j0 = dFrom; j0 < dTo; j0++) {
        for (let j1 = hFrom; j1 < hTo; j1++) {
          const s = src + ((j0 - pd) * BH + (j1 - ph)) * BW - pw;
          const d = dst + j0 * NHW + j1 * N[2];
          for (let j2 = wFrom; j2 < wTo; j2++) xRe[d + j2] = big[s + j2];
        }
      }
      fft3(xRe, xIm, dst, N, false);
    }

    for (let c = 0; c < w.smallChannels; c++) {
      const g = Math.floor(c / Og);
      // Σ_ci X_ci · conj(K_c,ci): correlation (no kernel flip), summed over the group's input channels
      accRe.fill(0);
      accIm.fill(0);
      for (let ci = 0; ci < Cg; ci++) {
        const xb = (g * Cg + ci) * M;
        const kb = (c * Cg + ci) * M;
        for (let i = 0; i < M; i++) {
          const ar = xRe[xb + i],
            ai = xIm[xb + i];
          const br = kRe[kb + i],
            bi = kIm[kb + i];
          accRe[i] += ar * br + ai * bi;
          accIm[i] += ai * br - ar * bi;
        }
      }
      fft3(accRe, accIm, 0, N, true);
      const b = bias ? bias[c] : 0;
      const outBase = (n * w.smallChannels + c) * outPlane;
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          const row = od * sd * NHW + oh * sh * N[2];
          const o = outBase + (od * OH + oh) * OW;
          for (let ow = 0; ow < OW; ow++) out[o + ow] = accRe[row + ow * sw] * scale + b;
        }
      }
    }
  }
  return out;
}
