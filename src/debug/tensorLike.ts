/**
 * Which variables of a Python debug session hold a tensor, decided from the `type` and `value` fields that
 * debugpy already sends in every `variables` response (pydevd: the class name and the repr, cut at ~1000
 * characters) — no extra request, so marking a Variables view of hundreds of entries costs microseconds.
 * Pure: no vscode.
 */

export type TensorLikeKind = 'torch' | 'numpy' | 'numpy-scalar' | 'list';

/** The value of `__vscodeVariableMenuContext` our debug adapter tracker gives tensor-like variables. */
export const TENSOR_MENU_CONTEXT = 'convLens.tensor';

/**
 * vscode-jupyter's tracker overwrites `__vscodeVariableMenuContext` with this on the ndarray, Tensor, list,
 * DataFrame… variables of the same sessions; the menus accept it too so that both extensions' items show.
 */
export const JUPYTER_MENU_CONTEXT = 'viewableInDataViewer';

const TORCH_TYPES = new Set(['Tensor', 'Parameter', 'UninitializedParameter', 'UninitializedBuffer']);
const NUMPY_TYPES = new Set(['ndarray', 'memmap', 'matrix', 'MaskedArray']);
/** NumPy's scalar types as pydevd names them (`type(v).__name__`); Python's own `float`, `int`, `bool` are not. */
const NUMPY_SCALAR =
  /^(?:float(?:16|32|64|128)|u?int(?:8|16|32|64)|bool_|half|single|double|longdouble|u?byte|u?short|u?intc|u?longlong)$/;
/** A repr made of numbers, brackets and commas only (pydevd may end a long one with "..."). */
const NUMERIC_SEQUENCE =
  /^[[(](?:\s|[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf|True|False)|[[\](),]|\.\.\.)*$/;

/** What kind of tensor a variable holds, or null when it does not hold one. */
export function tensorLikeKind(type: string | undefined, value: string | undefined): TensorLikeKind | null {
  const t = (type ?? '').trim();
  const v = (value ?? '').trimStart();
  if (TORCH_TYPES.has(t) || v.startsWith('tensor(') || v.startsWith('Parameter containing:')) return 'torch';
  if (NUMPY_TYPES.has(t) || (t !== 'array' && v.startsWith('array('))) return 'numpy';
  if (NUMPY_SCALAR.test(t)) return 'numpy-scalar';
  if ((t === 'list' || t === 'tuple') && v.length > 2 && NUMERIC_SEQUENCE.test(v) && /\d|nan|inf|True|False/.test(v))
    return 'list';
  return null;
}

/** A `variables` response body's entries as far as the tracker reads and writes them. */
export interface ProtocolVariable {
  readonly name?: string;
  readonly type?: string;
  readonly value?: string;
  __vscodeVariableMenuContext?: string;
}

/**
 * Marks the tensor-like variables of a `variables` response in place (the tracker sees the message before VS
 * Code does). A context another extension set is left alone: the menus' `when` accepts Jupyter's.
 * Returns how many it marked.
 */
export function markTensorVariables(variables: readonly ProtocolVariable[]): number {
  let marked = 0;
  for (const v of variables) {
    if (v.__vscodeVariableMenuContext) continue;
    if (tensorLikeKind(v.type, v.value) !== null) {
      v.__vscodeVariableMenuContext = TENSOR_MENU_CONTEXT;
      marked++;
    }
  }
  return marked;
}
