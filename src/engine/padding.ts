/**
 * Non-zero padding modes (reflect, replicate, circular) as index maps: padded coordinate → source
 * coordinate in the unpadded input. Padding gathers through the map; its backward scatters through the
 * same map, so a gradient reaching a padding cell lands on the input cell that the padding copied.
 */
import type { ConvGeometry, PaddingMode, Triple } from './geometry';

/** For one dim: `map[j]` is the input index copied into padded index j, or -1 where zeros pad. */
export function padIndexMap(size: number, before: number, after: number, mode: PaddingMode): Int32Array {
  const map = new Int32Array(size + before + after);
  for (let j = 0; j < map.length; j++) {
    let i = j - before;
    if (i < 0 || i >= size) {
      switch (mode) {
        case 'zeros':
          i = -1;
          break;
        case 'reflect':
          // mirror about the edge cell without repeating it: -1 → 1, size → size − 2 (pad < size, so once)
          i = i < 0 ? -i : 2 * (size - 1) - i;
          break;
        case 'replicate':
          i = i < 0 ? 0 : size - 1;
          break;
        case 'circular':
          i = ((i % size) + size) % size;
          break;
      }
    }
    map[j] = i;
  }
  return map;
}

interface PadMaps {
  readonly maps: [Int32Array, Int32Array, Int32Array];
  readonly inSize: Triple;
  readonly outSize: Triple;
  readonly planes: number;
}

function padMaps(g: ConvGeometry): PadMaps {
  const off = 3 - g.rank;
  const inSize: Triple = [1, 1, 1];
  const before: Triple = [0, 0, 0];
  const after: Triple = [0, 0, 0];
  for (let i = 0; i < g.rank; i++) {
    inSize[off + i] = g.inputSize[i];
    before[off + i] = g.padBefore[i];
    after[off + i] = g.padAfter[i];
  }
  const maps = [0, 1, 2].map((d) => padIndexMap(inSize[d], before[d], after[d], g.paddingMode)) as [
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  const outSize: Triple = [maps[0].length, maps[1].length, maps[2].length];
  return { maps, inSize, outSize, planes: g.batch * g.inChannels };
}

/**
 * Moves values between the input and its padded copy through the index maps: 'pad' gathers every padded
 * cell from the input cell it copies (zeros stay 0); 'unpad' is its adjoint, adding every padded cell's
 * value back onto that input cell. One loop nest keeps the two exactly dual.
 */
function transferPadding(g: ConvGeometry, from: Float64Array, direction: 'pad' | 'unpad'): Float64Array {
  const { maps, inSize, outSize, planes } = padMaps(g);
  const [D, H, W] = outSize;
  const inPlane = inSize[0] * inSize[1] * inSize[2];
  const toPadded = direction === 'pad';
  const out = new Float64Array(toPadded ? planes * D * H * W : planes * inPlane);
  let k = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    for (let d = 0; d < D; d++) {
      const sd = maps[0][d];
      for (let h = 0; h < H; h++) {
        const sh = maps[1][h];
        for (let w = 0; w < W; w++, k++) {
          const sw = maps[2][w];
          if (sd < 0 || sh < 0 || sw < 0) continue;
          const source = base + (sd * inSize[1] + sh) * inSize[2] + sw;
          if (toPadded) out[k] = from[source];
          else out[source] += from[k];
        }
      }
    }
  }
  return out;
}

/** The input padded by the geometry's padding mode: the tensor the window of a non-zero mode runs over. */
export function padInput(g: ConvGeometry, input: Float64Array): Float64Array {
  return transferPadding(g, input, 'pad');
}

/** Adjoint of padInput: every padded cell's gradient is added to the input cell it was copied from. */
export function padInputBackward(g: ConvGeometry, gradPadded: Float64Array): Float64Array {
  return transferPadding(g, gradPadded, 'unpad');
}
