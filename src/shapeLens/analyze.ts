/**
 * What the editor shows for the models of one Python file, computed from its text alone: the input each
 * model gets (its `# conv-lens: input` comment, or one the user set with a command), the run of each model
 * in the interpreter, and from those the inlay hints, the layer hover, the diagnostic with its quick fix,
 * and the plan for stepping through a layer in the panel. The VS Code adapter (src/lens/shapeLens.ts) only
 * converts offsets to positions.
 *
 * Layers are named by their named_modules() path (`layer1.0.conv1`), as PyTorch names them.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */
import { seededRandom } from '../engine/gradcheck';
import { shapeText as knownShapeText, toNested, type Tensor } from '../engine/tensor';
import { formatNumber } from '../format';
import type { LayerRecord } from './interpreter';
import { family, SHAPE_PRESERVING, type Literal } from './layerRules';
import {
  ModelAnalyzer,
  type Diagnostic,
  type InputSource,
  type InputSpec,
  type ModelInfo,
  type ModelRun,
  type SourceRange,
  type TextEdit,
} from './models';
import { PyFloat, PyList, PyTuple, type Value } from './values';

export type { InputSource, InputSpec, ModelInfo, SourceRange, TextEdit, LayerRecord, Diagnostic };
export { formatInputSpec, parseInputSpec, parseInputComment } from './models';

export interface ModelShapes {
  readonly model: ModelInfo;
  readonly input: InputSpec | null;
  readonly inputSource: InputSource;
  readonly run: ModelRun;
  /** the run's records and outcome under the names the editor code reads */
  readonly propagation: {
    readonly layers: readonly LayerRecord[];
    /** the first output's shape (null when unknown or refused) */
    readonly output: readonly number[] | null;
    readonly diagnostic?: Diagnostic;
  };
  /** a Sequential inside a class: no code lens of its own unless it has an input of its own */
  readonly nested: boolean;
}

/** `1×64×56×56` */
export function shapeText(shape: readonly number[] | null | undefined): string {
  return shape ? knownShapeText(shape) : 'unknown';
}

/** `1×3×224×224`, or `1×128×32×32, 1×64×64×64` for several inputs */
export function inputText(spec: InputSpec | null | undefined): string {
  return spec ? spec.shapes.map(shapeText).join(', ') : 'no input';
}

function shapes(run: ModelRun): ModelShapes {
  return {
    model: run.model,
    input: run.spec,
    inputSource: run.inputSource,
    run,
    propagation: {
      layers: run.layers,
      output: run.outputs?.[0] ?? null,
      ...(run.diagnostic ? { diagnostic: run.diagnostic } : {}),
    },
    nested: run.model.nested,
  };
}

/**
 * Analyses every model in `src`. `remembered(name)` gives the input the user set for a model with the
 * command; it wins over the comment, because it is the newer and more deliberate choice.
 */
export function analyzeModels(
  src: string,
  remembered?: (modelName: string, model?: ModelInfo) => InputSpec | undefined,
): ModelShapes[] {
  return new ShapeAnalyzer().analyze(src, remembered);
}

/**
 * analyzeModels for a document that is being edited: models whose code and input did not change keep their
 * results (see ModelAnalyzer), so a keystroke costs a scan of the file plus the models it touched.
 */
export class ShapeAnalyzer {
  private readonly analyzer = new ModelAnalyzer();

  analyze(src: string, remembered?: (modelName: string, model?: ModelInfo) => InputSpec | undefined): ModelShapes[] {
    return this.analyzer.analyze(src, remembered).map(shapes);
  }
}

/** What to call a record: its path (`layer1.0.conv1 (Conv2d)`), or the operation. */
export function recordName(l: LayerRecord): string {
  if (l.path !== undefined) return l.path === '' ? `the model (${l.op})` : `${l.path} (${l.op})`;
  return l.op;
}

const sameRange = (a: SourceRange, b: SourceRange): boolean => a.start === b.start && a.end === b.end;

