/**
 * The backward pass of a convolution, as in the lecture: dX is the transposed convolution of dY with W
 * (each dY cell scattered through the kernel), dW the correlation of X with dY (one sum per weight), db
 * the sum of dY.
 */
import type { BackwardTrace, ScatterStep, WeightGradStep } from '../../src/protocol';
import { el } from '../dom';
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
  const gy = ctx.tensors.get(trace.gradOutput);
  // the scatter lands at o·s + t·d in the padded input; dX is what remains inside once the padding is cropped
  // (for reflect/replicate/circular the cropped part flows back to the cells the padding copied)
  const gx = ctx.tensors.get(trace.gradInput);
  const dx = scatterView(
    {
      label: 'dX = conv_transpose(dY, W)',
      source: gy,
      result: gx,
      uncropped: trace.paddedSize,
      crop: trace.padBefore,
      total: dxSteps.total,
      stepLabel: 'dY',
      part: 'gradInput',
      resultLabel: 'dX over the padded input',
      keptLabel: `dX ${trace.inputShape.slice(2).join('×')}`,
    },
    dxSteps,
    { ...ctx, initialStep: 0, saveStep: () => {} },
  );

  const dwText = el('p', { class: 'arithmetic', 'aria-live': 'polite' });
  let dwShown = 0;
  const dwPlayer = new Player({
    total: dwSteps.total,
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
  return el(
    'div',
    { class: 'backward' },
    el('h3', {}, 'dX: dY scattered through W (the transposed convolution)'),
    dx,
    tensorTable(gx, ctx.precision),
    dwSection,
    tensorTable(ctx.tensors.get(trace.gradWeight), ctx.precision),
    trace.gradBias ? tensorTable(ctx.tensors.get(trace.gradBias), ctx.precision) : null,
  );
}
