/**
 * What the editor shows for the sample file of the editor tests (test/integration/workspace/shapes.py):
 * hints, hover, diagnostic and quick fix, the code-lens plan for stepping through a layer. The shapes are
 * checked against test/shapeLens/workspace.json, which generate.py writes by running the models in PyTorch.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  analyzeModels,
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
import { applyEdit } from '../../src/shapeLens/propagate';

const SRC = readFileSync(join(__dirname, '..', 'integration', 'workspace', 'shapes.py'), 'utf8');
interface Run {
  input: number[];
  steps: { op: string; shape: number[] }[];
  error: { index: number; message: string } | null;
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
/** the hint just after the first occurrence of `text` */
const hintAfter = (src: string, models: readonly ModelShapes[], text: string): string | undefined => {
  const end = src.indexOf(text) + text.length;
  return shapeHints(models).find((h) => h.offset === end)?.label;
};

describe('the shape lens on the editor sample, against PyTorch', () => {
  const models = analyzeModels(SRC);

  it('follows every model with an input comment, layer by layer, as PyTorch runs it', () => {
    for (const name of ['BuggyNet', 'exact']) {
      const m = model(models, name);
      const torch = TORCH[name];
      expect(m.input).toEqual(torch.input);
      expect(m.inputSource).toBe('comment');
      const known = m.propagation.layers.filter((l) => l.output);
      expect(known.map((l) => l.output)).toEqual(torch.steps.map((s) => s.shape));
      if (torch.error) {
        expect(m.propagation.diagnostic?.index).toBe(torch.error.index);
        expect(m.propagation.diagnostic?.torch).toBe(torch.error.message);
      } else expect(m.propagation.diagnostic).toBeUndefined();
    }
  });

  it('puts one hint after each layer, with its output shape; groups, dilation, same padding and ceil_mode exact', () => {
    const exact = TORCH.exact.steps.map((s) => `→ ${shapeText(s.shape)}`);
    expect(hintAfter(SRC, models, "padding='same', dilation=2, groups=4)")).toBe(exact[0]);
    expect(hintAfter(SRC, models, 'nn.MaxPool2d(kernel_size=2, ceil_mode=True)')).toBe(exact[2]);
    expect(hintAfter(SRC, models, 'output_padding=1)')).toBe(exact[3]);
    // the shared pool is called twice; the second call comes after the refusal, so one shape
    expect(hintAfter(SRC, models, 'nn.MaxPool2d(2, 2)')).toBe(`→ ${shapeText(TORCH.BuggyNet.steps[2].shape)}`);
    expect(hintAfter(SRC, models, 'nn.Conv2d(in_channels=32, out_channels=128, kernel_size=3, padding=1)')).toBe(
      '→ ✗ refused',
    );
    // F.relu inside a forward expression keeps its input's shape: no hint in the middle of the expression
    expect(hintAfter(SRC, models, 'F.relu(self.conv1(x))')).toBeUndefined();
    // no hints for a model without an input shape, nor after the refused layer
    expect(hintAfter(SRC, models, 'nn.Conv1d(1, 16, kernel_size=9, stride=4)')).toBeUndefined();
    expect(hintAfter(SRC, models, 'nn.BatchNorm2d(128)')).toBeUndefined();
  });

  it('flags the first mismatch in PyTorch’s words, and its quick fix repairs the whole chain', () => {
    const [d, ...rest] = shapeDiagnostics(models);
    expect(rest).toHaveLength(0);
    expect(SRC.slice(d.range.start, d.range.end)).toBe(
      'nn.Conv2d(in_channels=32, out_channels=128, kernel_size=3, padding=1)',
    );
    expect(d.message).toContain(TORCH.BuggyNet.error!.message);
    expect(d.message).toContain('in_channels=32 but the previous layer gives 64 channels: set in_channels=64');
    expect(d.fixTitle).toBe('Set in_channels=64');
    // the related link goes to the call that fed it: self.pool(...) in forward
    expect(d.related).toHaveLength(1);
    expect(SRC.slice(d.related[0].range.start, d.related[0].range.end)).toBe('self.pool(F.relu(self.conv1(x)))');
    expect(d.related[0].message).toBe(`self.pool (MaxPool2d) gives ${shapeText(TORCH.BuggyNet.steps[2].shape)}`);
    const fixed = applyEdit(SRC, d.edit!);
    expect(fixed).toContain('nn.Conv2d(in_channels=64, out_channels=128');
    const after = analyzeModels(fixed);
    expect(shapeDiagnostics(after)).toEqual([]);
    const buggy = model(after, 'BuggyNet');
    expect(buggy.propagation.layers.map((l) => l.output)).toEqual(
      TORCH['BuggyNet after the quick fix'].steps.map((s) => s.shape),
    );
    expect(buggy.propagation.output).toEqual(TORCH['BuggyNet after the quick fix'].steps.at(-1)!.shape);
  });

  it('a remembered input shape wins over the comment and fills a model without one', () => {
    const remembered = analyzeModels(SRC, (name) =>
      name === 'encoder' ? [1, 1, 16000] : name === 'exact' ? [1, 8, 9, 9] : undefined,
    );
    const encoder = model(remembered, 'encoder');
    expect(encoder.inputSource).toBe('remembered');
    expect(encoder.propagation.layers.map((l) => l.output)).toEqual(TORCH.encoder.steps.map((s) => s.shape));
    expect(model(remembered, 'exact').inputSource).toBe('remembered');
    expect(model(remembered, 'exact').input).toEqual([1, 8, 9, 9]);
  });

  it('shows what it cannot follow as unknown, with the reason, never a guess', () => {
    const looped = analyzeModels(SRC, (name) => (name === 'Looped' ? [1, 3, 32, 32] : undefined));
    const m = model(looped, 'Looped');
    expect(m.propagation.layers[0].output).toBeNull();
    expect(m.propagation.layers[0].unknown).toMatch(/width/);
    expect(m.propagation.layers[1].unknown).toMatch(/follows stem/);
    const hint = shapeHints(looped).find(
      (h) => h.offset === SRC.indexOf('nn.Conv2d(3, width, 3)') + 'nn.Conv2d(3, width, 3)'.length,
    );
    expect(hint).toMatchObject({ label: '→ unknown', state: 'unknown' });
    expect(hint!.tooltip).toMatch(/width/);
  });

  it('hovers a layer with the formula filled in, parameters, FLOPs and the receptive field', () => {
    const at = layerAt(models, SRC.indexOf("padding='same', dilation=2"));
    expect(at?.layers.map((l) => l.index)).toEqual([0]);
    const md = describeLayer(at!);
    expect(md).toContain('**Conv2d** — layer 1 of 4 in `exact`');
    expect(md).toContain('input `2×8×15×15` → output `2×16×15×15`');
    // padding='same' with dilation 2 and a 3-tap kernel pads 2 on each side
    expect(md).toMatch(/H_out = floor\(\(15 \+ 2·2 − 2·\(3 − 1\) − 1\) \/ 1\) \+ 1 = 15/);
    // 16 × (8/4) × 3 × 3 weights + 16 biases; 2 × (2·16·15·15 outputs) × (2·3·3 taps)
    expect(md).toContain('parameters 304');
    expect(md).toContain('FLOPs 259.2 k');
    expect(md).toContain('receptive field so far 5×5 input pixels, 1×1 apart');
    // a layer used twice lists both calls
    const fixed = analyzeModels(SRC.replace('in_channels=32', 'in_channels=64'));
    const pool = layerAt(fixed, SRC.indexOf('nn.MaxPool2d(2, 2)') + 3)!;
    expect(pool.layers.map((l) => l.output)).toEqual([
      [1, 64, 16, 16],
      [1, 128, 8, 8],
    ]);
    expect(describeLayer(pool)).toContain('layer 3, 7 of 9');
    // the refused layer: PyTorch's words and the fix, once
    const refused = describeLayer(layerAt(models, SRC.indexOf('in_channels=32'))!);
    expect(refused).toContain('input `1×64×16×16` → **PyTorch refuses it**');
    expect(refused).toContain(`> ${TORCH.BuggyNet.error!.message}`);
    expect(refused).toContain('**Fix:** in_channels=32 but the previous layer gives 64 channels: set in_channels=64');
  });

  it('plans a step-through with the layer’s own arguments in the parameter box’s syntax', () => {
    const exact = model(models, 'exact').propagation.layers;
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
    expect(new Set(flat).size).toBeGreaterThan(2);
    const n = randomNested([2000], 'normal', 1) as number[];
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const sd = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(sd - 1)).toBeLessThan(0.1);
  });
});