// ---------------------------------------------------------------------------------------------------------
// Which model speaks for a place in the file

interface Placed {
  readonly model: ModelShapes;
  readonly range: SourceRange;
  readonly at: 'constructor' | 'call' | 'op';
  readonly records: LayerRecord[];
  /** for a call: what it returned */
  readonly call?: { readonly output: readonly number[] | null; readonly unknown?: string; readonly refused: boolean }[];
}

/** Every constructor, forward call and tensor operation of every run, by range. */
/** the places of one run, kept while the run is (an untouched model keeps its run across keystrokes) */
const placesOfRun = new WeakMap<ModelRun, Placed[]>();

function places(models: readonly ModelShapes[]): Placed[] {
  const all: Placed[] = [];
  for (const m of models) {
    if (!m.input) continue;
    let mine = placesOfRun.get(m.run);
    if (!mine || mine[0]?.model.model !== m.model) {
      mine = placesOf(m);
      placesOfRun.set(m.run, mine);
    }
    for (const p of mine) all.push(p);
  }
  return all;
}

function placesOf(m: ModelShapes): Placed[] {
  const out: Placed[] = [];
  {
    const byKey = new Map<string, Placed>();
    const put = (
      range: SourceRange,
      at: Placed['at'],
      record?: LayerRecord,
      call?: NonNullable<Placed['call']>[number],
    ) => {
      const key = `${at}:${range.start}:${range.end}`;
      let p = byKey.get(key);
      if (!p) {
        p = { model: m, range, at, records: [], ...(call ? { call: [] } : {}) };
        byKey.set(key, p);
        out.push(p);
      }
      if (record) p.records.push(record);
      if (call) p.call!.push(call);
    };
    for (const l of m.run.layers) put(l.site, l.kind === 'module' ? 'constructor' : 'op', l);
    for (const c of m.run.callSites) {
      const recs = m.run.layers.slice(c.first, c.end);
      put(c.site, 'call', undefined, {
        output: c.output,
        ...(c.unknown ? { unknown: c.unknown } : {}),
        refused: c.refused,
      });
      const p = byKey.get(`call:${c.site.start}:${c.site.end}`)!;
      for (const r of recs) if (!p.records.includes(r)) p.records.push(r);
    }
  }
  return out;
}

/**
 * Of the places at one range (one per model that ran the code there), the ones to show: the innermost model
 * whose own text holds the range, when it ran that code; else all of them.
 */
function speaking(group: readonly Placed[]): Placed[] {
  const own = group.filter((p) => p.model.model.range.start <= p.range.start && p.range.end <= p.model.model.range.end);
  if (own.length === 0) return [...group];
  const size = (p: Placed) => p.model.model.range.end - p.model.model.range.start;
  const best = own.reduce((a, b) => (size(b) < size(a) ? b : a));
  return own.filter((p) => size(p) === size(best));
}

// ---------------------------------------------------------------------------------------------------------
// Inlay hints

export interface ShapeHint {
  /** where the hint goes: just after the layer's constructor, the forward call or the operation */
  readonly offset: number;
  readonly label: string;
  readonly tooltip: string;
  readonly state: 'shape' | 'unknown' | 'refused';
}

const MAX_LABELS = 3;
const MAX_TIPS = 12;

/**
 * One hint after every layer constructor (with the output of each of its calls), after every call of a
 * module in forward (with what it returns), and after every tensor operation that changes the shape.
 * Several different outputs at one place (a helper that builds every 3×3 conv of a ResNet) are listed.
 */
