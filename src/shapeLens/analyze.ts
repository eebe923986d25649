/**
 * What the editor shows for the models of one Python file, computed from its text alone: the input shape
 * each model gets (its `# conv-lens: input` comment, or one the user set with a command), the propagated
 * shapes, and from those the inlay hints, the layer hover, the diagnostic with its quick fix, and the plan
 * for stepping through a layer in the panel. The VS Code adapter (src/lens/shapeLens.ts) only converts
 * offsets to positions.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */
import { seededRandom } from '../engine/gradcheck';
import { formatNumber } from '../format';
import {
  parseModels,
  SHAPE_PRESERVING,
  type Literal,
  type ParsedModel,
  type SourceRange,
  type Step,
} from './parseModel';
import { family, literalArgs, propagate, type LayerShape, type Propagation, type TextEdit } from './propagate';

export type InputSource = 'comment' | 'remembered' | 'none';

export interface ModelShapes {
  readonly model: ParsedModel;
  readonly input: readonly number[] | null;
  readonly inputSource: InputSource;
  readonly propagation: Propagation;
  /**
   * a Sequential assigned inside a module class that the class's own chain already covers: it gets no code
   * lens of its own unless it has an input shape of its own
   */
  readonly nested: boolean;
}

/** `1×64×56×56` */
export function shapeText(shape: readonly number[] | null | undefined): string {
  return shape ? shape.join('×') : 'unknown';
}

/**
 * Parses and propagates every model in `src`. `remembered(name)` gives the input shape the user set for a
 * model with the command; it wins over the comment, because it is the newer and more deliberate choice.
 */
export function analyzeModels(
  src: string,
  remembered?: (modelName: string) => readonly number[] | undefined,
): ModelShapes[] {
  return new ShapeAnalyzer().analyze(src, remembered);
}

/**
 * analyzeModels for a document that is being edited: a model whose text and input shape did not change
 * since the last call keeps its propagation (moved to its new offsets) instead of being propagated again,
 * so a keystroke costs one parse of the file plus the models it touched.
 */
export class ShapeAnalyzer {
  private memo = new Map<
    string,
    { readonly start: number; readonly line: number; readonly propagation: Propagation }
  >();

  analyze(src: string, remembered?: (modelName: string) => readonly number[] | undefined): ModelShapes[] {
    const models = parseModels(src);
    const modules = models.filter((m) => m.kind === 'module');
    const next = new Map<string, { start: number; line: number; propagation: Propagation }>();
    const result = models.map((model) => {
      const mine = remembered?.(model.name);
      const input = mine ?? model.inputShape ?? null;
      const inputSource: InputSource = mine ? 'remembered' : model.inputShape ? 'comment' : 'none';
      const nested =
        model.kind === 'sequential' &&
        modules.some((c) => c.range.start <= model.range.start && model.range.end <= c.range.end);
      // everything a propagation depends on: the model's own text (its layers, and forward for a class) and the input
      const key = `${model.kind}\u0000${model.name}\u0000${input?.join('x') ?? '-'}\u0000${src.slice(model.range.start, model.range.end)}`;
      const hit = this.memo.get(key);
      const propagation = hit
        ? moved(hit.propagation, model.steps, model.range.start - hit.start, model.range.line - hit.line)
        : propagate(model.steps, input);
      next.set(key, { start: model.range.start, line: model.range.line, propagation });
      return { model, input, inputSource, propagation, nested };
    });
    this.memo = next;
    return result;
  }
}

/** A propagation of the same model text, moved by `delta` characters and `lines` lines: its steps are the new parse's. */
function moved(p: Propagation, steps: readonly Step[], delta: number, lines: number): Propagation {
  const layers = p.layers.map((l) => ({ ...l, step: steps[l.index] }));
  const d = p.diagnostic;
  if (!d) return { layers, output: p.output };
  const edit = d.edit && {
    newText: d.edit.newText,
    range: { start: d.edit.range.start + delta, end: d.edit.range.end + delta, line: d.edit.range.line + lines },
  };
  return { layers, output: p.output, diagnostic: { ...d, step: steps[d.index], ...(edit ? { edit } : {}) } };
}

