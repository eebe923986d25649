/**
 * The shape lens's interpreter against PyTorch: every layer call of a corpus of public model files
 * (test/shapeLens/corpus, kept verbatim apart from their `# conv-lens:` comments) and of the lens's own
 * fixtures (test/shapeLens/models), as generate.py recorded them with forward hooks in PyTorch 1.13; then
 * the interpreter's Python, piece by piece, and what it refuses to guess.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeModels, applyEdit, shapeDiagnostics, type ModelShapes } from '../../src/shapeLens/analyze';
import { ModelAnalyzer, parseInputComment, parseInputSpec } from '../../src/shapeLens/models';
import { parseChunk } from '../../src/shapeLens/parser';
import { rescanChunks, scanChunks, tokenize } from '../../src/shapeLens/tokenizer';

const DIR = join(__dirname, '..', 'shapeLens');

interface ExpectedLayer {
  path: string;
  type: string;
  call: number;
  input_shape: number[] | null;
  output_shape: number[] | null;
}
interface ExpectedModel {
  name: string;
  line: number;
  input_shapes: number[][];
  as: string | null;
  layers: ExpectedLayer[];
  output_shapes: (number[] | null)[] | null;
  error: { type: string; message: string; path: string | null } | null;
}
type Expected = Record<string, { models: ExpectedModel[] }>;

const read = (...p: string[]) => readFileSync(join(DIR, ...p), 'utf8');
const corpus = JSON.parse(read('corpus.json')) as Expected;
const fixtures = JSON.parse(read('expected.json')) as Expected;

interface Tally {
  total: number;
  correct: number;
  wrong: string[];
  unknown: number;
}

/** Compares every layer call of a file's models with PyTorch's; returns the tally. */
function compare(dir: string, file: string, expected: { models: ExpectedModel[] }, tally: Tally): ModelShapes[] {
  const models = analyzeModels(read(dir, file));
  for (const e of expected.models) {
    const m = models.find((x) => x.model.name === e.name);
    expect(m, `${file}: the lens finds ${e.name}`).toBeDefined();
    expect(m!.model.range.line + 1, `${file} ${e.name}: line`).toBe(e.line);
    expect(m!.input?.shapes).toEqual(e.input_shapes);
    const ours = new Map(m!.run.layers.filter((l) => l.leaf && !l.refused).map((l) => [`${l.path}#${l.call}`, l]));
    for (const x of e.layers) {
      tally.total++;
      const key = `${x.path}#${x.call}`;
      const o = ours.get(key);
      ours.delete(key);
      if (!o || o.unknown) {
        tally.unknown++;
        continue;
      }
      const same =
        o.op === x.type &&
        JSON.stringify(o.input) === JSON.stringify(x.input_shape) &&
        JSON.stringify(o.output) === JSON.stringify(x.output_shape);
      if (same) tally.correct++;
      else
        tally.wrong.push(
          `${file} ${e.name} ${key}: ${o.op} ${JSON.stringify(o.input)} → ${JSON.stringify(o.output)}, PyTorch ${x.type} ${JSON.stringify(x.input_shape)} → ${JSON.stringify(x.output_shape)}`,
        );
    }
    // a call PyTorch does not make, shown with a shape, would be a wrong answer too
    for (const [k, o] of ours) if (!o.unknown) tally.wrong.push(`${file} ${e.name} ${k}: a call PyTorch does not make`);
    // the order of the calls is PyTorch's
    const order = m!.run.layers.filter((l) => l.leaf && !l.refused && !l.unknown).map((l) => `${l.path}#${l.call}`);
    const expectedOrder = e.layers.map((x) => `${x.path}#${x.call}`).filter((k) => order.includes(k));
    expect(order, `${file} ${e.name}: call order`).toEqual(expectedOrder);
    if (e.error) {
      const d = m!.run.diagnostic;
      expect(d?.torch, `${file} ${e.name}: PyTorch's error`).toBe(e.error.message);
      const refused = m!.run.layers[d!.index];
      if (e.error.path && refused.kind === 'module') expect(refused.path).toBe(e.error.path);
    } else {
      expect(m!.run.diagnostic, `${file} ${e.name}: no refusal of a model PyTorch runs`).toBeUndefined();
      if (m!.run.outputs) expect(m!.run.outputs, `${file} ${e.name}: outputs`).toEqual(e.output_shapes);
    }
  }
  return models;
}

