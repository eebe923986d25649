// TensorFlow.js as a bench family: `node tfjs.mjs cpu|wasm --data <dir> [--skip ids]` (see bench/harness.mjs).
// float32, NHWC (its native layout; the transposes are outside the timing), one thread (tfjs-wasm never runs
// threads in Node: its WASM_HAS_MULTITHREAD_SUPPORT flag is false there; setThreadsCount(1) makes it explicit).
//
// Two columns per backend, both as a tfjs user writes them:
//  - "op only": `const y = op(); y.dispose()`. The cpu and wasm backends run a kernel synchronously inside the
//    op call (only webgl/webgpu queue work), so when op() returns the result is computed; the bench family
//    test (test/bench) checks that this time scales with the problem, as a computed result must.
//  - "+ readback": `const y = op(); y.dataSync(); y.dispose()`: the result in JS memory (the wasm backend copies
//    it out of its heap; the cpu backend hands out its own Float32Array).
// Never `tf.tidy(() => op().dataSync())`: tidy walks its return value looking for tensors, and a returned typed
// array is walked element by element (2,180 ms on S5 for a 1.1 ms op: issue 10).
// Gradients: tf.grads / tf.grad with dy, tfjs's only gradient API; it runs the forward conv to record the tape,
// so a tfjs backward row includes one forward pass (the conv row above it says how much that is).
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, familyArgs, readManifest, readTensor, runRow } from '../harness.mjs';

const require = createRequire(import.meta.url);

