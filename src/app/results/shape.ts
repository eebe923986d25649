/** Check Output Shape…: the output shape from shapes alone, with the formula, or PyTorch's error and the fix. */
import {
  convGeometry,
  convTransposeGeometry,
  poolGeometry,
  type DimFormula,
  type SpatialRank,
} from '../../engine/geometry';
import type { KwValue } from '../keywords';
import type { ShapeOp } from '../operation';
import { shapeText } from '../../engine/tensor';
import { dimLabel, errorView, panelView, TensorTable, type ResultSession, viewOnlySession } from './session';

export interface ShapeCheck {
  readonly session: ResultSession;
  /** the output shape, or null when PyTorch would refuse the parameters */
  readonly shape: readonly number[] | null;
  /** why PyTorch refuses, and the fix: for the box's live warning and the notification */
  readonly refusal: string | null;
}

export function checkShape(
  op: ShapeOp,
  inputShape: readonly number[],
  weightShape: readonly number[] | null,
  params: Readonly<Record<string, KwValue>>,
  paramsText: string,
  precision: number,
): ShapeCheck {
  let rank: SpatialRank;
  if (op === 'conv' || op === 'conv_transpose') {
    rank = (weightShape ? Math.max(1, Math.min(3, weightShape.length - 2)) : 2) as SpatialRank;
  } else {
    rank = (
      Array.isArray(params.kernel_size) ? params.kernel_size.length : Math.max(1, Math.min(3, inputShape.length - 2))
    ) as SpatialRank;
  }
  const of = `${op}${rank}d`;
  const summary = [
    { label: 'op', value: of },
    { label: 'input', value: shapeText(inputShape) },
    ...(weightShape ? [{ label: 'weight', value: shapeText(weightShape) }] : []),
  ];
  let outputShape: readonly number[] | null = null;
  let formula: readonly DimFormula[] = [];
  let error = null;
  try {
    const bias = params.bias === true || Array.isArray(params.bias);
    if (op === 'conv') {
      const g = convGeometry({
        rank,
        inputShape,
        weightShape: weightShape ?? [],
        biasShape: bias && weightShape ? [weightShape[0]] : null,
        stride: params.stride,
        padding: params.padding,
        dilation: params.dilation,
        groups: params.groups,
        paddingMode: params.padding_mode,
      });
      outputShape = g.outputShape;
      formula = g.formula;
    } else if (op === 'conv_transpose') {
      const g = convTransposeGeometry({
        rank,
        inputShape,
        weightShape: weightShape ?? [],
        stride: params.stride,
        padding: params.padding,
        outputPadding: params.output_padding,
        dilation: params.dilation,
        groups: params.groups,
      });
      outputShape = g.outputShape;
      formula = g.formula;
    } else {
      const g = poolGeometry({
        kind: op === 'max_pool' ? 'max' : 'avg',
        rank,
        inputShape,
        kernelSize: params.kernel_size,
        stride: params.stride,
        padding: params.padding,
        dilation: params.dilation,
        ceilMode: params.ceil_mode,
      });
      outputShape = g.outputShape;
      formula = g.formula;
    }
    summary.push({ label: 'output', value: shapeText(outputShape) });
    formula.forEach((f, i) => summary.push({ label: dimLabel(formula.length, i), value: f.text }));
  } catch (e) {
    error = errorView(e);
  }
  const tensors = new TensorTable();
  const view = panelView({ paramsText, precision }, tensors, {
    kind: 'shape',
    title: `Output shape · ${of}`,
    summary,
    error,
  });
  return {
    session: viewOnlySession(view, tensors),
    shape: outputShape,
    refusal: error ? (error.why ? `${error.why}: ${error.fix}` : error.message) : null,
  };
}
