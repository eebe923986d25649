/**
 * `conv-lens`: the engine from a terminal or a script.
 *   conv-lens run              JSON Lines: one request per line on stdin, one answer per line on stdout
 *   conv-lens eval '<json>'    one request, answer pretty-printed
 *   conv-lens shape …          a shape check from typed shapes, for people
 *   conv-lens inspect FILE     the tensors of a .npy/.npz/.safetensors/PyTorch checkpoint (inspect.ts)
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { handleRequest, parseShape, type Answer, type RequestLimits } from '../engine/requests';
import { answerParse } from './parseRequest';
import { INSPECT_HELP, fileTensorResolver, inspectCommand } from './inspect';
import { DEFAULT_MAX_ELEMENTS } from '../engine/tensor';
import { answerModelShapes, SHAPES_HELP, shapesCommand } from './shapes';

declare const CONV_LENS_VERSION: string;
const VERSION = typeof CONV_LENS_VERSION === 'string' ? CONV_LENS_VERSION : 'dev';

export const HELP = `conv-lens ${VERSION} — PyTorch-exact convolution, pooling and gradient checks

Usage:
  conv-lens run [--max-elements N]
      Reads JSON requests from stdin, one per line, and writes one JSON answer per line.
      Requests mirror torch.nn.functional, e.g.
        {"op": "conv2d", "input": [[[1,2],[3,4]]], "weight": [[[[1]]]], "stride": 1, "padding": 0}
      Ops: conv1d/2d/3d, conv_transpose1d/2d/3d, max_pool1d/2d/3d, avg_pool1d/2d/3d, unfold, fold,
           conv1d/2d/3d_backward, max_pool*/avg_pool*_backward, gradcheck, shape, trace, and parse
           ({"op": "parse", "text": "...", "offset": N}: the matrix literal in a text).
      Answers: {"ok": true, "output": [...], "shape": [...]} or {"ok": false, "error": "...",
      "param": "...", "rule": "..."}. NaN and infinities travel as "NaN", "Infinity", "-Infinity".
      An "id" field in a request is copied into its answer. Exits 0 once every line is answered.

  conv-lens eval '<request JSON>'
      Answers one request and prints the answer indented. Exits 1 if the request was refused.

  conv-lens shape --input 1x3x224x224 --weight 64x3x7x7 [--op conv2d] [--stride 2] [--padding 3]
                  [--dilation 1] [--groups 1] [--output-padding 0] [--kernel-size 3] [--ceil-mode]
                  [--json]
      Output shape and the formula per dim, or PyTorch's error with what to change. --op defaults to
      the conv matching the weight's rank (or max_pool when --kernel-size is given without --weight).
      Per-dim values: --stride 2,1. Padding may be 'same' or 'valid'.

${INSPECT_HELP}
${SHAPES_HELP}
  conv-lens --help | --version

Options:
  --max-elements N   largest tensor accepted or produced (default ${DEFAULT_MAX_ELEMENTS})