export async function initTfjs(backend) {
  if (backend === 'wasm') {
    setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + '/');
    setThreadsCount(1);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialise`);
  await tf.ready();
  return tf;
}

export function tfjsMeta(backend) {
  const meta = {
    name: `TensorFlow.js, ${backend} backend`,
    version: require('@tensorflow/tfjs/package.json').version,
    precision: 'float32',
    threads: 1,
  };
  if (backend === 'wasm') {
    meta.backendVersion = require('@tensorflow/tfjs-backend-wasm/package.json').version;
    meta.simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    meta.multithread = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  }
  return meta;
}

/** Copies a 4-D row-major array of `shape` into the axis order `perm` (float32 or float64 out). */
export function permute(data, shape, perm, Out = Float32Array) {
  const outShape = perm.map((p) => shape[p]);
  const stride = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  const s = perm.map((p) => stride[p]);
  const out = new Out(data.length);
  let k = 0;
  for (let a = 0; a < outShape[0]; a++)
    for (let b = 0; b < outShape[1]; b++)
      for (let c = 0; c < outShape[2]; c++) {
        const base = a * s[0] + b * s[1] + c * s[2];
        for (let d = 0; d < outShape[3]; d++) out[k++] = data[base + d * s[3]];
      }
  return out;
}
const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];
const OIHW_TO_HWIO = [2, 3, 1, 0];
const HWIO_TO_OIHW = [3, 2, 0, 1];
const nhwc = ([n, c, h, w]) => [n, h, w, c];

/** tfjs's padding argument for PyTorch's symmetric `padding`: 'same'/'valid' where they mean it, else explicit. */
function padOf(k, stride, padding) {
  if (padding === 0) return 'valid';
  if (stride === 1 && k % 2 === 1 && padding === (k - 1) / 2) return 'same';
  return [
    [0, 0],
    [padding, padding],
    [padding, padding],
    [0, 0],
  ];
}

/**
 * The row's operation in tfjs: `run()` returns its result tensor(s); `toReference(values)` turns the read-back
 * values (one typed array per result) into the reference's outputs (NCHW, OIHW). `inputs` holds the row's
 * float64 inputs by name (input, weight, grad_output). Throws {naReason} when the backend lacks a kernel.
 */
export function tfjsOp(tfjs, row, inputs) {
  const xShape = row.inputs.input.shape;
  const x = tfjs.tensor(permute(inputs.input, xShape, NCHW_TO_NHWC), nhwc(xShape));
  const tensors = [x];
  const backendName = tfjs.getBackend();
  const need = (kernel) => {
    if (!tfjs.getKernel(kernel, backendName))
      throw Object.assign(new Error(`no ${kernel} kernel`), {
        naReason: `tfjs-backend-${backendName} has no ${kernel} kernel`,
      });
  };
  const dispose = () => tensors.forEach((t) => t.dispose());
  if (row.kind === 'maxpool') {
    const { kernel, stride } = row.params;
    const outShape = row.outputs.output.shape;
    return {
      run: () => tfjs.maxPool(x, kernel, stride, 'valid'),
      toReference: ([y]) => ({ output: permute(y, nhwc(outShape), NHWC_TO_NCHW, Float64Array) }),
      dispose,
    };
  }
  const wShape = row.inputs.weight.shape;
  const { stride, padding, groups } = row.params;
  const pad = padOf(wShape[2], stride, padding);
  const depthwise = groups > 1;
  if (depthwise && (groups !== xShape[1] || wShape[1] !== 1)) throw new Error('only depthwise grouped convs');
  // depthwise filter [kH, kW, C, multiplier 1]: the same element order as OIHW [C, 1, kH, kW] permuted to HWIO
  const w = tfjs.tensor(
    permute(inputs.weight, wShape, OIHW_TO_HWIO),
    depthwise ? [wShape[2], wShape[3], wShape[0], 1] : [wShape[2], wShape[3], wShape[1], wShape[0]],
  );
  tensors.push(w);
  const forward = depthwise
    ? (xx, ww) => tfjs.depthwiseConv2d(xx, ww, stride, pad)
    : (xx, ww) => tfjs.conv2d(xx, ww, stride, pad);
  if (row.kind === 'conv') {
    const outShape = row.outputs.output.shape;
    return {
      run: () => forward(x, w),
      toReference: ([y]) => ({ output: permute(y, nhwc(outShape), NHWC_TO_NCHW, Float64Array) }),
      dispose,
    };
  }
  if (depthwise) throw new Error('backward rows are dense convs');
  need('Conv2DBackpropFilter');
  const gyShape = row.inputs.grad_output.shape;
  const dy = tfjs.tensor(permute(inputs.grad_output, gyShape, NCHW_TO_NHWC), nhwc(gyShape));
  tensors.push(dy);
  const hwio = [wShape[2], wShape[3], wShape[1], wShape[0]];
  const gradWeight = (values) => permute(values, hwio, HWIO_TO_OIHW, Float64Array);
  if (!row.outputs.grad_input) {
    const dW = tfjs.grad((ww) => forward(x, ww));
    return { run: () => [dW(w, dy)], toReference: ([gw]) => ({ grad_weight: gradWeight(gw) }), dispose };
  }
  need('Conv2DBackpropInput');
  const both = tfjs.grads((xx, ww) => forward(xx, ww));
  return {
    run: () => both([x, w], dy),
    toReference: ([gx, gw]) => ({
      grad_input: permute(gx, nhwc(xShape), NHWC_TO_NCHW, Float64Array),
      grad_weight: gradWeight(gw),
    }),
    dispose,
  };
}

const results = (r) => (Array.isArray(r) ? r : [r]);
/** "op only": the call, its result left in tfjs and disposed. */
export const opOnly = (run) => () => {
  for (const t of results(run())) t.dispose();
};
/** "op + readback": the call and its result read into JS memory (dataSync), then disposed. */
export const withReadback = (run) => () => {
  const values = results(run()).map((t) => {
    const v = t.dataSync();
    t.dispose();
    return v;
  });
  return values;
};

async function main() {
  const { variant: backend, data, skip } = familyArgs();
  const manifest = readManifest(data);
  const tfjs = await initTfjs(backend);
  const op = `tfjs ${backend}`;
  const readback = `tfjs ${backend} +readback`;
  const rows = { [op]: {}, [readback]: {} };
  for (const row of manifest.rows) {
    if (skip.has(row.id)) {
      rows[op][row.id] = rows[readback][row.id] = { status: 'skipped' };
      continue;
    }
    const inputs = Object.fromEntries(Object.entries(row.inputs).map(([k, e]) => [k, readTensor(data, e)]));
    let cells;
    try {
      const before = tfjs.memory().numTensors;
      const o = tfjsOp(tfjs, row, inputs);
      const run = o.run;
      const withInputs = tfjs.memory().numTensors;
      cells = runRow(data, row, {
        precision: 'float32',
        compute: () => o.toReference(withReadback(run)()),
        timed: { [op]: opOnly(run), [readback]: withReadback(run) },
        sameAsCompute: readback,
      });
      // the harness must not leak: every call's results (and tf.grads's intermediates) are gone
      const leaked = tfjs.memory().numTensors - withInputs;
      if (leaked !== 0)
        for (const c of Object.values(cells)) Object.assign(c, { status: 'failed', note: `${leaked} tensors leaked` });
      o.dispose();
      if (tfjs.memory().numTensors !== before) throw new Error('inputs not disposed');
    } catch (e) {
      const cell = e.naReason
        ? { status: 'n/a', note: e.naReason }
        : { status: 'failed', note: String(e.message).split('\n')[0] };
      cells = { [op]: cell, [readback]: cell };
    }
    rows[op][row.id] = cells[op];
    rows[readback][row.id] = cells[readback];
  }
  const meta = tfjsMeta(backend);
  emit({
    [op]: { meta: { ...meta, measures: 'op only (result disposed)' }, rows: rows[op] },
    [readback]: { meta: { ...meta, measures: 'op + dataSync() into JS memory' }, rows: rows[readback] },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
