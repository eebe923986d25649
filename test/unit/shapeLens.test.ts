import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInputComment, parseModels, type ParsedModel } from '../../src/shapeLens/parseModel';
import { applyEdit, propagate } from '../../src/shapeLens/propagate';

const DIR = join(__dirname, '..', 'shapeLens');
const MODELS = join(DIR, 'models');

interface ExpectedStep {
  kind: 'module' | 'function' | 'method';
  op: string;
  target: string | null;
  shape: number[];
}
interface Expected {
  model: string;
  input: number[];
  steps: ExpectedStep[];
  error: { index: number; op: string; type: string; message: string } | null;
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, Expected>;
const files = readdirSync(MODELS)
  .filter((f) => f.endsWith('.py'))
  .sort();

/** The model of a fixture: the one under the `# conv-lens: input` comment. */
function modelOf(src: string): ParsedModel {
  const withInput = parseModels(src).filter((m) => m.inputShape);
  expect(withInput).toHaveLength(1);
  return withInput[0];
}

const FUNCTION_OPS: Record<string, string> = {
  relu: 'ReLU',
  gelu: 'GELU',
  flatten: 'Flatten',
  view: 'Flatten',
  add: 'Add',
  iadd: 'Add',
  cat: 'Cat',
  elu: 'ELU',
  mish: 'Mish',
  log_softmax: 'LogSoftmax',
  max_pool2d: 'MaxPool2d',
  avg_pool2d: 'AvgPool2d',
  adaptive_avg_pool2d: 'AdaptiveAvgPool2d',
  interpolate: 'Upsample',
};

describe('shape lens against PyTorch (expected.json from generate.py)', () => {
  it('has an expected entry for every model file and at least five clean models', () => {
    expect(Object.keys(expected).sort()).toEqual(files);
    expect(files.filter((f) => expected[f].error === null).length).toBeGreaterThanOrEqual(5);
  });

  for (const file of files) {
    it(`${file}: every step has PyTorch's shape`, () => {
      const src = readFileSync(join(MODELS, file), 'utf8');
      const exp = expected[file];
      const model = modelOf(src);
      expect(model.inputShape).toEqual(exp.input);
      if (model.kind === 'module') expect(model.name).toBe(exp.model);
      const result = propagate(model.steps, model.inputShape!);
      const ops = model.steps.map((s) => s.op);
      const expOps = exp.steps.map((s) => (s.kind === 'module' ? s.op : (FUNCTION_OPS[s.op] ?? s.op)));
      if (exp.error) expOps.push(FUNCTION_OPS[exp.error.op] ?? exp.error.op);
      expect(ops.slice(0, expOps.length)).toEqual(expOps);
      exp.steps.forEach((s, i) => {
        expect(result.layers[i].output, `${file} step ${i} (${s.op})`).toEqual(s.shape);
        if (s.kind === 'module' && model.steps[i].attr !== undefined) expect(model.steps[i].attr).toBe(s.target);
      });
      if (exp.error) {
        expect(result.diagnostic?.index).toBe(exp.error.index);
        expect(result.diagnostic?.torch).toBe(exp.error.message);
        expect(result.layers).toHaveLength(exp.error.index + 1);
        expect(result.output).toBeNull();
      } else {
        expect(result.diagnostic).toBeUndefined();
        expect(result.layers).toHaveLength(exp.steps.length);
        expect(model.steps).toHaveLength(exp.steps.length);
        expect(result.output).toEqual(exp.steps[exp.steps.length - 1].shape);
        expect(result.layers.every((l) => l.unknown === undefined)).toBe(true);
      }
    });
  }
});

describe('diagnostics and fixes', () => {
  const cases: Array<[string, string, string]> = [
    ['mismatch_channels.py', 'in_channels=32 but the previous layer gives 64 channels: set in_channels=64', '64'],
    ['mismatch_linear.py', 'in_features=256 but the previous layer gives 512 features: set in_features=512', '512'],
    ['mismatch_batchnorm.py', 'num_features=32 but the previous layer gives 64 channels: set num_features=64', '64'],
    ['mismatch_prelu.py', 'num_parameters=3 but the previous layer gives 32 channels: set num_parameters=32', '32'],
  ];
  for (const [file, fix, newText] of cases) {
    it(`${file}: the fix and its edit`, () => {
      const src = readFileSync(join(MODELS, file), 'utf8');
      const model = modelOf(src);
      const d = propagate(model.steps, model.inputShape!).diagnostic!;
      expect(d).toBeDefined();
      expect(d.fix).toBe(fix);
      expect(d.edit).toBeDefined();
      expect(d.edit!.newText).toBe(newText);
      // the edit replaces the argument's value on the failing layer's line
      expect(d.edit!.range.line).toBe(d.step.range.line);
      expect(d.edit!.range.start).toBeGreaterThanOrEqual(d.step.range.start);
      expect(d.edit!.range.end).toBeLessThanOrEqual(d.step.range.end);
      const fixed = applyEdit(src, d.edit!);
      const again = modelOf(fixed);
      const r = propagate(again.steps, again.inputShape!);
      expect(r.diagnostic).toBeUndefined();
      expect(r.output).not.toBeNull();
      expect(r.layers.every((l) => l.output !== null)).toBe(true);
    });
  }

  it('mismatch_channels.py: the edit is on `in_channels=32` and the why names the weight', () => {
    const src = readFileSync(join(MODELS, 'mismatch_channels.py'), 'utf8');
    const model = modelOf(src);
    const d = propagate(model.steps, model.inputShape!).diagnostic!;
    expect(d.step.attr).toBe('conv2');
    expect(src.slice(d.edit!.range.start - 'in_channels='.length, d.edit!.range.end)).toBe('in_channels=32');
    expect(d.why).toContain('32');
    const fixed = applyEdit(src, d.edit!);
    expect(propagate(modelOf(fixed).steps, [1, 3, 32, 32]).output).toEqual([1, 10]);
  });

  it('a positional in_channels is edited in place', () => {
    const src = 'import torch.nn as nn\nm = nn.Sequential(nn.Conv2d(3, 16, 3), nn.Conv2d(8, 4, 1))\n';
    const d = propagate(parseModels(src)[0].steps, [1, 3, 8, 8]).diagnostic!;
    expect(d.index).toBe(1);
    expect(applyEdit(src, d.edit!)).toContain('nn.Conv2d(16, 4, 1)');
  });

  it('the first layer says "the input gives"', () => {
    const d = propagate(parseModels('nn.Sequential(nn.Conv1d(2, 4, 3))')[0].steps, [1, 5, 10]).diagnostic!;
    expect(d.fix).toBe('in_channels=2 but the input gives 5 channels: set in_channels=5');
  });

  it('other refusals carry the geometry explanation and no edit', () => {
    const m = parseModels('nn.Sequential(nn.Conv2d(3, 8, 7), nn.ReLU())')[0];
    const r = propagate(m.steps, [1, 3, 4, 4]);
    expect(r.diagnostic?.index).toBe(0);
    expect(r.diagnostic?.torch).toContain("Kernel size can't be greater than actual input size");
    expect(r.diagnostic?.fix).toMatch(/padding/);
    expect(r.diagnostic?.edit).toBeUndefined();
    const p = propagate(parseModels('nn.Sequential(nn.MaxPool2d(2, padding=2))')[0].steps, [1, 3, 8, 8]);
    expect(p.diagnostic?.torch).toContain('pad should be at most half');
    const b = propagate(parseModels('nn.Sequential(nn.BatchNorm2d(3))')[0].steps, [1, 3, 8]);
    expect(b.diagnostic?.torch).toBe('expected 4D input (got 3D input)');
  });

  it('a depthwise conv fed the wrong channels gets no in_channels edit that would break groups', () => {
    const m = parseModels('nn.Sequential(nn.Conv2d(32, 32, 3, groups=32))')[0];
    const d = propagate(m.steps, [1, 48, 8, 8]).diagnostic!;
    expect(d.torch).toContain('expected input[1, 48, 8, 8] to have 32 channels');
    expect(d.edit).toBeUndefined();
  });
});

describe('unknown layers stay unknown', () => {
  it('a non-literal argument makes the layer and everything after it unknown', () => {
    const src = [
      'import torch.nn as nn',
      'c = 3',
      'net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(8, c * 2, 3), nn.ReLU(), nn.Conv2d(6, 4, 1))',
    ].join('\n');
    const m = parseModels(src)[0];
    expect(m.name).toBe('net');
    expect(m.steps.map((s) => s.known)).toEqual([true, false, true, true]);
    expect(m.steps[1].reason).toContain('c * 2');
    const r = propagate(m.steps, [1, 3, 16, 16]);
    expect(r.layers[0].output).toEqual([1, 8, 14, 14]);
    expect(r.layers.slice(1).map((l) => l.output)).toEqual([null, null, null]);
    expect(r.layers.slice(1).every((l) => l.unknown)).toBe(true);
    expect(r.diagnostic).toBeUndefined();
    expect(r.output).toBeNull();
  });

  it('layers built by *args, a loop in __init__, or an unknown module are unknown', () => {
    const src = `
import torch.nn as nn
layers = [nn.Conv2d(3, 3, 3) for _ in range(4)]
a = nn.Sequential(*layers)
b = nn.Sequential(nn.Conv2d(3, 8, 3), nn.LSTM(8, 8), nn.ReLU())

class Loop(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3)
        for i in range(3):
            self.body = nn.Conv2d(8, 8, 3)
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        x = self.stem(x)
        x = self.body(x)
        return self.head(x)

class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        x = self.conv(x)
        if self.training:
            x = x + torch.randn_like(x)
        return self.fc(x)
`;
    const models = parseModels(src);
    const byName = new Map(models.map((m) => [m.name, m]));
    const a = byName.get('a')!;
    expect(a.steps).toHaveLength(1);
    expect(a.steps[0].known).toBe(false);
    const b = byName.get('b')!;
    expect(b.steps.map((s) => [s.op, s.known])).toEqual([
      ['Conv2d', true],
      ['LSTM', false],
      ['ReLU', true],
    ]);
    expect(propagate(b.steps, [1, 3, 8, 8]).layers.map((l) => l.output)).toEqual([[1, 8, 6, 6], null, null]);

    const loop = byName.get('Loop')!;
    expect(loop.steps.map((s) => [s.attr, s.known])).toEqual([
      ['stem', true],
      ['body', false],
      ['head', true],
    ]);
    expect(loop.steps[1].reason).toContain('loop');
    expect(propagate(loop.steps, [1, 3, 16, 16]).layers.map((l) => l.output)).toEqual([[1, 8, 14, 14], null, null]);

    // a statement inside a branch that changes the value: unknown from there on, never a guess
    const res = byName.get('Branchy')!;
    expect(res.steps.map((s) => s.op)).toEqual(['Conv2d', '?']);
    expect(res.steps[1].known).toBe(false);
    expect(res.steps[1].reason).toContain('inside a loop or a branch');
    const r = propagate(res.steps, [1, 8, 4, 4]);
    expect(r.layers[0].output).toEqual([1, 8, 4, 4]);
    expect(r.layers[1].output).toBeNull();
  });

  it('no input shape: every layer is unknown', () => {
    const m = parseModels('nn.Sequential(nn.ReLU(), nn.Conv2d(1, 1, 1))')[0];
    expect(m.inputShape).toBeUndefined();
    const r = propagate(m.steps, null);
    expect(r.layers.map((l) => l.output)).toEqual([null, null]);
  });
});

describe('parser details', () => {
  it('records constructor name, literal args, keywords and exact source ranges', () => {
    const src =
      "x = 1\n# conv-lens: input 1x3x224x224\nnet = torch.nn.Sequential(\n    torch.nn.Conv2d(3, 64, kernel_size=(3, 5), padding='same', bias=False),\n    nn.Upsample(scale_factor=2.5, mode=None),\n)\n";
    const [m] = parseModels(src);
    expect(m.inputShape).toEqual([1, 3, 224, 224]);
    const [conv, up] = m.steps;
    expect(conv.op).toBe('Conv2d');
    expect(conv.args.map((a) => a.value)).toEqual([3, 64]);
    expect(conv.kwargs.map((a) => [a.name, a.value])).toEqual([
      ['kernel_size', [3, 5]],
      ['padding', 'same'],
      ['bias', false],
    ]);
    expect(src.slice(conv.range.start, conv.range.end)).toBe(
      "torch.nn.Conv2d(3, 64, kernel_size=(3, 5), padding='same', bias=False)",
    );
    expect(conv.range.line).toBe(3);
    for (const a of [...conv.args, ...conv.kwargs]) expect(src.slice(a.range.start, a.range.end)).toBe(a.text);
    expect(up.kwargs.map((a) => [a.name, a.value])).toEqual([
      ['scale_factor', 2.5],
      ['mode', null],
    ]);
    expect(propagate(m.steps, m.inputShape!).output).toEqual([1, 64, 560, 560]);
    // PyTorch floors: Upsample(scale_factor=2.5) on 5x5 gives 12x12 (checked with torch 1.13)
    expect(propagate(m.steps.slice(1), [1, 3, 5, 5]).output).toEqual([1, 3, 12, 12]);
  });

  it('reads input comments', () => {
    expect(parseInputComment('# conv-lens: input 1x3x224x224')).toEqual([1, 3, 224, 224]);
    expect(parseInputComment('#conv-lens: input 8 x 1 x 16000')).toEqual([8, 1, 16000]);
    expect(parseInputComment('# input 1x3')).toBeUndefined();
    // a comment separated from the model by code does not belong to it
    const src = '# conv-lens: input 1x3x8x8\ny = 2\nm = nn.Sequential(nn.ReLU())\n';
    expect(parseModels(src)[0].inputShape).toBeUndefined();
  });

  it('strings, comments and docstrings do not confuse the tokenizer', () => {
    const src = [
      'import torch.nn as nn',
      "s = 'nn.Sequential(nn.Conv2d(1, 2, 3))'",
      '"""nn.Sequential(',
      'nn.Conv2d(1, 2, 3))"""',
      '# nn.Sequential(nn.ReLU())',
      'm = nn.Sequential(  # a comment (with brackets',
      '    nn.Conv2d(1, 2, 3),  # ) ]',
      ')',
    ].join('\n');
    const models = parseModels(src);
    expect(models).toHaveLength(1);
    expect(models[0].steps.map((s) => s.op)).toEqual(['Conv2d']);
  });
});

describe('formula, parameters, FLOPs, receptive field', () => {
  const src = readFileSync(join(MODELS, 'resnet_chain.py'), 'utf8');
  const model = modelOf(src);
  const r = propagate(model.steps, model.inputShape!);

  it('conv1 of ResNet-18', () => {
    const conv1 = r.layers[0];
    expect(conv1.step.attr).toBe('conv1');
    expect(conv1.formula).toEqual([
      'floor((224 + 2·3 − 1·(7 − 1) − 1) / 2) + 1 = 112',
      'floor((224 + 2·3 − 1·(7 − 1) − 1) / 2) + 1 = 112',
    ]);
    expect(conv1.params).toBe(64 * 3 * 7 * 7);
    expect(conv1.flops).toBe(2 * 64 * 112 * 112 * 3 * 7 * 7);
    expect(conv1.receptiveField).toEqual({ size: [7, 7], jump: [2, 2] });
  });

  it('receptive field grows through the pool and the blocks', () => {
    const at = (attr: string) => r.layers.find((l) => l.step.attr === attr)!;
    expect(at('maxpool').receptiveField).toEqual({ size: [11, 11], jump: [4, 4] });
    expect(at('l1_conv1').receptiveField).toEqual({ size: [19, 19], jump: [4, 4] });
    expect(at('l1_conv2').receptiveField).toEqual({ size: [27, 27], jump: [4, 4] });
    expect(at('l2_conv1').receptiveField).toEqual({ size: [35, 35], jump: [8, 8] });
    expect(at('l2_conv2').receptiveField).toEqual({ size: [51, 51], jump: [8, 8] });
    expect(at('bn1').params).toBe(128);
    expect(at('fc').params).toBe(128 * 1000 + 1000);
    expect(at('fc').flops).toBe(2 * 128 * 1000);
    expect(at('fc').receptiveField).toBeNull();
  });

  it('depthwise conv counts parameters per group', () => {
    const mb = modelOf(readFileSync(join(MODELS, 'mobilenet_block.py'), 'utf8'));
    const layers = propagate(mb.steps, mb.inputShape!).layers;
    expect(layers[0].params).toBe(32 * 1 * 9);
    expect(layers[0].flops).toBe(2 * 32 * 56 * 56 * 9);
    expect(layers[3].params).toBe(64 * 32);
  });
});

describe('a large file', () => {
  it('parses a 5,000-line Python file', () => {
    const block = (i: number) => `
# conv-lens: input 1x3x32x32
class Net${i}(nn.Module):
    """Model ${i}."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 8 * 8, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(x.size(0), -1)
        return self.fc(x)

seq${i} = nn.Sequential(
    nn.Conv1d(1, 8, 5, stride=2), nn.ReLU(),
    nn.AdaptiveAvgPool1d(4), nn.Flatten(), nn.Linear(32, ${(i % 7) + 1}),
)
def helper_${i}(a, b=[1, 2, 3], *args, **kw):
    return {"k": a, 's': 'x(y', 'n': 1e-5}
`;
    let text = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n';
    let count = 0;
    while (text.split('\n').length < 5000) text += block(count++);
    expect(text.split('\n').length).toBeGreaterThanOrEqual(5000);
    const models = parseModels(text);
    expect(models).toHaveLength(2 * count);
    const net = models.find((m) => m.name === 'Net0')!;
    expect(net.steps.map((s) => s.op)).toEqual([
      'Conv2d',
      'ReLU',
      'MaxPool2d',
      'Conv2d',
      'ReLU',
      'MaxPool2d',
      'Flatten',
      'Linear',
    ]);
    // `32 * 8 * 8` is not a literal: the Linear stays unknown
    const r = propagate(net.steps, net.inputShape!);
    expect(r.layers[6].output).toEqual([1, 2048]);
    expect(r.layers[7].output).toBeNull();
    const seq = models.find((m) => m.name === `seq${count - 1}`)!;
    expect(propagate(seq.steps, [2, 1, 100]).output).toEqual([2, ((count - 1) % 7) + 1]);
  });
});