export function shapeHints(models: readonly ModelShapes[]): ShapeHint[] {
  const groups = new Map<string, Placed[]>();
  const all = places(models);
  const nested = nestedCalls(all);
  const several = models.filter((m) => m.input).length > 1;
  for (const p of all) {
    // self.relu(self.bn1(self.conv1(x))): the norm and the activation inside keep the shape, a hint each is clutter
    if (p.at === 'call' && nested.has(p) && keepsShape(p)) continue;
    const key = `${p.range.end}`;
    const g = groups.get(key);
    if (g) g.push(p);
    else groups.set(key, [p]);
  }
  const hints: ShapeHint[] = [];
  for (const [, group] of groups) {
    const labels: string[] = [];
    const tips: string[] = [];
    let state: ShapeHint['state'] = 'shape';
    let count = 0;
    const addLabel = (label: string) => {
      if (!labels.includes(label)) labels.push(label);
    };
    for (const p of speaking(group)) {
      const where = several ? ` in ${p.model.model.name}` : '';
      if (p.at === 'call') {
        for (const c of p.call!) {
          count++;
          const what = p.records.length > 0 ? callName(p) : 'the call';
          if (c.refused) {
            state = 'refused';
            addLabel('✗ refused');
            tips.push(`${what}${where}: PyTorch refuses it: ${p.model.propagation.diagnostic?.torch ?? ''}`);
          } else if (c.unknown || !c.output) {
            if (state === 'shape') state = c.unknown ? 'unknown' : state;
            addLabel(c.unknown ? 'unknown' : 'not a tensor');
            tips.push(
              `${what}${where}: ${c.unknown ? `unknown: ${c.unknown}` : 'returns something that is not a tensor'}`,
            );
          } else {
            addLabel(shapeText(c.output));
            tips.push(`${what}${where}: returns ${shapeText(c.output)}`);
          }
        }
        continue;
      }
      for (const l of p.records) {
        // an elementwise op (F.relu, x * 0.5) inside an expression: its shape is its input's, and a hint is clutter
        if (l.kind === 'function' && (l.preserving || SHAPE_PRESERVING.has(l.op)) && !l.refused && !l.unknown) continue;
        count++;
        if (l.refused) {
          state = 'refused';
          addLabel('✗ refused');
          tips.push(
            `${recordName(l)}${where}: PyTorch refuses input ${shapeText(l.input)}: ${p.model.propagation.diagnostic?.torch ?? ''}`,
          );
        } else if (l.unknown) {
          if (state === 'shape') state = 'unknown';
          addLabel('unknown');
          tips.push(`${recordName(l)}${where}: output shape unknown: ${l.unknown}`);
        } else {
          addLabel(l.output ? shapeText(l.output) : 'not a tensor');
          tips.push(`${recordName(l)}${where}: ${inputsText(l)} → ${shapeText(l.output)}`);
        }
      }
    }
    if (count === 0) continue;
    const shown =
      labels.length > MAX_LABELS
        ? [...labels.slice(0, MAX_LABELS - 1), `… (${labels.length} shapes, ${count} calls)`]
        : labels;
    const more = tips.length > MAX_TIPS ? [`… and ${tips.length - MAX_TIPS} more`] : [];
    hints.push({
      offset: group[0].range.end,
      label: `→ ${shown.join(' · ')}`,
      tooltip: [...tips.slice(0, MAX_TIPS), ...more].join('\n'),
      state,
    });
  }
  return hints.sort((a, b) => a.offset - b.offset);
}

/** The calls whose range lies inside another call's (`self.bn1(…)` in `self.relu(self.bn1(…))`). */
function nestedCalls(all: readonly Placed[]): Set<Placed> {
  const ranges = new Map<string, SourceRange>();
  for (const p of all) if (p.at === 'call') ranges.set(`${p.range.start}:${p.range.end}`, p.range);
  const sorted = [...ranges.values()].sort((a, b) => a.start - b.start || b.end - a.end);
  const inner = new Set<string>();
  let maxEnd = -1;
  for (const r of sorted) {
    if (maxEnd >= r.end) inner.add(`${r.start}:${r.end}`);
    maxEnd = Math.max(maxEnd, r.end);
  }
  return new Set(all.filter((p) => p.at === 'call' && inner.has(`${p.range.start}:${p.range.end}`)));
}

