/**
 * A tensor that comes from outside the engine — a paused debug session now, tensor files next — as the panel's
 * tensor view is fed with it: what it is called, where it came from, its element type and shape, its exact
 * values in float64, and the statistics a person looks at first (range, mean, spread, NaN and infinities and
 * where the first ones are). Pure: no vscode, no Node APIs.
 */
import type { DType } from './engine/dtype';
import { unravel, type Tensor } from './engine/tensor';

/** Where a tensor was read. */
export type TensorOrigin = {
  readonly kind: 'debug';
  /** the debug session's name, e.g. "Python: train.py" */
  readonly sessionName: string;
  /** the paused frame's function name and line, e.g. "forward (model.py:42)", when known */
  readonly frame?: string;
};

export interface TensorStats {
  /** elements in the tensor */
  readonly count: number;
  /** elements that are neither NaN nor ±Infinity; min, max, mean and std are over these */
  readonly finiteCount: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  /** population standard deviation (numpy.std's default, ddof=0; torch.std divides by n − 1) */
  readonly std: number | null;
  readonly nanCount: number;
  readonly posInfCount: number;
  readonly negInfCount: number;
  /** multi-indices of the first NaN, +Infinity and −Infinity in row-major order, or null */
  readonly firstNaN: readonly number[] | null;
  readonly firstPosInf: readonly number[] | null;
  readonly firstNegInf: readonly number[] | null;
}

export interface TensorSource {
  /** what the person calls it: the variable's name, or the expression they typed */
  readonly name: string;
  /** the Python expression it was read with, e.g. "model.conv1.weight" or "x[0, :3]" */
  readonly expression: string;
  /** the element type it has in the program; `data` holds its exact float64 values */
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** e.g. "cpu", "cuda:0" (NumPy arrays and lists: "cpu") */
  readonly device: string;
  /** the Python type, e.g. "torch.Tensor", "torch.nn.parameter.Parameter", "numpy.ndarray", "list" */
  readonly pythonType: string;
  readonly requiresGrad: boolean;
  readonly origin: TensorOrigin;
  /** row-major */
  readonly data: Float64Array;
  readonly stats: TensorStats;
  /** what the reading did that a person may want to know ("copied from cuda:0", "int64 beyond 2^53 rounded") */
  readonly notes: readonly string[];
}

/** The engine's view of a source: its shape and values. */
export function sourceTensor(source: TensorSource): Tensor {
  return { shape: source.shape, data: source.data };
}

/**
 * Two passes over the values: counts, range and a compensated (Neumaier) sum for the mean, then a compensated sum
 * of squared deviations from it for the std — so a million float32 values far from zero keep their digits rather
 * than cancelling in sum(x²) − n·mean².
 */
export function tensorStats(data: Float64Array, shape: readonly number[]): TensorStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let carry = 0;
  let finite = 0;
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  let firstNaN = -1;
  let firstPosInf = -1;
  let firstNegInf = -1;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x - x === 0) {
      finite++;
      if (x < min) min = x;
      if (x > max) max = x;
      const t = sum + x;
      carry += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
      sum = t;
    } else if (x !== x) {
      if (nan++ === 0) firstNaN = i;
    } else if (x > 0) {
      if (posInf++ === 0) firstPosInf = i;
    } else if (negInf++ === 0) firstNegInf = i;
  }
  const mean = finite ? (sum + carry) / finite : 0;
  let squares = 0;
  let squaresCarry = 0;
  if (finite) {
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (x - x !== 0) continue;
      const d = (x - mean) * (x - mean);
      const t = squares + d;
      squaresCarry += squares >= d ? squares - t + d : d - t + squares;
      squares = t;
    }
  }
  const at = (flat: number) => (flat < 0 ? null : unravel(flat, shape));
  return {
    count: data.length,
    finiteCount: finite,
    min: finite ? min : null,
    max: finite ? max : null,
    mean: finite ? mean : null,
    std: finite ? Math.sqrt((squares + squaresCarry) / finite) : null,
    nanCount: nan,
    posInfCount: posInf,
    negInfCount: negInf,
    firstNaN: at(firstNaN),
    firstPosInf: at(firstPosInf),
    firstNegInf: at(firstNegInf),
  };
}

/** "[0, 12, 3, 7]": an index as Python writes it. */
export function indexText(index: readonly number[]): string {
  return `[${index.join(', ')}]`;
}
