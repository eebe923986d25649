/**
 * Transposed convolution as scatter-add, and the backward pass's dX (the transposed convolution of dY with
 * W): each input cell times the kernel is added into the output at i·stride + t·dilation; overlapping
 * contributions sum. The full (uncropped) output is shown with the padding crop set apart, so stride gaps,
 * the crop and output_padding are visible.
 */
import type { ScatterStep, TracePart } from '../../src/protocol';
import { requestPartial } from '../host';
import { formatNumber } from '../../src/format';
import { el } from '../dom';
import { createGrid } from '../grid';
import { Player } from '../player';
import { showStep, type StepSource } from '../steps';
import { rowCol, type RemoteTensor } from '../tensors';
import { selector, type ViewContext } from './common';

export interface ScatterModel {
  readonly label: string;
  /** the scattered tensor (transposed-conv input, or dY), with a batch dim */
  readonly source: RemoteTensor;
  /** the result (transposed-conv output, or dX over the padded input), with a batch dim */
  readonly result: RemoteTensor;
  /** spatial size before the crop */
  readonly uncropped: readonly number[];
  /** cells cropped away before each dim (transposed conv padding; 0 for dX over the padded input) */
  readonly crop: readonly number[];
  readonly total: number;
  readonly stepLabel: string;
  /** which scatter of the view this is, to ask the host for its sums so far */
  readonly part: TracePart;
  /** what the result grid is, e.g. "output before the crop" or "dX over the padded input" */
  readonly resultLabel: string;
  /** what the kept part is called once cropped, e.g. "output 6×6" or "dX 5×5" */
  readonly keptLabel: string;
}