`;

/** JSON with the numbers JSON cannot spell written as strings. */
export function encodeAnswer(answer: Answer, indent?: number): string {
  return JSON.stringify(
    answer,
    (_key, value) => {
      if (typeof value === 'number' && !Number.isFinite(value))
        return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
      return value;
    },
    indent,
  );
}

export function answerLine(line: string, limits: RequestLimits): string {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return encodeAnswer({
      ok: false,
      error: `the line is not valid JSON (${reason}): send one JSON object per line`,
      param: 'request',
      rule: 'json',
    });
  }
  if (
    request !== null &&
    typeof request === 'object' &&
    !Array.isArray(request) &&
    (request as { op?: unknown }).op === 'parse'
  ) {
    return encodeAnswer(answerParse(request as Record<string, unknown>, limits.maxElements));
  }
  if (typeof request === 'object' && request !== null && (request as { op?: unknown }).op === 'model_shapes')
    return encodeAnswer(answerModelShapes(request));
  return encodeAnswer(handleRequest(request, limits));
}

async function run(limits: RequestLimits): Promise<number> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    const answer = answerLine(line, limits);
    if (!process.stdout.write(answer + '\n')) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
  return 0;
}

function perDim(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  if (value === 'same' || value === 'valid') return value;
  const parts = value.split(/[,x×]/).map((p) => p.trim());
  if (parts.every((p) => /^-?\d+$/.test(p))) return parts.length === 1 ? Number(parts[0]) : parts.map(Number);
  return value;
}

function shapeCommand(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: {
      op: { type: 'string' },
      input: { type: 'string' },
      weight: { type: 'string' },
      stride: { type: 'string' },
      padding: { type: 'string' },
      dilation: { type: 'string' },
      groups: { type: 'string' },
      'output-padding': { type: 'string' },
      'kernel-size': { type: 'string' },
      'ceil-mode': { type: 'boolean' },
      'padding-mode': { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  if (!values.input) {
    process.stderr.write('conv-lens shape: --input is required, e.g. --input 1x3x224x224\n');
    return 2;
  }
  let inputShape: number[];
  let weightShape: number[] | undefined;
  try {
    inputShape = parseShape(values.input, '--input');
    weightShape = values.weight ? parseShape(values.weight, '--weight') : undefined;
  } catch (e) {
    process.stderr.write(`conv-lens shape: ${(e as Error).message}\n`);
    return 2;
  }
  const op =
    values.op ??
    (weightShape
      ? `conv${Math.min(3, Math.max(1, weightShape.length - 2))}d`
      : `max_pool${Math.min(3, Math.max(1, inputShape.length - 2))}d`);
  const request: Record<string, unknown> = { op: 'shape', of: op, input_shape: inputShape };
  if (weightShape) request.weight_shape = weightShape;
  const put = (key: string, value: unknown) => {
    if (value !== undefined) request[key] = value;
  };
  put('stride', perDim(values.stride));
  put('padding', perDim(values.padding));
  put('dilation', perDim(values.dilation));
  put('groups', perDim(values.groups));
  put('output_padding', perDim(values['output-padding']));
  put('kernel_size', perDim(values['kernel-size']));
  put('padding_mode', values['padding-mode']);
  if (values['ceil-mode']) request.ceil_mode = true;
  const answer = handleRequest(request);
  if (values.json) {
    process.stdout.write(encodeAnswer(answer, 2) + '\n');
    return answer.ok ? 0 : 1;
  }
  if (!answer.ok) {
    process.stderr.write(`${op}: PyTorch would refuse this.\n  ${answer.torch_error ?? answer.error}\n`);
    if (answer.why) process.stderr.write(`  why: ${answer.why}\n  fix: ${answer.fix}\n`);
    return 1;
  }
  const shape = answer.shape as number[];
  const formula = answer.formula as { dim: number; text: string }[];
  const names =
    formula.length === 1 ? ['width'] : formula.length === 2 ? ['height', 'width'] : ['depth', 'height', 'width'];
  process.stdout.write(`${op} output shape: ${shape.join('x')}  (${JSON.stringify(shape)})\n`);
  for (const f of formula) process.stdout.write(`  ${names[f.dim].padEnd(6)} ${f.text}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command === 'run') {
    const { values } = parseArgs({ args: rest, options: { 'max-elements': { type: 'string' } }, strict: true });
    const max = values['max-elements'] === undefined ? undefined : Number(values['max-elements']);
    if (max !== undefined && !(Number.isInteger(max) && max > 0)) {
      process.stderr.write('conv-lens run: --max-elements must be a positive integer\n');
      return 2;
    }
    return run({ maxElements: max, resolveTensor: fileTensorResolver() });
  }
  if (command === 'eval') {
    if (rest.length !== 1) {
      process.stderr.write(
        'conv-lens eval: give one request as a JSON argument, e.g. conv-lens eval \'{"op": "shape", ...}\'\n',
      );
      return 2;
    }
    const line = answerLine(rest[0], { resolveTensor: fileTensorResolver() });
    process.stdout.write(JSON.stringify(JSON.parse(line), null, 2) + '\n');
    return JSON.parse(line).ok ? 0 : 1;
  }
  if (command === 'shape') return shapeCommand(rest);
  if (command === 'inspect') return inspectCommand(rest);
  if (command === 'shapes') return shapesCommand(rest);
  process.stderr.write(`conv-lens: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
  return 2;
}
