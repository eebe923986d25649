/**
 * What the editor shows for the sample files of the editor tests (test/integration/workspace/shapes.py and
 * resnet_lens.py): hints, hover, diagnostic and quick fix, the plan for stepping through a layer. The shapes
 * are checked against test/shapeLens/workspace.json, which generate.py writes by running the models in PyTorch.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyzeModels,
  applyEdit,
  describeLayer,
  layerAt,
  randomNested,
  ShapeAnalyzer,
  shapeDiagnostics,
  shapeHints,
  shapeText,
  stepPlan,
  type ModelShapes,
} from '../../src/shapeLens/analyze';

const WS = join(__dirname, '..', 'integration', 'workspace');
const SRC = readFileSync(join(WS, 'shapes.py'), 'utf8');
const RESNET = readFileSync(join(WS, 'resnet_lens.py'), 'utf8');
interface Run {
  input_shapes: number[][];
  layers: { path: string; type: string; call: number; input_shape: number[] | null; output_shape: number[] | null }[];
  output_shapes: number[][] | null;
  error: { message: string; path: string | null } | null;
}
const TORCH = JSON.parse(readFileSync(join(__dirname, '..', 'shapeLens', 'workspace.json'), 'utf8')) as Record<
  string,
  Run
>;

const model = (models: readonly ModelShapes[], name: string): ModelShapes => {
  const m = models.find((c) => c.model.name === name);
  expect(m, name).toBeDefined();
  return m!;
};
/** the hint just after the first occurrence of `text` (after `from`) */
const hintAfter = (src: string, models: readonly ModelShapes[], text: string, from = 0) => {
  const end = src.indexOf(text, from) + text.length;
  return shapeHints(models).find((h) => h.offset === end);
};
const label = (src: string, models: readonly ModelShapes[], text: string, from = 0) =>
  hintAfter(src, models, text, from)?.label;
const leafShapes = (m: ModelShapes) => m.run.layers.filter((l) => l.leaf && !l.refused).map((l) => [l.path, l.output]);
const torchShapes = (r: Run) => r.layers.map((l) => [l.path, l.output_shape]);
/** what a run shows, without the interpreter's objects (for comparing two analyses) */
const plain = (ms: readonly ModelShapes[]) =>
  ms.map((m) => ({
    name: m.model.name,
    range: m.model.range,
    input: m.input,
    outputs: m.run.outputs,
    unknown: m.run.unknown,
    diagnostic: m.run.diagnostic,
    layers: m.run.layers.map(({ module, ...rest }) => (void module, rest)),
    calls: m.run.callSites.map(({ module, ...rest }) => (void module, rest)),
  }));