describe('the public corpus against PyTorch (corpus.json from generate.py)', () => {
  const sources = JSON.parse(read('corpus', 'sources.json')) as {
    file: string;
    repo: string;
    path: string;
    sha256: string;
  }[];
  const files = readdirSync(join(DIR, 'corpus'))
    .filter((f) => f.endsWith('.py'))
    .sort();

  it('has at least 15 public files, each verbatim apart from its # conv-lens: comments', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
    expect(sources.map((s) => s.file).sort()).toEqual(files);
    expect(Object.keys(corpus).sort()).toEqual(files);
    for (const s of sources) {
      const text = read('corpus', s.file).replace(/^[ \t]*# conv-lens:[^\n]*\n/gm, '');
      expect(createHash('sha256').update(text).digest('hex'), `${s.file} (${s.repo} ${s.path})`).toBe(s.sha256);
    }
  });

  const tally: Tally = { total: 0, correct: 0, wrong: [], unknown: 0 };
  for (const file of files) {
    it(`${file}: every layer call as PyTorch makes it`, () => {
      compare('corpus', file, corpus[file], tally);
    });
  }
  it('knows at least 90% of the layer calls, every one of them right, and refuses no model PyTorch runs', () => {
    expect(tally.total).toBeGreaterThanOrEqual(2000);
    expect(tally.wrong).toEqual([]);
    expect(tally.correct / tally.total).toBeGreaterThanOrEqual(0.9);
    // the figure in the README
    expect(`${tally.correct}/${tally.total}`).toBe('2349/2349');
  });
});

describe("the lens's own fixtures against PyTorch (expected.json)", () => {
  const files = readdirSync(join(DIR, 'models'))
    .filter((f) => f.endsWith('.py'))
    .sort();
  const tally: Tally = { total: 0, correct: 0, wrong: [], unknown: 0 };
  for (const file of files) {
    it(`${file}: layer calls, outputs and PyTorch's refusal`, () => {
      compare('models', file, fixtures[file], tally);
      expect(tally.wrong).toEqual([]);
      expect(tally.unknown).toBe(0);
    });
  }
});

describe('the two cases that used to give wrong shapes', () => {
  it('a multi-line docstring inside forward: every step after it is followed', () => {
    const src = `import torch.nn as nn
# conv-lens: input 1x3x32x32
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        """Two steps.

        The lens must not read this as the end of forward.
        """
        x = self.conv(x)
        return self.pool(x)
`;
    const [m] = analyzeModels(src);
    expect(m.run.layers.map((l) => [l.path, l.output])).toEqual([
      ['conv', [1, 8, 30, 30]],
      ['pool', [1, 8, 15, 15]],
    ]);
    expect(m.run.outputs).toEqual([[1, 8, 15, 15]]);
  });

  it('add_module after construction: the added layer is called, and the shapes after it are right', () => {
    const src = `import torch.nn as nn
class Features(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU())
        self.features.add_module('pool', nn.MaxPool2d(2))
        self.head = nn.Linear(16 * 16 * 16, 10)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))
`;
    const [m] = analyzeModels(src, () => ({ shapes: [[1, 3, 32, 32]] }));
    expect(m.run.layers.filter((l) => l.leaf).map((l) => [l.path, l.output])).toEqual([
      ['features.0', [1, 16, 32, 32]],
      ['features.1', [1, 16, 32, 32]],
      ['features.pool', [1, 16, 16, 16]],
      ['head', [1, 10]],
    ]);
    expect(m.run.diagnostic).toBeUndefined();
  });

  it('the tokenizer: the line after a multi-line string keeps its indent', () => {
    const t = tokenize('class A:\n    """doc\n    more"""\n    x = 1\n');
    expect(t.lines.map((l) => l.indent)).toEqual([0, 4, 4]);
    expect(t.lines.map((l) => l.line)).toEqual([0, 1, 3]);
  });
});

