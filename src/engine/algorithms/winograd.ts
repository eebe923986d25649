/**
 * Winograd minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
 * 2015): each 2×2 block of output is computed from a 4×4 input tile with 16 multiplies per channel pair
 * instead of the 36 of the direct method, by moving tile and filter into a transform domain where the 2-D
 * correlation becomes an element-wise product:
 *
 *   Y = Aᵀ [ Σ_ci (G g Gᵀ) ⊙ (Bᵀ d B) ] A
 *
 * The filter transform U = G g Gᵀ is done once per (output channel, input channel) and the input transform
 * V = Bᵀ d B once per (input channel, tile). The sum over input channels in the transform domain is, for each
 * of the 16 transform coordinates ξ, a matrix product M_ξ (C_out × tiles) = U_ξ (C_out × C_in) · V_ξ (C_in ×
 * tiles), done by the blocked GEMM: 16 products of 2.25× fewer multiplies than im2col's one. The output
 * transform then runs once per output tile.
 *
 * Scope: 3×3 windows with stride 1 and dilation 1 in H and W. The depth dim must have kernel 1; its stride,
 * padding and size are otherwise free (each output depth slice reads a single input depth slice, or only
 * padding), so a normalised 2-D problem and a conv3d with a 1×3×3 kernel are both served.
 */
import type { WindowGeometry } from '../geometry';
import { gemm } from './gemm';

export function winogradApplies(w: WindowGeometry): boolean {
  return (
    w.kernel[0] === 1 &&
    w.kernel[1] === 3 &&
    w.kernel[2] === 3 &&
    w.stride[1] === 1 &&
    w.stride[2] === 1 &&
    w.dilation[1] === 1 &&
    w.dilation[2] === 1
  );
}

// The three transforms, written out as straight-line code on 4- (or 3-) vectors. They are applied along
// one axis and then the other, which is what the matrix sandwiches M·X·Mᵀ amount to.
//
//        ⎡ 1    0    0  ⎤
//   G =  ⎢ ½    ½    ½  ⎥   filter → transform domain. Rows 2 and 3 evaluate the filter polynomial at +1 and
//        ⎢ ½   −½    ½  ⎥   −1 (the ½ is the Lagrange normalisation folded in here, so that it is paid once per
//        ⎣ 0    0    1  ⎦   filter rather than once per tile); rows 1 and 4 are the points 0 and ∞.
//
//        ⎡ 1    0   −1    0 ⎤
//   Bᵀ = ⎢ 0    1    1    0 ⎥   tile → transform domain: the matching combinations of the 4 inputs, chosen
//        ⎢ 0   −1    1    0 ⎥   so that m = (Bᵀd) ⊙ (Gg) gives four partial products from which both
//        ⎣ 0    1    0   −1 ⎦   outputs can be recovered with additions only.
//
//   Aᵀ = ⎡ 1    1    1    0 ⎤   back to the 2 outputs: y0 = m0 + m1 + m2, y1 = m1 − m2 − m3.
//        ⎣ 0    1   −1   −1 ⎦
//
// This is correlation (no kernel flip), as CNNs and PyTorch use: y_i = Σ_t g_t · d_{i+t}. Expanding,
// y0 = (d0−d2)g0 + (d1+d2)(g0+g1+g2)/2 + (d2−d1)(g0−g1+g2)/2 = d0g0 + d1g1 + d2g2, and likewise for y1.
// Note y0 never touches d3, so when the output size is odd the last tile's y1 (which would read past the
// window) is simply discarded.

/** U = G g Gᵀ for one 3×3 filter at `src[off … off+8]` (row-major, rows = H), into `dst[doff … doff+15]`. */
function transformFilter(src: Float64Array, off: number, dst: Float64Array, doff: number): void {
  // t = G g: 4×3, columns transformed along H
  const t = new Float64Array(12);
  for (let j = 0; j < 3; j++) {
    const a = src[off + j],
      b = src[off + 3 + j],
      c = src[off + 6 + j];
    t[j] = a;
    t[3 + j] = 0.5 * (a + b + c);
    t[6 + j] = 0.5 * (a - b + c);
    t[9 + j] = c;
  }
  // U = t Gᵀ: 4×4, each row transformed along W
  for (let i = 0; i < 4; i++) {
    const a = t[3 * i],
      b = t[3 * i + 1],
      c = t[3 * i + 2];
    dst[doff + 4 * i] = a;
    dst[doff + 4 * i + 1] = 0.5 * (a + b + c);
    dst[doff + 4 * i + 2] = 0.5 * (a - b + c);
    dst[doff + 4 * i + 3] = c;
  }
}

