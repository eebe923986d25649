/** The status bar's words for an operand and where it came from. Pure: no vscode at run time. */
import type { DType } from '../engine/dtype';
import { shapeText } from '../engine/tensor';

export interface DescribedOperand {
  readonly tensor: { readonly shape: readonly number[] };
  readonly dtype?: DType;
  readonly origin?: { readonly kind: string; readonly name?: string; readonly file?: string };
  readonly uri?: { readonly path: string };
  readonly range?: { readonly start: { readonly line: number } };
}

/** `input x: 1×3×32×32 float32 (debug)`, `kernel conv1.weight: 8×3×3×3 float32 (small_cnn.pt)`, `kernel 3×3 (lecture.py:4)`, `input —` when not set. */
export function operandStatusText(role: string, o: DescribedOperand | undefined): string {
  if (!o) return `${role} —`;
  const shape = shapeText(o.tensor.shape);
  const dtype = o.dtype ? ` ${o.dtype}` : '';
  if (o.origin?.kind === 'debug') return `${role} ${o.origin.name ?? '?'}: ${shape}${dtype} (debug)`;
  if (o.origin?.kind === 'file')
    return `${role} ${o.origin.name ?? '?'}: ${shape}${dtype} (${o.origin.file ?? 'file'})`;
  if (o.uri && o.range) return `${role} ${shape}${dtype} (${o.uri.path.split('/').pop()}:${o.range.start.line + 1})`;
  return `${role} ${shape}${dtype}`;
}
