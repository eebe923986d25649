/**
 * Draws a PanelView: title and parameters, PyTorch's error explained, the summary (shapes, formula),
 * notes, then one tab per picture the trace allows (sliding window, im2col, scatter, pooling, backward,
 * gradient check, equivariance) and the result tensors, with the export and insert actions.
 */
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { PanelView } from '../src/protocol';
import { controlsBar } from './controls';
import { el, icon } from './dom';
import { assembleApng } from './apng';
import { frameSvg, latexStep, markdownStep } from './export';
import { unanswered } from './host';
import { convSteps, poolSteps, scatterSteps, weightGradSteps } from './steps';
import { tensorTable } from './tables';
import { ViewTensors } from './tensors';
import { backwardView } from './views/backward';
import type { Animation, StepTable, ViewContext } from './views/common';
import { equivarianceView } from './views/equivariance';
import { gradcheckView } from './views/gradcheck';
import { im2colView } from './views/im2col';
import { poolingView } from './views/pooling';
import { scatterView } from './views/scatter';
import { slidingWindowView } from './views/slidingWindow';
import { filterGrid, tensorView } from './views/tensorView';
import { vscode } from './vscodeApi';

export interface UiState {
  readonly viewId: string;
  readonly tab: number;
  readonly step: number;
}

interface Tab {
  readonly title: string;
  readonly build: (ctx: ViewContext) => HTMLElement;
}

let disposers: (() => void)[] = [];

function tabsFor(view: PanelView, tensors: ViewTensors): Tab[] {
  const trace = view.trace;
  const tabs: Tab[] = [];
  switch (trace?.kind) {
    case 'conv':
      tabs.push({
        title: 'Sliding window',
        build: (ctx) => slidingWindowView(trace, convSteps(view.id, trace.steps), ctx),
      });
      break;
    case 'conv_transpose':
      tabs.push({
        title: 'Scatter-add',
        build: (ctx) =>
          scatterView(
            {
              label: 'Transposed convolution',
              stepLabel: 'input',
              source: tensors.get(trace.input),
              result: tensors.get(trace.output),
              uncropped: trace.uncroppedSize,
              crop: trace.padding,
              total: trace.steps.total,
              part: 'steps',
              resultLabel: 'output before the crop',
              keptLabel: `output ${trace.outputShape.slice(2).join('×')}`,
            },
            scatterSteps(view.id, 'steps', trace.steps),
            ctx,
          ),
      });
      break;
    case 'max_pool':
    case 'avg_pool':
      tabs.push({
        title: trace.kind === 'max_pool' ? 'Max pooling' : 'Average pooling',
        build: (ctx) => poolingView(trace, poolSteps(view.id, trace.steps), ctx),
      });
      break;
    case 'im2col':
      tabs.push({ title: trace.gemm ? 'im2col and GEMM' : 'im2col', build: (ctx) => im2colView(trace, ctx) });
      break;
    case 'conv_backward':
      tabs.push({
        title: 'Backward',
        build: (ctx) =>
          backwardView(
            trace,
            scatterSteps(view.id, 'gradInput', trace.gradInputSteps),
            weightGradSteps(view.id, trace.gradWeightSteps),
            ctx,
          ),
      });
      break;
    case 'gradcheck':
      tabs.push({ title: 'Gradient check', build: (ctx) => gradcheckView(trace, ctx) });
      break;
    case 'tensor': {
      tabs.push({ title: 'Tensor', build: (ctx) => tensorView(trace, ctx) });
      const filters = trace.filters;
      if (filters)
        tabs.push({ title: 'Filters', build: (ctx) => filterGrid(ctx.tensors.get(filters.tensor), filters.note) });
      break;
    }
    case undefined:
      break;
  }
  if (view.equivariance) {
    const e = view.equivariance;
    tabs.push({ title: 'Equivariance', build: (ctx) => equivarianceView(e, ctx) });
  }
  // a tensor view is its own result: no second copy of it as tables
  if (view.results.length && trace?.kind !== 'tensor') {
    tabs.push({
      title: 'Result',
      build: () => el('div', {}, ...view.results.map((id) => tensorTable(tensors.get(id), view.precision))),
    });
  }
  return tabs;
}