describe('the shape analyzer of a document being edited', () => {
  it('gives what a fresh analysis gives after edits above, inside and below the models', () => {
    const analyzer = new ShapeAnalyzer();
    let src = SRC;
    const strip = (ms: readonly ModelShapes[]) => JSON.parse(JSON.stringify(ms)) as unknown;
    expect(strip(analyzer.analyze(src))).toEqual(strip(analyzeModels(src)));
    const edits: [string, string][] = [
      ['import torch\n', 'import torch\nimport math  # two lines\n\n'],
      ['super().__init__()', 'super().__init__()  # edited'],
      ['nn.AvgPool1d(4)', 'nn.AvgPool1d(2)'],
      ['in_channels=32', 'in_channels=16'],
      ['"""Models', '"""Some models'],
    ];
    for (const [from, to] of edits) {
      src = src.replace(from, to);
      const remembered = (name: string) => (name === 'encoder' ? [1, 1, 400] : undefined);
      const incremental = analyzer.analyze(src, remembered);
      expect(strip(incremental)).toEqual(strip(analyzeModels(src, remembered)));
      // the quick fix still lands on the argument it names
      const d = shapeDiagnostics(incremental)[0];
      expect(src.slice(d.edit!.range.start, d.edit!.range.end)).toMatch(/^(32|16)$/);
    }
  });
});

