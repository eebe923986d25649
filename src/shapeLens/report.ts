/**
 * The shape lens for scripts and people outside the editor: the `model_shapes` answer (one entry per call
 * PyTorch makes to a module with no children, in call order, named by its named_modules() path) and a
 * summary per model like torchinfo's. The CLI (src/cli/shapes.ts) reads files and prints; this is pure.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */
import {
  analyzeModels,
  inputText,
  magnitude,
  recordName,
  shapeDiagnostics,
  shapeText,
  type ModelShapes,
} from './analyze';
import { formatInputSpec, parseInputSpec } from './models';

export interface ModelShapesOptions {
  /** the input to run with: one shape (`[1, 3, 224, 224]`) or one per forward argument */
  readonly inputShapes?: readonly (readonly number[])[];
  /** how to build the model: `ResNet(BasicBlock, [2, 2, 2, 2])` */
  readonly as?: string;
  /** only this model; the input and `as` apply to it even when it has an input comment */
  readonly model?: string;
}

export interface LayerEntry {
  readonly path: string;
  readonly type: string;
  /** 1-based line of the layer's constructor */
  readonly line: number;
  readonly call: number;
  readonly input_shape: readonly number[] | null;
  readonly output_shape: readonly number[] | null;
  readonly unknown: string | null;
}

export interface DiagnosticEntry {
  readonly path: string;
  readonly line: number;
  readonly message: string;
  readonly torch_error: string;
  readonly fix: string;
}

export interface ModelEntry {
  readonly name: string;
  readonly line: number;
  readonly input_shapes: readonly (readonly number[])[] | null;
  readonly output_shapes: readonly (readonly number[] | null)[] | null;
  readonly layers: readonly LayerEntry[];
  readonly diagnostics: readonly DiagnosticEntry[];
}

export type ModelShapesAnswer =
  | { readonly ok: true; readonly models: readonly ModelEntry[] }
  | { readonly ok: false; readonly error: string; readonly param: string; readonly rule: string };

/**
 * The models of `text` that have an input (a comment, or the options), run as PyTorch would run them.
 * The options' input and `as` apply to the model named by `model`, or, without it, to every model that
 * has no input comment of its own.
 */
export function modelShapes(
  text: string,
  options: ModelShapesOptions = {},
): { models: ModelShapes[]; entries: ModelEntry[] } {
  const adjusted = analyzeModels(text, (name, info) => {
    const target = options.model !== undefined ? name === options.model : !info?.inputSpec;
    if (!target) return undefined;
    const shapes = options.inputShapes ?? info?.inputSpec?.shapes;
    if (!shapes) return undefined;
    const as = options.as ?? info?.inputSpec?.as;
    return { shapes, ...(as ? { as } : {}) };
  }).filter((m) => (options.model !== undefined ? m.model.name === options.model : m.input !== null));
  const diagnostics = shapeDiagnostics(adjusted);
  const entries = adjusted.map((m): ModelEntry => {
    const run = m.run;
    return {
      name: m.model.name,
      line: m.model.range.line + 1,
      input_shapes: m.input ? m.input.shapes : null,
      output_shapes: run.outputs,
      layers: run.layers
        .filter((l) => l.leaf || (l.refused && l.kind === 'module'))
        .map((l) => ({
          path: l.path ?? '',
          type: l.op,
          line: l.site.line + 1,
          call: l.call,
          input_shape: l.input,
          output_shape: l.refused ? null : l.output,
          unknown: l.unknown ?? (l.refused ? `PyTorch refuses this call: ${run.diagnostic?.torch ?? ''}` : null),
        })),
      diagnostics: run.diagnostic
        ? [
            {
              path: run.layers[run.diagnostic.index]?.path ?? run.layers[run.diagnostic.index]?.op ?? '',
              line: (run.layers[run.diagnostic.index]?.site.line ?? m.model.range.line) + 1,
              message:
                diagnostics.find((d) => d.range === run.layers[run.diagnostic!.index]?.site)?.message ??
                run.diagnostic.torch,
              torch_error: run.diagnostic.torch,
              fix: run.diagnostic.fix,
            },
          ]
        : [],
    };
  });
  return { models: adjusted, entries };
}