describe('the shape lens on the editor sample, against PyTorch', () => {
  const models = analyzeModels(SRC);

  it('runs every model with an input comment as PyTorch runs it', () => {
    for (const name of ['BuggyNet', 'exact', 'tiny', 'stem']) {
      const m = model(models, name);
      const torch = TORCH[name];
      expect(m.input?.shapes).toEqual(torch.input_shapes);
      expect(m.inputSource).toBe('comment');
      expect(leafShapes(m)).toEqual(torchShapes(torch));
      if (torch.error) {
        expect(m.run.diagnostic?.torch).toBe(torch.error.message);
        expect(m.run.layers[m.run.diagnostic!.index].path).toBe(torch.error.path);
      } else {
        expect(m.run.diagnostic).toBeUndefined();
        expect(m.run.outputs).toEqual(torch.output_shapes);
      }
    }
  });

  it('puts one hint after each layer, with its output; groups, dilation, same padding and ceil_mode exact', () => {
    const exact = TORCH.exact.layers.map((s) => `→ ${shapeText(s.output_shape)}`);
    expect(label(SRC, models, "padding='same', dilation=2, groups=4)")).toBe(exact[0]);
    expect(label(SRC, models, 'nn.MaxPool2d(kernel_size=2, ceil_mode=True)')).toBe(exact[2]);
    expect(label(SRC, models, 'output_padding=1)')).toBe(exact[3]);
    // the shared pool is called twice; the second call comes after the refusal, so one shape
    expect(label(SRC, models, 'nn.MaxPool2d(2, 2)')).toBe(`→ ${shapeText(TORCH.BuggyNet.layers[1].output_shape)}`);
    expect(label(SRC, models, 'nn.Conv2d(in_channels=32, out_channels=128, kernel_size=3, padding=1)')).toBe(
      '→ ✗ refused',
    );
    // F.relu inside a forward expression keeps its input's shape: no hint in the middle of the expression
    expect(label(SRC, models, 'F.relu(self.conv1(x))')).toBeUndefined();
    // no hints for a model without an input shape, nor after the refused layer
    expect(label(SRC, models, 'nn.Conv1d(1, 16, kernel_size=9, stride=4)')).toBeUndefined();
    expect(label(SRC, models, 'nn.BatchNorm2d(128)')).toBeUndefined();
  });

  it("flags the first mismatch in PyTorch's words, named by its path, and its quick fix repairs the whole model", () => {
    const [d, ...rest] = shapeDiagnostics(models);
    expect(rest).toHaveLength(0);
    expect(SRC.slice(d.range.start, d.range.end)).toBe(
      'nn.Conv2d(in_channels=32, out_channels=128, kernel_size=3, padding=1)',
    );
    expect(d.message).toContain(TORCH.BuggyNet.error!.message);
    expect(d.message).toContain('in_channels=32 but the previous layer gives 64 channels: set in_channels=64');
    expect(d.message).toContain('conv2 (Conv2d)');
    expect(d.fixTitle).toBe('Set in_channels=64');
    // the related link goes to the call that fed it: self.pool(...) in forward
    expect(SRC.slice(d.related[0].range.start, d.related[0].range.end)).toBe('self.pool(F.relu(self.conv1(x)))');
    expect(d.related[0].message).toBe(`pool (MaxPool2d) gives ${shapeText(TORCH.BuggyNet.layers[1].output_shape)}`);
    const fixed = applyEdit(SRC, d.edit!);
    expect(fixed).toContain('nn.Conv2d(in_channels=64, out_channels=128');
    const after = analyzeModels(fixed);
    expect(shapeDiagnostics(after)).toEqual([]);
    const buggy = model(after, 'BuggyNet');
    expect(leafShapes(buggy)).toEqual(torchShapes(TORCH['BuggyNet after the quick fix']));
    expect(buggy.run.outputs).toEqual(TORCH['BuggyNet after the quick fix'].output_shapes);
  });

  it('a remembered input wins over the comment and fills a model without one', () => {
    const remembered = analyzeModels(SRC, (name) =>
      name === 'encoder' ? { shapes: [[1, 1, 16000]] } : name === 'exact' ? { shapes: [[1, 8, 9, 9]] } : undefined,
    );
    const encoder = model(remembered, 'encoder');
    expect(encoder.inputSource).toBe('remembered');
    expect(leafShapes(encoder)).toEqual(torchShapes(TORCH.encoder));
    expect(model(remembered, 'exact').inputSource).toBe('remembered');
    expect(model(remembered, 'exact').input?.shapes).toEqual([[1, 8, 9, 9]]);
  });

  it('a constructor that needs an argument: unknown, saying how to give it; with it, every layer is known', () => {
    const looped = model(
      analyzeModels(SRC, (n) => (n === 'Looped' ? { shapes: [[1, 3, 32, 32]] } : undefined)),
      'Looped',
    );
    expect(looped.run.outputs).toBeNull();
    expect(looped.run.unknown).toMatch(/Looped\(\) needs arguments \('width'\)/);
    const built = model(
      analyzeModels(SRC, (n) => (n === 'Looped' ? { shapes: [[1, 3, 32, 32]], as: 'Looped(16)' } : undefined)),
      'Looped',
    );
    expect(built.run.outputs).toEqual([[1, 16, 28, 28]]);
  });

  it('hovers a layer with the formula filled in, parameters, FLOPs, the receptive field and the eval-mode note', () => {
    const at = layerAt(models, SRC.indexOf("padding='same', dilation=2"));
    expect(at?.layers.map((l) => l.index)).toEqual([0]);
    const md = describeLayer(at!);
    expect(md).toContain('**Conv2d** `0` — call 1 of 4 in `exact`');
    expect(md).toContain('input `2×8×15×15` → output `2×16×15×15`');
    // padding='same' with dilation 2 and a 3-tap kernel pads 2 on each side
    expect(md).toMatch(/H_out = floor\(\(15 \+ 2·2 − 2·\(3 − 1\) − 1\) \/ 1\) \+ 1 = 15/);
    // 16 × (8/4) × 3 × 3 weights + 16 biases; 2 × (2·16·15·15 outputs) × (2·3·3 taps)
    expect(md).toContain('parameters 304');
    expect(md).toContain('FLOPs 259.2 k');
    expect(md).toContain('receptive field so far 5×5 input pixels, 1×1 apart');
    expect(md).toContain('analysed as in `model.eval()`: `self.training` is False');
    // a layer used twice lists both calls
    const fixed = analyzeModels(SRC.replace('in_channels=32', 'in_channels=64'));
    const pool = layerAt(fixed, SRC.indexOf('nn.MaxPool2d(2, 2)') + 3)!;
    expect(pool.layers.map((l) => l.output)).toEqual([
      [1, 64, 16, 16],
      [1, 128, 8, 8],
    ]);
    expect(describeLayer(pool)).toContain('calls 3, 7 of ');
    // the refused layer: PyTorch's words and the fix, once
    const refused = describeLayer(layerAt(models, SRC.indexOf('in_channels=32'))!);
    expect(refused).toContain('input `1×64×16×16` → **PyTorch refuses it**');
    expect(refused).toContain(`> ${TORCH.BuggyNet.error!.message}`);
    expect(refused).toContain('**Fix:** in_channels=32 but the previous layer gives 64 channels: set in_channels=64');
  });

  it("plans a step-through with the layer's own arguments in the parameter box's syntax", () => {
    const exact = model(models, 'exact').run.layers;
    expect(stepPlan(exact[0])).toEqual({
      command: 'convLens.convolve',
      inputShape: [1, 8, 15, 15],
      weightShape: [16, 2, 3, 3],
      biasChannels: 16,
      params: "padding='same', dilation=2, groups=4",
    });
    expect(stepPlan(exact[1])).toEqual({ reason: 'ReLU has no sliding window to step through' });
    expect(stepPlan(exact[2])).toMatchObject({
      command: 'convLens.maxPool',
      weightShape: null,
      params: 'kernel_size=2, ceil_mode=True',
    });
    expect(stepPlan(exact[3])).toMatchObject({
      command: 'convLens.transposedConvolution',
      inputShape: [1, 16, 8, 8],
      weightShape: [16, 4, 3, 3],
      params: 'stride=2, padding=1, output_padding=1',
    });
  });

  it('fills step-through operands reproducibly: integers in −2…2, or normal values', () => {
    const a = randomNested([2, 3, 4], 'integers', 7) as number[][][];
    expect(a).toEqual(randomNested([2, 3, 4], 'integers', 7));
    expect(a).not.toEqual(randomNested([2, 3, 4], 'integers', 8));
    const flat = a.flat(2);
    expect(flat).toHaveLength(24);
    expect(flat.every((v) => Number.isInteger(v) && v >= -2 && v <= 2)).toBe(true);
    const n = randomNested([2000], 'normal', 1) as number[];
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const sd = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(sd - 1)).toBeLessThan(0.1);
  });
});

