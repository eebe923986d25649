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
  { id: 'S2 backward', label: 'S2 backward: ∂x and ∂W', shape: 'S2', grads: 'both' },
  { id: 'S3 grad-weight', label: 'S3 weight gradient ∂W', shape: 'S3', grads: 'weight' },
  { id: 'S3 backward', label: 'S3 backward: ∂x and ∂W', shape: 'S3', grads: 'both' },
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

/** Output shape of a conv problem (NCHW). */
export function convOutputShape(s) {
  const out = (n) => Math.floor((n + 2 * s.padding - s.weight[2]) / s.stride) + 1;
  return [s.input[0], s.weight[0], out(s.input[2]), out(s.input[3])];
}

/** Multiply-adds of a conv forward, by the dense formula N·C_out·(C_in/groups)·kH·kW·H_out·W_out. */
export function convMultiplyAdds(s) {
  const [n, o, oh, ow] = convOutputShape(s);
  return n * o * (s.input[1] / s.groups) * s.weight[2] * s.weight[3] * oh * ow;
}

/**
 * Every row of the table, in order. `flops` counts 2 FLOPs per multiply-add of the dense formula (padding taps
 * included, bias excluded); a backward pass with both gradients is two such products (∂x and ∂W), the weight
 * gradient alone one. Max pooling does no multiply-adds: its `flops` is null (no GFLOP/s for it).
 */
export const ROWS = [
  ...CONV_SHAPES.map((s) => ({
    id: s.id,
    kind: 'conv',
    label: `${s.id} ${s.label}`,
    shape: s,
    flops: 2 * convMultiplyAdds(s),
  })),
  ...BACKWARD.map((b) => {
    const s = CONV_SHAPES.find((c) => c.id === b.shape);
    return {
      id: b.id,
      kind: 'backward',
      label: b.label,
      shape: s,
      grads: b.grads,
      flops: (b.grads === 'both' ? 4 : 2) * convMultiplyAdds(s),
    };
  }),
  { id: POOL.id, kind: 'maxpool', label: POOL.id, pool: POOL, flops: null },
];