/** The model `name` of `src` run on `shapes` (or its comment). */
function run(src: string, name?: string, spec?: string): ModelShapes {
  const models = analyzeModels(
    src,
    spec ? (n) => (name === undefined || n === name ? parseInputSpec(spec) : undefined) : undefined,
  );
  const m = name ? models.find((x) => x.model.name === name) : models[models.length - 1];
  expect(m, name).toBeDefined();
  return m!;
}
const leaves = (m: ModelShapes) =>
  m.run.layers.filter((l) => l.leaf).map((l) => `${l.path}:${l.output?.join('x') ?? l.unknown}`);

const HEAD =
  'import math\nimport functools\nfrom collections import OrderedDict\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n';

describe('constructors as Python', () => {
  it('literals and arithmetic, locals, parameters with defaults, class attributes, self state across helpers', () => {
    const m = run(
      `${HEAD}
class Block(nn.Module):
    expansion = 4
    def __init__(self, inplanes, planes, stride=1, base_width=64):
        super().__init__()
        width = int(planes * (base_width / 64.)) * 1
        self.conv = nn.Conv2d(inplanes, width * self.expansion, kernel_size=3, stride=stride, padding=stride // 2 + 1 % 2)
    def forward(self, x):
        return self.conv(x)

class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.inplanes = 16
        self.a = self._make(8)
        self.b = self._make(4, stride=2)
        self.fc = nn.Linear(max(16, self.inplanes) * 2 ** 0, num_classes)
    def _make(self, planes, stride=1):
        layer = Block(self.inplanes, planes, stride)
        self.inplanes = planes * Block.expansion
        return layer
    def forward(self, x):
        x = self.b(self.a(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).view(x.size(0), -1))
`,
      'Net',
      '2x16x8x8',
    );
    expect(leaves(m)).toEqual(['a.conv:2x32x8x8', 'b.conv:2x16x5x5', 'fc:2x10']);
  });

  it('lists, dicts and indexing, for over range/zip/enumerate, if/elif/else, comprehensions, append/extend/+=', () => {
    const m = run(
      `${HEAD}
cfg = {'A': [8, 'M', 16], 'B': [8, 8, 'M']}
def make(cfg, bn=False):
    layers, c = [], 3
    for i, v in enumerate(cfg):
        if v == 'M':
            layers += [nn.MaxPool2d(2)]
        elif bn:
            layers.extend([nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v)])
            c = v
        else:
            layers.append(nn.Conv2d(c, v, 3, padding=1))
            c = v
    return nn.Sequential(*layers)
widths = [w * 2 for w in range(1, 3) if w > 0]
# conv-lens: input 1x3x16x16
model = nn.Sequential(make(cfg['A']), *[nn.Conv2d(a, b, 1) for a, b in zip([16, 2], widths)])
`,
    );
    expect(leaves(m)).toEqual(['0.0:1x8x16x16', '0.1:1x8x8x8', '0.2:1x16x8x8', '1:1x2x8x8', '2:1x4x8x8']);
  });

  it('*args and **kwargs, inheritance in the file, classes in variables, functools.partial, module-level helpers', () => {
    const m = run(
      `${HEAD}
def conv3x3(i, o, **kw):
    return nn.Conv2d(i, o, 3, padding=1, **kw)
class Base(nn.Module):
    def __init__(self, *channels, norm=nn.BatchNorm2d):
        super().__init__()
        self.convs = nn.ModuleList([conv3x3(a, b, bias=False) for a, b in zip(channels, channels[1:])])
        self.norm = norm(channels[-1])
    def forward(self, x):
        for c in self.convs:
            x = c(x)
        return self.norm(x)
class Child(Base):
    def __init__(self):
        Norm = functools.partial(nn.GroupNorm, 2)
        super().__init__(3, 4, 8, norm=Norm)
`,
      'Child',
      '1x3x8x8',
    );
    expect(leaves(m)).toEqual(['convs.0:1x4x8x8', 'convs.1:1x8x8x8', 'norm:1x8x8x8']);
  });
});