/** V = Bᵀ d B for the 4×4 tile whose top-left is `src[off]` in a plane of row length `rowLen`. */
function transformTile(
  src: Float64Array,
  off: number,
  rowLen: number,
  dst: Float64Array,
  doff: number,
  t: Float64Array,
): void {
  // t = Bᵀ d: columns transformed along H
  const r0 = off,
    r1 = off + rowLen,
    r2 = off + 2 * rowLen,
    r3 = off + 3 * rowLen;
  for (let j = 0; j < 4; j++) {
    const d0 = src[r0 + j],
      d1 = src[r1 + j],
      d2 = src[r2 + j],
      d3 = src[r3 + j];
    t[j] = d0 - d2;
    t[4 + j] = d1 + d2;
    t[8 + j] = d2 - d1;
    t[12 + j] = d1 - d3;
  }
  // V = t B: rows transformed along W
  for (let i = 0; i < 4; i++) {
    const d0 = t[4 * i],
      d1 = t[4 * i + 1],
      d2 = t[4 * i + 2],
      d3 = t[4 * i + 3];
    dst[doff + 4 * i] = d0 - d2;
    dst[doff + 4 * i + 1] = d1 + d2;
    dst[doff + 4 * i + 2] = d2 - d1;
    dst[doff + 4 * i + 3] = d1 - d3;
  }
}

