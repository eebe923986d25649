// One benchmark round of TensorFlow.js: `node tfjs.mjs cpu|wasm` prints {measurement id: ms} as JSON.
// float32, NHWC (its native layout), single thread; every call is forced with dataSync().
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { BACKWARD, CONV_SHAPES, POOL, fill, measure, size } from '../shapes.mjs';

const backend = process.argv[2];
const skip = new Set((process.argv[3] ?? '').split(',').filter(Boolean));
if (backend === 'wasm') {
  const require = createRequire(import.meta.url);
  setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + '/');
  setThreadsCount(1);
}
await tf.setBackend(backend);
await tf.ready();

const nhwc = ([n, c, h, w]) => [n, h, w, c];
const hwio = ([o, i, h, w]) => [h, w, i, o];
const results = {};
const tensors = {};
for (const s of CONV_SHAPES) {
  const x = tf.tensor(Float32Array.from(fill(size(s.input), 1)), nhwc(s.input));
  if (s.groups === 1) {
    const w = tf.tensor(Float32Array.from(fill(size(s.weight), 2)), hwio(s.weight));
    tensors[s.id] = { s, x, w };
    if (!skip.has(s.id))
      results[s.id] = measure(() =>
        tf.tidy(() =>
          tf
            .conv2d(
              x,
              w,
              s.stride,
              s.padding === 1 && s.weight[2] === 3
                ? 'same'
                : [
                    [0, 0],
                    [s.padding, s.padding],
                    [s.padding, s.padding],
                    [0, 0],
                  ],
            )
            .dataSync(),
        ),
      );
  } else {
    // depthwise: filter [h, w, inChannels, multiplier 1]
    const w = tf.tensor(Float32Array.from(fill(size(s.weight), 2)), [s.weight[2], s.weight[3], s.weight[0], 1]);
    if (!skip.has(s.id))
      results[s.id] = measure(() => tf.tidy(() => tf.depthwiseConv2d(x, w, s.stride, 'same').dataSync()));
  }
}
for (const b of BACKWARD) {
  if (skip.has(b.id)) continue;
  const { s, x, w } = tensors[b.shape];
  const y = tf.conv2d(x, w, s.stride, 'same');
  const dy = tf.tensor(Float32Array.from(fill(y.size, 3)), y.shape);
  // tfjs's autodiff: the gradients of sum(conv(x, w) · dy), as a user of tfjs would get them
  const loss = (xx, ww) => tf.sum(tf.mul(tf.conv2d(xx, ww, s.stride, 'same'), dy));
  const gradWeight = tf.grad((ww) => loss(x, ww));
  const gradBoth = tf.grads((xx, ww) => loss(xx, ww));
  const run =
    b.grads === 'weight'
      ? () => tf.tidy(() => gradWeight(w).dataSync())
      : () => tf.tidy(() => gradBoth([x, w]).map((t) => t.dataSync()));
  try {
    results[b.id] = measure(run, { samples: 5, maxMs: 3000 });
  } catch (e) {
    process.stderr.write(`tfjs ${backend} ${b.id}: ${e}\n`);
    results[b.id] = null;
  }
}
if (!skip.has(POOL.id)) {
  const x = tf.tensor(Float32Array.from(fill(size(POOL.input), 4)), nhwc(POOL.input));
  results[POOL.id] = measure(() => tf.tidy(() => tf.maxPool(x, POOL.kernel, POOL.stride, 'valid').dataSync()));
}
process.stdout.write(JSON.stringify(results));