// ---------------------------------------------------------------------------------------------------------
// Inlay hints

export interface ShapeHint {
  /** where the hint goes: just after the layer's call */
  readonly offset: number;
  readonly label: string;
  readonly tooltip: string;
  readonly state: 'shape' | 'unknown' | 'refused';
}

/**
 * One hint after every layer of every model with an input shape. A layer used more than once (a shared
 * `self.pool` in forward) gets one hint listing each output in call order.
 */
export function shapeHints(models: readonly ModelShapes[]): ShapeHint[] {
  const byOffset = new Map<number, { labels: string[]; tips: string[]; state: ShapeHint['state'] }>();
  const add = (offset: number, label: string, tip: string, state: ShapeHint['state']) => {
    const at = byOffset.get(offset);
    if (!at) byOffset.set(offset, { labels: [label], tips: [tip], state });
    else if (!at.labels.includes(label) || !at.tips.includes(tip)) {
      if (!at.labels.includes(label)) at.labels.push(label);
      at.tips.push(tip);
      if (state === 'refused' || (state === 'unknown' && at.state === 'shape')) at.state = state;
    }
  };
  for (const m of models) {
    if (!m.input) continue;
    const failed = m.propagation.diagnostic?.index;
    // after each layer's constructor
    for (const l of m.propagation.layers) {
      const state: ShapeHint['state'] = l.index === failed ? 'refused' : l.output ? 'shape' : 'unknown';
      // F.relu(...) inside a forward expression: its shape is its input's, and a hint mid-expression is clutter
      if (state === 'shape' && !l.step.attr && m.model.kind === 'module' && SHAPE_PRESERVING.has(l.step.op)) continue;
      const label = state === 'refused' ? '✗ refused' : state === 'unknown' ? 'unknown' : shapeText(l.output);
      const tip =
        state === 'refused'
          ? `${stepName(l.step)}: PyTorch refuses input ${shapeText(l.input)}: ${m.propagation.diagnostic!.torch}`
          : state === 'unknown'
            ? `${stepName(l.step)}: output shape unknown: ${l.unknown ?? 'not followed'}`
            : `${stepName(l.step)} in ${m.model.name}: ${shapeText(l.input)} → ${shapeText(l.output)}`;
      add(l.step.range.end, label, tip, state);
    }
    // after each `self.x(...)` call in forward: the value it returns (a Sequential's last layer's output)
    for (const group of callGroups(m)) {
      const first = group[0];
      const last = group[group.length - 1];
      const refused = group.some((l) => l.index === failed);
      const state: ShapeHint['state'] = refused ? 'refused' : last.output ? 'shape' : 'unknown';
      const call = first.step.call!;
      const what = `self.${first.step.attr?.split('.')[0] ?? '?'}(…)${group.length > 1 ? ` (${group.length} layers)` : ''}`;
      const tip =
        state === 'refused'
          ? `${what}: PyTorch refuses it: ${m.propagation.diagnostic!.torch}`
          : state === 'unknown'
            ? `${what}: output shape unknown: ${last.unknown ?? 'not followed'}`
            : `${what}: ${shapeText(first.input)} → ${shapeText(last.output)}`;
      add(
        call.end,
        state === 'refused' ? '✗ refused' : state === 'unknown' ? 'unknown' : shapeText(last.output),
        tip,
        state,
      );
    }
  }
  return [...byOffset.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([offset, h]) => ({ offset, label: `→ ${h.labels.join(' · ')}`, tooltip: h.tips.join('\n'), state: h.state }));
}

/** The model's layers grouped by the forward call that runs them, in call order. */
function callGroups(m: ModelShapes): LayerShape[][] {
  const groups: LayerShape[][] = [];
  for (const l of m.propagation.layers) {
    const c = l.step.call;
    if (!c) continue;
    const prev = groups[groups.length - 1]?.[0].step.call;
    if (prev && prev.start === c.start && prev.end === c.end) groups[groups.length - 1].push(l);
    else groups.push([l]);
  }
  return groups;
}

function stepName(step: Step): string {
  return step.attr ? `self.${step.attr} (${step.op})` : step.op;
}

// ---------------------------------------------------------------------------------------------------------
// Hover

