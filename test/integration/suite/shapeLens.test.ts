/**
 * The shape lens in the real extension host: on test/integration/workspace/shapes.py (hints, diagnostic,
 * quick fix, hover, code lenses, the two commands), on resnet_lens.py (a torchvision-style ResNet: helpers,
 * _make_layer, a docstring in forward; named_modules() paths in the diagnostic; the quick fix), and on a
 * notebook whose model reads a helper from the cell above. Expected shapes come from
 * test/shapeLens/workspace.json (PyTorch, via generate.py).
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { activateExtension, hoverTexts, openWorkspaceFile, positionOf, waitFor, workspaceUri } from './helpers';

interface Run {
  input_shapes: number[][];
  layers: { path: string; type: string; output_shape: number[] | null }[];
  output_shapes: number[][] | null;
  error: { message: string; path: string | null } | null;
}
interface Exports {
  panel: {
    view?: {
      kind: string;
      summary: { label: string; value: string }[];
      tensors: { id: string; name: string; shape: number[]; data: Float64Array | null }[];
    };
  };
  store: { clear(): void };
}

const shape = (s: readonly number[] | null) => (s ? s.join('×') : 'unknown');
let torch: Record<string, Run>;
let api: Exports;

async function hintLabels(doc: vscode.TextDocument): Promise<Map<number, string[]>> {
  const range = new vscode.Range(0, 0, doc.lineCount, 0);
  const hints =
    (await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, range)) ?? [];
  const byLine = new Map<number, string[]>();
  for (const h of hints) {
    const label = typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');
    byLine.set(h.position.line, [...(byLine.get(h.position.line) ?? []), label]);
  }
  return byLine;
}

async function waitForHints(doc: vscode.TextDocument): Promise<Map<number, string[]>> {
  const hints = await waitFor(
    async () => {
      const h = await hintLabels(doc);
      return h.size > 0 ? h : undefined;
    },
    15_000,
    `inlay hints in ${doc.uri.path}`,
  );
  return hints!;
}

function lineOf(doc: vscode.TextDocument, text: string): number {
  return positionOf(doc, text).line;
}

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Conv Lens');
const out = (run: Run, i: number) => `→ ${shape(run.layers[i].output_shape)}`;

suiteSetup(async () => {
  const ext = await activateExtension();
  api = ext.exports as Exports;
  // bundled into out/integration/suite/; the workspace itself is a temporary copy
  torch = JSON.parse(
    readFileSync(join(__dirname, '..', '..', '..', 'test', 'shapeLens', 'workspace.json'), 'utf8'),
  ) as Record<string, Run>;
});

suite('Shape lens on a PyTorch model file', () => {
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('convLens.setModelInputShape', {
      uri: workspaceUri('shapes.py').toString(),
      model: 'encoder',
      shape: '',
    });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('each layer gets an inlay hint with its output shape, as PyTorch computes it', async () => {
    const { document: doc } = await openWorkspaceFile('shapes.py');
    const hints = await waitForHints(doc);
    assert.deepEqual(hints.get(lineOf(doc, "padding='same', dilation=2, groups=4")), [out(torch.exact, 0)]);
    assert.deepEqual(hints.get(lineOf(doc, 'nn.ReLU(),')), [out(torch.exact, 1)]);
    assert.deepEqual(hints.get(lineOf(doc, 'ceil_mode=True')), [out(torch.exact, 2)]);
    assert.deepEqual(hints.get(lineOf(doc, 'output_padding=1')), [out(torch.exact, 3)]);
    assert.deepEqual(hints.get(lineOf(doc, 'self.conv1 = ')), [out(torch.BuggyNet, 0)]);
    assert.deepEqual(hints.get(lineOf(doc, 'self.conv2 = ')), ['→ ✗ refused']);
    // in forward, after each self.x(...) call: the value it returns
    assert.deepEqual(hints.get(lineOf(doc, 'x = self.pool(F.relu(self.conv1(x)))')), [
      out(torch.BuggyNet, 0),
      out(torch.BuggyNet, 1),
    ]);
    assert.deepEqual(hints.get(lineOf(doc, 'x = self.pool(F.relu(self.bn2(self.conv2(x))))')), ['→ ✗ refused']);
    // the encoder has no input shape yet: no hints, and a code lens asking for one
    assert.equal(hints.get(lineOf(doc, 'nn.Conv1d(1, 16')), undefined);
  });

  test("the first mismatch is an error in PyTorch's words; its quick fix repairs the model", async () => {
    const editor = await openWorkspaceFile('shapes.py');
    const doc = editor.document;
    try {
      const [d] = (await waitFor(
        () => (ours(doc.uri).length > 0 ? ours(doc.uri) : undefined),
        10_000,
        'the shape diagnostic',
      ))!;
      assert.equal(ours(doc.uri).length, 1);
      assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
      assert.equal(d.range.start.line, lineOf(doc, 'self.conv2 = '));
      assert.ok(d.message.includes(torch.BuggyNet.error!.message), d.message);
      assert.ok(d.message.includes('set in_channels=64'), d.message);
      assert.ok(d.message.includes('conv2 (Conv2d)'), d.message);
      assert.equal(
        d.relatedInformation?.[0].location.range.start.line,
        lineOf(doc, 'x = self.pool(F.relu(self.conv1(x)))'),
      );
      const actions =
        (await vscode.commands.executeCommand<vscode.CodeAction[]>(
          'vscode.executeCodeActionProvider',
          doc.uri,
          d.range,
          vscode.CodeActionKind.QuickFix.value,
        )) ?? [];
      const fix = actions.find((a) => a.title === 'Set in_channels=64');
      assert.ok(fix?.edit, `no quick fix among ${actions.map((a) => a.title).join(', ')}`);
      assert.ok(await vscode.workspace.applyEdit(fix.edit));
      assert.ok(doc.getText().includes('nn.Conv2d(in_channels=64, out_channels=128'));
      await waitFor(() => ours(doc.uri).length === 0, 10_000, 'the diagnostic to clear after the fix');
      const after = torch['BuggyNet after the quick fix'];
      const hints = await hintLabels(doc);
      assert.deepEqual(hints.get(lineOf(doc, 'self.conv2 = ')), [out(after, 2)]);
      // the shared pool: both calls, in call order
      assert.deepEqual(hints.get(lineOf(doc, 'self.pool = ')), [
        `→ ${shape(after.layers[1].output_shape)} · ${shape(after.layers[4].output_shape)}`,
      ]);
      assert.deepEqual(hints.get(lineOf(doc, 'self.fc = ')), [out(after, 5)]);
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    await waitFor(() => ours(doc.uri).length === 1, 10_000, 'the diagnostic to come back after the revert');
  });

  test('the hover on a layer: formula with the numbers in, parameters, FLOPs, receptive field, a step-through link', async () => {
    const { document: doc } = await openWorkspaceFile('shapes.py');
    const texts = await hoverTexts(doc.uri, positionOf(doc, "padding='same', dilation=2"));
    const md = texts.find((t) => t.includes('call 1 of 4'));
    assert.ok(md, `no shape lens hover among: ${texts.join(' | ')}`);
    assert.ok(
      md.includes(
        `input \`${shape(torch.exact.input_shapes[0])}\` → output \`${shape(torch.exact.layers[0].output_shape)}\``,
      ),
      md,
    );
    assert.ok(/H_out = floor\(\(15 \+ 2·2 − 2·\(3 − 1\) − 1\) \/ 1\) \+ 1 = 15/.test(md), md);
    assert.ok(md.includes('parameters 304') && md.includes('FLOPs') && md.includes('receptive field so far 5×5'), md);
    assert.ok(md.includes('`self.training` is False'), md);
    assert.ok(md.includes('command:convLens.stepThroughLayer'), md);
  });

  test('code lenses: input → output per model, Step through layer…, and Set Model Input Shape remembers an input', async () => {
    const { document: doc } = await openWorkspaceFile('shapes.py');
    const titles = async () => {
      const lenses =
        (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? [];
      return lenses.map((l) => `${l.range.start.line}:${l.command?.title}`);
    };
    const exactLine = lineOf(doc, 'exact = nn.Sequential');
    const encoderLine = lineOf(doc, 'encoder = nn.Sequential');
    let t = await titles();
    assert.ok(
      t.includes(
        `${exactLine}:$(symbol-ruler) ${shape(torch.exact.input_shapes[0])} → ${shape(torch.exact.output_shapes![0])}`,
      ),
      t.join('\n'),
    );
    assert.ok(t.includes(`${exactLine}:$(debug-step-into) Step through layer…`), t.join('\n'));
    assert.ok(
      t.includes(
        `${lineOf(doc, 'class BuggyNet')}:$(error) ${shape(torch.BuggyNet.input_shapes[0])} → refused at conv2`,
      ),
      t.join('\n'),
    );
    assert.ok(t.includes(`${encoderLine}:$(symbol-ruler) Conv Lens: set input shape…`), t.join('\n'));
    const set = await vscode.commands.executeCommand('convLens.setModelInputShape', {
      uri: doc.uri.toString(),
      model: 'encoder',
      shape: '1x1x16000',
    });
    assert.deepEqual(set, { shapes: [[1, 1, 16000]] });
    t = await titles();
    assert.ok(
      t.includes(`${encoderLine}:$(symbol-ruler) 1×1×16000 → ${shape(torch.encoder.output_shapes![0])}`),
      t.join('\n'),
    );
    const hints = await hintLabels(doc);
    assert.deepEqual(hints.get(lineOf(doc, 'nn.Conv1d(1, 16')), [out(torch.encoder, 0)]);
    // a class whose constructor needs an argument: the input and `as` in one go
    const looped = await vscode.commands.executeCommand('convLens.setModelInputShape', {
      uri: doc.uri.toString(),
      model: 'Looped',
      shape: '1x3x32x32 as Looped(16)',
    });
    assert.deepEqual(looped, { shapes: [[1, 3, 32, 32]], as: 'Looped(16)' });
    t = await titles();
    assert.ok(
      t.some((x) => x.startsWith(`${lineOf(doc, 'class Looped')}:$(symbol-ruler) 1×3×32×32 → 1×16×28×28`)),
      t.join('\n'),
    );
    await vscode.commands.executeCommand('convLens.setModelInputShape', {
      uri: doc.uri.toString(),
      model: 'Looped',
      shape: '',
    });
  });

  test('Step Through Model Layer opens the panel on that layer with input of its shape', async () => {
    const { document: doc } = await openWorkspaceFile('shapes.py');
    const result = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      {
        uri: doc.uri.toString(),
        model: 'exact',
        layer: 0,
        fill: 'integers',
      },
    );
    assert.ok(result?.ok, JSON.stringify(result));
    // batch 1: every sample goes through the same windows
    assert.deepEqual(result.output?.shape, [1, ...torch.exact.layers[0].output_shape!.slice(1)]);
    assert.equal(api.panel.view?.kind, 'conv');
    const pool = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      {
        uri: doc.uri.toString(),
        model: 'exact',
        layer: 2,
        fill: 'normal',
      },
    );
    assert.deepEqual(pool?.output?.shape, [1, ...torch.exact.layers[2].output_shape!.slice(1)]);
    const up = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      {
        uri: doc.uri.toString(),
        model: 'exact',
        layer: 3,
        fill: 'integers',
      },
    );
    assert.deepEqual(up?.output?.shape, [1, ...torch.exact.layers[3].output_shape!.slice(1)]);
    // a layer without a window is refused with the reason, never a crash
    const none = await vscode.commands.executeCommand('convLens.stepThroughLayer', {
      uri: doc.uri.toString(),
      model: 'exact',
      layer: 1,
      fill: 'integers',
    });
    assert.equal(none, undefined);
  });

  test("Step Through Model Layer with chosen input: a typed literal or the stored input, read in the layer's shape", async () => {
    const { document: doc } = await openWorkspaceFile('shapes.py');
    const uri = doc.uri.toString();
    const typed = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      {
        uri,
        model: 'tiny',
        layer: 0,
        fill: 'typed',
        literal: '[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]',
      },
    );
    assert.deepEqual(typed?.output?.shape, torch.tiny.layers[0].output_shape);
    assert.equal(api.panel.view?.summary.find((r) => r.label === 'input')?.value, shape(torch.tiny.input_shapes[0]));
    // the pool after it takes 1×1×2×2: the typed numbers reach the engine, read in that shape
    const numbers = [3, 9, -1, 4];
    const pooled = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      {
        uri,
        model: 'tiny',
        layer: 1,
        fill: 'typed',
        literal: JSON.stringify(numbers),
      },
    );
    assert.deepEqual(pooled?.output?.shape, torch.tiny.layers[1].output_shape);
    assert.deepEqual(Array.from(api.panel.view?.tensors.find((t) => t.id === 'result')?.data ?? []), [
      Math.max(...numbers),
    ]);
    // the wrong number of elements: a message naming the layer's shape, no panel change
    assert.equal(
      await vscode.commands.executeCommand('convLens.stepThroughLayer', {
        uri,
        model: 'tiny',
        layer: 0,
        fill: 'typed',
        literal: '[1, 2, 3]',
      }),
      undefined,
    );
    await vscode.commands.executeCommand('convLens.setInput', {
      input: [
        [4, 3],
        [2, 1],
        [0, -1],
        [-2, -3],
        [5, 5],
        [5, 5],
        [5, 5],
        [5, 5],
      ],
    });
    try {
      const stored = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
        'convLens.stepThroughLayer',
        {
          uri,
          model: 'tiny',
          layer: 0,
          fill: 'stored',
        },
      );
      assert.deepEqual(stored?.output?.shape, torch.tiny.layers[0].output_shape);
    } finally {
      api.store.clear();
    }
  });

  test('Step Through Model Layer on a real layer: a ResNet stem on 1×3×224×224 runs in the worker and opens the panel', async () => {
    const { document: doc } = await openWorkspaceFile('shapes.py');
    const uri = doc.uri.toString();
    const conv = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      {
        uri,
        model: 'stem',
        layer: 0,
        fill: 'normal',
      },
    );
    assert.deepEqual(conv?.output?.shape, torch.stem.layers[0].output_shape);
    assert.equal(api.panel.view?.kind, 'conv');
    const pool = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      {
        uri,
        model: 'stem',
        layer: 3,
        fill: 'integers',
      },
    );
    assert.deepEqual(pool?.output?.shape, torch.stem.layers[3].output_shape);
    assert.equal(api.panel.view?.kind, 'max_pool');
  });

  test('the lens follows the setting, and bad command input becomes a message', async () => {
    const { document: doc } = await openWorkspaceFile('shapes.py');
    await waitFor(() => ours(doc.uri).length === 1, 10_000, 'the diagnostic');
    const config = vscode.workspace.getConfiguration('convLens');
    await config.update('shapeLens.enabled', false, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor(() => ours(doc.uri).length === 0, 10_000, 'the diagnostic to go when the lens is off');
      assert.equal((await hintLabels(doc)).size, 0);
    } finally {
      await config.update('shapeLens.enabled', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor(() => ours(doc.uri).length === 1, 10_000, 'the diagnostic to return');
    assert.equal(
      await vscode.commands.executeCommand('convLens.setModelInputShape', {
        uri: doc.uri.toString(),
        model: 'nope',
        shape: '1x3',
      }),
      undefined,
    );
    assert.equal(
      await vscode.commands.executeCommand('convLens.setModelInputShape', {
        uri: doc.uri.toString(),
        model: 'encoder',
        shape: '1x-3',
      }),
      undefined,
    );
  });
});

suite('Shape lens on a torchvision-style ResNet', () => {
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('hints through helpers and _make_layer, and a hint after each stage call in forward', async () => {
    const { document: doc } = await openWorkspaceFile('resnet_lens.py');
    const hints = await waitForHints(doc);
    const run = torch['resnet_lens:ResNet'];
    const last = (prefix: string) => shape(run.layers.filter((l) => l.path.startsWith(prefix)).at(-1)!.output_shape);
    assert.deepEqual(hints.get(lineOf(doc, 'x = self.layer1(x)')), [`→ ${last('layer1.')}`]);
    assert.deepEqual(hints.get(lineOf(doc, 'x = self.layer3(x)')), [`→ ${last('layer3.')}`]);
    // the helper builds every 3×3 conv of the network: their shapes are listed there
    const helper = hints.get(lineOf(doc, 'return nn.Conv2d(in_planes, out_planes, kernel_size=3'));
    assert.ok(helper?.[0].startsWith('→ 1×64×56×56 · 1×128×28×28'), String(helper));
    assert.deepEqual(hints.get(lineOf(doc, 'self.fc = nn.Linear(2048')), ['→ ✗ refused']);
  });

  test('the diagnostic names the layer by its named_modules() path; the quick fix repairs the model', async () => {
    const editor = await openWorkspaceFile('resnet_lens.py');
    const doc = editor.document;
    try {
      const [d] = (await waitFor(
        () => (ours(doc.uri).length > 0 ? ours(doc.uri) : undefined),
        15_000,
        'the ResNet diagnostic',
      ))!;
      assert.equal(d.range.start.line, lineOf(doc, 'self.fc = nn.Linear(2048'));
      assert.ok(d.message.includes(torch['resnet_lens:ResNet'].error!.message), d.message);
      assert.ok(d.message.includes('fc (Linear)'), d.message);
      assert.ok(
        d.message.includes('in_features=2048 but the previous layer gives 512 features: set in_features=512'),
        d.message,
      );
      const related = (d.relatedInformation ?? []).map((r) => r.location.range.start.line);
      assert.ok(related.includes(lineOf(doc, 'x = torch.flatten(x, 1)')), String(related));
      assert.ok(related.includes(lineOf(doc, 'return self.fc(x)')), String(related));
      const actions =
        (await vscode.commands.executeCommand<vscode.CodeAction[]>(
          'vscode.executeCodeActionProvider',
          doc.uri,
          d.range,
          vscode.CodeActionKind.QuickFix.value,
        )) ?? [];
      const fix = actions.find((a) => a.title === 'Set in_features=512');
      assert.ok(fix?.edit, `no quick fix among ${actions.map((a) => a.title).join(', ')}`);
      assert.ok(await vscode.workspace.applyEdit(fix.edit));
      await waitFor(() => ours(doc.uri).length === 0, 10_000, 'the diagnostic to clear after the fix');
      const fixed = torch['resnet_lens:ResNet after the quick fix'];
      const hints = await hintLabels(doc);
      assert.deepEqual(hints.get(lineOf(doc, 'return self.fc(x)')), [`→ ${shape(fixed.output_shapes![0])}`]);
      const hover = await hoverTexts(doc.uri, positionOf(doc, 'self.layer2(x)', 6));
      const md = hover.find((t) => t.includes('`layer2`'));
      assert.ok(md?.includes('layer2.0.downsample.0 (Conv2d)'), hover.join(' | '));
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });
});

suite('Shape lens in a notebook', () => {
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a model cell is read with the cells above it: its helper comes from the first cell', async () => {
    const notebook = await vscode.workspace.openNotebookDocument(workspaceUri('shape_lens_cells.ipynb'));
    await vscode.window.showNotebookDocument(notebook);
    const cell = notebook.getCells().find((c) => c.document.getText().includes('class CellNet'))!;
    assert.equal(cell.document.languageId, 'python');
    const run = torch['cells:CellNet'];
    const hints = await waitForHints(cell.document);
    assert.deepEqual(hints.get(lineOf(cell.document, 'x = self.pool(F.relu(self.conv(x)))')), [
      out(run, 0),
      out(run, 1),
    ]);
    const [d] = (await waitFor(
      () => (ours(cell.document.uri).length > 0 ? ours(cell.document.uri) : undefined),
      10_000,
      'the cell diagnostic',
    ))!;
    assert.ok(d.message.includes(run.error!.message), d.message);
    assert.equal(d.range.start.line, lineOf(cell.document, 'self.fc = nn.Linear(1000, 10)'));
    // the cell above has no model of its own: no diagnostics there
    assert.equal(ours(notebook.cellAt(1).document.uri).length, 0);
  });
});