/** A call of one layer that gives back its input's shape (a norm, an activation, dropout). */
function keepsShape(p: Placed): boolean {
  if (p.records.length !== 1) return false;
  const l = p.records[0];
  const [fam] = family(l.op);
  const preserving =
    SHAPE_PRESERVING.has(l.op) ||
    fam === 'BatchNorm' ||
    fam === 'InstanceNorm' ||
    l.op === 'GroupNorm' ||
    l.op === 'LayerNorm';
  return preserving && !l.refused && !l.unknown && l.output !== null && shapeText(l.output) === shapeText(l.input);
}

/** A forward call by the module it calls: the path its layers share (`layer1`, `layer1.0.conv1`). */
function callName(p: Placed): string {
  const depth = commonDepth(p.records);
  const first = p.records.find((r) => r.path !== undefined);
  return first && depth > 0 ? `\`${first.path!.split('.').slice(0, depth).join('.')}\`` : 'the call';
}

/** How many leading path parts every record of a call shares (layer1.0.conv1, layer1.0.bn1 → layer1.0). */
function commonDepth(records: readonly LayerRecord[]): number {
  const paths = records.filter((r) => r.path !== undefined).map((r) => r.path!.split('.'));
  if (paths.length === 0) return 0;
  let d = 0;
  while (paths.every((p) => p.length > d && p[d] === paths[0][d])) d++;
  return d;
}

function inputsText(l: LayerRecord): string {
  return l.inputs ? l.inputs.map(shapeText).join(l.op === 'Add' ? ' + ' : ', ') : shapeText(l.input);
}

// ---------------------------------------------------------------------------------------------------------
// Hover

export interface LayerAt {
  readonly model: ModelShapes;
  /**
   * at a constructor: every call of the layers it built; at a call in forward: the layers that call ran;
   * at a tensor operation: each time it ran
   */
  readonly layers: readonly LayerRecord[];
  readonly range: SourceRange;
  readonly at: 'constructor' | 'call' | 'op';
}

/** The innermost layer constructor, forward call or operation at `offset` in a model with an input. */
export function layerAt(models: readonly ModelShapes[], offset: number): LayerAt | undefined {
  const hits = places(models).filter((p) => offset >= p.range.start && offset <= p.range.end && p.records.length > 0);
  if (hits.length === 0) return undefined;
  const width = (p: Placed) => p.range.end - p.range.start;
  const narrow = Math.min(...hits.map(width));
  const inner = speaking(hits.filter((p) => width(p) === narrow));
  // a constructor beats the call at the same range (a module built and called in one expression)
  const p = inner.find((x) => x.at === 'constructor') ?? inner[0];
  return { model: p.model, layers: p.records, range: p.range, at: p.at };
}

const DIM_NAMES: Record<number, readonly string[]> = { 1: ['L'], 2: ['H', 'W'], 3: ['D', 'H', 'W'] };
const GROUPED = new Intl.NumberFormat('en-US');
const MAX_ROWS = 24;