/** A view that cannot be drawn (a malformed trace) says so instead of breaking the panel. */
function guarded(build: () => HTMLElement): HTMLElement {
  try {
    return build();
  } catch (e) {
    return el(
      'p',
      { class: 'error', role: 'alert' },
      `This picture could not be drawn: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

export function renderView(
  root: HTMLElement,
  view: PanelView,
  ui: UiState | undefined,
  saveUi: (ui: UiState) => void,
): void {
  for (const d of disposers) d();
  disposers = [];
  // a view recomputed from the one on screen (live controls) keeps its tab and step
  const same = ui?.viewId === view.id || (view.replaces !== null && ui?.viewId === view.replaces);
  let state: UiState = { viewId: view.id, tab: same ? ui.tab : 0, step: same ? ui.step : 0 };
  const parts: Node[] = [];
  parts.push(
    el(
      'header',
      {},
      el('h2', {}, view.title),
      view.params ? el('code', { class: 'params', title: 'parameters' }, view.params) : null,
    ),
  );
  const controls = controlsBar(view);
  if (controls) parts.push(controls);
  if (view.error) {
    const e = view.error;
    parts.push(
      el(
        'section',
        { class: 'error', role: 'alert' },
        el('h3', {}, icon('error'), e.torch ? ' PyTorch would refuse this' : ' Not computed'),
        e.torch ? el('p', { class: 'torch' }, e.torch) : el('p', {}, e.message),
        e.why ? el('p', {}, el('strong', {}, 'Why: '), e.why) : null,
        e.fix ? el('p', {}, el('strong', {}, 'Fix: '), e.fix) : null,
        e.param ? el('p', { class: 'meta' }, `parameter: ${e.param}${e.rule ? ` · rule: ${e.rule}` : ''}`) : null,
      ),
    );
  }
  if (view.summary.length) {
    const dl = el('dl', { class: 'summary' });
    for (const s of view.summary) dl.append(el('dt', {}, s.label), el('dd', {}, s.value));
    parts.push(dl);
  }
  if (view.notes.length) parts.push(el('ul', { class: 'notes' }, ...view.notes.map((n) => el('li', {}, n))));

  const tensors = new ViewTensors(view);
  const tabs = tabsFor(view, tensors);
  let active: HTMLElement | null = null;
  const stepTables = new Map<number, () => StepTable | null>();
  const animations = new Map<number, Animation>();
  let activeIndex = 0;
  // the step exports apply to tabs with steps: they are enabled and disabled as the tabs change
  let refreshActions = () => {};
  if (tabs.length) {
    const tabsEl = el('vscode-tabs' as 'div', {
      'selected-index': String(Math.min(state.tab, tabs.length - 1)),
      'aria-label': 'Views',
    });
    const panels: HTMLElement[] = [];
    tabs.forEach((t) => {
      tabsEl.append(el('vscode-tab-header' as 'div', { slot: 'header' }, t.title));
      const panel = el('vscode-tab-panel' as 'div', {});
      panels.push(panel);
      tabsEl.append(panel);
    });
    const open = (i: number) => {
      const panel = panels[i];
      if (!panel) return;
      if (!panel.firstChild) {
        const ctx: ViewContext = {
          viewId: view.id,
          tensors,
          precision: view.precision,
          initialStep: i === state.tab ? state.step : 0,
          saveStep: (step) => {
            state = { ...state, tab: i, step };
            saveUi(state);
          },
          onDispose: (fn) => disposers.push(fn),
          setStepTable: (fn) => stepTables.set(i, fn),
          setAnimation: (a) => animations.set(i, a),
        };
        panel.append(guarded(() => tabs[i].build(ctx)));
      }
      active = panel;
      activeIndex = i;
      refreshActions();
    };
    open(Math.min(state.tab, tabs.length - 1));
    tabsEl.addEventListener('vsc-tabs-select', (e: Event) => {
      const index = (e as CustomEvent<{ selectedIndex: number }>).detail?.selectedIndex ?? 0;
      state = { ...state, tab: index, step: 0 };
      saveUi(state);
      open(index);
    });
    parts.push(tabsEl);
  }

  const actions = el('div', { class: 'actions' });
  const button = (iconName: string, label: string, onClick: () => void, secondary = true) => {
    const b = el('vscode-button' as 'button', { icon: iconName, secondary, title: label }, label);
    b.addEventListener('click', onClick);
    actions.append(b);
    return b;
  };
  const done = el('span', { class: 'meta done', 'aria-live': 'polite' });
  /** what the person sees after an export: the host does the clipboard and the file, the panel says so */
  const confirm = (what: string) => {
    done.textContent = `✓ ${what}`;
    window.setTimeout(() => {
      if (done.textContent === `✓ ${what}`) done.textContent = '';
    }, 4000);
  };
  if (view.canInsert)
    button(
      'insert',
      'Insert output into the document',
      () => vscode.postMessage({ type: 'insert', viewId: view.id, tensor: 'result' }),
      false,
    );
  const main = view.results[0];
  if (main) {
    button('markdown', 'Copy as Markdown', () => {
      vscode.postMessage({ type: 'copyTensor', viewId: view.id, tensor: main, format: 'markdown' });
      confirm('copied as Markdown');
    });
    button('copy', 'Copy as LaTeX', () => {
      vscode.postMessage({ type: 'copyTensor', viewId: view.id, tensor: main, format: 'latex' });
      confirm('copied as LaTeX');
    });
  }
  if (tabs.length) {
    const step = () => stepTables.get(activeIndex)?.() ?? null;
    const copyMd = button('note', 'Copy step as Markdown', () => {
      const t = step();
      if (t) {
        vscode.postMessage({ type: 'copy', text: markdownStep(t, view.precision) });
        confirm('copied the step as Markdown');
      }
    });
    const copyTex = button('symbol-operator', 'Copy step as LaTeX', () => {
      const t = step();
      if (t) {
        vscode.postMessage({ type: 'copy', text: latexStep(t, view.precision) });
        confirm('copied the step as LaTeX');
      }
    });
    button('file-media', 'Save frame as SVG', () => {
      if (!active) return;
      vscode.postMessage({ type: 'save', text: frameSvg(active), fileName: `conv-lens-${view.kind}.svg` });
      confirm('frame drawn: choose where to save it');
    });
    const animate = button('play-circle', 'Save animation (APNG)', () => {
      const a = animations.get(activeIndex);
      if (active && a) void exportAnimation(active, a, view.kind, (text) => (done.textContent = text));
    });
    refreshActions = () => {
      const hasSteps = stepTables.has(activeIndex);
      for (const b of [copyMd, copyTex]) b.toggleAttribute('disabled', !hasSteps);
      animate.toggleAttribute('disabled', !animations.has(activeIndex));
    };
    refreshActions();
  }
  actions.append(done);
  if (actions.childElementCount > 1) parts.push(actions);
  root.replaceChildren(...parts);
}

/** at most this many frames go into an exported animation (evenly spaced over the steps) */
const MAX_FRAMES = 120;

/**
 * The animation of the tab on screen as an animated PNG: each step drawn as on screen (frameSvg), rasterised
 * by the browser, the frames assembled (apng.ts) and handed to the host to save. The step on screen is restored.
 */
async function exportAnimation(
  tab: HTMLElement,
  a: Animation,
  kind: string,
  say: (text: string) => void,
): Promise<void> {
  const back = a.current();
  const count = Math.min(a.total, MAX_FRAMES);
  const frames: Uint8Array[] = [];
  const box = tab.getBoundingClientRect();
  const width = Math.ceil(box.width);
  const height = Math.ceil(box.height);
  try {
    for (let f = 0; f < count; f++) {
      const stepIndex = count === 1 ? 0 : Math.round((f * (a.total - 1)) / (count - 1));
      a.go(stepIndex);
      await settled(tab);
      say(`drawing frame ${f + 1} of ${count}…`);
      frames.push(await rasterise(frameSvg(tab), width, height));
    }
    const data = assembleApng(frames, count <= 30 ? 600 : 250);
    vscode.postMessage({ type: 'saveBinary', data, fileName: `conv-lens-${kind}.png` });
    say(`✓ ${count} frames ready to save`);
  } catch (e) {
    say(`the animation could not be made: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    a.go(back);
  }
}

/** Resolves once the step on screen is drawn: nothing loading, every question to the host answered. */
async function settled(tab: HTMLElement): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => requestAnimationFrame(() => r(undefined)));
    const loading = tab.querySelector('.arithmetic')?.textContent?.startsWith('loading');
    if (!loading && unanswered() === 0) return;
  }
}

function rasterise(svg: string, width: number, height: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => {
      const canvas = el('canvas', { width, height });
      const ctx = canvas.getContext('2d');
      if (!ctx) return reject(new Error('no 2-D canvas'));
      ctx.drawImage(image, 0, 0, width, height);
      canvas.toBlob((blob) => {
        if (!blob) return reject(new Error('the frame could not be encoded'));
        void blob.arrayBuffer().then((b) => resolve(new Uint8Array(b)), reject);
      }, 'image/png');
    };
    image.onerror = () => reject(new Error('the frame could not be drawn'));
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  });
}