export interface LayerAt {
  readonly model: ModelShapes;
  /**
   * at a constructor: every use of the layer in the chain (a shared module is called more than once);
   * at a `self.x(...)` call in forward: the layers that call runs (several for a Sequential)
   */
  readonly layers: readonly LayerShape[];
  readonly range: SourceRange;
  readonly at: 'constructor' | 'call';
}

/** The innermost layer constructor or forward call at `offset` in a model with an input shape. */
export function layerAt(models: readonly ModelShapes[], offset: number): LayerAt | undefined {
  let best: LayerAt | undefined;
  const consider = (m: ModelShapes, r: SourceRange, layers: LayerShape[], at: LayerAt['at']) => {
    if (offset < r.start || offset > r.end) return;
    if (best && best.model === m && best.at === at && best.range.start === r.start && best.range.end === r.end) {
      best = { ...best, layers: [...best.layers, ...layers] };
    } else if (!best || r.end - r.start < best.range.end - best.range.start) {
      best = { model: m, layers, range: r, at };
    }
  };
  for (const m of models) {
    if (!m.input) continue;
    for (const l of m.propagation.layers) consider(m, l.step.range, [l], 'constructor');
    for (const group of callGroups(m)) consider(m, group[0].step.call!, group, 'call');
  }
  return best;
}

const DIM_NAMES: Record<number, readonly string[]> = { 1: ['L'], 2: ['H', 'W'], 3: ['D', 'H', 'W'] };

const GROUPED = new Intl.NumberFormat('en-US');

/** 37,748,736 → "37.7 M" */
function magnitude(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return GROUPED.format(n);
}

/** Markdown for the hover on a layer: shapes, the formula with the numbers in, parameters, FLOPs, receptive field. */
export function describeLayer(at: LayerAt): string {
  if (at.at === 'call' && at.layers.length > 1) return describeBlock(at);
  const { model, layers } = at;
  const step = layers[0].step;
  const total = model.model.steps.length;
  const out: string[] = [];
  out.push(
    `**${step.op}**${step.attr ? ` \`self.${step.attr}\`` : ''} — layer ${layers.map((l) => l.index + 1).join(', ')} of ${total} in \`${model.model.name}\``,
  );
  const diag = model.propagation.diagnostic;
  for (const l of layers) {
    out.push('');
    const use = layers.length > 1 ? `call ${l.index + 1}: ` : '';
    if (diag && diag.index === l.index) {
      // a mismatch's fix already says what is wrong ("in_channels=32 but the previous layer gives 64 …")
      out.push(
        `${use}input \`${shapeText(l.input)}\` → **PyTorch refuses it**`,
        '',
        `> ${diag.torch}`,
        '',
        diag.edit ? `**Fix:** ${diag.fix}` : `${diag.why}. **Fix:** ${diag.fix}`,
      );
      continue;
    }
    if (!l.output) {
      out.push(`${use}output shape **unknown**: ${l.unknown ?? 'not followed'}`);
      continue;
    }
    const given = l.inputs
      ? `inputs ${l.inputs.map((i) => `\`${shapeText(i)}\``).join(step.op === 'Add' ? ' + ' : ', ')}`
      : `input \`${shapeText(l.input)}\``;
    out.push(`${use}${given} → output \`${shapeText(l.output)}\``);
    if (l.formula.length > 0 && step.op === 'Cat') out.push('', '```text', `${l.formula[0]}`, '```');
    else if (l.formula.length > 0) {
      const dims = DIM_NAMES[l.formula.length] ?? [];
      out.push('', '```text', ...l.formula.map((f, i) => `${dims[i] ?? `dim ${i}`}_out = ${f}`), '```');
    }
    const facts: string[] = [];
    facts.push(`parameters ${GROUPED.format(l.params)}`);
    if (l.flops > 0) facts.push(`FLOPs ${magnitude(l.flops)} (2 × multiply-adds)`);
    const rf = l.receptiveField;
    facts.push(
      rf && rf.size.length > 0
        ? `receptive field so far ${rf.size.map(fmt).join('×')} input pixels, ${rf.jump.map(fmt).join('×')} apart`
        : 'receptive field: not tracked past this layer',
    );
    out.push('', facts.join(' · '));
  }
  const totals = model.propagation.layers.slice(0, layers[layers.length - 1].index + 1);
  const params = totals.reduce((s, l) => s + l.params, 0);
  const flops = totals.reduce((s, l) => s + l.flops, 0);
  out.push(
    '',
    `_${model.model.name} up to here: ${GROUPED.format(params)} parameters, ${magnitude(flops)} FLOPs; input ${shapeText(model.input)} (${model.inputSource === 'comment' ? 'from the `# conv-lens: input` comment' : 'set with Conv Lens: Set Model Input Shape'})_`,
  );
  return out.join('\n');
}

