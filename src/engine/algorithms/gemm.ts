/**
 * C (m × n) += A (m × k) · B (k × n), row-major float64, cache-blocked and register-tiled in plain JS.
 * B's rows are `ldb` apart and C's `ldc` apart (both default n), so a block of columns of a wider matrix
 * can be read or written in place (im2col's column blocks).
 *
 * B is packed per KC×NC block into column panels of NR=4 (Bp[panel][kk][0..3]) so the micro-kernel reads it
 * contiguously; A is packed per MR=4 rows (Ap[kk][0..3]). The 4×4 micro-kernel keeps its 16 sums in
 * locals, which V8 holds in registers: each step of kk loads 8 numbers and does 16 multiply-adds.
 * Edges (m or n not a multiple of 4) go through the same kernel on zero-padded packs.
 */
const MR = 4;
const NR = 4;
const KC = 256;
const NC = 512;

let packA = new Float64Array(MR * KC);
let packB = new Float64Array(KC * NC);

export function gemm(
  a: Float64Array,
  aOffset: number,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
  c: Float64Array,
  cOffset: number,
  bOffset = 0,
  ldb = n,
  ldc = n,
): void {
  if (packB.length < KC * (NC + NR)) packB = new Float64Array(KC * (NC + NR));
  if (packA.length < MR * KC) packA = new Float64Array(MR * KC);
  // locals, not the module's bindings, in the hot loops (V8 keeps them in registers)
  const pa = packA;
  const pb = packB;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const panels = Math.ceil(nc / NR);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // pack B[pc .. pc+kc][jc .. jc+nc] as panels of NR columns
      for (let p = 0; p < panels; p++) {
        const col0 = jc + p * NR;
        const width = Math.min(NR, n - col0);
        let dst = p * kc * NR;
        for (let kk = 0; kk < kc; kk++) {
          const src = bOffset + (pc + kk) * ldb + col0;
          for (let j = 0; j < NR; j++) pb[dst + j] = j < width ? b[src + j] : 0;
          dst += NR;
        }
      }
      for (let ic = 0; ic < m; ic += MR) {
        const height = Math.min(MR, m - ic);
        // pack A[ic .. ic+3][pc .. pc+kc] interleaved: pa[kk*4 + r]
        for (let kk = 0; kk < kc; kk++) {
          for (let r = 0; r < MR; r++) pa[kk * MR + r] = r < height ? a[aOffset + (ic + r) * k + pc + kk] : 0;
        }
        for (let p = 0; p < panels; p++) {
          const col0 = jc + p * NR;
          const width = Math.min(NR, n - col0);
          let c00 = 0,
            c01 = 0,
            c02 = 0,
            c03 = 0;
          let c10 = 0,
            c11 = 0,
            c12 = 0,
            c13 = 0;
          let c20 = 0,
            c21 = 0,
            c22 = 0,
            c23 = 0;
          let c30 = 0,
            c31 = 0,
            c32 = 0,
            c33 = 0;
          let ai = 0;
          let bi = p * kc * NR;
          for (let kk = 0; kk < kc; kk++, ai += MR, bi += NR) {
            const a0 = pa[ai],
              a1 = pa[ai + 1],
              a2 = pa[ai + 2],
              a3 = pa[ai + 3];
            const b0 = pb[bi],
              b1 = pb[bi + 1],
              b2 = pb[bi + 2],
              b3 = pb[bi + 3];
            c00 += a0 * b0;
            c01 += a0 * b1;
            c02 += a0 * b2;
            c03 += a0 * b3;
            c10 += a1 * b0;
            c11 += a1 * b1;
            c12 += a1 * b2;
            c13 += a1 * b3;
            c20 += a2 * b0;
            c21 += a2 * b1;
            c22 += a2 * b2;
            c23 += a2 * b3;
            c30 += a3 * b0;
            c31 += a3 * b1;
            c32 += a3 * b2;
            c33 += a3 * b3;
          }
          const row = cOffset + ic * ldc + col0;
          if (height === MR && width === NR) {
            c[row] += c00;
            c[row + 1] += c01;
            c[row + 2] += c02;
            c[row + 3] += c03;
            c[row + ldc] += c10;
            c[row + ldc + 1] += c11;
            c[row + ldc + 2] += c12;
            c[row + ldc + 3] += c13;
            c[row + 2 * ldc] += c20;
            c[row + 2 * ldc + 1] += c21;
            c[row + 2 * ldc + 2] += c22;
            c[row + 2 * ldc + 3] += c23;
            c[row + 3 * ldc] += c30;
            c[row + 3 * ldc + 1] += c31;
            c[row + 3 * ldc + 2] += c32;
            c[row + 3 * ldc + 3] += c33;
          } else {
            const sums = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
            for (let r = 0; r < height; r++) for (let j = 0; j < width; j++) c[row + r * ldc + j] += sums[r * NR + j];
          }
        }
      }
    }
  }
}