/** 37,748,736 → "37.75 M" */
export function magnitude(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} k`;
  return GROUPED.format(n);
}

/** Markdown for the hover: shapes, the formula with the numbers in, parameters, FLOPs, receptive field. */
export function describeLayer(at: LayerAt): string {
  const { model, layers } = at;
  const modules = new Set(layers.map((l) => l.module ?? l));
  if (at.at === 'call' || modules.size > 1) return describeBlock(at);
  const first = layers[0];
  const total = model.run.layers.length;
  const out: string[] = [];
  const name = first.path !== undefined ? ` \`${first.path === '' ? model.model.name : first.path}\`` : '';
  out.push(
    `**${first.op}**${name} — ${layers.length > 1 ? 'calls' : 'call'} ${layers.map((l) => l.index + 1).join(', ')} of ${total} in \`${model.model.name}\``,
  );
  const diag = model.run.diagnostic;
  for (const l of layers) {
    out.push('');
    const use = layers.length > 1 ? `call ${l.call + 1}: ` : '';
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
    if (l.unknown) {
      out.push(`${use}output shape **unknown**: ${l.unknown}`);
      continue;
    }
    const given = l.inputs
      ? `inputs ${l.inputs.map((i) => `\`${shapeText(i)}\``).join(l.op === 'Add' ? ' + ' : ', ')}`
      : `input \`${shapeText(l.input)}\``;
    out.push(`${use}${given} → output \`${l.output ? shapeText(l.output) : 'not a tensor'}\``);
    if (l.formula.length > 0 && (l.op === 'Cat' || l.op === 'PixelShuffle'))
      out.push('', '```text', ...l.formula, '```');
    else if (l.formula.length > 0) {
      const dims = DIM_NAMES[l.formula.length] ?? [];
      out.push('', '```text', ...l.formula.map((f, i) => `${dims[i] ?? `dim ${i}`}_out = ${f}`), '```');
    }
    const facts: string[] = [];
    if (l.kind === 'module') facts.push(`parameters ${GROUPED.format(l.params)}`);
    if (l.flops > 0) facts.push(`FLOPs ${magnitude(l.flops)} (2 × multiply-adds)`);
    const rf = l.rf;
    facts.push(
      rf && rf.size.length > 0
        ? `receptive field so far ${rf.size.map(fmt).join('×')} input pixels, ${rf.jump.map(fmt).join('×')} apart`
        : 'receptive field: not tracked past this layer',
    );
    out.push('', facts.join(' · '));
  }
  out.push('', footer(model, layers[layers.length - 1].index));
  return out.join('\n');
}

/** The totals up to a record, where the input comes from, and the mode the model is analysed in. */
function footer(model: ModelShapes, upTo: number): string {
  const seen = new Set<unknown>();
  let params = 0;
  let flops = 0;
  for (const l of model.run.layers.slice(0, upTo + 1)) {
    flops += l.flops;
    if (l.kind === 'module' && !seen.has(l.module)) {
      seen.add(l.module);
      params += l.params;
    }
  }
  const source =
    model.inputSource === 'comment'
      ? 'from the `# conv-lens: input` comment'
      : 'set with Conv Lens: Set Model Input Shape';
  return `_${model.model.name} up to here: ${GROUPED.format(params)} parameters, ${magnitude(flops)} FLOPs; input ${inputText(model.input)} (${source}); analysed as in \`model.eval()\`: \`self.training\` is False_`;
}

/** Markdown for several layers (a forward call that runs a block, a helper that builds many layers): a table. */
function describeBlock(at: LayerAt): string {
  const { model, layers } = at;
  const diag = model.run.diagnostic;
  const out: string[] = [];
  const shown = at.at === 'call' ? layers.filter((l) => l.kind === 'module') : layers;
  const rows = shown.length > 0 ? shown : layers;
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (at.at === 'call') {
    const depth = commonDepth(rows);
    const root = first.path !== undefined && depth > 0 ? first.path.split('.').slice(0, depth).join('.') : undefined;
    out.push(
      `**${root ? `\`${root}\`` : 'This call'}** — ${rows.length} layer call${rows.length === 1 ? '' : 's'} (${first.index + 1}–${last.index + 1} of ${model.run.layers.length} in \`${model.model.name}\`)`,
      '',
    );
  } else {
    out.push(
      `**${first.op}** — built here ${new Set(rows.map((l) => l.module)).size} times, ${rows.length} calls in \`${model.model.name}\``,
      '',
    );
  }
  const refused = layers.find((l) => diag && diag.index === l.index);
  if (refused && diag)
    out.push(
      `input \`${shapeText(layers[0].input)}\` → **PyTorch refuses ${recordName(refused)}**`,
      '',
      `> ${diag.torch}`,
      '',
      `**Fix:** ${diag.fix}`,
      '',
    );
  else if (at.at === 'call') {
    const input = layers[0].input;
    out.push(`input \`${shapeText(input)}\` → output \`${last.output ? shapeText(last.output) : 'unknown'}\``, '');
  }
  out.push('| # | layer | input | output |', '|---:|---|---|---|');
  for (const l of rows.slice(0, MAX_ROWS)) {
    const result = diag && diag.index === l.index ? '✗ refused' : l.unknown ? 'unknown' : `\`${shapeText(l.output)}\``;
    out.push(`| ${l.index + 1} | ${escapeCell(recordName(l))} | \`${shapeText(l.input)}\` | ${result} |`);
  }
  if (rows.length > MAX_ROWS) out.push(`| | … ${rows.length - MAX_ROWS} more | | |`);
  const seen = new Set<unknown>();
  let params = 0;
  for (const l of rows)
    if (l.kind === 'module' && !seen.has(l.module)) {
      seen.add(l.module);
      params += l.params;
    }
  const flops = rows.reduce((s, l) => s + l.flops, 0);
  const rf = last.rf;
  out.push(
    '',
    `parameters ${GROUPED.format(params)} · FLOPs ${magnitude(flops)}${rf && rf.size.length > 0 ? ` · receptive field after it ${rf.size.map(fmt).join('×')} input pixels` : ''}`,
    '',
    footer(model, last.index),
  );
  return out.join('\n');
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
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
  /** the layers whose outputs do not fit, and the forward calls that led to the layer */
  readonly related: readonly { readonly range: SourceRange; readonly message: string }[];
}

