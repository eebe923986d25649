/**
 * Conv Lens in the real extension host: hovers on sample files in every literal format, every command
 * run through vscode.commands with its argument object, the operand store, inserting results back,
 * settings, and hostile panel messages.
 */
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import { activateExtension, hoverTexts, openWorkspaceFile, positionOf, waitFor, workspaceUri } from './helpers';

interface Exports {
  panel: {
    view?: { id: string; kind: string; error: { fix?: string } | null };
    handleMessage(m: unknown): void;
    isOpen: boolean;
  };
  results: { get(viewId: string): { tensor(id: string): Promise<Tensor | undefined> } | undefined };
  store: { get(role: string): { tensor: { shape: number[] } } | undefined; clear(): void };
}

interface Tensor {
  shape: number[];
  data: Float64Array;
}

interface Result {
  ok: boolean;
  output: Tensor | null;
  shape?: number[] | null;
  outcome?: { passed: boolean; headline: string; wrongElements: { index: number[]; got: number; expected: number }[] };
  view: {
    id: string;
    kind: string;
    error: { rule?: string; torch?: string; why?: string; fix?: string } | null;
    summary: { label: string; value: string }[];
    trace: unknown;
  };
}

/** A tensor as nested lists, to compare with the lecture's numbers. */
function nested(t: Tensor | null | undefined): unknown {
  assert.ok(t, 'no tensor');
  let k = 0;
  const build = (d: number): unknown =>
    d === t.shape.length ? t.data[k++] : Array.from({ length: t.shape[d] }, () => build(d + 1));
  return build(0);
}

const LECTURE_OUTPUT = [
  [16, 28, 24, 28, 16],
  [27, 41, 38, 37, 21],
  [33, 40, 33, 25, 18],
  [32, 40, 37, 29, 17],
  [25, 27, 21, 20, 12],
];

let api: Exports;

function ref(doc: vscode.TextDocument, text: string, offset = 0) {
  const p = positionOf(doc, text, offset);
  return { uri: doc.uri.toString(), line: p.line, character: p.character };
}

async function run(command: string, args: Record<string, unknown>): Promise<Result> {
  const r = await vscode.commands.executeCommand<Result>(command, args);
  assert.ok(r, `${command} returned nothing (it failed or was cancelled)`);
  return r;
}

suiteSetup(async () => {
  const ext = await activateExtension();
  api = ext.exports as Exports;
});

