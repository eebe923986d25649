/**
 * Small opens run while nothing else is asked for, so that V8 has compiled the engine and the trace before a
 * person's command needs them. A worker runs the `worker` set (each algorithm a big conv may take: a cold
 * worker took ~185 ms for a 1×64×56×56 conv, a warm one ~70 ms, in bench/extras/editorPath.ts); the extension
 * host runs the `inline` set, the size it opens on its own thread (the lecture's 5×5 conv: 5–9 ms the first
 * times, under 1 ms warm). Each open is its own task of a few milliseconds; once `stopped()` says real work has
 * arrived the rest are skipped (they would compete with it for the machine's cores).
 *
 * Pure: the caller schedules (setImmediate in a worker, setTimeout on the host).
 */
import type { OperationSpec } from '../operation';
import { openResult } from '.';

function filled(shape: number[]) {
  return {
    shape,
    data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 7919) % 13) - 6),
  };
}

function conv(input: number[], kernel: number[], params: Record<string, number>): OperationSpec {
  return {
    kind: 'conv',
    input: filled(input),
    kernel: filled(kernel),
    params,
    paramsText: '',
    flipByDefault: false,
    precision: 6,
    canInsert: false,
    maxElements: 1_000_000,
  };
}

export const WARM_UP_SPECS: Readonly<Record<'worker' | 'inline', () => OperationSpec[]>> = {
  // Winograd (3×3, stride 1, enough channels), im2col + GEMM (7×7, stride 2), and the direct loops
  worker: () => [
    conv([1, 16, 16, 16], [16, 16, 3, 3], { padding: 1 }),
    conv([1, 3, 48, 48], [16, 3, 7, 7], { stride: 2, padding: 3 }),
    conv([1, 4, 12, 12], [4, 4, 3, 3], {}),
  ],
  // a plain matrix, a batched multi-channel input, a strided one: the shapes people type into a file
  inline: () => [
    conv([5, 5], [3, 3], { padding: 1 }),
    conv([1, 2, 8, 8], [2, 2, 3, 3], {}),
    conv([7, 7], [3, 3], { stride: 2 }),
  ],
};

/** Opens each of `specs` `rounds` times, one per task given to `later`, until `stopped()`. */
export function warmUp(
  specs: readonly OperationSpec[],
  stopped: () => boolean,
  later: (next: () => void) => void,
  rounds = 3,
): void {
  const next = (k: number) => {
    if (stopped() || k >= specs.length * rounds) return;
    try {
      openResult(specs[k % specs.length]);
    } catch {
      return; // a warm-up never matters enough to report
    }
    later(() => next(k + 1));
  };
  later(() => next(0));
}
