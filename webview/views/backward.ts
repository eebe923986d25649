/**
 * The backward pass of a convolution, as in the lecture: dX is the transposed convolution of dY with W
 * (each dY cell scattered through the kernel), dW the correlation of X with dY (one sum per weight), db
 * the sum of dY.
 */
import type { BackwardTrace, ScatterStep, WeightGradStep } from '../../src/engine/trace';
import { el } from '../dom';
import { NdArray } from '../ndarray';
import { Player } from '../player';
import { showStep, type StepSource } from '../steps';
import { tensorTable } from '../tables';
import type { ViewContext } from './common';
import { scatterView } from './scatter';

export function backwardView(
  trace: BackwardTrace,
  dxSteps: StepSource<ScatterStep>,
  dwSteps: StepSource<WeightGradStep>,
  ctx: ViewContext,
): HTMLElement {
  const rank = trace.weightShape.length - 2;
  const batched = trace.inputShape.length === rank + 2;
  const gy = NdArray.from(trace.gradOutput, batched ? trace.outputShape : [1, ...trace.outputShape]);
  const paddedSize = trace.inputShape.slice(-rank).map((s, i) => s + trace.padBefore[i] + trace.padAfter[i]);
  // the scatter lands at o·s + t·d in the padded input; dX is what remains inside once the padding is cropped
  // (for reflect/replicate/circular the cropped part flows back to the cells the padding copied)
  const gx = NdArray.from(trace.gradInput, batched ? trace.inputShape : [1, ...trace.inputShape]);
  const dx = scatterView(
    {
      label: 'dX = conv_transpose(dY, W)',
      source: gy,
      result: gx,
      uncropped: paddedSize,
      crop: trace.padBefore,
      total: trace.gradInputRange.total,
      stepLabel: 'dY',
    },
    dxSteps,
    { ...ctx, initialStep: 0, saveStep: () => {} },
  );

  const dwText = el('p', { class: 'arithmetic', 'aria-live': 'polite' });
  let dwShown = 0;
  const dwPlayer = new Player({
    total: trace.gradWeightRange.total,
    initial: 0,
    label: 'dW',
    onStep: (i) => {
      dwShown = i;
      showStep(
        dwSteps,
        i,
        (s: WeightGradStep | undefined) => {
          dwText.textContent = s
            ? `dW[${s.outChannel}, ${s.inChannel}, ${s.tap.join(', ')}] = Σ X·dY = ${s.text}`
            : 'loading this step…';
        },
        () => dwShown,
      );
    },
  });
  ctx.onDispose(() => dwPlayer.dispose());
  const dwSection = el(
    'section',
    { class: 'view', 'aria-label': 'dW' },
    el('h3', {}, 'dW: the correlation of X with dY'),
    dwPlayer.element,
    dwText,
  );
  dwSection.addEventListener('keydown', (e) => dwPlayer.handleKey(e));
  dwPlayer.go(0);
  const inputShape = trace.inputShape;
  return el(
    'div',
    { class: 'backward' },
    el('h3', {}, 'dX: dY scattered through W (the transposed convolution)'),
    dx,
    tensorTable({ name: 'dX (grad_input)', shape: inputShape, values: trace.gradInput }, ctx.precision),
    dwSection,
    tensorTable({ name: 'dW (grad_weight)', shape: trace.weightShape, values: trace.gradWeight }, ctx.precision),
    trace.gradBias
      ? tensorTable(
          { name: 'db (grad_bias) = Σ dY per channel', shape: [trace.weightShape[0]], values: trace.gradBias },
          ctx.precision,
        )
      : null,
  );
}