/** Markdown for the hover on a forward call that runs several layers (`self.features(x)`): a table of them. */
function describeBlock(at: LayerAt): string {
  const { model, layers } = at;
  const first = layers[0];
  const last = layers[layers.length - 1];
  const name = first.step.attr?.split('.')[0] ?? '?';
  const diag = model.propagation.diagnostic;
  const out: string[] = [];
  out.push(
    `**\`self.${name}\`** — ${layers.length} layers (${first.index + 1}–${last.index + 1} of ${model.model.steps.length} in \`${model.model.name}\`)`,
    '',
  );
  const refused = layers.find((l) => diag && diag.index === l.index);
  if (refused && diag)
    out.push(
      `input \`${shapeText(first.input)}\` → **PyTorch refuses layer ${refused.index + 1}**`,
      '',
      `> ${diag.torch}`,
      '',
      `**Fix:** ${diag.fix}`,
      '',
    );
  else
    out.push(
      `input \`${shapeText(first.input)}\` → output \`${last.output ? shapeText(last.output) : 'unknown'}\``,
      '',
    );
  out.push('| # | layer | output |', '|---:|---|---|');
  for (const l of layers) {
    const shown = diag && diag.index === l.index ? '✗ refused' : l.output ? `\`${shapeText(l.output)}\`` : 'unknown';
    out.push(`| ${l.index + 1} | \`${l.step.text.replace(/\s+/g, ' ').replace(/\|/g, '\\|')}\` | ${shown} |`);
  }
  const params = layers.reduce((s, l) => s + l.params, 0);
  const flops = layers.reduce((s, l) => s + l.flops, 0);
  const rf = last.receptiveField;
  out.push(
    '',
    `parameters ${GROUPED.format(params)} · FLOPs ${magnitude(flops)}${rf && rf.size.length > 0 ? ` · receptive field after it ${rf.size.map(fmt).join('×')} input pixels` : ''}`,
  );
  return out.join('\n');
}

/** receptive-field sizes and jumps: integers, or fractions after upsampling (3 significant digits) */
function fmt(n: number): string {
  return formatNumber(n, 3);
}

// ---------------------------------------------------------------------------------------------------------
// Diagnostics and the quick fix

export interface LensDiagnostic {
  readonly range: SourceRange;
  /** PyTorch's error, then the fix */
  readonly message: string;
  /** "Set in_channels=64", when the fix is an edit */
  readonly fixTitle?: string;
  readonly edit?: TextEdit;
  /** the layers whose outputs do not fit (the previous one, or both sides of a sum), for related-information links */
  readonly related: readonly { readonly range: SourceRange; readonly message: string }[];
}

