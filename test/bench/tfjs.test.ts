// The bench's TensorFlow.js family measures the op's own cost (issue 10: the old harness timed
// tf.tidy(() => op().dataSync()), and tidy walks a returned typed array element by element).
// On a small conv, for both backends: the harness's "op only" median against a hand-written loop around the same
// tfjs call, "op + readback" against the op and a hand-written op + dataSync loop, and the op-only time growing
// with the work (a kernel that had not run when op() returned would cost the same on any problem). Ratios of
// medians with generous bounds: the machine is shared and loaded. Timing goals themselves live in `npm run bench`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as tfjs from '@tensorflow/tfjs';
import { checkOutputs, measure, readTensor, runRow, type ManifestRow } from '../../bench/harness.mjs';
import { initTfjs, opOnly, tfjsOp, withReadback } from '../../bench/families/tfjs.mjs';
import { handTimed, median, writeConvProblem } from './support';

const dir = mkdtempSync(join(tmpdir(), 'bench-tfjs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 4.7 MFLOP, and the same with twice the channels in and out: 4× the multiply-adds
const SMALL = { id: 'small', input: [1, 16, 32, 32], weight: [16, 16, 3, 3], stride: 1, padding: 1, groups: 1 };
const BIG = { id: 'big', input: [1, 32, 32, 32], weight: [32, 32, 3, 3], stride: 1, padding: 1, groups: 1 };
const small = writeConvProblem(dir, SMALL);
const big = writeConvProblem(dir, BIG);
// the harness's timer as the bench runs it, with 7 samples of ≥ 25 ms instead of 15 (the test stays quick)
const QUICK = { samples: 7 };

const inputsOf = (row: ManifestRow) => ({
  input: readTensor(dir, row.inputs.input),
  weight: readTensor(dir, row.inputs.weight),
});

describe.each(['cpu', 'wasm'] as const)('tfjs %s bench family', (backend) => {
  let tf: typeof tfjs;
  let op: ReturnType<typeof tfjsOp>;
  let bigOp: ReturnType<typeof tfjsOp>;
  // the same conv written by hand, straight from the tfjs API: NCHW data transposed by tfjs itself
  let hand: { x: tfjs.Tensor4D; w: tfjs.Tensor4D };

  beforeAll(async () => {
    tf = await initTfjs(backend);
    op = tfjsOp(tf, small.row, inputsOf(small.row));
    bigOp = tfjsOp(tf, big.row, inputsOf(big.row));
    hand = {
      x: tf
        .tensor4d(Float32Array.from(small.input), SMALL.input as [number, number, number, number])
        .transpose([0, 2, 3, 1]),
      w: tf
        .tensor4d(Float32Array.from(small.weight), SMALL.weight as [number, number, number, number])
        .transpose([2, 3, 1, 0]),
    };
  });
  afterAll(() => {
    op.dispose();
    bigOp.dispose();
    hand.x.dispose();
    hand.w.dispose();
  });

  it("agrees with Conv Lens's float64 answer, and a layout slip is reported wrong and not timed", () => {
    const good = runRow(dir, small.row, {
      precision: 'float32',
      compute: () => op.toReference(withReadback(op.run)()),
      timed: { op: opOnly(op.run) },
    });
    expect(good.op.status).toBe('ok');
    expect(good.op.delta).toBeGreaterThan(0); // float32 arithmetic, so not exactly the float64 answer
    expect(good.op.delta!).toBeLessThanOrEqual(good.op.tol!);
    expect(good.op.delta!).toBeLessThan(1e-4);
    expect(good.op.ms).toBeGreaterThan(0);

    // the NHWC result read as if it were NCHW (the transposes forgotten)
    const slip = runRow(dir, small.row, {
      precision: 'float32',
      compute: () => ({ output: Float64Array.from(withReadback(op.run)()[0]) }),
      timed: { op: opOnly(op.run) },
    });
    expect(slip.op.status).toBe('wrong');
    expect(slip.op.delta!).toBeGreaterThan(slip.op.tol!);
    expect(slip.op.ms).toBeUndefined();
    expect(checkOutputs(dir, small.row, { output: new Float64Array(7) }, 'float32').ok).toBe(false);
  });

  // three interleaved rounds of every timing, so that the machine's load drifts over all of them alike
  const timings = {
    op: [] as number[],
    readback: [] as number[],
    handOp: [] as number[],
    handReadback: [] as number[],
    bigOp: [] as number[],
  };
  beforeAll(() => {
    const byHandOp = () => {
      const y = tf.conv2d(hand.x, hand.w, 1, 'same');
      y.dispose();
    };
    const byHandReadback = () => {
      const y = tf.conv2d(hand.x, hand.w, 1, 'same');
      y.dataSync();
      y.dispose();
    };
    for (let k = 0; k < 3; k++) {
      timings.op.push(measure(opOnly(op.run), QUICK).ms);
      timings.handOp.push(handTimed(byHandOp));
      timings.readback.push(measure(withReadback(op.run), QUICK).ms);
      timings.handReadback.push(handTimed(byHandReadback));
      timings.bigOp.push(measure(opOnly(bigOp.run), QUICK).ms);
    }
  }, 60_000);

  it('op only: the harness median is the cost of the op called by hand', () => {
    const ratio = median(timings.op) / median(timings.handOp);
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(2.5);
  });

  it('op + readback: at least the op alone, and the cost of op + dataSync() by hand', () => {
    expect(median(timings.readback)).toBeGreaterThan(0.7 * median(timings.op));
    const ratio = median(timings.readback) / median(timings.handReadback);
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(2.5);
  });

  it('op only includes the computation: its time grows with the work', () => {
    // 4× the multiply-adds; a result computed later (lazily, or on another thread) would cost the same
    expect(median(timings.bigOp) / median(timings.op)).toBeGreaterThan(2);
  });

  it('does not leak tensors', () => {
    const before = tf.memory().numTensors;
    opOnly(op.run)();
    withReadback(op.run)();
    expect(tf.memory().numTensors).toBe(before);
  });

  // on the wasm backend, where the op itself is fast (on cpu the walk is about the op's own cost)
  if (backend === 'wasm')
    it('would have caught the old harness: tidy around a returned typed array', () => {
      const tidied = measure(() => tf.tidy(() => (op.run() as tfjs.Tensor).dataSync()), QUICK).ms;
      const byHand = handTimed(() => {
        const y = tf.conv2d(hand.x, hand.w, 1, 'same');
        y.dataSync();
        y.dispose();
      });
      // tidy walks the 16,384 returned floats one by one: 15–40× the op itself here, far outside the bounds above
      expect(tidied / byHand).toBeGreaterThan(3);
    });
});
