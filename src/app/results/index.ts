/**
 * One entry per kind of result: an OperationSpec in, a ResultSession out. The extension host calls
 * openResult directly for small problems and through an engine worker for big ones (see estimateCost).
 */
import { sizeOf } from '../../engine/tensor';
import { PAGE_TERMS } from '../../engine/trace';
import type { OperationSpec } from '../operation';
import { openBackwardResult } from './backward';
import { openConvResult } from './conv';
import { openGradcheckResult, type OpenHooks } from './gradcheck';
import { openIm2colResult } from './im2col';
import { openPoolResult } from './pool';
import type { ResultSession } from './session';
import { openTransposeResult } from './transpose';

export type { OpenHooks } from './gradcheck';
export type { ResultSession } from './session';

export function openResult(spec: OperationSpec, hooks: OpenHooks = {}): ResultSession {
  switch (spec.kind) {
    case 'conv':
      return openConvResult(spec);
    case 'conv_transpose':
      return openTransposeResult(spec);
    case 'max_pool':
    case 'avg_pool':
      return openPoolResult(spec);
    case 'im2col':
      return openIm2colResult(spec);
    case 'backward':
      return openBackwardResult(spec);
    case 'gradcheck':
      return openGradcheckResult(spec, hooks);
  }
}

/** multiply-add equivalents below which a result opens on the host thread (about a millisecond) */
export const INLINE_WORK = 1_000_000;

/** Whether `spec` is cheap enough to open on the extension host's own thread. */
export function runsInline(spec: OperationSpec): boolean {
  return estimateCost(spec) <= INLINE_WORK;
}

/**
 * A rough count of multiply-add equivalents that opening `spec` costs: the op itself, the first page of
 * steps, and a few passes over every tensor (statistics, copies for the view). It only decides where the
 * work runs — inline for about a millisecond of work, in a worker otherwise — so it errs on the high side;
 * what a request may cost at all is the engine's budget.
 */
export function estimateCost(spec: OperationSpec): number {
  const x = spec.input.data.length;
  const k = spec.kernel?.data.length ?? 1;
  const perElement = 8 * (x + k);
  switch (spec.kind) {
    case 'conv':
    case 'conv_transpose':
    case 'im2col':
      // every input element meets every kernel element of its channel at most once per window it is in
      return x * k + PAGE_TERMS * 4 + perElement;
    case 'backward':
      return 3 * x * k + PAGE_TERMS * 8 + perElement;
    case 'max_pool':
    case 'avg_pool': {
      const size = spec.params.kernel_size;
      const taps = Array.isArray(size)
        ? sizeOf(size)
        : typeof size === 'number'
          ? size ** Math.max(1, Math.min(3, spec.input.shape.length - 1))
          : 9;
      return x * taps + PAGE_TERMS * 4 + perElement;
    }
    case 'gradcheck':
      // one forward pass per input element and one backward pass per output element, at least
      return Infinity;
  }
}