/** Conv forward by Winograd F(2×2, 3×3). Same layouts and result as `gather` (window.ts). */
export function winogradConv(
  w: WindowGeometry,
  big: Float64Array,
  weight: Float64Array,
  bias: Float64Array | null,
): Float64Array {
  if (!winogradApplies(w)) {
    throw new Error(
      `winogradConv needs a 1×3×3 kernel with stride 1 and dilation 1 in H and W; got kernel ${w.kernel.join('x')}, ` +
        `stride ${w.stride.join('x')}, dilation ${w.dilation.join('x')}`,
    );
  }
  const [BD, BH, BW] = w.big;
  const [OD, OH, OW] = w.small;
  const sd = w.stride[0],
    pd = w.padBefore[0];
  const ph = w.padBefore[1],
    pw = w.padBefore[2];
  const Cg = w.bigChannels / w.groups;
  const Og = w.smallChannels / w.groups;
  const bigPlane = BD * BH * BW;
  const outPlane = OH * OW;
  const out = new Float64Array(w.batch * w.smallChannels * OD * outPlane);

  // Filter transforms, once, stored as 16 matrices U_ξ[c][ci] (ξ-major) for the GEMMs. The weight's depth
  // extent is 1, so each filter plane is 9 long.
  const C = w.smallChannels;
  const U = new Float64Array(16 * C * Cg);
  const u16 = new Float64Array(16);
  for (let f = 0; f < C * Cg; f++) {
    transformFilter(weight, 9 * f, u16, 0);
    for (let xi = 0; xi < 16; xi++) U[xi * C * Cg + f] = u16[xi];
  }

  // Tile index math. Output tile (th, tw) produces outputs rows 2·th … 2·th+1 and columns 2·tw … 2·tw+1
  // (m = 2 outputs per axis). Output row oh reads input rows oh − ph + kh for kh = 0…2, so the tile's
  // two output rows together need the m + r − 1 = 4 input rows 2·th − ph … 2·th − ph + 3; consecutive tiles
  // therefore step by 2 and overlap by r − 1 = 2. ceil(O/2) tiles cover O outputs; an odd O leaves the last
  // tile half-used. To read every tile without bounds checks, the input is copied into a zero-padded plane
  // with padded[y][x] = big[y − ph][x − pw]: tile (th, tw) starts at padded[2·th][2·tw] and the last tile
  // ends at row 2·(tilesH−1) + 3 = 2·tilesH + 1, hence the padded size 2·tiles + 2. Anything outside the
  // real input (padding before, and the far-end overrun of the window) is left as zero.
  const tilesH = Math.ceil(OH / 2),
    tilesW = Math.ceil(OW / 2);
  const tiles = tilesH * tilesW;
  const PH = 2 * tilesH + 2,
    PW = 2 * tilesW + 2;
  const padded = new Float64Array(PH * PW);
  // the rows/columns of `big` that land inside the padded plane
  const yFrom = Math.max(0, ph),
    yTo = Math.min(PH, BH + ph);
  const xFrom = Math.max(0, pw),
    xTo = Math.min(PW, BW + pw);

  // V_ξ[cb][tile] and M_ξ[c][tile], ξ-major
  const V = new Float64Array(16 * w.bigChannels * tiles);
  const M = new Float64Array(16 * C * tiles);
  const scratch = new Float64Array(16);
  const v16 = new Float64Array(16);

  for (let n = 0; n < w.batch; n++) {
    for (let od = 0; od < OD; od++) {
      // kernel depth is 1, so output depth od reads exactly input depth od·sd − pd (or only padding)
      const id = od * sd - pd;
      if (id < 0 || id >= BD) {
        for (let c = 0; c < w.smallChannels; c++) {
          const base = ((n * w.smallChannels + c) * OD + od) * outPlane;
          out.fill(bias ? bias[c] : 0, base, base + outPlane);
        }
        continue;
      }

      // input transforms: each (input channel, tile) once, shared by all Og output channels of its group
      for (let cb = 0; cb < w.bigChannels; cb++) {
        const planeBase = (n * w.bigChannels + cb) * bigPlane + id * BH * BW;
        padded.fill(0);
        for (let y = yFrom; y < yTo; y++) {
          const src = planeBase + (y - ph) * BW - pw;
          const dst = y * PW;
          for (let x = xFrom; x < xTo; x++) padded[dst + x] = big[src + x];
        }
        for (let th = 0; th < tilesH; th++) {
          for (let tw = 0; tw < tilesW; tw++) {
            transformTile(padded, 2 * th * PW + 2 * tw, PW, v16, 0, scratch);
            const tile = th * tilesW + tw;
            for (let xi = 0; xi < 16; xi++) V[(xi * w.bigChannels + cb) * tiles + tile] = v16[xi];
          }
        }
      }

      // the channel sum in the transform domain: per group and ξ, M_ξ = U_ξ · V_ξ
      M.fill(0);
      for (let g = 0; g < w.groups; g++) {
        for (let xi = 0; xi < 16; xi++) {
          gemm(
            U,
            (xi * C + g * Og) * Cg,
            V,
            Og,
            Cg,
            tiles,
            M,
            (xi * C + g * Og) * tiles,
            (xi * w.bigChannels + g * Cg) * tiles,
          );
        }
      }

      const m = new Float64Array(16);
      const stride16 = C * tiles;
      for (let c = 0; c < w.smallChannels; c++) {
        const b = bias ? bias[c] : 0;
        const outBase = ((n * w.smallChannels + c) * OD + od) * outPlane;
        for (let th = 0; th < tilesH; th++) {
          for (let tw = 0; tw < tilesW; tw++) {
            const tile = th * tilesW + tw;
            for (let xi = 0, at = c * tiles + tile; xi < 16; xi++, at += stride16) m[xi] = M[at];
            // Y = Aᵀ m A: first along W (4 columns → 2), then along H (4 rows → 2)
            const r00 = m[0] + m[1] + m[2],
              r01 = m[1] - m[2] - m[3];
            const r10 = m[4] + m[5] + m[6],
              r11 = m[5] - m[6] - m[7];
            const r20 = m[8] + m[9] + m[10],
              r21 = m[9] - m[10] - m[11];
            const r30 = m[12] + m[13] + m[14],
              r31 = m[13] - m[14] - m[15];
            const oh = 2 * th,
              ow = 2 * tw;
            // keep only the outputs that exist (the half-used last tile of an odd size drops its 2nd row/col)
            const o = outBase + oh * OW + ow;
            out[o] = r00 + r10 + r20 + b;
            if (ow + 1 < OW) out[o + 1] = r01 + r11 + r21 + b;
            if (oh + 1 < OH) {
              out[o + OW] = r10 - r20 - r30 + b;
              if (ow + 1 < OW) out[o + OW + 1] = r11 - r21 - r31 + b;
            }
          }
        }
      }
    }
  }
  return out;
}
