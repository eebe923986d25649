/**
 * From the matrices a person selected to the shapes PyTorch wants. A lecture's 5×5 input and 3×3 kernel are
 * not (N, C, H, W) and (C_out, C_in, kH, kW); this module decides how to read them, says so in `notes`, and
 * leaves anything already in PyTorch's layout alone. Pure: no vscode.
 */
import type { SpatialRank } from '../engine/geometry';
import { reshape, type Tensor } from '../engine/tensor';

export interface ConvOperands {
  readonly rank: SpatialRank;
  readonly input: Tensor;
  readonly weight: Tensor;
  /** the output is reshaped back to the user's own rank (a 2-D matrix in, a 2-D matrix out) */
  readonly squeezeOutputTo: number | null;
  readonly notes: string[];
}

export interface PoolOperands {
  readonly rank: SpatialRank;
  readonly input: Tensor;
  readonly squeezeOutputTo: number | null;
  readonly notes: string[];
}

const dims = (shape: readonly number[]) => shape.join('×');

/**
 * Reads (input, kernel) for conv / conv_transpose / im2col:
 * - a kernel of 4 or 5 dims is a PyTorch weight (conv2d / conv3d), used as it is;
 * - a 3-dim kernel whose first dim equals the input's channels is one multi-channel 2-D filter (C, kH, kW);
 *   a 3-dim kernel with a 2-dim input whose channels match its dim 1 is a conv1d weight (C_out, C_in, k);
 *   otherwise it is a bare 3-D kernel;
 * - a 1- or 2-dim kernel is a bare kernel: one filter, one channel.
 * An input with only spatial dims gets a channel dim of 1.
 */
export function readConvOperands(input: Tensor, kernel: Tensor): ConvOperands {
  const notes: string[] = [];
  const kr = kernel.shape.length;
  const ir = input.shape.length;
  let rank: SpatialRank;
  let weight: Tensor;
  if (kr >= 4) {
    rank = Math.min(3, kr - 2) as SpatialRank;
    weight = kernel;
  } else if (kr === 3 && ir === 3 && input.shape[0] === kernel.shape[0] && input.shape[0] > 1) {
    rank = 2;
    weight = reshape(kernel, [1, ...kernel.shape]);
    notes.push(
      `kernel ${dims(kernel.shape)} read as one filter over ${kernel.shape[0]} channels (1×${dims(kernel.shape)})`,
    );
  } else if (kr === 3 && ir === 4) {
    rank = 2;
    weight = reshape(kernel, [1, ...kernel.shape]);
    notes.push(`kernel ${dims(kernel.shape)} read as one filter (1×${dims(kernel.shape)})`);
  } else if (kr === 3 && ir === 2 && input.shape[0] === kernel.shape[1]) {
    rank = 1;
    weight = kernel;
  } else if (kr >= 1 && kr <= 3) {
    rank = kr as SpatialRank;
    weight = reshape(kernel, [1, 1, ...kernel.shape]);
    if (kr > 1 || ir === 1)
      notes.push(`kernel ${dims(kernel.shape)} read as one filter, one channel (1×1×${dims(kernel.shape)})`);
  } else {
    rank = 2;
    weight = kernel;
  }
  let squeezeOutputTo: number | null = null;
  let x = input;
  if (ir === rank) {
    x = reshape(input, [1, ...input.shape]);
    squeezeOutputTo = weight.shape[0] === 1 ? ir : null;
    notes.push(`input ${dims(input.shape)} read as one channel (1×${dims(input.shape)})`);
  }
  return { rank, input: x, weight, squeezeOutputTo, notes };
}

/**
 * Reads a pooling input: the kernel_size's length (when a tuple) fixes the rank; otherwise a 1- or 2-dim
 * input is bare, 3 dims are (C, H, W), 4 are (N, C, H, W), 5 are (N, C, D, H, W).
 */
export function readPoolOperands(input: Tensor, kernelSize: unknown): PoolOperands {
  const ir = input.shape.length;
  let rank: SpatialRank;
  if (Array.isArray(kernelSize) && kernelSize.length >= 1 && kernelSize.length <= 3)
    rank = kernelSize.length as SpatialRank;
  else if (ir <= 2) rank = Math.max(1, ir) as SpatialRank;
  else if (ir === 3 || ir === 4) rank = 2;
  else rank = 3;
  if (ir === rank) {
    return {
      rank,
      input: reshape(input, [1, ...input.shape]),
      squeezeOutputTo: ir,
      notes: [`input ${dims(input.shape)} read as one channel (1×${dims(input.shape)})`],
    };
  }
  return { rank, input, squeezeOutputTo: null, notes: [] };
}

/** Drops the leading size-1 dims that readConvOperands / readPoolOperands added. */
export function squeezeTo(shape: readonly number[], rank: number | null): number[] {
  if (rank === null) return [...shape];
  const out = [...shape];
  while (out.length > rank && out[0] === 1) out.shift();
  return out;
}