describe('containers', () => {
  it('Sequential(OrderedDict), ModuleDict, Sequential subclasses, nested custom blocks, slicing', () => {
    const m = run(
      `${HEAD}
class Stage(nn.Sequential):
    def __init__(self, c):
        super().__init__(OrderedDict([('conv', nn.Conv2d(c, c * 2, 3, stride=2, padding=1)), ('act', nn.ReLU())]))
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stages = nn.Sequential(Stage(4), Stage(8), Stage(16))
        self.heads = nn.ModuleDict({'cls': nn.Linear(32, 5), 'box': nn.Linear(32, 4)})
    def forward(self, x):
        x = self.stages[:2](x)
        x = self.stages[-1](x)
        x = x.mean([2, 3])
        return self.heads['cls'](x), self.heads['box'](x)
`,
      'Net',
      '1x4x32x32',
    );
    expect(leaves(m)).toEqual([
      'stages.0.conv:1x8x16x16',
      'stages.0.act:1x8x16x16',
      'stages.1.conv:1x16x8x8',
      'stages.1.act:1x16x8x8',
      'stages.2.conv:1x32x4x4',
      'stages.2.act:1x32x4x4',
      'heads.cls:1x5',
      'heads.box:1x4',
    ]);
    expect(m.run.outputs).toEqual([
      [1, 5],
      [1, 4],
    ]);
  });

  it('a shared module keeps its first path, and each call is counted', () => {
    const m = run(
      `${HEAD}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.ReLU()
        self.block = nn.Sequential(nn.Conv2d(2, 2, 1), self.act)
    def forward(self, x):
        return self.act(self.block(self.act(x)))
`,
      'Net',
      '1x2x4x4',
    );
    expect(m.run.layers.filter((l) => l.leaf).map((l) => `${l.path}#${l.call}`)).toEqual([
      'act#0',
      'block.0#0',
      'act#1',
      'act#2',
    ]);
  });
});

describe('forward as dataflow', () => {
  it('helper methods, tuple unpacking, x.size(i), x.shape[i], view with computed sizes, chunk, split, cat, *, pixel_shuffle', () => {
    const m = run(
      `${HEAD}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 16, 3, padding=1)
        self.up = nn.PixelShuffle(2)
    def halves(self, x):
        a, b = x.chunk(2, dim=1)
        return a, b
    def forward(self, x):
        n, c, h, w = x.size()
        a, b = self.halves(self.conv(x))
        y = torch.cat([a * 2, b], 1)
        p, q = torch.split(y, [12, 4], dim=1)
        z = self.up(p.view(x.size(0), -1, x.shape[2], h))
        return F.pixel_shuffle(z, 1).reshape(n, -1)
`,
      'Net',
      '2x4x6x6',
    );
    expect(leaves(m)).toEqual(['conv:2x16x6x6', 'up:2x3x12x12']);
    expect(m.run.outputs).toEqual([[2, 432]]);
  });

  it('if on known values, loops over a ModuleList, super().forward(x), self.training is False', () => {
    const m = run(
      `${HEAD}
class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Conv2d(3, 3, 3, padding=1) for _ in range(3)])
        self.drop = nn.Dropout()
    def forward(self, x):
        for i, b in enumerate(self.blocks):
            if i % 2 == 0:
                x = b(x)
        if self.training:
            x = self.drop(x)
        return x
class Net(Base):
    def forward(self, x):
        return F.max_pool2d(super().forward(x), 2)
`,
      'Net',
      '1x3x8x8',
    );
    expect(leaves(m)).toEqual(['blocks.0:1x3x8x8', 'blocks.2:1x3x8x8']);
    expect(m.run.readTraining).toBe(true);
    expect(m.run.outputs).toEqual([[1, 3, 4, 4]]);
  });

  it('several inputs from the comment, one per forward argument', () => {
    const src = `${HEAD}
# conv-lens: input 1x8x4x4, 1x4x8x8
class Up(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.conv = nn.Conv2d(8, 2, 1)
    def forward(self, x1, x2):
        return self.conv(torch.cat([x2, self.up(x1)], dim=1))
`;
    const m = run(src, 'Up');
    expect(m.input?.shapes).toEqual([
      [1, 8, 4, 4],
      [1, 4, 8, 8],
    ]);
    expect(leaves(m)).toEqual(['up:1x4x8x8', 'conv:1x2x8x8']);
  });
});

