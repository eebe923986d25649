/**
 * The sliding-window view of a convolution: the padded input (padding set apart, and for reflect/replicate/
 * circular the cell each padding cell copies), the kernel over the current window (dilated taps where they
 * fall; the flipped kernel in true-convolution mode), the output filling in, and the arithmetic of the step.
 * Click an output cell to jump to its window; click an input cell to see every output it feeds.
 */
import type { ConvStep, ConvTrace } from '../../src/protocol';
import { formatNumber } from '../../src/format';
import { el } from '../dom';
import { createGrid, type Grid } from '../grid';
import { Player } from '../player';
import { showStep, type StepSource } from '../steps';
import { rowCol } from '../tensors';
import { selector, selectorControl, type ViewContext } from './common';

export function slidingWindowView(trace: ConvTrace, steps: StepSource<ConvStep>, ctx: ViewContext): HTMLElement {
  const rank = trace.rank;
  const input = ctx.tensors.get(trace.input);
  const weight = ctx.tensors.get(trace.weight);
  const output = ctx.tensors.get(trace.output);
  const inChannels = input.shape[1];
  const [, outChannels, ...outSpatial] = output.shape;
  const kernel = trace.weightShape.slice(2);
  const cg = inChannels / trace.groups;
  const og = outChannels / trace.groups;
  const outPlane = outSpatial.reduce((a, b) => a * b, 1);
  const depth = rank === 3;
  const padded = trace.paddedSize;
  // 2-D display dims: the last two spatial dims (rank 1 shows one row)
  const [pRows, pCols] = rank === 1 ? [1, padded[0]] : [padded[rank - 2], padded[rank - 1]];
  const [oRows, oCols] = rank === 1 ? [1, outSpatial[0]] : [outSpatial[rank - 2], outSpatial[rank - 1]];
  const [kRows, kCols] = rank === 1 ? [1, kernel[0]] : [kernel[rank - 2], kernel[rank - 1]];
  const rowDim = rank - 2;
  const colDim = rank - 1;

  let step: ConvStep | undefined;
  let inChannelInGroup = 0;
  let depthSlice = 0;
  let kernelDepthIndex = 0;
  const stepIndex = Math.min(ctx.initialStep, Math.max(0, steps.total - 1));
  // the step on screen; the grids read it (the player is created after them)
  let shown = stepIndex;
  const outDepth = () => (depth ? (step?.position ?? [0])[0] : 0);

  const at = (s: number) => ({
    n: Math.floor(s / (outChannels * outPlane)),
    oc: Math.floor(s / outPlane) % outChannels,
    flat: s % outPlane,
  });
  const current = () => at(shown);
  const group = () => Math.floor(current().oc / og);
  const channel = () => group() * cg + inChannelInGroup;

  // padded coordinate → input coordinate (−1: zero padding)
  const src = (dim: number, a: number) => trace.padSource[dim]?.[a] ?? -1;
  const paddedValue = (r: number, c: number): number | null => {
    const idx: number[] = [];
    if (depth) idx.push(src(0, depthSlice));
    if (rank >= 2) idx.push(src(rowDim, r));
    idx.push(src(colDim, c));
    if (idx.some((v) => v < 0)) return 0;
    return input.get([current().n, channel(), ...idx]);
  };
  const isPadding = (r: number, c: number) =>
    (rank >= 2 && (r < trace.padBefore[rowDim] || r >= pRows - trace.padAfter[rowDim])) ||
    c < trace.padBefore[colDim] ||
    c >= pCols - trace.padAfter[colDim] ||
    (depth && (depthSlice < trace.padBefore[0] || depthSlice >= padded[0] - trace.padAfter[0]));
  const copies = (r: number, c: number): string | undefined => {
    if (!isPadding(r, c)) return undefined;
    if (trace.paddingMode === 'zeros') return 'zero padding';
    const idx = [...(depth ? [src(0, depthSlice)] : []), ...(rank >= 2 ? [src(rowDim, r)] : []), src(colDim, c)];
    return `${trace.paddingMode} padding: copies input (${idx.join(', ')})`;
  };

  const inputGrid = createGrid({
    label: 'padded input',
    rows: pRows,
    cols: pCols,
    precision: ctx.precision,
    value: paddedValue,
    cellClass: (r, c) => (isPadding(r, c) ? (trace.paddingMode === 'zeros' ? 'pad' : 'pad copy') : ''),
    title: copies,
    onCellClick: (r, c) => showFeeds(r, c),
  });
  const kernelGrid = createGrid({
    label: trace.flip ? 'kernel (flipped: true convolution)' : 'kernel',
    rows: kRows,
    cols: kCols,
    precision: ctx.precision,
    value: (r, c) => {
      const spatial = rank === 1 ? [c] : rank === 2 ? [r, c] : [kernelDepthIndex, r, c];
      return weight.get([current().oc, inChannelInGroup, ...spatial]);
    },
  });
  const outputGrid = createGrid({
    label: 'output',
    rows: oRows,
    cols: oCols,
    precision: ctx.precision,
    value: (r, c) => {
      const od = depth ? outDepth() : 0;
      const flat = (depth ? od * oRows * oCols : 0) + r * oCols + c;
      const s = (current().n * outChannels + current().oc) * outPlane + flat;
      if (s > shown) return null;
      return output.flat(s);
    },
    cellClass: () => 'out',
    onCellClick: (r, c) => {
      const flat = (depth ? outDepth() * oRows * oCols : 0) + r * oCols + c;
      player.go((current().n * outChannels + current().oc) * outPlane + flat);
    },
  });
  const arithmetic = el('p', { class: 'arithmetic', 'aria-live': 'polite' });
  const partials = el('ul', { class: 'partials' });
  const feeds = el('p', { class: 'feeds' });

  const showFeeds = (r: number, c: number) => {
    // outputs o with o·s + t·d = a for some tap t, along each displayed dim
    const along = (a: number, dim: number, outSize: number) => {
      const list: number[] = [];
      for (let o = 0; o < outSize; o++) {
        const off = a - o * trace.stride[dim];
        if (off >= 0 && off % trace.dilation[dim] === 0 && off / trace.dilation[dim] < kernel[dim]) list.push(o);
      }
      return list;
    };
    const rowsHit = rank >= 2 ? along(r, rowDim, oRows) : [0];
    const colsHit = along(c, colDim, oCols);
    const cells = rowsHit.flatMap((rr) => colsHit.map((cc) => [rr, cc] as const));
    outputGrid.highlight('feeds', cells);
    inputGrid.highlight('picked', [[r, c]]);
    feeds.textContent = cells.length
      ? `padded cell (${rank >= 2 ? `${r}, ` : ''}${c}) feeds ${cells.length} output${cells.length === 1 ? '' : 's'}: ${cells.map(([a, b]) => (rank >= 2 ? `(${a}, ${b})` : `(${b})`)).join(' ')}`
      : `padded cell (${rank >= 2 ? `${r}, ` : ''}${c}) feeds no output (the stride skips it)`;
  };

  // moves the player to the filter's first step; follows the player as it crosses into the next filter
  const outChannelPicker =
    outChannels > 1
      ? selectorControl(
          'output channel (filter)',
          Array.from({ length: outChannels }, (_, i) => `${i}`),
          current().oc,
          (oc) => {
            player.go((current().n * outChannels + oc) * outPlane);
          },
        )
      : null;

  let inputPlane = '';
  const draw = (s: ConvStep | undefined, problem?: string) => {
    step = s;
    if (!s) {
      arithmetic.textContent = problem ? `this step could not be loaded: ${problem}` : 'loading this step…';
      return;
    }
    if (depth) {
      const firstTap = s.terms.find((t) => t.channel === channel());
      depthSlice = firstTap ? firstTap.at[0] : s.windowStart[0];
      kernelDepthIndex = 0;
    }
    // the padded input changes only with the plane on screen, not from one step to the next
    const plane = `${current().n}/${channel()}/${depthSlice}`;
    if (plane !== inputPlane) inputGrid.refresh();
    inputPlane = plane;
    kernelGrid.refresh();
    outputGrid.refresh();
    const taps = s.terms.filter((t) => t.channel === channel() && (!depth || t.at[0] === depthSlice));
    inputGrid.highlight(
      'win',
      taps.map((t) => rowCol(t.at)),
    );
    inputGrid.badge(
      taps.map((t) => {
        const [r, c] = rowCol(t.at);
        return { r, c, text: `×${formatNumber(t.w, ctx.precision)}` };
      }),
    );
    const [or, oc] = rowCol(s.position);
    outputGrid.highlight('current', [[or, oc]]);
    outChannelPicker?.show(s.outChannel);
    arithmetic.textContent = `out${s.position.length ? `[${s.position.join(', ')}]` : ''} = ${s.text}`;
    partials.replaceChildren(
      ...(s.channelSums.length > 1 || s.bias !== null
        ? [
            ...s.channelSums.map((p) =>
              el('li', {}, `input channel ${p.channel}: ${formatNumber(p.sum, ctx.precision)}`),
            ),
            s.bias !== null ? el('li', {}, `bias: ${formatNumber(s.bias, ctx.precision)}`) : null,
          ].filter((x): x is HTMLLIElement => x !== null)
        : []),
    );
    ctx.saveStep(player.step);
  };

  const player = new Player({
    total: steps.total,
    initial: stepIndex,
    label: 'Sliding window',
    onStep: (i) => {
      shown = i;
      showStep(steps, i, draw, () => shown);
    },
  });

  const channelPicker =
    cg > 1
      ? selector(
          'input channel',
          Array.from({ length: cg }, (_, i) => `${group() * cg + i}`),
          0,
          (i) => {
            inChannelInGroup = i;
            draw(step);
          },
        )
      : null;

  const legend = el(
    'p',
    { class: 'legend' },
    el('span', { class: 'swatch pad' }),
    ' padding',
    ' ',
    el('span', { class: 'swatch win' }),
    ' window (× kernel tap)',
    ' ',
    el('span', { class: 'swatch current' }),
    ' current output',
    ' · stride ',
    trace.stride.join('×'),
    trace.dilation.some((d) => d > 1) ? ` · dilation ${trace.dilation.join('×')}` : '',
    trace.groups > 1
      ? ` · groups ${trace.groups}: each filter sees the ${cg} input channel${cg === 1 ? '' : 's'} of its group`
      : '',
  );

  const root = el(
    'section',
    { class: 'view sliding', 'aria-label': 'Sliding window' },
    player.element,
    el(
      'div',
      { class: 'pickers' },
      outChannelPicker?.element ?? null,
      channelPicker,
      depth ? el('span', { class: 'meta' }, 'depth slice follows the window') : null,
    ),
    el(
      'div',
      { class: 'stage' },
      figure(`padded input ${pRows}×${pCols}${depth ? ' (slice at the window)' : ''}`, inputGrid),
      figure(`kernel ${kernel.join('×')}${trace.flip ? ' (flipped)' : ''}`, kernelGrid),
      figure(`output ${outSpatial.join('×')}`, outputGrid),
    ),
    arithmetic,
    partials,
    feeds,
    legend,
  );
  ctx.setStepTable(() =>
    step
      ? {
          caption: `out[${step.position.join(', ')}] = ${formatNumber(step.value, ctx.precision)}`,
          headers: ['input channel', 'tap', 'padded cell', 'input cell', 'x', 'w', 'w·x', 'running sum'],
          rows: [
            ...step.terms.map((t) => [
              t.channel,
              t.tap.join(', '),
              t.at.join(', '),
              t.source ? t.source.join(', ') : 'padding',
              t.x,
              t.w,
              t.product,
              t.running,
            ]),
            ...(step.bias !== null ? [['bias', '', '', '', '', '', step.bias, step.value]] : []),
          ],
        }
      : null,
  );
  root.addEventListener('keydown', (e) => player.handleKey(e));
  ctx.onDispose(() => player.dispose());
  ctx.setAnimation({ total: steps.total, go: (i) => player.go(i), current: () => player.step });
  ctx.onDispose(
    ctx.tensors.onLoad(() => {
      inputGrid.refresh();
      kernelGrid.refresh();
      outputGrid.refresh();
    }),
  );
  player.go(stepIndex);
  return root;
}

function figure(caption: string, grid: Grid): HTMLElement {
  return el('figure', {}, el('figcaption', {}, caption), grid.element);
}