describe('the shape lens never throws, whatever the file says', () => {
  const sources = [
    SRC,
    ...readdirSync(join(__dirname, '..', 'shapeLens', 'models')).map((f) =>
      readFileSync(join(__dirname, '..', 'shapeLens', 'models', f), 'utf8'),
    ),
  ];
  const pieces = [
    '(',
    ')',
    '[',
    ']',
    ',',
    '=',
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
    'padding=',
    "'same'",
    'groups=0',
    '-1',
    '1e9',
    'None',
    'True',
    '(3, 3)',
    '# conv-lens: input 1x3x8x8\n',
    '# conv-lens: input 0x0\n',
    'self.c = ',
    ' + ',
    ' += ',
    'torch.cat([',
    'torch.cat((x, ',
    '], dim=1)',
    'dim=-9',
    'identity = x\n',
    'return identity\n',
    'torch.add(x, ',
  ];
  it('parses, propagates, hints, hovers, diagnoses and plans on mutated model files with any input shape', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sources.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.constantFrom(...pieces)), { maxLength: 6 }),
        fc.option(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 6 })),
        (which, edits, shape) => {
          let src = sources[which];
          for (const [at, cut, insert] of edits) {
            const i = at % (src.length + 1);
            src = src.slice(0, i) + insert + src.slice(i + cut);
          }
          const models = analyzeModels(src, () => shape ?? undefined);
          for (const h of shapeHints(models)) expect(h.offset >= 0 && h.offset <= src.length).toBe(true);
          for (const d of shapeDiagnostics(models)) {
            expect(d.range.start >= 0 && d.range.end <= src.length && d.range.start <= d.range.end).toBe(true);
            if (d.edit) expect(d.edit.range.end <= src.length).toBe(true);
          }
          for (const m of models) {
            for (const l of m.propagation.layers) {
              const at = layerAt(models, l.step.range.start);
              if (at) expect(typeof describeLayer(at)).toBe('string');
              stepPlan(l);
            }
          }
        },
      ),
      { numRuns: 400, seed: 20261125 },
    );
  });
});

