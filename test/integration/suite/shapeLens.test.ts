/**
 * The shape lens in the real extension host, on test/integration/workspace/shapes.py: the inlay hints,
 * the diagnostic at the first mismatch, the quick fix that repairs it, the hover, the code lenses, and the
 * two commands. Expected shapes come from test/shapeLens/workspace.json (PyTorch, via generate.py).
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { activateExtension, hoverTexts, openWorkspaceFile, positionOf, waitFor, workspaceUri } from './helpers';

interface Run {
  input: number[];
  steps: { shape: number[] }[];
  error: { message: string } | null;
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

const shape = (s: readonly number[]) => s.join('×');
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

function lineOf(doc: vscode.TextDocument, text: string): number {
  return positionOf(doc, text).line;
}

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Conv Lens');

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
    const hints = (await waitFor(
      async () => {
        const h = await hintLabels(doc);
        return h.size > 0 ? h : undefined;
      },
      10_000,
      'inlay hints in shapes.py',
    ))!;
    const exact = torch.exact.steps.map((s) => `→ ${shape(s.shape)}`);
    assert.deepEqual(hints.get(lineOf(doc, "padding='same', dilation=2, groups=4")), [exact[0]]);
    assert.deepEqual(hints.get(lineOf(doc, 'nn.ReLU(),')), [exact[1]]);
    assert.deepEqual(hints.get(lineOf(doc, 'ceil_mode=True')), [exact[2]]);
    assert.deepEqual(hints.get(lineOf(doc, 'output_padding=1')), [exact[3]]);
    assert.deepEqual(hints.get(lineOf(doc, 'self.conv1 = ')), [`→ ${shape(torch.BuggyNet.steps[0].shape)}`]);
    assert.deepEqual(hints.get(lineOf(doc, 'self.conv2 = ')), ['→ ✗ refused']);
    // in forward, after each self.x(...) call: the value it returns
    const steps = torch.BuggyNet.steps.map((st) => `→ ${shape(st.shape)}`);
    assert.deepEqual(hints.get(lineOf(doc, 'x = self.pool(F.relu(self.conv1(x)))')), [steps[0], steps[2]]);
    assert.deepEqual(hints.get(lineOf(doc, 'x = self.pool(F.relu(self.bn2(self.conv2(x))))')), ['→ ✗ refused']);
    // the encoder has no input shape yet: no hints, and a code lens asking for one
    assert.equal(hints.get(lineOf(doc, 'nn.Conv1d(1, 16')), undefined);
  });

  test('the first mismatch is an error in PyTorch’s words; its quick fix repairs the model', async () => {
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
      const after = torch['BuggyNet after the quick fix'].steps;
      const hints = await hintLabels(doc);
      assert.deepEqual(hints.get(lineOf(doc, 'self.conv2 = ')), [`→ ${shape(after[3].shape)}`]);
      // the shared pool: both calls, in call order
      assert.deepEqual(hints.get(lineOf(doc, 'self.pool = ')), [
        `→ ${shape(after[2].shape)} · ${shape(after[6].shape)}`,
      ]);
      assert.deepEqual(hints.get(lineOf(doc, 'self.fc = ')), [`→ ${shape(after[8].shape)}`]);
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    await waitFor(() => ours(doc.uri).length === 1, 10_000, 'the diagnostic to come back after the revert');
  });

  test('the hover on a layer: formula with the numbers in, parameters, FLOPs, receptive field, a step-through link', async () => {
    const { document: doc } = await openWorkspaceFile('shapes.py');
    const texts = await hoverTexts(doc.uri, positionOf(doc, "padding='same', dilation=2"));
    const md = texts.find((t) => t.includes('layer 1 of 4'));
    assert.ok(md, `no shape lens hover among: ${texts.join(' | ')}`);
    assert.ok(
      md.includes(`input \`${shape(torch.exact.input)}\` → output \`${shape(torch.exact.steps[0].shape)}\``),
      md,
    );
    assert.ok(/H_out = floor\(\(15 \+ 2·2 − 2·\(3 − 1\) − 1\) \/ 1\) \+ 1 = 15/.test(md), md);
    assert.ok(md.includes('parameters 304') && md.includes('FLOPs') && md.includes('receptive field so far 5×5'), md);
    assert.ok(md.includes('command:convLens.stepThroughLayer'), md);
  });

  test('code lenses: input → output per model, Step through layer…, and Set Model Input Shape remembers a shape', async () => {
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
      t.includes(`${exactLine}:$(symbol-ruler) ${shape(torch.exact.input)} → ${shape(torch.exact.steps[3].shape)}`),
      t.join('\n'),
    );
    assert.ok(t.includes(`${exactLine}:$(debug-step-into) Step through layer…`), t.join('\n'));
    assert.ok(
      t.includes(
        `${lineOf(doc, 'class BuggyNet')}:$(error) ${shape(torch.BuggyNet.input)} → refused at layer 4 (conv2)`,
      ),
      t.join('\n'),
    );
    assert.ok(t.includes(`${encoderLine}:$(symbol-ruler) Conv Lens: set input shape…`), t.join('\n'));

    const set = await vscode.commands.executeCommand('convLens.setModelInputShape', {
      uri: doc.uri.toString(),
      model: 'encoder',
      shape: '1x1x16000',
    });
    assert.deepEqual(set, [1, 1, 16000]);
    t = await titles();
    assert.ok(
      t.includes(`${encoderLine}:$(symbol-ruler) 1×1×16000 → ${shape(torch.encoder.steps[1].shape)}`),
      t.join('\n'),
    );
    const hints = await hintLabels(doc);
    assert.deepEqual(hints.get(lineOf(doc, 'nn.Conv1d(1, 16')), [`→ ${shape(torch.encoder.steps[0].shape)}`]);
  });

  test('Step Through Model Layer opens the panel on that layer with input of its shape', async () => {
    const { document: doc } = await openWorkspaceFile('shapes.py');
    const result = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      { uri: doc.uri.toString(), model: 'exact', layer: 0, fill: 'integers' },
    );
    assert.ok(result?.ok, JSON.stringify(result));
    // batch 1: every sample goes through the same windows
    assert.deepEqual(result.output?.shape, [1, ...torch.exact.steps[0].shape.slice(1)]);
    assert.equal(api.panel.view?.kind, 'conv');
    const pool = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      { uri: doc.uri.toString(), model: 'exact', layer: 2, fill: 'normal' },
    );
    assert.deepEqual(pool?.output?.shape, [1, ...torch.exact.steps[2].shape.slice(1)]);
    const up = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      { uri: doc.uri.toString(), model: 'exact', layer: 3, fill: 'integers' },
    );
    assert.deepEqual(up?.output?.shape, [1, ...torch.exact.steps[3].shape.slice(1)]);
    // a layer without a window is refused with the reason, never a crash
    const none = await vscode.commands.executeCommand('convLens.stepThroughLayer', {
      uri: doc.uri.toString(),
      model: 'exact',
      layer: 1,
      fill: 'integers',
    });
    assert.equal(none, undefined);
  });

  test('Step Through Model Layer with chosen input: a typed literal or the stored input, read in the layer’s shape', async () => {
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
    assert.deepEqual(typed?.output?.shape, torch.tiny.steps[0].shape);
    assert.equal(api.panel.view?.summary.find((r) => r.label === 'input')?.value, shape(torch.tiny.input));
    // the pool after it takes 1×1×2×2: the typed numbers reach the engine, read in that shape
    const numbers = [3, 9, -1, 4];
    const pooled = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      { uri, model: 'tiny', layer: 1, fill: 'typed', literal: JSON.stringify(numbers) },
    );
    assert.deepEqual(pooled?.output?.shape, torch.tiny.steps[1].shape);
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
        { uri, model: 'tiny', layer: 0, fill: 'stored' },
      );
      assert.deepEqual(stored?.output?.shape, torch.tiny.steps[0].shape);
    } finally {
      api.store.clear();
    }
  });

  test('Step Through Model Layer on a real layer: a ResNet stem on 1×3×224×224 runs in the worker and opens the panel', async () => {
    const { document: doc } = await openWorkspaceFile('shapes.py');
    const uri = doc.uri.toString();
    const conv = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      { uri, model: 'stem', layer: 0, fill: 'normal' },
    );
    assert.deepEqual(conv?.output?.shape, torch.stem.steps[0].shape);
    assert.equal(api.panel.view?.kind, 'conv');
    const pool = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[] } | null }>(
      'convLens.stepThroughLayer',
      { uri, model: 'stem', layer: 3, fill: 'integers' },
    );
    assert.deepEqual(pool?.output?.shape, torch.stem.steps[3].shape);
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
