/**
 * What the panel draws: one PanelView per result, with its tensors and (when there is one) the trace of its
 * animation, one variant per kind of view. Every fact a picture needs is here, said by the engine: the
 * batched shapes, the padded extent, the ceil-mode overhang, which channel a step is in. Numbers that may be
 * NaN or infinite travel in typed arrays; numbers that are only read (shown in a sentence) travel as text,
 * formatted by the host.
 */
import type { Floats } from './floats';
import type { ConvPage, PoolPage, ScatterPage, WeightGradPage } from './pages';

/** min/max/mean/std over the finite values (null when there are none), and the non-finite ones counted. */
export interface TensorStats {
  readonly count: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  readonly std: number | null;
  readonly nan: number;
  readonly posInf: number;
  readonly negInf: number;
  /** the multi-indices of the first NaN, +∞ and −∞ (row-major), or null */
  readonly firstNaN: readonly number[] | null;
  readonly firstPosInf: readonly number[] | null;
  readonly firstNegInf: readonly number[] | null;
}

/**
 * A tensor in a view. A small one comes whole; a big one comes as its shape and statistics, and the panel
 * asks for the planes it shows (a plane: the last two dims at one index of the others; rank ≤ 1 is one plane).
 */
export interface TensorPayload {
  /** unique within its view: what page and plane requests name */
  readonly id: string;
  readonly name: string;
  readonly shape: readonly number[];
  /** the element type it came in (the values are float64 either way) */
  readonly dtype: string;
  readonly stats: TensorStats;
  /** every value, row-major (float32 when exact: floats.ts), or null when the tensor is sent plane by plane */
  readonly data: Floats | null;
}

export type ViewKind =
  'conv' | 'conv_transpose' | 'max_pool' | 'avg_pool' | 'im2col' | 'shape' | 'gradcheck' | 'backward' | 'tensor';

/** Which step list of a view to page through (a backward view has two). */
export type TracePart = 'steps' | 'gradInput' | 'gradWeight';
export const TRACE_PARTS: readonly TracePart[] = ['steps', 'gradInput', 'gradWeight'];

/** The paging of one step list: the first page comes with the view, the others on request. */
export interface Paging<P> {
  readonly total: number;
  /** steps per page (fixed for the view: pages are bounded by terms, not by steps) */
  readonly pageSize: number;
  readonly first: P;
}

/** Shapes here are the engine's, with the batch dim (N, C, spatial…); `batched` says whether the user gave one. */
interface GeometryFacts {
  readonly rank: number;
  readonly batched: boolean;
  readonly inputShape: readonly number[];
  readonly weightShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly formula: readonly string[];
}

export interface ConvTrace extends GeometryFacts {
  readonly kind: 'conv';
  readonly flip: boolean;
  readonly paddingMode: string;
  readonly groups: number;
  readonly padBefore: readonly number[];
  readonly padAfter: readonly number[];
  /** spatial size of the padded input */
  readonly paddedSize: readonly number[];
  /** per spatial dim: for each padded coordinate the input coordinate it shows, or −1 for zero padding */
  readonly padSource: readonly Int32Array[];
  /** tensor ids: the input, the kernel as the window applies it (flipped in true-convolution mode), the output */
  readonly input: string;
  readonly weight: string;
  readonly output: string;
  readonly steps: Paging<ConvPage>;
}

export interface TransposeTrace extends GeometryFacts {
  readonly kind: 'conv_transpose';
  readonly groups: number;
  readonly padding: readonly number[];
  readonly outputPadding: readonly number[];
  /** spatial size before the crop: (in−1)·s + d·(k−1) + 1 + output_padding */
  readonly uncroppedSize: readonly number[];
  readonly input: string;
  readonly weight: string;
  readonly output: string;
  readonly steps: Paging<ScatterPage>;
}

export interface PoolTrace {
  readonly kind: 'max_pool' | 'avg_pool';
  readonly rank: number;
  readonly batched: boolean;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  readonly ceilMode: boolean;
  /** per spatial dim: how many cells the last window reaches past the input (into the padding; with ceil_mode beyond it) */
  readonly overhang: readonly number[];
  readonly input: string;
  readonly output: string;
  readonly formula: readonly string[];
  /** why the output has the size it has along each dim, in particular ceil_mode's kept or dropped window */
  readonly notes: readonly string[];
  readonly steps: Paging<PoolPage>;
}

export interface Im2colTrace {
  readonly kind: 'im2col';
  readonly rank: number;
  readonly inputShape: readonly number[];
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  /** window positions per spatial dim */
  readonly blocks: readonly number[];
  readonly input: string;
  readonly batch: number;
  readonly rows: number;
  readonly columns: number;
  /** per row: its channel, and its kernel tap (rank entries per row) */
  readonly rowChannel: Int32Array;
  readonly rowTap: Int32Array;
  /** per column: its output position (rank entries per column) */
  readonly columnPosition: Int32Array;
  /** the column matrix of batch item `batch`, rows × columns, row-major */
  readonly matrix: Float64Array;
  /** per entry (rows × columns × rank): the input cell it copies; −1 in every entry for padding */
  readonly sources: Int32Array;
  /** with a weight: the weight matrix (C_out × rows of its group) and the GEMM product (C_out × columns) */
  readonly gemm: {
    readonly groups: number;
    readonly outChannels: number;
    readonly weightColumns: number;
    readonly weightMatrix: Float64Array;
    readonly product: Float64Array;
  } | null;
}