describe('the shape lens at the calls in forward', () => {
  it('puts the value of each self.x(...) call after it, as PyTorch computes it', () => {
    const fixed = SRC.replace('in_channels=32', 'in_channels=64');
    const models = analyzeModels(fixed);
    const after = TORCH['BuggyNet after the quick fix'].steps.map((s) => `→ ${shapeText(s.shape)}`);
    // x = self.pool(F.relu(self.conv1(x)))
    expect(hintAfter(fixed, models, 'self.conv1(x)')).toBe(after[0]);
    expect(hintAfter(fixed, models, 'self.pool(F.relu(self.conv1(x)))')).toBe(after[2]);
    // x = self.pool(F.relu(self.bn2(self.conv2(x))))
    expect(hintAfter(fixed, models, 'self.conv2(x)')).toBe(after[3]);
    expect(hintAfter(fixed, models, 'self.bn2(self.conv2(x))')).toBe(after[4]);
    expect(hintAfter(fixed, models, 'self.pool(F.relu(self.bn2(self.conv2(x))))')).toBe(after[6]);
    expect(hintAfter(fixed, models, 'self.fc(x)')).toBe(after[8]);
    // before the fix: the refused call is flagged, and nothing after it is guessed
    const buggy = analyzeModels(SRC);
    expect(hintAfter(SRC, buggy, 'self.conv2(x)')).toBe('→ ✗ refused');
    expect(hintAfter(SRC, buggy, 'self.bn2(self.conv2(x))')).toBeUndefined();
    expect(hintAfter(SRC, buggy, 'self.fc(x)')).toBeUndefined();
    // hovering the call describes the layer it runs
    const at = layerAt(models, fixed.indexOf('self.conv2(x)') + 2)!;
    expect(at.at).toBe('call');
    expect(describeLayer(at)).toContain(
      `input \`${shapeText(TORCH['BuggyNet after the quick fix'].steps[2].shape)}\` → output \`${shapeText(TORCH['BuggyNet after the quick fix'].steps[3].shape)}\``,
    );
  });

  it('a Sequential attribute called in forward: one hint with its output, a hover with a table of its layers', () => {
    const src = readFileSync(join(__dirname, '..', 'shapeLens', 'models', 'vgg_block.py'), 'utf8');
    const vgg = (
      JSON.parse(readFileSync(join(__dirname, '..', 'shapeLens', 'expected.json'), 'utf8')) as Record<string, Run>
    )['vgg_block.py'];
    const models = analyzeModels(src);
    expect(hintAfter(src, models, 'self.features(x)')).toBe(`→ ${shapeText(vgg.steps[10].shape)}`);
    expect(hintAfter(src, models, 'self.classifier(x)')).toBe(`→ ${shapeText(vgg.steps.at(-1)!.shape)}`);
    const at = layerAt(models, src.indexOf('self.features(x)') + 1)!;
    expect(at.layers).toHaveLength(11);
    const md = describeLayer(at);
    expect(md).toContain('**`self.features`** — 11 layers (1–11 of 17 in `VGGSmall`)');
    expect(md).toContain(`input \`${shapeText(vgg.input)}\` → output \`${shapeText(vgg.steps[10].shape)}\``);
    expect(md).toContain(`| 6 | \`nn.MaxPool2d(kernel_size=2, stride=2)\` | \`${shapeText(vgg.steps[5].shape)}\` |`);
  });
});