export function shapeDiagnostics(models: readonly ModelShapes[]): LensDiagnostic[] {
  const out: LensDiagnostic[] = [];
  const seen = new Set<string>();
  for (const m of models) {
    const d = m.run.diagnostic;
    if (!d) continue;
    const l = m.run.layers[d.index];
    if (!l) continue;
    const key = `${l.site.start}:${l.site.end}:${d.torch}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const fixText = d.edit ? d.fix : `${d.why}: ${d.fix}`;
    const related: { range: SourceRange; message: string }[] = [];
    for (const j of l.sources) {
      const src = j >= 0 ? m.run.layers[j] : undefined;
      if (src) {
        // the outermost call in the code whose value is that record's output (`self.enc2(...)`, not its last ReLU)
        const calls = m.run.callSites.filter((c) => c.first <= j && c.end - 1 === j && !c.refused);
        const outer = calls.reduce<(typeof calls)[number] | undefined>(
          (a, c) => (!a || c.end - c.first > a.end - a.first ? c : a),
          undefined,
        );
        const what =
          outer && outer.end - outer.first > 1 && outer.path !== undefined && outer.path !== ''
            ? `\`${outer.path}\``
            : recordName(src);
        related.push({
          range: outer?.site ?? src.callSite ?? src.site,
          message: `${what} gives ${shapeText(src.output)}`,
        });
      } else if (j < 0 && l.fromInput)
        related.push({ range: m.model.range, message: `the model's input ${inputText(m.input)}` });
    }
    // the calls in forward that lead to the refused layer, outermost first
    const chain = m.run.callSites
      .filter((c) => c.first <= d.index && d.index < c.end && c.refused && !sameRange(c.site, l.site))
      .sort((a, b) => a.first - b.first || b.end - a.end);
    for (const c of chain)
      if (!related.some((r) => sameRange(r.range, c.site)))
        related.push({
          range: c.site,
          message:
            c.path === l.path
              ? `the call of ${recordName(l)}`
              : `${c.path !== undefined && c.path !== '' ? `\`${c.path}\`` : 'this call'} runs ${recordName(l)}`,
        });
    const action = /: (set [^:]+)$/.exec(d.fix)?.[1];
    out.push({
      range: l.site,
      message: `${d.torch}\n${fixText} (${recordName(l)}, input ${shapeText(l.input)}, in ${m.model.name})`,
      ...(d.edit
        ? { edit: d.edit, fixTitle: action ? action[0].toUpperCase() + action.slice(1) : `Change to ${d.edit.newText}` }
        : {}),
      related,
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
  if (v instanceof PyFloat) return String(v.v);
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `(${v.map(pythonLiteral).join(', ')})`;
  return typeof v === 'number' ? String(v) : '?';
}

/** A layer's constructor arguments as literals (every one must be), by parameter name. */
export function literalArgs(l: LayerRecord): Map<string, Literal> | undefined {
  if (l.args) return new Map(l.args);
  const args = l.module?.module?.layerArgs;
  if (!args || l.module?.module?.layerProblem) return undefined;
  const out = new Map<string, Literal>();
  const convert = (v: Value): Literal | undefined => {
    if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || v instanceof PyFloat)
      return v;
    if (v instanceof PyList || v instanceof PyTuple) {
      const items = v.items.map(convert);
      return items.every((x) => x !== undefined) ? items : undefined;
    }
    return undefined;
  };
  for (const [k, v] of args) {
    if (k === 'device' || k === 'dtype') continue;
    const c = convert(v);
    if (c === undefined) return undefined;
    out.set(k, c);
  }
  return out;
}

/** How to open the panel on a layer, or why it cannot be opened (not a windowed layer, unknown input). */
export function stepPlan(layer: LayerRecord): StepPlan | { readonly reason: string } {
  const [fam, rank] = family(layer.op);
  const spec = STEP_PARAMS[fam];
  const name = recordName(layer);
  if (!spec) return { reason: `${layer.op} has no sliding window to step through` };
  if (!layer.input || layer.unknown) return { reason: `the input of ${name} is unknown` };
  const args = literalArgs(layer);
  if (!args) return { reason: `the arguments of ${name} are not all known values` };
  if (args.has('kernel_size') === false && (fam === 'MaxPool' || fam === 'AvgPool'))
    return { reason: `${name} has no kernel_size` };
  const input = layer.input.length === rank + 2 ? [1, ...layer.input.slice(1)] : [1, ...layer.input];
  const params = spec.keys
    .filter((k) => args.has(k) && args.get(k) !== null)
    .map((k) => `${k}=${pythonLiteral(args.get(k)!)}`);
  if (fam === 'Conv' || fam === 'ConvTranspose') {
    const inC = args.get('in_channels');
    const outC = args.get('out_channels');
    if (typeof inC !== 'number' || typeof outC !== 'number') return { reason: `the channels of ${name} are not known` };
    const groups = (args.get('groups') as number | undefined) ?? 1;
    const k = args.get('kernel_size');
    const kernel = Array.isArray(k) ? (k as number[]) : new Array<number>(rank).fill(k as number);
    const weightShape = fam === 'Conv' ? [outC, inC / groups, ...kernel] : [inC, outC / groups, ...kernel];
    const bias = fam === 'Conv' && args.get('bias') !== false ? outC : 0;
    return { command: spec.command, inputShape: input, weightShape, biasChannels: bias, params: params.join(', ') };
  }
  return { command: spec.command, inputShape: input, weightShape: null, biasChannels: 0, params: params.join(', ') };
}

export type Fill = 'integers' | 'normal';

/** Seeded random values of `shape`, row-major: integers −2…2 (every product readable) or N(0, 1) to 3 decimals. */
export function randomTensor(shape: readonly number[], fill: Fill, seed: number): Tensor {
  const next = seededRandom(seed);
  const value = (): number => {
    if (fill === 'integers') return Math.floor(next() * 5) - 2;
    // Box–Muller
    const u = Math.max(next(), 1e-12);
    const v = next();
    return Math.round(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * 1000) / 1000;
  };
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = value();
  return { shape: [...shape], data };
}

/** randomTensor as nested lists. */
export function randomNested(shape: readonly number[], fill: Fill, seed: number): unknown[] {
  return shape.length === 0 ? [] : (toNested(randomTensor(shape, fill, seed)) as unknown[]);
}

/** Applies one edit to the source text. */
export function applyEdit(src: string, edit: TextEdit): string {
  return src.slice(0, edit.range.start) + edit.newText + src.slice(edit.range.end);
}