describe('a torchvision-style ResNet: helpers, _make_layer, a docstring in forward, named_modules() paths', () => {
  const models = analyzeModels(RESNET);
  const resnet = model(models, 'ResNet');
  const torch = TORCH['resnet_lens:ResNet'];

  it('every layer up to the refused classifier, as PyTorch runs it', () => {
    expect(leafShapes(resnet)).toEqual(torchShapes(torch));
    expect(resnet.run.diagnostic?.torch).toBe(torch.error!.message);
    expect(resnet.run.layers[resnet.run.diagnostic!.index].path).toBe('fc');
  });

  it('the helper that builds every 3×3 conv lists their shapes, with their paths in the tooltip', () => {
    const h = hintAfter(RESNET, models, 'bias=False)')!;
    expect(h.label).toBe('→ 1×64×56×56 · 1×128×28×28 · … (4 shapes, 16 calls)');
    expect(h.tooltip).toContain('layer1.0.conv1 (Conv2d): 1×64×56×56 → 1×64×56×56');
    expect(h.tooltip).toContain('layer2.0.conv1 (Conv2d): 1×64×56×56 → 1×128×28×28');
  });

  it('a hint after each stage call in forward, and the hover on it lists its layers by path', () => {
    const after = TORCH['resnet_lens:ResNet after the quick fix'].layers;
    const out = (p: string) => shapeText(after.filter((l) => l.path.startsWith(`${p}.`)).at(-1)!.output_shape);
    expect(label(RESNET, models, 'self.layer1(x)')).toBe(`→ ${out('layer1')}`);
    expect(label(RESNET, models, 'self.layer4(x)')).toBe(`→ ${out('layer4')}`);
    const md = describeLayer(layerAt(models, RESNET.indexOf('self.layer2(x)') + 6)!);
    expect(md).toContain('**`layer2`**');
    expect(md).toContain('| layer2.0.downsample.0 (Conv2d) |');
  });

  it('the diagnostic names fc and links the flatten that fed it and the forward call that ran it', () => {
    const [d] = shapeDiagnostics(models);
    expect(RESNET.slice(d.range.start, d.range.end)).toBe('nn.Linear(2048, num_classes)');
    expect(d.message).toMatch(/fc \(Linear\), input 1×512, in ResNet/);
    expect(d.fixTitle).toBe('Set in_features=512');
    const texts = d.related.map((r) => RESNET.slice(r.range.start, r.range.end));
    expect(texts).toContain('torch.flatten(x, 1)');
    expect(texts).toContain('self.fc(x)');
    expect(label(RESNET, models, 'self.fc(x)')).toBe('→ ✗ refused');
  });

  it('a notebook cell read with the cells above it: the helpers come from there', () => {
    const cut = RESNET.indexOf('class BasicBlock');
    const above = RESNET.slice(0, cut);
    const cell = RESNET.slice(cut);
    const alone = analyzeModels(cell);
    expect(model(alone, 'ResNet').run.unknown).toMatch(/conv3x3|nn/);
    const read = analyzeModels(`${above}\n${cell}`);
    expect(leafShapes(model(read, 'ResNet'))).toEqual(torchShapes(torch));
  });
});