describe('where values meet: residual sums and skip connections', () => {
  const EXPECTED = JSON.parse(readFileSync(join(__dirname, '..', 'shapeLens', 'expected.json'), 'utf8')) as Record<
    string,
    Run & { steps: { op: string; shape: number[] }[] }
  >;
  const read = (file: string) => readFileSync(join(__dirname, '..', 'shapeLens', 'models', file), 'utf8');

  it('a residual sum: a hint after `out += identity`, a hover with both sides', () => {
    const src = read('resnet_residual.py');
    const models = analyzeModels(src);
    const torch = EXPECTED['resnet_residual.py'].steps;
    const adds = torch.map((s, i) => [s, i] as const).filter(([s]) => s.op === 'add' || s.op === 'iadd');
    expect(hintAfter(src, models, 'out += identity')).toBe(`→ ${shapeText(adds[0][0].shape)}`);
    expect(hintAfter(src, models, 'y + shortcut')).toBe(`→ ${shapeText(adds[1][0].shape)}`);
    const md = describeLayer(layerAt(models, src.indexOf('y + shortcut') + 1)!);
    // both sides of the sum: the main branch (the step before) and the projected shortcut
    expect(md).toContain(`inputs \`${shapeText(torch[adds[1][1] - 1].shape)}\` + \`${shapeText(torch[8].shape)}\``);
  });

  it('a residual without its downsample: PyTorch’s error, both sides linked, the projection as the fix', () => {
    const src = read('mismatch_residual.py');
    const models = analyzeModels(src);
    const exp = EXPECTED['mismatch_residual.py'];
    const [d] = shapeDiagnostics(models);
    expect(src.slice(d.range.start, d.range.end)).toBe('out += identity');
    expect(d.message).toContain(exp.error!.message);
    expect(d.edit).toBeUndefined();
    // the main branch is the last step before the sum; the shortcut is the model's input
    const main = exp.steps[exp.steps.length - 1].shape;
    expect(d.message).toContain(
      `project the right-hand side (the shortcut) from ${exp.input.join('x')} to ${main.join('x')}: nn.Conv2d(${exp.input[1]}, ${main[1]}, kernel_size=1, stride=${exp.input[2] / main[2]}, bias=False)`,
    );
    expect(d.related.map((r) => src.slice(r.range.start, r.range.end))).toEqual(['self.bn2(self.conv2(out))']);
    expect(hintAfter(src, models, 'out += identity')).toBe('→ ✗ refused');
  });

  it('a U-Net skip connection: the concatenation’s hint and formula; an odd size refused in PyTorch’s words', () => {
    const src = read('unet_skip.py');
    const models = analyzeModels(src);
    const torch = EXPECTED['unet_skip.py'].steps;
    const cat = torch.findIndex((s) => s.op === 'cat');
    expect(hintAfter(src, models, 'torch.cat([self.up2(b), e2], dim=1)')).toBe(`→ ${shapeText(torch[cat].shape)}`);
    const md = describeLayer(layerAt(models, src.indexOf('torch.cat([') + 2)!);
    // the upsampled bottleneck (the step before) and e2, the output of enc2's ReLU (step 5)
    expect(md).toContain(`inputs \`${shapeText(torch[cat - 1].shape)}\`, \`${shapeText(torch[4].shape)}\``);
    expect(md).toContain(
      `${torch[cat - 1].shape[1]} + ${torch[cat].shape[1] - torch[cat - 1].shape[1]} = ${torch[cat].shape[1]} (dim 1)`,
    );

    const odd = read('mismatch_skip.py');
    const exp = EXPECTED['mismatch_skip.py'];
    const [d] = shapeDiagnostics(analyzeModels(odd));
    expect(odd.slice(d.range.start, d.range.end)).toBe('torch.cat([self.up2(b), e2], dim=1)');
    expect(d.message).toContain(exp.error!.message);
    expect(d.message).toContain('crop or pad tensor 1');
    expect(d.related.map((r) => odd.slice(r.range.start, r.range.end))).toEqual([
      'self.up2(b)',
      'self.enc2(self.pool1(e1))',
    ]);
  });
});

describe('the receptive field after upsampling', () => {
  it('is written with three significant digits', () => {
    const src =
      '# conv-lens: input 1x1x8x8\nm = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Upsample(scale_factor=3), nn.Conv2d(1, 1, 3))\n';
    const models = analyzeModels(src);
    // 3 pixels after the first conv; upsampling by 3 puts outputs 1/3 pixel apart; the second conv adds 2 × 1/3
    const md = describeLayer(layerAt(models, src.lastIndexOf('nn.Conv2d') + 2)!);
    expect(md).toContain('receptive field so far 3.67×3.67 input pixels, 0.333×0.333 apart');
  });
});