describe('input comments and specs', () => {
  it('reads shapes joined by x or ×, several inputs, and the constructor call after as', () => {
    expect(parseInputComment('# conv-lens: input 1x3x224x224')).toEqual({ shapes: [[1, 3, 224, 224]] });
    expect(parseInputComment('#conv-lens: input 8 × 1 × 16000')).toEqual({ shapes: [[8, 1, 16000]] });
    expect(parseInputComment('# conv-lens: input 1x128x32x32, 1x64x64x64')).toEqual({
      shapes: [
        [1, 128, 32, 32],
        [1, 64, 64, 64],
      ],
    });
    expect(parseInputComment('# conv-lens: input 1x3x224x224 as ResNet(BasicBlock, [2, 2, 2, 2])')).toEqual({
      shapes: [[1, 3, 224, 224]],
      as: 'ResNet(BasicBlock, [2, 2, 2, 2])',
    });
    expect(parseInputComment('# conv-lens: input (1, 3, 32, 32)')).toEqual({ shapes: [[1, 3, 32, 32]] });
    expect(parseInputComment('# input 1x3')).toBeUndefined();
    expect(() => parseInputSpec('1x0x3')).toThrow(/size 0/);
    expect(() => parseInputSpec('1x3 as ')).toThrow();
    expect(() => parseInputSpec('big')).toThrow(/not a shape/);
  });

  it('a comment separated from the model by code does not belong to it; a class with defaults needs no as', () => {
    const src = `${HEAD}# conv-lens: input 1x3x8x8\ny = 2\nclass M(nn.Module):\n    def forward(self, x):\n        return x\n`;
    expect(analyzeModels(src)[0].input).toBeNull();
  });

  it('a class that needs arguments and has no as: unknown, saying what to add', () => {
    const m = run(
      `${HEAD}# conv-lens: input 1x3x8x8\nclass M(nn.Module):\n    def __init__(self, width):\n        super().__init__()\n`,
      'M',
    );
    expect(m.run.unknown).toMatch(/M\(\) needs arguments \('width'\).*as M\(…\)/);
  });
});

describe('never guess', () => {
  it('an unknown import, a branch on data, a value from the command line: unknown with the reason, and what follows too', () => {
    const src = `${HEAD}
import argparse
from .blocks import Fancy
args = argparse.ArgumentParser().parse_args()
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3)
        self.b = nn.Conv2d(8, args.width, 3)
        self.c = Fancy(8)
        self.d = nn.Conv2d(8, 8, 1)
    def forward(self, x):
        x = self.a(x)
        if x.sum() > 0:
            x = x * 2
        return self.d(self.b(x))
`;
    const m = run(src, 'Net', '1x3x16x16');
    const byPath = new Map(m.run.layers.filter((l) => l.kind === 'module').map((l) => [l.path, l]));
    expect(byPath.get('a')?.output).toEqual([1, 8, 14, 14]);
    // after the branch on the data, x itself is unknown: nothing after it gets a shape
    expect(byPath.get('b')?.unknown).toMatch(/x.sum\(\) > 0/);
    expect(byPath.get('d')?.output).toBeNull();
    expect(m.run.outputs).toBeNull();
    const direct = run(src.replace('        if x.sum() > 0:\n            x = x * 2\n', ''), 'Net', '1x3x16x16');
    expect(direct.run.layers.find((l) => l.path === 'b')?.unknown).toMatch(/command line/);
    // the class from another file is not registered: PyTorch would have its own layers there
    expect(direct.run.layers.some((l) => l.path?.startsWith('c'))).toBe(false);
  });

  it('while True: and runaway recursion stop on the budget, with the reason, quickly', () => {
    const t = performance.now();
    const loop = run(
      `${HEAD}\nclass Net(nn.Module):\n    def forward(self, x):\n        while True:\n            x = x + 1\n`,
      'Net',
      '1x3',
    );
    expect(loop.run.unknown).toMatch(/stopped after 200,000 steps/);
    const deep = run(
      `${HEAD}\ndef f(n):\n    return f(n + 1)\nclass Net(nn.Module):\n    def forward(self, x):\n        return f(0)\n`,
      'Net',
      '1x3',
    );
    expect(deep.run.unknown).toMatch(/nest deeper than/);
    const moduleLoop = analyzeModels(
      `${HEAD}\nwhile True:\n    pass\n# conv-lens: input 1x3x4x4\nm = nn.Sequential(nn.ReLU())\n`,
    );
    expect(moduleLoop[0].run.outputs).toEqual([[1, 3, 4, 4]]);
    expect(performance.now() - t).toBeLessThan(5_000);
  });

  it('huge sizes and deep nesting in the file cost a moment, never the editor', () => {
    const t = performance.now();
    const big = run(
      `${HEAD}\nclass Net(nn.Module):\n    def forward(self, x):\n        s = '%1000000000d' % 1 + f'{1:1000000000}' + 'a'.zfill(10**9)\n        return [0] * 10**9\n`,
      'Net',
      '1x3',
    );
    expect(big.run.unknown).toMatch(/stopped after/);
    const deep = analyzeModels(
      `${HEAD}\n# conv-lens: input 1x3x4x4\nm = nn.Sequential(nn.ReLU())\nx = ${'('.repeat(5000)}1${')'.repeat(5000)}\n`,
    );
    expect(deep[0].run.outputs).toEqual([[1, 3, 4, 4]]);
    expect(performance.now() - t).toBeLessThan(5_000);
  });

  it('a syntax error in one method hides only what depends on it', () => {
    const src = `${HEAD}
# conv-lens: input 1x3x8x8
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
    def broken(self):
        return (1 +
    def forward(self, x):
        return self.conv(x)
`;
    expect(run(src, 'Net').run.outputs).toEqual([[1, 4, 6, 6]]);
  });
});