describe('the shape analyzer of a document being edited', () => {
  it('gives what a fresh analysis gives after edits above, inside and below the models', () => {
    const analyzer = new ShapeAnalyzer();
    let src = SRC;
    expect(plain(analyzer.analyze(src))).toEqual(plain(analyzeModels(src)));
    const edits: [string, string][] = [
      ['import torch\n', 'import torch\nimport math  # two lines\n\n'],
      ['super().__init__()', 'super().__init__()  # edited'],
      ['nn.AvgPool1d(4)', 'nn.AvgPool1d(2)'],
      ['in_channels=32', 'in_channels=16'],
      ['"""Models', '"""Some models'],
    ];
    for (const [from, to] of edits) {
      src = src.replace(from, to);
      const remembered = (name: string) => (name === 'encoder' ? { shapes: [[1, 1, 400]] } : undefined);
      const incremental = analyzer.analyze(src, remembered);
      expect(plain(incremental)).toEqual(plain(analyzeModels(src, remembered)));
      // the quick fix still lands on the argument it names
      const d = shapeDiagnostics(incremental)[0];
      expect(src.slice(d.edit!.range.start, d.edit!.range.end)).toMatch(/^(32|16)$/);
    }
  });

  it('a helper changed in another statement runs the models that use it again', () => {
    const analyzer = new ShapeAnalyzer();
    analyzer.analyze(RESNET);
    const changed = RESNET.replace(
      'kernel_size=3, stride=stride, padding=1',
      'kernel_size=3, stride=stride, padding=0',
    );
    expect(plain(analyzer.analyze(changed))).toEqual(plain(analyzeModels(changed)));
  });
});

