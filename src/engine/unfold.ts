/**
 * im2col (`F.unfold`) and col2im (`F.fold`). The column matrix has one row per (channel, kernel tap),
 * channel-major then row-major over the taps, and one column per window position in row-major order.
 * fold is unfold's adjoint: every column entry is added back to the cell it came from, overlaps summing.
 */
import { checkBudget, estimateFold, estimateUnfold, limitsFrom, type EngineLimits } from './budget';
import { fail } from './errors';
import type { UnfoldGeometry } from './geometry';
import { formatShape, type Tensor } from './tensor';
import { transferColumns } from './algorithms/im2col';

function checkShape(t: Tensor, shape: readonly number[], name: string): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(name, 'shape_mismatch', `${name} has shape ${formatShape(t.shape)} but needs ${formatShape(shape)}`);
  }
}

export function unfold(g: UnfoldGeometry, input: Tensor, limits?: Partial<EngineLimits>): Tensor {
  checkShape(input, g.inputShape, 'input');
  checkBudget(estimateUnfold(g), limitsFrom(limits));
  const matrix = g.rows * g.columns;
  const out = new Float64Array(g.batch * matrix);
  for (let n = 0; n < g.batch; n++) {
    transferColumns(g.window, input.data, n, 0, g.channels, out.subarray(n * matrix, (n + 1) * matrix), 'im2col');
  }
  return { shape: g.outputShape, data: out };
}

/** `g` is a fold geometry (foldGeometry): input is the column matrix, output the image. */
export function fold(g: UnfoldGeometry, columns: Tensor, limits?: Partial<EngineLimits>): Tensor {
  checkShape(columns, g.inputShape, 'input');
  checkBudget(estimateFold(g), limitsFrom(limits));
  const plane = g.window.big[0] * g.window.big[1] * g.window.big[2];
  const out = new Float64Array(g.batch * g.channels * plane);
  const matrix = g.rows * g.columns;
  for (let n = 0; n < g.batch; n++) {
    transferColumns(g.window, out, n, 0, g.channels, columns.data.subarray(n * matrix, (n + 1) * matrix), 'col2im');
  }
  return { shape: g.outputShape, data: out };
}