describe('diagnostics and fixes', () => {
  const cases: [string, string, string][] = [
    ['mismatch_channels.py', 'in_channels=32 but the previous layer gives 64 channels: set in_channels=64', '64'],
    ['mismatch_linear.py', 'in_features=256 but the previous layer gives 512 features: set in_features=512', '512'],
    ['mismatch_batchnorm.py', 'num_features=32 but the previous layer gives 64 channels: set num_features=64', '64'],
    ['mismatch_prelu.py', 'num_parameters=3 but the previous layer gives 32 channels: set num_parameters=32', '32'],
  ];
  for (const [file, fix, newText] of cases) {
    it(`${file}: the fix and its edit repair the model`, () => {
      const src = read('models', file);
      const [m] = analyzeModels(src);
      const d = m.run.diagnostic!;
      expect(d.fix).toBe(fix);
      expect(d.edit?.newText).toBe(newText);
      const site = m.run.layers[d.index].site;
      expect(d.edit!.range.start).toBeGreaterThanOrEqual(site.start);
      expect(d.edit!.range.end).toBeLessThanOrEqual(site.end);
      const [again] = analyzeModels(applyEdit(src, d.edit!));
      expect(again.run.diagnostic).toBeUndefined();
      expect(again.run.outputs).not.toBeNull();
    });
  }

  it('the message names the layer by its named_modules() path and links the layer that fed it', () => {
    const src = readFileSync(join(__dirname, '..', 'integration', 'workspace', 'resnet_lens.py'), 'utf8');
    const models = analyzeModels(src);
    const [d] = shapeDiagnostics(models);
    expect(src.slice(d.range.start, d.range.end)).toBe('nn.Linear(2048, num_classes)');
    expect(d.message).toContain('mat1 and mat2 shapes cannot be multiplied (1x512 and 2048x1000)');
    expect(d.message).toContain('fc (Linear)');
    expect(d.fixTitle).toBe('Set in_features=512');
    expect(d.related.map((r) => src.slice(r.range.start, r.range.end))).toContain('torch.flatten(x, 1)');
    const fixed = analyzeModels(applyEdit(src, d.edit!));
    expect(shapeDiagnostics(fixed)).toEqual([]);
    expect(fixed.find((m) => m.model.name === 'ResNet')!.run.outputs).toEqual([[1, 1000]]);
  });

  it('no edit when the argument is not a literal written for this one layer', () => {
    const src = `${HEAD}
def conv(i, o):
    return nn.Conv2d(i, o, 3, padding=1)
# conv-lens: input 1x3x8x8
m = nn.Sequential(conv(3, 8), conv(4, 8))
`;
    const [model] = analyzeModels(src);
    expect(model.run.diagnostic?.fix).toBe('in_channels=4 but the previous layer gives 8 channels: set in_channels=8');
    expect(model.run.diagnostic?.edit).toBeUndefined();
  });

  it('the first layer says "the input gives"', () => {
    const [m] = analyzeModels(
      'import torch.nn as nn\n# conv-lens: input 1x5x10\nm = nn.Sequential(nn.Conv1d(2, 4, 3))\n',
    );
    expect(m.run.diagnostic?.fix).toBe('in_channels=2 but the input gives 5 channels: set in_channels=5');
  });

  it("view with the wrong sizes is refused in PyTorch's words", () => {
    const m = run(
      `${HEAD}\nclass M(nn.Module):\n    def forward(self, x):\n        return x.view(x.size(0), 100)\n`,
      'M',
      '2x3x4x4',
    );
    expect(m.run.diagnostic?.torch).toBe("shape '[2, 100]' is invalid for input of size 96");
  });
});

