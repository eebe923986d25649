// The benchmark's problems (issue: "Speed"), shared by every engine family. Layout NCHW, weight OIHW.
export const CONV_SHAPES = [
  { id: 'S1', label: '1×1×5×5, k3, p1', input: [1, 1, 5, 5], weight: [1, 1, 3, 3], stride: 1, padding: 1, groups: 1 },
  {
    id: 'S2',
    label: '1×3×32×32 → 16, k3, p1',
    input: [1, 3, 32, 32],
    weight: [16, 3, 3, 3],
    stride: 1,
    padding: 1,
    groups: 1,
  },
  {
    id: 'S3',
    label: '1×64×56×56 → 64, k3, p1',
    input: [1, 64, 56, 56],
    weight: [64, 64, 3, 3],
    stride: 1,
    padding: 1,
    groups: 1,
  },
  {
    id: 'S4',
    label: '1×3×224×224 → 64, k7, s2, p3',
    input: [1, 3, 224, 224],
    weight: [64, 3, 7, 7],
    stride: 2,
    padding: 3,
    groups: 1,
  },
  {
    id: 'S5',
    label: 'depthwise 1×32×112×112, k3, p1',
    input: [1, 32, 112, 112],
    weight: [32, 1, 3, 3],
    stride: 1,
    padding: 1,
    groups: 32,
  },
];

/** Backward problems: both gradients of S2, and S3's weight gradient alone (and both). */
export const BACKWARD = [
  { id: 'S2 backward', shape: 'S2', grads: 'both' },
  { id: 'S3 grad-weight', shape: 'S3', grads: 'weight' },
  { id: 'S3 backward', shape: 'S3', grads: 'both' },
];

export const POOL = { id: 'maxpool 2×2 1×64×112×112', input: [1, 64, 112, 112], kernel: 2, stride: 2 };

/** Deterministic data in [−1, 1). */
export function fill(n, seed) {
  const a = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2147483648 - 1;
  }
  return a;
}

export const size = (shape) => shape.reduce((a, b) => a * b, 1);

/**
 * Times `fn` and returns the median milliseconds per call. After a warm-up (so the JIT has settled), the
 * per-call cost is estimated and calls are batched so that one sample lasts ~5 ms: S1's microseconds are
 * measured over thousands of calls, and a garbage collection lands in one sample, not in the median.
 */
export function measure(fn, { samples = 15, maxMs = 4000 } = {}) {
  const t0 = performance.now();
  fn();
  const first = performance.now() - t0;
  if (first > 1000) {
    // seconds per call (tfjs cpu's S3 gradients): the first call was the warm-up; two more samples
    const slow = [0, 1].map(() => {
      const t = performance.now();
      fn();
      return performance.now() - t;
    });
    return Math.min(...slow);
  }
  const warmUntil = performance.now() + Math.min(300, Math.max(first * 3, 20));
  let warmCalls = 0;
  const warmStart = performance.now();
  while (performance.now() < warmUntil) {
    fn();
    warmCalls++;
  }
  const perCall = warmCalls > 0 ? (performance.now() - warmStart) / warmCalls : first;
  const batch = Math.max(1, Math.ceil(5 / Math.max(perCall, 1e-4)));
  const times = [];
  const deadline = performance.now() + maxMs;
  for (let s = 0; s < samples; s++) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) fn();
    times.push((performance.now() - t) / batch);
    if (performance.now() > deadline && times.length >= 3) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