describe('the shape lens never throws, whatever the file says', () => {
  const dir = join(__dirname, '..', 'shapeLens');
  const sources = [
    SRC,
    RESNET,
    ...readdirSync(join(dir, 'models')).map((f) => readFileSync(join(dir, 'models', f), 'utf8')),
    ...['cifar_resnet.py', 'unet_parts.py', 'torchvision_googlenet.py'].map((f) =>
      readFileSync(join(dir, 'corpus', f), 'utf8'),
    ),
  ];
  const pieces = [
    '(',
    ')',
    '[',
    ']',
    ',',
    '=',
    ':',
    '\n',
    '    ',
    '"""',
    "'",
    '#',
    '\\\n',
    'nn.Conv2d(',
    'nn.Sequential(',
    'class M(nn.Module):\n',
    'def forward(self, x):\n',
    'x = self.c(x)\n',
    'return ',
    'while True:\n',
    'for i in range(10**9):\n',
    'yield x\n',
    'lambda: ',
    'super().',
    'padding=',
    "'same'",
    'groups=0',
    '-1',
    '1e9',
    'None',
    '*',
    '**',
    '(3, 3)',
    '# conv-lens: input 1x3x8x8\n',
    '# conv-lens: input 1x3x8x8 as M(\n',
    '# conv-lens: input 0x0\n',
    'self.c = ',
    ' + ',
    ' += ',
    'torch.cat([',
    '], dim=1)',
    'x.view(-1, ',
    'dim=-9',
    'import os\n',
    'from . import *\n',
  ];
  it('analyses, hints, hovers, diagnoses and plans on mutated model files with any input shape', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sources.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.constantFrom(...pieces)), { maxLength: 6 }),
        fc.option(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 })),
        (which, edits, shape) => {
          let src = sources[which];
          for (const [at, cut, insert] of edits) {
            const i = at % (src.length + 1);
            src = src.slice(0, i) + insert + src.slice(i + cut);
          }
          const models = analyzeModels(src, () => (shape ? { shapes: [shape] } : undefined));
          for (const m of models) expect(m.run.unknown ?? '').not.toMatch(/the shape lens failed/);
          for (const h of shapeHints(models)) expect(h.offset >= 0 && h.offset <= src.length).toBe(true);
          for (const d of shapeDiagnostics(models)) {
            expect(d.range.start >= 0 && d.range.end <= src.length && d.range.start <= d.range.end).toBe(true);
            if (d.edit) expect(d.edit.range.end <= src.length).toBe(true);
          }
          for (const m of models) {
            for (const l of m.run.layers) {
              const at = layerAt(models, l.site.start);
              if (at) expect(typeof describeLayer(at)).toBe('string');
              stepPlan(l);
            }
          }
        },
      ),
      { numRuns: 300, seed: 20261125 },
    );
  });
});