/** The JSON op: `{"op": "model_shapes", "text": "…", "input_shape": [1, 3, 224, 224]?, "as": "…"?, "model": "…"?}`. */
export function answerModelShapes(body: object): ModelShapesAnswer {
  const request = body as Record<string, unknown>;
  const refuse = (param: string, rule: string, error: string): ModelShapesAnswer => ({ ok: false, error, param, rule });
  const known = new Set(['op', 'id', 'text', 'input_shape', 'input_shapes', 'as', 'model']);
  for (const k of Object.keys(request))
    if (!known.has(k))
      return refuse(
        k,
        'unknown_field',
        `model_shapes has no field "${k}" (fields: text, input_shape, input_shapes, as, model)`,
      );
  const text = request.text;
  if (typeof text !== 'string')
    return refuse('text', text === undefined ? 'missing_field' : 'type', 'text must be the Python source, as a string');
  if (text.length > 5_000_000)
    return refuse('text', 'size_limit', `text has ${text.length} characters, over the limit of 5,000,000`);
  const isShape = (v: unknown): v is number[] =>
    Array.isArray(v) && v.length > 0 && v.length <= 8 && v.every((d) => Number.isInteger(d) && (d as number) > 0);
  let shapes: number[][] | undefined;
  if (request.input_shape !== undefined) {
    if (!isShape(request.input_shape))
      return refuse(
        'input_shape',
        'type',
        'input_shape must be a list of 1 to 8 positive integers, e.g. [1, 3, 224, 224]',
      );
    shapes = [request.input_shape];
  }
  if (request.input_shapes !== undefined) {
    if (shapes) return refuse('input_shapes', 'type', 'give input_shape or input_shapes, not both');
    if (
      !Array.isArray(request.input_shapes) ||
      request.input_shapes.length === 0 ||
      !request.input_shapes.every(isShape)
    )
      return refuse(
        'input_shapes',
        'type',
        'input_shapes must be a list of shapes, e.g. [[1, 128, 32, 32], [1, 64, 64, 64]]',
      );
    shapes = request.input_shapes;
  }
  if (request.as !== undefined && (typeof request.as !== 'string' || request.as.trim() === ''))
    return refuse('as', 'type', 'as must be the constructor call, e.g. "ResNet(BasicBlock, [2, 2, 2, 2])"');
  if (request.model !== undefined && typeof request.model !== 'string')
    return refuse('model', 'type', 'model must be a class or variable name');
  const { entries } = modelShapes(text, {
    ...(shapes ? { inputShapes: shapes } : {}),
    ...(typeof request.as === 'string' ? { as: request.as.trim() } : {}),
    ...(typeof request.model === 'string' ? { model: request.model } : {}),
  });
  if (typeof request.model === 'string' && entries.length === 0) {
    const names = analyzeModels(text).map((m) => m.model.name);
    return refuse(
      'model',
      'not_found',
      `there is no model named ${request.model} (found: ${names.join(', ') || 'none'})`,
    );
  }
  return { ok: true, models: entries };
}

/** Parses `--input 1x3x224x224` (or several shapes) for the CLI. */
export function parseShapesOption(text: string): number[][] {
  return parseInputSpec(text).shapes.map((s) => [...s]);
}

const GROUPED = new Intl.NumberFormat('en-US');

/** A torchinfo-like table per model: path (type), output shape, parameters, FLOPs; then totals and problems. */
export function summaryText(models: readonly ModelShapes[], file: string): string {
  const out: string[] = [];
  for (const m of models) {
    const run = m.run;
    const head = `${m.model.name} (${file}:${m.model.range.line + 1})  input ${m.input ? inputText(m.input).replace(/×/g, 'x') : 'none'}${m.input?.as ? `  as ${m.input.as}` : ''}`;
    out.push(head, '='.repeat(Math.min(100, Math.max(60, head.length))));
    const rows = run.layers.filter((l) => l.leaf || l.refused);
    const name = (l: (typeof rows)[number]) =>
      `${l.path !== undefined && l.path !== '' ? l.path : l.op} (${l.op})${l.call > 0 ? ` #${l.call + 1}` : ''}`;
    const w = Math.min(56, Math.max(24, ...rows.map((l) => name(l).length + 2)));
    out.push(`${'Layer (type)'.padEnd(w)}${'Output shape'.padEnd(22)}${'Param #'.padStart(14)}${'FLOPs'.padStart(12)}`);
    out.push('-'.repeat(w + 48));
    const seen = new Set<unknown>();
    let params = 0;
    let flops = 0;
    for (const l of rows) {
      const first = !seen.has(l.module);
      seen.add(l.module);
      if (first) params += l.params;
      flops += l.flops;
      const shape = l.refused
        ? 'REFUSED'
        : l.unknown
          ? 'unknown'
          : l.output
            ? shapeText(l.output).replace(/×/g, 'x')
            : 'not a tensor';
      const p = first ? GROUPED.format(l.params) : '(shared)';
      out.push(
        `${name(l).padEnd(w)}${shape.padEnd(22)}${p.padStart(14)}${(l.flops > 0 ? magnitude(l.flops) : '-').padStart(12)}`,
      );
      if (l.unknown) out.push(`${''.padEnd(4)}unknown: ${l.unknown}`);
    }
    out.push('-'.repeat(w + 48));
    out.push(
      `Layer calls: ${rows.length}`,
      `Total params: ${GROUPED.format(params)}`,
      `Total FLOPs: ${magnitude(flops)}`,
    );
    if (run.diagnostic) {
      const l = run.layers[run.diagnostic.index];
      out.push(
        `REFUSED at ${l ? recordName(l) : 'a layer'} (line ${(l?.site.line ?? 0) + 1}): ${run.diagnostic.torch}`,
        `  fix: ${run.diagnostic.fix}`,
      );
    } else if (!run.outputs) out.push(`Output: unknown${run.unknown ? ` (${run.unknown})` : ''}`);
    else
      out.push(`Output: ${run.outputs.map((s) => (s ? shapeText(s).replace(/×/g, 'x') : 'not a tensor')).join(', ')}`);
    out.push('');
  }
  return out.join('\n');
}

export { formatInputSpec };