export function shapeDiagnostics(models: readonly ModelShapes[]): LensDiagnostic[] {
  const out: LensDiagnostic[] = [];
  const seen = new Set<string>();
  for (const m of models) {
    const d = m.propagation.diagnostic;
    if (!d) continue;
    const key = `${d.step.range.start}:${d.torch}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const input = m.propagation.layers[d.index].input;
    const fixText = d.edit ? d.fix : `${d.why}: ${d.fix}`;
    const sources = (d.step.inputs ?? [d.index - 1]).filter((j) => j >= 0).map((j) => m.propagation.layers[j]);
    const action = /: (set [^:]+)$/.exec(d.fix)?.[1];
    out.push({
      range: d.step.range,
      message: `${d.torch}\n${fixText} (input ${shapeText(input)}, ${m.model.name} layer ${d.index + 1})`,
      ...(d.edit
        ? { edit: d.edit, fixTitle: action ? action[0].toUpperCase() + action.slice(1) : `Change to ${d.edit.newText}` }
        : {}),
      related: sources.map((l) => ({
        range: l.step.call ?? l.step.range,
        message: `${stepName(l.step)} gives ${shapeText(l.output)}`,
      })),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Stepping through a layer in the panel

export type StepCommand =
  'convLens.convolve' | 'convLens.transposedConvolution' | 'convLens.maxPool' | 'convLens.avgPool';

export interface StepPlan {
  readonly command: StepCommand;
  /** the layer's input with batch 1: every sample goes through the same windows */
  readonly inputShape: readonly number[];
  readonly weightShape: readonly number[] | null;
  /** output channels that get a bias (conv with bias=True) */
  readonly biasChannels: number;
  /** the layer's arguments in the parameter box's PyTorch keyword syntax */
  readonly params: string;
}

const STEP_PARAMS: Record<string, { command: StepCommand; keys: readonly string[] }> = {
  Conv: { command: 'convLens.convolve', keys: ['stride', 'padding', 'dilation', 'groups', 'padding_mode'] },
  ConvTranspose: {
    command: 'convLens.transposedConvolution',
    keys: ['stride', 'padding', 'output_padding', 'dilation', 'groups'],
  },
  MaxPool: { command: 'convLens.maxPool', keys: ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode'] },
  AvgPool: {
    command: 'convLens.avgPool',
    keys: ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'],
  },
};

function pythonLiteral(v: Literal): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `(${v.map(pythonLiteral).join(', ')})`;
  return String(v);
}

/** How to open the panel on a layer, or why it cannot be opened (not a windowed layer, unknown input). */
export function stepPlan(layer: LayerShape): StepPlan | { readonly reason: string } {
  const [fam, rank] = family(layer.step.op);
  const spec = STEP_PARAMS[fam];
  if (!spec) return { reason: `${layer.step.op} has no sliding window to step through` };
  if (!layer.input) return { reason: `the input of ${stepName(layer.step)} is unknown` };
  const args = literalArgs(layer.step);
  if (!args) return { reason: `the arguments of ${stepName(layer.step)} are not all literals` };
  const input = layer.input.length === rank + 2 ? [1, ...layer.input.slice(1)] : [1, ...layer.input];
  const params = spec.keys.filter((k) => args.has(k)).map((k) => `${k}=${pythonLiteral(args.get(k)!)}`);
  if (fam === 'Conv' || fam === 'ConvTranspose') {
    const inC = args.get('in_channels') as number;
    const outC = args.get('out_channels') as number;
    const groups = (args.get('groups') as number | undefined) ?? 1;
    const k = args.get('kernel_size')!;
    const kernel = Array.isArray(k) ? (k as number[]) : new Array<number>(rank).fill(k as number);
    const weightShape = fam === 'Conv' ? [outC, inC / groups, ...kernel] : [inC, outC / groups, ...kernel];
    const bias = fam === 'Conv' && args.get('bias') !== false ? outC : 0;
    return { command: spec.command, inputShape: input, weightShape, biasChannels: bias, params: params.join(', ') };
  }
  return { command: spec.command, inputShape: input, weightShape: null, biasChannels: 0, params: params.join(', ') };
}

export type Fill = 'integers' | 'normal';

/**
 * A seeded random tensor as nested arrays: integers in −2…2 keep every product readable in the panel;
 * `normal` gives N(0, 1) values rounded to 3 decimals, closer to real activations.
 */
export function randomNested(shape: readonly number[], fill: Fill, seed: number): unknown[] {
  const next = seededRandom(seed);
  const value = (): number => {
    if (fill === 'integers') return Math.floor(next() * 5) - 2;
    // Box–Muller
    const u = Math.max(next(), 1e-12);
    const v = next();
    return Math.round(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * 1000) / 1000;
  };
  const build = (d: number): unknown[] =>
    Array.from({ length: shape[d] }, () => (d === shape.length - 1 ? value() : build(d + 1)));
  return shape.length === 0 ? [] : build(0);
}