suite('Hover on matrix literals in every format', () => {
  const cases: [file: string, at: string, shape: string][] = [
    ['lecture.py', '[1, 3, 2, 3, 3]', '5×5'],
    ['lecture.py', 'np.array([[1, 3, 2]', '3×3'],
    ['lecture.py', 'torch.tensor([[[[0.5', '1×1×1×4'],
    ['sample.py', 'np.array([[1.0, 2.0', '2×3'],
    ['tf_model.py', 'tf.constant(', '2×2'],
    ['matrices.m', '[1 2 3; 4 5 6; 7 8 9]', '3×3'],
    ['model.jl', '[1.5 -2.0 Inf; 0 NaN 3]', '2×3'],
    ['grid.txt', '3\t1\t2', '2×3×3'],
    ['data.csv', '5,6,7,8', '2×4'],
    ['table.md', '| 2  | 0  | -2 |', '3×3'],
    ['matrix.tex', '\\begin{bmatrix}', '3×3'],
    ['arrays.json', '[[0.25, 0.5]', '2×2'],
  ];
  for (const [file, at, shape] of cases) {
    test(`${file}: ${JSON.stringify(at)} is ${shape}`, async () => {
      const editor = await openWorkspaceFile(file);
      const texts = await hoverTexts(editor.document.uri, positionOf(editor.document, at, 1));
      const mine = texts.find((t) => t.includes('Conv Lens'));
      assert.ok(mine, `no Conv Lens hover; hovers: ${JSON.stringify(texts)}`);
      assert.match(mine, new RegExp(`\`${shape}\``));
      assert.match(mine, /min .* · max .* · mean/);
      assert.match(mine, /command:convLens\.convolve\?/);
    });
  }

  test('the statistics of the lecture input', async () => {
    const editor = await openWorkspaceFile('lecture.py');
    const [text] = (await hoverTexts(editor.document.uri, positionOf(editor.document, '[3, 1, 2, 1, 1]', 2))).filter(
      (t) => t.includes('Conv Lens'),
    );
    assert.match(text, /min 1 · max 3 · mean 2 · 25 elements/);
  });

  test('no hover away from literals, and none when the setting is off', async () => {
    const editor = await openWorkspaceFile('lecture.py');
    const away = await hoverTexts(editor.document.uri, positionOf(editor.document, 'import numpy', 3));
    assert.ok(!away.some((t) => t.includes('Conv Lens')), JSON.stringify(away));
    const config = vscode.workspace.getConfiguration('convLens');
    await config.update('hover.enabled', false, vscode.ConfigurationTarget.Global);
    try {
      const off = await hoverTexts(editor.document.uri, positionOf(editor.document, '[1, 3, 2, 3, 3]', 2));
      assert.ok(!off.some((t) => t.includes('Conv Lens')), JSON.stringify(off));
    } finally {
      await config.update('hover.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});

suite('Commands', () => {
  let doc: vscode.TextDocument;
  suiteSetup(async () => {
    doc = (await openWorkspaceFile('lecture.py')).document;
  });

  test("Convolve: the lecture's output from two literals in the file", async () => {
    const r = await run('convLens.convolve', {
      input: ref(doc, 'image = [', 8),
      kernel: ref(doc, 'np.array([[1, 3'),
      params: 'padding=1',
    });
    assert.equal(r.ok, true, r.view.error?.fix);
    assert.deepEqual(nested(r.output), LECTURE_OUTPUT);
    assert.equal(r.view.kind, 'conv');
    await waitFor(() => api.panel.isOpen, 5000, 'the panel');
    assert.equal(api.panel.view?.kind, 'conv');
  });

  test('Convolve from two editor selections (document order: input, then kernel)', async () => {
    const editor = await vscode.window.showTextDocument(doc);
    const sel = (text: string, length: number) => {
      const start = positionOf(doc, text);
      return new vscode.Selection(start, doc.positionAt(doc.offsetAt(start) + length));
    };
    const image = doc.getText().indexOf('[\n    [1, 3');
    const imageEnd = doc.getText().indexOf(']\n\nkernel') + 1;
    editor.selections = [
      sel('[[1, 3, 2],\n', doc.getText().indexOf(']], dtype') + 2 - doc.getText().indexOf('[[1, 3, 2],\n')),
      new vscode.Selection(doc.positionAt(image), doc.positionAt(imageEnd)),
    ];
    const r = await run('convLens.convolve', { params: 'padding=1' });
    assert.deepEqual(nested(r.output), LECTURE_OUTPUT);
  });

  test('Set Selection as Input / Kernel fill the store; Convolve then needs only the parameters', async () => {
    await run('convLens.setInput', { input: ref(doc, 'image = [', 8) }).catch(() => undefined);
    await vscode.commands.executeCommand('convLens.setKernel', { input: ref(doc, 'np.array([[1, 3') });
    assert.deepEqual(api.store.get('input')?.tensor.shape, [5, 5]);
    assert.deepEqual(api.store.get('kernel')?.tensor.shape, [3, 3]);
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    const r = await run('convLens.convolve', { params: 'stride=2, padding=1' });
    assert.deepEqual(nested(r.output), [
      [16, 24, 16],
      [33, 33, 18],
      [25, 21, 12],
    ]);
    api.store.clear();
  });

  test('a refused convolution explains itself in the panel and a warning', async () => {
    const r = await run('convLens.convolve', {
      input: ref(doc, 'np.array([[1, 3'),
      kernel: ref(doc, 'image = [', 8),
      params: '',
    });
    assert.equal(r.ok, false);
    assert.equal(r.view.error?.rule, 'kernel_too_large');
    assert.match(r.view.error?.fix ?? '', /padding ≥ 1/);
  });

  test('Check Output Shape from typed shapes: the formula, and PyTorch’s error with the fix', async () => {
    const ok = await run('convLens.checkOutputShape', {
      op: 'conv',
      inputShape: '1x3x224x224',
      weightShape: '64x3x7x7',
      params: 'stride=2, padding=3',
    });
    assert.deepEqual(ok.shape, [1, 64, 112, 112]);
    assert.ok(ok.view.summary.some((s) => s.value === 'floor((224 + 2·3 − 1·(7 − 1) − 1) / 2) + 1 = 112'));
    const bad = await run('convLens.checkOutputShape', {
      op: 'conv',
      inputShape: [1, 64, 56, 56],
      weightShape: [128, 3, 3, 3],
      params: 'padding=1',
    });
    assert.equal(bad.ok, false);
    assert.match(
      bad.view.error?.torch ?? '',
      /expected input\[1, 64, 56, 56\] to have 3 channels, but got 64 channels instead/,
    );
    assert.match(bad.view.error?.fix ?? '', /in_channels=64/);
  });

  test("Check Gradient: passes, and finds the wrong element of the student's grad", async () => {
    const r = await run('convLens.checkGradient', {
      input: ref(doc, 'image = [', 8),
      kernel: ref(doc, 'np.array([[1, 3'),
      userGradient: ref(doc, 'torch.tensor([[8.'),
      params: 'padding=1',
    });
    assert.equal(r.ok, true, r.view.error?.fix);
    // the headline is about the student's gradient: one element is wrong, so the check did not pass
    assert.equal(r.outcome?.passed, false);
    assert.equal(r.outcome?.headline, 'your grad_input has 1 wrong element of 25');
    assert.deepEqual(r.outcome?.wrongElements, [{ index: [2, 2], got: 81, expected: 18 }]);
    // and the wrong number is marked where the student wrote it
    const marks = await waitFor(
      () => {
        const ours = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'Conv Lens');
        return ours.length ? ours : undefined;
      },
      5000,
      'the gradient mark',
    );
    assert.equal(marks?.length, 1);
    // the mark covers the number as the student wrote it, trailing point included
    assert.equal(doc.getText(marks?.[0].range), '81.');
    assert.match(marks?.[0].message ?? '', /grad_input\[2, 2\] is 81 but should be 18/);
    const trace = r.view.trace as { userGradients: { wrong: string[][] }[] };
    assert.deepEqual(trace.userGradients[0].wrong[0], ['2, 2', '81', '18', '63']);
  });

  test('Max Pool, Avg Pool, Transposed Convolution, Show im2col and Show Backward Pass', async () => {
    const max = await run('convLens.maxPool', {
      input: ref(doc, 'image = [', 8),
      params: 'kernel_size=3, stride=2, padding=1',
    });
    assert.deepEqual(nested(max.output), [
      [3, 3, 3],
      [3, 3, 2],
      [3, 3, 2],
    ]);
    assert.equal(api.panel.view?.kind, 'max_pool');
    const avg = await run('convLens.avgPool', { input: ref(doc, 'image = [', 8), params: 'kernel_size=5' });
    assert.deepEqual(nested(avg.output), [[2]]);
    const up = await run('convLens.transposedConvolution', {
      input: ref(doc, 'np.array([[1, 3'),
      kernel: '[[1, 1], [1, 1]]',
      params: 'stride=2',
    });
    assert.deepEqual(up.output?.shape, [6, 6]);
    const cols = await run('convLens.showIm2col', {
      input: ref(doc, 'image = [', 8),
      kernel: ref(doc, 'np.array([[1, 3'),
      params: 'padding=1',
    });
    assert.deepEqual(cols.output?.shape, [9, 25]);
    const back = await run('convLens.backward', {
      input: ref(doc, 'image = [', 8),
      kernel: ref(doc, 'np.array([[1, 3'),
      params: 'padding=1',
    });
    const dx = await api.results.get(back.view.id)?.tensor('dX');
    assert.deepEqual((nested(dx) as number[][][][])[0][0][2], [12, 18, 18, 18, 13]);
    assert.equal(api.panel.view?.kind, 'backward');
  });

  test('Insert Result writes the output under the input, in the input’s own format', async () => {
    const target = await vscode.workspace.openTextDocument({
      language: 'python',
      content: 'x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])\n',
    });
    await vscode.window.showTextDocument(target);
    const r = await run('convLens.convolve', {
      input: ref(target, 'np.array'),
      kernel: '[[1, 0], [0, 1]]',
      params: '',
    });
    assert.deepEqual(nested(r.output), [
      [6, 8],
      [12, 14],
    ]);
    await vscode.commands.executeCommand('convLens.insertResult');
    await waitFor(
      () => /\nx_conv = np\.array\(\[\[\s*6,\s+8\],\s*\[12,\s+14\]\]\)/.test(target.getText()),
      5000,
      `the inserted literal in ${JSON.stringify(target.getText())}`,
    );
  });

  test('bad input never throws: a broken literal and bad parameters become messages', async () => {
    const broken = await vscode.workspace.openTextDocument({ language: 'python', content: 'x = [[1, 2], [3]]\n' });
    const r = await vscode.commands.executeCommand('convLens.convolve', {
      input: ref(broken, '[[1'),
      kernel: '[[1]]',
      params: '',
    });
    assert.equal(r, undefined);
    const p = await vscode.commands.executeCommand('convLens.convolve', {
      input: '[[1, 2], [3, 4]]',
      kernel: '[[1]]',
      params: 'stride=',
    });
    assert.equal(p, undefined);
    assert.equal(
      (await vscode.workspace.openTextDocument(workspaceUri('lecture.py'))).isDirty,
      false,
      'nothing the user typed changed',
    );
  });

  test('hostile messages to the panel are ignored', async () => {
    await vscode.commands.executeCommand('convLens.openPanel');
    for (const m of [
      null,
      1,
      'x',
      { type: 'insert', viewId: 3 },
      { type: 'runCommand', command: 'workbench.action.quit' },
      { type: 'save', text: 'x', fileName: '../x' },
      { type: 'page', requestId: 1, viewId: 'nope', part: 'steps', start: 0 },
      { type: 'plane', requestId: 2, viewId: 'nope', tensor: 'input', index: [0] },
    ]) {
      api.panel.handleMessage(m);
    }
    assert.equal(api.panel.isOpen, true);
  });
});