export interface BackwardTrace extends GeometryFacts {
  readonly kind: 'conv_backward';
  readonly padBefore: readonly number[];
  readonly padAfter: readonly number[];
  readonly paddedSize: readonly number[];
  readonly gradOutput: string;
  readonly gradInput: string;
  readonly gradWeight: string;
  readonly gradBias: string | null;
  /** dX as the transposed conv of dY with W: each dY cell scattered through the kernel (padded coordinates) */
  readonly gradInputSteps: Paging<ScatterPage>;
  /** dW as the correlation of X with dY: one step per weight element */
  readonly gradWeightSteps: Paging<WeightGradPage>;
}

export interface GradcheckTrace {
  readonly kind: 'gradcheck';
  /** the check's overall sentence, when it did not pass */
  readonly message: string | null;
  readonly checks: readonly {
    readonly input: string;
    readonly passed: boolean;
    /** "3 of 36 elements differ" — counted in elements of the input, not Jacobian entries */
    readonly headline: string;
    readonly maxDifference: string;
    /** tensor id: per element of the input, the largest |analytical − numerical| of its Jacobian column */
    readonly difference: string | null;
    /** per element: 1 where it fails the tolerance */
    readonly failed: Uint8Array | null;
    /** the worst entries, formatted: input index, output index, analytical, numerical, |difference| */
    readonly worst: readonly (readonly string[])[];
  }[];
  readonly userGradients: readonly {
    readonly name: string;
    readonly passed: boolean;
    readonly headline: string;
    /** the wrong elements, formatted: index, yours, should be, |difference| */
    readonly wrong: readonly (readonly string[])[];
  }[];
}

/** Shift the input by one cell: the conv output shifts with it, the pooled output mostly does not. */
export interface EquivarianceTrace {
  readonly input: string;
  readonly shiftedInput: string;
  readonly output: string;
  readonly shiftedOutput: string;
  readonly pooled: string;
  readonly shiftedPooled: string;
  /** the sentence under the tables: what matched, and the pool's parameters in PyTorch's words */
  readonly text: string;
}

/**
 * One tensor to look at (from a debug session, a tensor file, an operand): any rank, two dims shown at a
 * time, numbers or a heat map, NaN and infinities located, a histogram of the finite values.
 */
export interface TensorTrace {
  readonly kind: 'tensor';
  readonly tensor: string;
  /** where it came from: "x in train.py:42 (debug)", "conv1.weight in resnet18.pth" */
  readonly origin: string;
  /** counts of the finite values in `bins` equal bins over [lo, hi]; null when there are none */
  readonly histogram: { readonly lo: number; readonly hi: number; readonly counts: Int32Array } | null;
  /**
   * a conv weight [out, in, kH, kW]: its first filters (at most 64, and their first 16 input channels), whole,
   * to draw as a grid of images (RGB when in = 3); null for other tensors
   */
  readonly filters: { readonly tensor: string; readonly note: string | null } | null;
}

export type PanelTrace =
  ConvTrace | TransposeTrace | PoolTrace | Im2colTrace | BackwardTrace | GradcheckTrace | TensorTrace;

export interface ErrorView {
  readonly message: string;
  readonly param?: string;
  readonly rule?: string;
  readonly torch?: string;
  readonly why?: string;
  readonly fix?: string;
}

export interface SummaryRow {
  readonly label: string;
  readonly value: string;
}

/** One of the panel's live controls: a parameter of the result, changed in place. */
export interface ParameterControl {
  readonly keyword: string;
  readonly kind: 'number' | 'choice' | 'flag';
  /** the value as PyTorch code writes it (2, (2, 1), same, True), or '' when not given */
  readonly value: string;
  /** what an empty field means, e.g. '1' or 'kernel_size' */
  readonly placeholder: string;
  /** the choices of a 'choice' control */
  readonly options: readonly string[];
}

/** One result to show: what was asked, what came back, and (when there is one) the engine's trace. */
export interface PanelView {
  readonly id: string;
  readonly kind: ViewKind;
  readonly title: string;
  /** the parameters as the user typed them, e.g. "stride=2, padding=1" */
  readonly params: string;
  /** label/value pairs: shapes, where each operand came from, mode, dtype, formula lines */
  readonly summary: readonly SummaryRow[];
  readonly notes: readonly string[];
  readonly error: ErrorView | null;
  /** every tensor the view draws; the traces name them by id */
  readonly tensors: readonly TensorPayload[];
  /** ids of the tensors the Result tab lists, in order */
  readonly results: readonly string[];
  readonly trace: PanelTrace | null;
  readonly equivariance: EquivarianceTrace | null;
  /** whether "Insert into document" makes sense (there is a source document and an output) */
  readonly canInsert: boolean;
  /** significant digits for numbers (the convLens.numberPrecision setting) */
  readonly precision: number;
  /** the parameters the panel lets the person change in place (none for a shape check or a tensor) */
  readonly controls: readonly ParameterControl[];
  /** the view this one was recomputed from (its tab and step carry over), or null */
  readonly replaces: string | null;
}