export function scatterView(m: ScatterModel, steps: StepSource<ScatterStep>, ctx: ViewContext): HTMLElement {
  const rank = m.uncropped.length;
  const rowDim = rank - 2;
  const colDim = rank - 1;
  const srcSpatial = m.source.shape.slice(2);
  const resSpatial = m.result.shape.slice(2);
  const srcPlane = srcSpatial.reduce((a, b) => a * b, 1);
  let shown = Math.min(ctx.initialStep, Math.max(0, m.total - 1));
  let step: ScatterStep | undefined;
  let outChannel = 0;
  const rows = rank === 1 ? 1 : m.uncropped[rowDim];
  const cols = m.uncropped[colDim];
  const cropR = rank === 1 ? 0 : m.crop[rowDim];
  const cropC = m.crop[colDim];
  const insideResult = (r: number, c: number) =>
    r - cropR >= 0 &&
    r - cropR < (rank === 1 ? 1 : resSpatial[rowDim]) &&
    c - cropC >= 0 &&
    c - cropC < resSpatial[colDim];
  const n = () => Math.floor(shown / (m.source.shape[1] * srcPlane));

  const sourceGrid = createGrid({
    label: m.label,
    rows: rank === 1 ? 1 : srcSpatial[rowDim],
    cols: srcSpatial[colDim],
    precision: ctx.precision,
    value: (r, c) => {
      const ch = Math.floor(shown / srcPlane) % m.source.shape[1];
      const d = rank === 3 ? (step?.position[0] ?? 0) : 0;
      return m.source.get([n(), ch, ...(rank === 1 ? [c] : rank === 2 ? [r, c] : [d, r, c])]);
    },
    onCellClick: (r, c) => {
      const ch = Math.floor(shown / srcPlane) % m.source.shape[1];
      const d = rank === 3 ? (step?.position[0] ?? 0) : 0;
      const flat = (rank === 3 ? d * srcSpatial[1] * srcSpatial[2] : 0) + r * srcSpatial[colDim] + c;
      player.go((n() * m.source.shape[1] + ch) * srcPlane + flat);
    },
  });
  // the sums so far, after the step on screen: the host cuts them from the scatter (sums, then counts)
  const partials = new Map<string, Float64Array | null>();
  // the latest sums that arrived per plane: shown while the next step's are on their way, so nothing flickers
  const latest = new Map<string, Float64Array>();
  const cellsPerPlane = m.uncropped.reduce((a, b) => a * b, 1);
  const partialKey = () => `${n()}:${outChannel}:${shown}`;
  const sumSoFar = (r: number, c: number): number | null => {
    const key = partialKey();
    const p = partials.get(key);
    if (p === undefined) {
      partials.set(key, null);
      const at = { n: n(), ch: outChannel, step: shown };
      requestPartial(ctx.viewId, m.part, at.step, at.n, at.ch).then(
        (data) => {
          partials.set(`${at.n}:${at.ch}:${at.step}`, data);
          latest.set(`${at.n}:${at.ch}`, data);
          if (partialKey() === `${at.n}:${at.ch}:${at.step}`) resultGrid.refresh();
        },
        (e: unknown) => {
          text.textContent = `the sums so far could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
        },
      );
    }
    const shownSums = p ?? latest.get(`${n()}:${outChannel}`);
    if (!shownSums) return null;
    const d = rank === 3 ? (step?.contributions[0]?.at[0] ?? 0) : 0;
    const flat = (rank === 3 ? d * rows * cols : 0) + r * cols + c;
    // a cell no step has reached yet stays empty
    return shownSums[cellsPerPlane + flat] > 0 ? shownSums[flat] : null;
  };
  const resultGrid = createGrid({
    label: m.resultLabel,
    rows,
    cols,
    precision: ctx.precision,
    value: sumSoFar,
    cellClass: (r, c) => (insideResult(r, c) ? 'out' : 'pad'),
    title: (r, c) =>
      insideResult(r, c)
        ? `${m.keptLabel} cell (${rank >= 2 ? `${r - cropR}, ` : ''}${c - cropC})`
        : 'cropped away (padding), or beyond output_padding',
    rowLabel: rows <= 32 ? (r) => String(r) : undefined,
    colLabel: cols <= 32 ? (c) => String(c) : undefined,
  });
  const text = el('p', { class: 'arithmetic', 'aria-live': 'polite' });

  const draw = (s: ScatterStep | undefined, problem?: string) => {
    step = s;
    sourceGrid.refresh();
    resultGrid.refresh();
    if (!s) {
      text.textContent = problem ? `this step could not be loaded: ${problem}` : 'loading this step…';
      return;
    }
    sourceGrid.highlight('current', [rowCol(s.position)]);
    const mine = s.contributions.filter(
      (k) => k.outChannel === outChannel && (rank < 3 || k.at[0] === s.contributions[0].at[0]),
    );
    resultGrid.highlight(
      'win',
      mine.map((k) => rowCol(k.at)),
    );
    resultGrid.badge(
      mine.map((k) => {
        const [r, c] = rowCol(k.at);
        return { r, c, text: `+${formatNumber(k.product, ctx.precision)}` };
      }),
    );
    const terms = mine
      .slice(0, 16)
      .map(
        (k) =>
          `${formatNumber(s.value, ctx.precision)}·${formatNumber(k.w, ctx.precision)} → (${k.at.join(', ')})${k.position ? '' : ' cropped'}`,
      );
    text.textContent = `${m.stepLabel}[${s.position.join(', ')}] = ${formatNumber(s.value, ctx.precision)} scatters: ${terms.join(', ')}${mine.length > 16 ? ', …' : ''}`;
    ctx.saveStep(shown);
  };
  const player = new Player({
    total: m.total,
    initial: shown,
    label: m.label,
    onStep: (i) => {
      shown = i;
      showStep(steps, i, draw, () => shown);
    },
  });
  const outPicker =
    m.result.shape[1] > 1
      ? selector(
          'output channel',
          Array.from({ length: m.result.shape[1] }, (_, i) => String(i)),
          0,
          (i) => {
            outChannel = i;
            resultGrid.refresh();
            draw(step);
          },
        )
      : null;
  const root = el(
    'section',
    { class: 'view scatter', 'aria-label': m.label },
    player.element,
    outPicker,
    el(
      'div',
      { class: 'stage' },
      el('figure', {}, el('figcaption', {}, `${m.stepLabel} ${srcSpatial.join('×')}`), sourceGrid.element),
      el(
        'figure',
        {},
        el(
          'figcaption',
          {},
          m.crop.some((c) => c > 0)
            ? `${m.resultLabel} ${m.uncropped.join('×')} (coordinates before the crop; grey: cropped, leaving the ${m.keptLabel})`
            : `${m.keptLabel}: the sums so far`,
        ),
        resultGrid.element,
      ),
    ),
    text,
    el(
      'p',
      { class: 'legend' },
      el('span', { class: 'swatch current' }),
      ' scattered cell ',
      el('span', { class: 'swatch win' }),
      ' where its products land (+ badges); overlaps add up',
    ),
  );
  ctx.setStepTable(() =>
    step
      ? {
          caption: `${m.stepLabel}[${step.position.join(', ')}] = ${formatNumber(step.value, ctx.precision)}`,
          headers: ['output channel', 'tap', 'lands at', 'after crop', 'w', 'value·w'],
          rows: step.contributions.map((k) => [
            k.outChannel,
            k.tap.join(', '),
            k.at.join(', '),
            k.position ? k.position.join(', ') : 'cropped',
            k.w,
            k.product,
          ]),
        }
      : null,
  );
  root.addEventListener('keydown', (e) => player.handleKey(e));
  ctx.onDispose(() => player.dispose());
  ctx.setAnimation({ total: m.total, go: (i) => player.go(i), current: () => player.step });
  ctx.onDispose(
    ctx.tensors.onLoad(() => {
      sourceGrid.refresh();
      resultGrid.refresh();
    }),
  );
  player.go(shown);
  return root;
}
