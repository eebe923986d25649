/**
 * The shape lens for scripts and CI: the `model_shapes` JSON op (through the CLI's line handler) and
 * `conv-lens shapes`, checked against PyTorch's layer calls in test/shapeLens/*.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { answerLineBytes } from '../../src/cli/lines';
import { shapesCommand } from '../../src/cli/shapes';

const DIR = join(__dirname, '..', 'shapeLens');
const WS = join(__dirname, '..', 'integration', 'workspace');
const corpus = JSON.parse(readFileSync(join(DIR, 'corpus.json'), 'utf8')) as Record<
  string,
  {
    models: {
      name: string;
      line: number;
      layers: {
        path: string;
        type: string;
        call: number;
        input_shape: number[] | null;
        output_shape: number[] | null;
      }[];
      output_shapes: number[][];
    }[];
  }
>;

const ask = (request: object) =>
  JSON.parse(
    Buffer.concat(
      answerLineBytes(Buffer.from(JSON.stringify(request)), { limits: {}, maxAnswerBytes: 64 << 20 }),
    ).toString(),
  ) as Record<string, unknown>;

/** Runs `conv-lens shapes …` in-process; returns the exit code and what it printed. */
function shapes(args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: shapesCommand(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('the model_shapes JSON op', () => {
  it('answers in the documented format: one entry per call PyTorch makes to a module with no children', () => {
    const text = readFileSync(join(DIR, 'corpus', 'torchvision_resnet.py'), 'utf8');
    const a = ask({ op: 'model_shapes', text });
    expect(a.ok).toBe(true);
    const models = a.models as {
      name: string;
      line: number;
      input_shapes: number[][];
      output_shapes: number[][];
      layers: Record<string, unknown>[];
      diagnostics: unknown[];
    }[];
    const resnet = models.find((m) => m.name === 'ResNet')!;
    const torch = corpus['torchvision_resnet.py'].models.find((m) => m.name === 'ResNet')!;
    expect(resnet.line).toBe(torch.line);
    expect(resnet.input_shapes).toEqual([[1, 3, 224, 224]]);
    expect(resnet.output_shapes).toEqual(torch.output_shapes);
    expect(resnet.diagnostics).toEqual([]);
    expect(
      resnet.layers.map(({ path, type, call, input_shape, output_shape }) => ({
        path,
        type,
        call,
        input_shape,
        output_shape,
      })),
    ).toEqual(torch.layers);
    expect(Object.keys(resnet.layers[0]).sort()).toEqual([
      'call',
      'input_shape',
      'line',
      'output_shape',
      'path',
      'type',
      'unknown',
    ]);
    const conv1 = resnet.layers[0];
    expect(text.split('\n')[(conv1.line as number) - 1]).toContain('self.conv1 = nn.Conv2d(3, self.inplanes');
    expect(conv1.unknown).toBeNull();
  });

  it('takes the input and the constructor from the request for a named model', () => {
    const text = readFileSync(join(DIR, 'corpus', 'unet_parts.py'), 'utf8');
    const a = ask({
      op: 'model_shapes',
      text,
      model: 'Up',
      input_shapes: [
        [1, 128, 8, 8],
        [1, 64, 16, 16],
      ],
      as: 'Up(128, 64, bilinear=False)',
    });
    const [up] = a.models as { name: string; output_shapes: number[][]; layers: { path: string }[] }[];
    expect(up.name).toBe('Up');
    // the transposed conv halves 128 channels: 64 + 64 go into DoubleConv(128, 64)
    expect(up.layers[0].path).toBe('up');
    expect(up.output_shapes).toEqual([[1, 64, 16, 16]]);
  });

  it('lists a model PyTorch refuses, with the diagnostic by path, and says what is wrong with a request', () => {
    const text = readFileSync(join(WS, 'resnet_lens.py'), 'utf8');
    const [m] = ask({ op: 'model_shapes', text }).models as {
      output_shapes: null;
      diagnostics: Record<string, unknown>[];
    }[];
    expect(m.output_shapes).toBeNull();
    expect(m.diagnostics).toEqual([
      expect.objectContaining({
        path: 'fc',
        line: text.split('\n').findIndex((l) => l.includes('nn.Linear(2048')) + 1,
        torch_error: 'mat1 and mat2 shapes cannot be multiplied (1x512 and 2048x1000)',
        fix: 'in_features=2048 but the previous layer gives 512 features: set in_features=512',
      }),
    ]);
    expect(ask({ op: 'model_shapes' })).toMatchObject({ ok: false, param: 'text', rule: 'missing_field' });
    expect(ask({ op: 'model_shapes', text: '', input_shape: [1, -3] })).toMatchObject({
      ok: false,
      param: 'input_shape',
    });
    expect(ask({ op: 'model_shapes', text: '', model: 'Nope' })).toMatchObject({
      ok: false,
      param: 'model',
      rule: 'not_found',
    });
    expect(ask({ op: 'model_shapes', text: '', extra: 1 })).toMatchObject({
      ok: false,
      param: 'extra',
      rule: 'unknown_field',
    });
    expect(ask({ op: 'model_shapes', text: 'while True:\n    pass\n' })).toEqual({ ok: true, models: [] });
  });
});

describe('conv-lens shapes', () => {
  it('prints a summary per model like torchinfo, and exits 0 when PyTorch accepts every layer', () => {
    const r = shapes([join(DIR, 'corpus', 'torchvision_vgg.py')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^VGG \(.*torchvision_vgg\.py:\d+\) {2}input 1x3x224x224 {2}as VGG\(make_layers\(cfgs\['D'\], batch_norm=True\)\)/,
    );
    expect(r.out).toMatch(/features\.0 \(Conv2d\)\s+1x64x224x224\s+1,792\s+173\.41 M/);
    expect(r.out).toContain('Total params: 138,365,992');
    expect(r.out).toContain('Output: 1x1000');
  });

  it('exits 1 when PyTorch would refuse a layer, with the fix', () => {
    const r = shapes([join(WS, 'resnet_lens.py')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('REFUSED at fc (Linear)');
    expect(r.out).toContain('fix: in_features=2048 but the previous layer gives 512 features: set in_features=512');
  });

  it('--input, --as and --model for a model without a comment; --json; usage errors exit 2', () => {
    const r = shapes([
      join(WS, 'shapes.py'),
      '--model',
      'Looped',
      '--input',
      '1x3x32x32',
      '--as',
      'Looped(16)',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.out) as { models: { name: string; output_shapes: number[][] }[] };
    expect(a.models).toEqual([expect.objectContaining({ name: 'Looped', output_shapes: [[1, 16, 28, 28]] })]);
    expect(shapes([]).code).toBe(2);
    expect(shapes([join(WS, 'nope.py')]).err).toMatch(/cannot read/);
    expect(shapes([join(WS, 'shapes.py'), '--input', '1xtwo']).code).toBe(2);
    expect(shapes([join(WS, 'shapes.py'), '--model', 'Nope']).code).toBe(2);
  });
});
