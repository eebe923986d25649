/**
 * `conv-lens`: the engine from a terminal or a script.
 *   conv-lens run              JSON Lines: one request per line on stdin, one answer per line on stdout
 *   conv-lens eval '<json>'    one request, answer pretty-printed
 *   conv-lens shape …          a shape check from typed shapes, for people
 *   conv-lens inspect FILE     the tensors of a .npy/.npz/.safetensors/PyTorch checkpoint (inspect.ts)
 */
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS, formatBytes } from '../engine/budget';
import { handleRequest, parseShape } from '../engine/requests';
import { encodeToString } from './encode';
import { INSPECT_HELP, inspectCommand } from './inspect';
import { runLines, runOne, type RunOptions } from './run';
import { SHAPES_HELP, shapesCommand } from './shapes';

declare const CONV_LENS_VERSION: string;
const VERSION = typeof CONV_LENS_VERSION === 'string' ? CONV_LENS_VERSION : 'dev';

/** The limits of `run` and `eval` (README "Limits"). */
export const CLI_DEFAULTS = {
  timeoutSeconds: 30,
  maxLineBytes: 256 * 2 ** 20,
  maxAnswerBytes: 512 * 2 ** 20,
} as const;

export const HELP = `conv-lens ${VERSION} — PyTorch-exact convolution, pooling and gradient checks

Usage:
  conv-lens run [limits]
      Reads JSON requests from stdin, one per line, and writes one JSON answer per line, in order.
      Requests mirror torch.nn.functional, e.g.
        {"op": "conv2d", "input": [[[1,2],[3,4]]], "weight": [[[[1]]]], "stride": 1, "padding": 0}
      Ops: conv1d/2d/3d, conv_transpose1d/2d/3d, max_pool1d/2d/3d, avg_pool1d/2d/3d, unfold, fold,
           conv1d/2d/3d_backward, max_pool*/avg_pool*_backward, gradcheck, shape, trace, and parse
           ({"op": "parse", "text": "...", "offset": N}: the matrix literal in a text).
      Answers: {"ok": true, "output": [...], "shape": [...]} or {"ok": false, "error": "...",
      "param": "...", "rule": "..."}. NaN and infinities travel as "NaN", "Infinity", "-Infinity".
      An "id" field in a request is copied into its answer; "timeout_ms" sets that request's time
      limit. Every line gets an answer (a refusal names the field and the rule); exits 0.

  conv-lens eval [limits] '<request JSON>'
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

Limits (run and eval; a request over one is refused at once, naming the estimate and the limit):
  --timeout S            seconds a request may run before it is stopped (default ${CLI_DEFAULTS.timeoutSeconds}; 0: none)
  --max-work N           multiply-adds one request may cost (default ${DEFAULT_LIMITS.maxWork.toExponential(0)})
  --max-bytes N          memory one request may hold at once, in bytes (default ${DEFAULT_LIMITS.maxBytes}, ${formatBytes(DEFAULT_LIMITS.maxBytes)})
  --max-elements N       largest tensor accepted or produced (default ${DEFAULT_LIMITS.maxElements})
  --max-trace-terms N    most terms one trace lists (default ${DEFAULT_LIMITS.maxTraceTerms})
  --max-line-bytes N     longest request line (default ${CLI_DEFAULTS.maxLineBytes}, ${formatBytes(CLI_DEFAULTS.maxLineBytes)})
  --max-answer-bytes N   longest answer line (default ${CLI_DEFAULTS.maxAnswerBytes}, ${formatBytes(CLI_DEFAULTS.maxAnswerBytes)})
`;

const LIMIT_OPTIONS = {
  timeout: { type: 'string' },
  'max-work': { type: 'string' },
  'max-bytes': { type: 'string' },
  'max-elements': { type: 'string' },
  'max-trace-terms': { type: 'string' },
  'max-line-bytes': { type: 'string' },
  'max-answer-bytes': { type: 'string' },
} as const;

/** The run/eval options from the command line, or an error message naming the flag. */
function runOptions(values: Partial<Record<keyof typeof LIMIT_OPTIONS, string>>): RunOptions | string {
  const positive = (flag: keyof typeof LIMIT_OPTIONS, integer: boolean): number | undefined | string => {
    const text = values[flag];
    if (text === undefined) return undefined;
    const v = Number(text);
    if (!(Number.isFinite(v) && v > 0) || (integer && !Number.isInteger(v)))
      return `--${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text.slice(0, 40))}`;
    return v;
  };
  const fields = {
    maxWork: positive('max-work', false),
    maxBytes: positive('max-bytes', true),
    maxElements: positive('max-elements', true),
    maxTraceTerms: positive('max-trace-terms', true),
    maxLineBytes: positive('max-line-bytes', true),
    maxAnswerBytes: positive('max-answer-bytes', true),
  };
  for (const v of Object.values(fields)) if (typeof v === 'string') return v;
  let timeoutSeconds: number = CLI_DEFAULTS.timeoutSeconds;
  if (values.timeout !== undefined) {
    const t = Number(values.timeout);
    if (!(Number.isFinite(t) && t >= 0 && t * 1000 <= 2 ** 31 - 1))
      return `--timeout must be a number of seconds (0 for none), got ${JSON.stringify(values.timeout.slice(0, 40))}`;
    timeoutSeconds = t;
  }
  const n = fields as Record<keyof typeof fields, number | undefined>;
  return {
    limits: {
      maxWork: n.maxWork,
      maxBytes: n.maxBytes,
      maxElements: n.maxElements,
      maxTraceTerms: n.maxTraceTerms,
    },
    maxLineBytes: n.maxLineBytes ?? CLI_DEFAULTS.maxLineBytes,
    maxAnswerBytes: n.maxAnswerBytes ?? CLI_DEFAULTS.maxAnswerBytes,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    // the bundle itself: bin.ts starts the engine thread when it runs as a worker
    threadScript: __filename,
    // tensors from files ({"file": "weights.pt", "name": "conv1.weight"}) wherever a request takes one
    files: true,
  };
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
    process.stdout.write(encodeToString(answer, { indent: 2 }) + '\n');
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
    const { values } = parseArgs({ args: rest, options: LIMIT_OPTIONS, strict: true });
    const options = runOptions(values);
    if (typeof options === 'string') {
      process.stderr.write(`conv-lens run: ${options}\n`);
      return 2;
    }
    return runLines(process.stdin, process.stdout, options);
  }
  if (command === 'eval') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: LIMIT_OPTIONS,
      strict: true,
      allowPositionals: true,
    });
    const options = runOptions(values);
    if (typeof options === 'string' || positionals.length !== 1) {
      process.stderr.write(
        typeof options === 'string'
          ? `conv-lens eval: ${options}\n`
          : 'conv-lens eval: give one request as a JSON argument, e.g. conv-lens eval \'{"op": "shape", ...}\'\n',
      );
      return 2;
    }
    // the answer is this CLI's own JSON (its nesting is bounded), read back to indent it
    const answer = JSON.parse(await runOne(positionals[0], options)) as { ok?: unknown };
    process.stdout.write(encodeToString(answer, { indent: 2 }) + '\n');
    return answer.ok === true ? 0 : 1;
  }
  if (command === 'shape') return shapeCommand(rest);
  if (command === 'inspect') return inspectCommand(rest);
  if (command === 'shapes') return shapesCommand(rest);
  process.stderr.write(`conv-lens: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
  return 2;
}
