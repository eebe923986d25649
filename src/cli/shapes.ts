/**
 * `conv-lens shapes model.py [--input 1x3x224x224] [--as "ResNet(BasicBlock, [2, 2, 2, 2])"] [--model NAME] [--json]`
 * and the `model_shapes` JSON op: the shape lens without an editor and without torch, for scripts and CI.
 * Exit 1 when PyTorch would refuse a layer of any model, so a CI job catches a shape bug before training.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { answerModelShapes, modelShapes, parseShapesOption, summaryText } from '../shapeLens/report';

export const SHAPES_HELP = `  conv-lens shapes model.py [--input 1x3x224x224] [--as "ResNet(BasicBlock, [2, 2, 2, 2])"]
                  [--model NAME] [--json]
      Every layer's output shape in the PyTorch models of a Python file, without torch: a summary per
      model (path, type, output shape, parameters, FLOPs). Models with a \`# conv-lens: input …\` comment
      are run; --input/--as give the input (several inputs: --input "1x128x32x32, 1x64x64x64") to the
      model named by --model, or to every model without a comment. Exits 1 if PyTorch would refuse a layer.
      JSON op: {"op": "model_shapes", "text": "<source>", "input_shape": [1, 3, 224, 224], "as": "…", "model": "…"}.
`;

/** The `model_shapes` op of `run` and `eval`. */
export { answerModelShapes };

export function shapesCommand(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    options: {
      input: { type: 'string' },
      as: { type: 'string' },
      model: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) {
    process.stderr.write(
      'conv-lens shapes: give one Python file, e.g. conv-lens shapes model.py --input 1x3x224x224\n',
    );
    return 2;
  }
  const file = positionals[0];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(
      `conv-lens shapes: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`,
    );
    return 2;
  }
  let inputShapes: number[][] | undefined;
  if (values.input !== undefined) {
    try {
      inputShapes = parseShapesOption(values.input);
    } catch (e) {
      process.stderr.write(`conv-lens shapes: --input ${(e as Error).message}\n`);
      return 2;
    }
  }
  const { models, entries } = modelShapes(text, {
    ...(inputShapes ? { inputShapes } : {}),
    ...(values.as !== undefined ? { as: values.as } : {}),
    ...(values.model !== undefined ? { model: values.model } : {}),
  });
  if (values.model !== undefined && models.length === 0) {
    process.stderr.write(`conv-lens shapes: there is no model named ${values.model} in ${file}\n`);
    return 2;
  }
  if (values.json) process.stdout.write(JSON.stringify({ ok: true, models: entries }, null, 2) + '\n');
  else if (models.length === 0)
    process.stdout.write(
      `No model with an input shape in ${file}: add a \`# conv-lens: input 1x3x224x224\` comment above a model, or give --input (and --model).\n`,
    );
  else process.stdout.write(summaryText(models, file));
  return entries.some((m) => m.diagnostics.length > 0) ? 1 : 0;
}