describe('the file as the editor sees it', () => {
  it('splits a file into top-level statements, decorators and else branches with theirs', () => {
    const src = 'import x\n\n# c\n@dec\nclass A:\n    pass\nif a:\n    pass\nelse:\n    pass\n';
    const chunks = scanChunks(src).map((c) => src.slice(c.start, c.end));
    expect(chunks).toEqual(['import x\n', '\n# c\n@dec\nclass A:\n    pass\n', 'if a:\n    pass\nelse:\n    pass\n']);
  });

  it('rescans only around an edit, and finds the same chunks as a scan of the whole text', () => {
    const sources = ['torchvision_googlenet.py', 'cifar_resnet.py', 'examples_vae.py'].map((f) => read('corpus', f));
    const pieces = [
      '\n',
      '    ',
      '"""',
      "'",
      '(',
      ')',
      '[',
      '#',
      '\\\n',
      'class A:\n',
      '@d\n',
      'else:\n',
      'x',
      ' = 1\n',
      '',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sources.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 30 }), fc.constantFrom(...pieces)), { minLength: 1, maxLength: 8 }),
        (which, edits) => {
          let text = sources[which];
          let chunks = scanChunks(text);
          for (const [at, cut, insert] of edits) {
            const i = at % (text.length + 1);
            const next = text.slice(0, i) + insert + text.slice(i + cut);
            chunks = rescanChunks(text, chunks, next);
            text = next;
            expect(chunks).toEqual(scanChunks(text));
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('parses every file of the corpus without a syntax error', () => {
    for (const f of readdirSync(join(DIR, 'corpus')).filter((x) => x.endsWith('.py'))) {
      const src = read('corpus', f);
      for (const c of scanChunks(src)) {
        const p = parseChunk(src.slice(c.start, c.end));
        const errors = JSON.stringify(p.body).match(/"k":"error"/g);
        expect(errors, f).toBeNull();
      }
    }
  });

  it('re-analyses an edited file: untouched models keep their runs, touched ones are run again', () => {
    const src = read('corpus', 'torchvision_resnet.py');
    const a = new ModelAnalyzer();
    const first = a.analyze(src);
    const edited = src.replace('def resnet18(pretrained=False', 'def resnet18(pretrained=True');
    const second = a.analyze(edited);
    expect(second.map((r) => r.layers)).toEqual(first.map((r) => r.layers));
    expect(second[2].layers[0]).toBe(first[2].layers[0]);
    // a change in the model's own code runs it again
    const third = a.analyze(edited.replace('self.inplanes = 64', 'self.inplanes = 32'));
    expect(third[2]).not.toBe(second[2]);
    expect(third[2].layers[0].output).toEqual([1, 32, 112, 112]);
    // moved by an edit above: same shapes, ranges moved with the text
    const moved = a.analyze(`# a new first line\n${edited}`);
    expect(moved[2].layers.map((l) => l.output)).toEqual(first[2].layers.map((l) => l.output));
    expect(moved[2].layers[0].site.start).toBe(first[2].layers[0].site.start + '# a new first line\n'.length);
    expect(moved[2].layers[0].site.line).toBe(first[2].layers[0].site.line + 1);
  });

  it('parses and runs a 5,000-line file', () => {
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
    let text = HEAD;
    let count = 0;
    while (text.split('\n').length < 5000) text += block(count++);
    const models = analyzeModels(text, (n) => (n.startsWith('seq') ? { shapes: [[2, 1, 100]] } : undefined));
    expect(models).toHaveLength(2 * count);
    expect(models.find((m) => m.model.name === 'Net0')!.run.outputs).toEqual([[1, 10]]);
    expect(models.find((m) => m.model.name === `seq${count - 1}`)!.run.outputs).toEqual([[2, ((count - 1) % 7) + 1]]);
  });
});