describe('the shape lens at the calls in forward', () => {
  it('puts the value of each self.x(...) call after it, as PyTorch computes it', () => {
    const fixed = SRC.replace('in_channels=32', 'in_channels=64');
    const models = analyzeModels(fixed);
    const after = TORCH['BuggyNet after the quick fix'].layers.map((s) => `→ ${shapeText(s.output_shape)}`);
    // x = self.pool(F.relu(self.conv1(x)))
    expect(label(fixed, models, 'self.conv1(x)')).toBe(after[0]);
    expect(label(fixed, models, 'self.pool(F.relu(self.conv1(x)))')).toBe(after[1]);
    // x = self.pool(F.relu(self.bn2(self.conv2(x))))
    expect(label(fixed, models, 'self.conv2(x)')).toBe(after[2]);
    // a norm inside the expression keeps the shape: no hint of its own
    expect(label(fixed, models, 'self.bn2(self.conv2(x))')).toBeUndefined();
    expect(label(fixed, models, 'self.pool(F.relu(self.bn2(self.conv2(x))))')).toBe(after[4]);
    expect(label(fixed, models, 'self.fc(x)')).toBe(after[5]);
    // before the fix: the refused call is flagged, and nothing after it is guessed
    const buggy = analyzeModels(SRC);
    expect(label(SRC, buggy, 'self.conv2(x)')).toBe('→ ✗ refused');
    expect(label(SRC, buggy, 'self.bn2(self.conv2(x))')).toBeUndefined();
    expect(label(SRC, buggy, 'self.fc(x)')).toBeUndefined();
    // hovering the call describes the layer it runs
    const at = layerAt(models, fixed.indexOf('self.conv2(x)') + 2)!;
    expect(at.at).toBe('call');
    expect(describeLayer(at)).toContain(
      `input \`${shapeText(TORCH['BuggyNet after the quick fix'].layers[1].output_shape)}\` → output \`${shapeText(TORCH['BuggyNet after the quick fix'].layers[2].output_shape)}\``,
    );
  });
});

describe('where values meet: residual sums and skip connections', () => {
  const read = (file: string) => readFileSync(join(__dirname, '..', 'shapeLens', 'models', file), 'utf8');

  it('a residual without its downsample: PyTorch’s error, both sides linked, the projection as the fix', () => {
    const src = read('mismatch_residual.py');
    const [d] = shapeDiagnostics(analyzeModels(src));
    expect(src.slice(d.range.start, d.range.end)).toBe('out += identity');
    expect(d.message).toContain(
      'The size of tensor a (16) must match the size of tensor b (32) at non-singleton dimension 3',
    );
    expect(d.edit).toBeUndefined();
    expect(d.message).toMatch(
      /project the right-hand side \(the shortcut\) from 1x64x32x32 to 1x128x16x16: nn.Conv2d\(64, 128, kernel_size=1, stride=2, bias=False\)/,
    );
    expect(d.related.map((r) => src.slice(r.range.start, r.range.end))[0]).toBe('self.bn2(self.conv2(out))');
  });

  it('a U-Net skip connection: the concatenation’s hint and formula; an odd size refused in PyTorch’s words', () => {
    const src = read('unet_skip.py');
    const models = analyzeModels(src);
    const cat = models[0].run.layers.find((l) => l.op === 'Cat')!;
    expect(label(src, models, 'torch.cat([self.up2(b), e2], dim=1)')).toBe(`→ ${shapeText(cat.output)}`);
    const md = describeLayer(layerAt(models, src.indexOf('torch.cat([') + 2)!);
    expect(md).toContain(`${cat.inputs![0]![1]} + ${cat.inputs![1]![1]} = ${cat.output![1]} (dim 1)`);
    const odd = read('mismatch_skip.py');
    const [d] = shapeDiagnostics(analyzeModels(odd));
    expect(odd.slice(d.range.start, d.range.end)).toBe('torch.cat([self.up2(b), e2], dim=1)');
    expect(d.message).toContain('crop or pad tensor 1');
    expect(d.related.map((r) => odd.slice(r.range.start, r.range.end)).slice(0, 2)).toEqual([
      'self.up2(b)',
      'self.enc2(self.pool1(e1))',
    ]);
  });

  it('the receptive field after upsampling is written with three significant digits', () => {
    const src =
      '# conv-lens: input 1x1x8x8\nm = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Upsample(scale_factor=3), nn.Conv2d(1, 1, 3))\n';
    const models = analyzeModels(`import torch.nn as nn\n${src}`);
    const md = describeLayer(layerAt(models, 'import torch.nn as nn\n'.length + src.lastIndexOf('nn.Conv2d') + 2)!);
    expect(md).toContain('receptive field so far 3.67×3.67 input pixels, 0.333×0.333 apart');
  });
});
