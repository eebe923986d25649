/**
 * Tensor files in the real extension host: a checkpoint, an .npy and a safetensors file open in the Conv Lens
 * custom editor (the default editor for them), listed through the document model with their stats; a
 * malicious checkpoint and a text .pth are refused with the reason; a file from a virtual file system (no
 * local path) is read whole through vscode.workspace.fs. Files: test/integration/workspace/tensors/
 * (copies written by test/tensorFiles/generate.py).
 */
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import { activateExtension, positionOf, waitFor, workspaceUri } from './helpers';

interface Stats {
  min: number | null;
  max: number | null;
  nan: number;
  posInf: number;
  negInf: number;
  firstNaN: number[] | null;
}
interface Doc {
  uri: vscode.Uri;
  errorMessage?: string;
  model?: {
    listing: { format: string; description: string; tensors: { name: string; dtype: string; shape: number[] }[] };
    statsState(
      name: string,
    ): { state: 'pending' } | { state: 'done'; stats: Stats } | { state: 'failed'; error: string };
    read(name: string, options?: { slice?: unknown[] }): Promise<{ shape: number[]; data: Float64Array }>;
  };
}
interface View {
  kind: string;
  title: string;
  summary: { label: string; value: string }[];
  tensors: { id: string; shape: number[] }[];
  trace: { filters: { tensor: string; note: string | null } | null } | null;
}
interface Exports {
  tensorFiles: { documents: Set<Doc> };
  panel: { view: View | undefined };
  store: {
    get(role: string): { tensor: { shape: number[] }; origin?: { kind: string; name: string } } | undefined;
    clear(): void;
  };
}
type Ok<T> = { ok: true } & T;

let api: Exports;

async function openTensorFile(uri: vscode.Uri): Promise<Doc> {
  await vscode.commands.executeCommand('vscode.open', uri);
  const doc = await waitFor(
    () => [...api.tensorFiles.documents].find((d) => d.uri.toString() === uri.toString()),
    10_000,
    `the tensor-file document for ${uri.toString()}`,
  );
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  assert.ok(tab?.input instanceof vscode.TabInputCustom, `the active tab is ${tab?.label}, not a custom editor`);
  assert.equal(tab.input.viewType, 'convLens.tensorFile');
  return doc!;
}

suite('Tensor files', () => {
  suiteSetup(async () => {
    api = (await activateExtension()).exports as Exports;
  });

  test('a state_dict opens in the tensor-file editor, listed with dotted names, shapes and stats', async () => {
    const doc = await openTensorFile(workspaceUri('tensors', 'small_cnn.pt'));
    const model = doc.model!;
    assert.equal(doc.errorMessage, undefined);
    assert.equal(model.listing.description, 'PyTorch checkpoint (torch.save zip, format version 3)');
    const w = model.listing.tensors.find((t) => t.name === 'conv1.weight')!;
    assert.deepEqual([w.dtype, [...w.shape]], ['float32', [8, 3, 3, 3]]);
    const done = await waitFor(() => {
      const s = model.statsState('conv1.weight');
      return s.state === 'done' ? s.stats : undefined;
    });
    const values = await model.read('conv1.weight');
    assert.equal(done!.min, Math.min(...values.data));
    assert.equal(done!.max, Math.max(...values.data));
    const filter = await model.read('conv1.weight', { slice: [0] });
    assert.deepEqual(filter.shape, [3, 3, 3]);
    assert.deepEqual([...filter.data], [...values.data.subarray(0, 27)]);
  });

  test("a checkpoint's conv1.weight: Show draws its filters, Use as Kernel convolves a literal with it", async () => {
    const doc = await openTensorFile(workspaceUri('tensors', 'small_cnn.pt'));
    const ref = { uri: doc.uri.toString(), name: 'conv1.weight' };
    const shown = await vscode.commands.executeCommand<Ok<{ view: View }>>('convLens.files.showTensor', ref);
    assert.equal(shown.ok, true, JSON.stringify(shown));
    assert.equal(api.panel.view?.kind, 'tensor');
    assert.equal(api.panel.view?.title, 'conv1.weight · 8×3×3×3 float32');
    assert.equal(api.panel.view?.summary.find((r) => r.label === 'from')?.value, 'tensor file small_cnn.pt');
    // 3 input channels: the filters are drawn as RGB images, all 8 of them
    assert.equal(api.panel.view?.trace?.filters?.tensor, 'filters');
    assert.deepEqual(api.panel.view?.tensors.find((t) => t.id === 'filters')?.shape, [8, 3, 3, 3]);

    api.store.clear();
    const used = await vscode.commands.executeCommand<Ok<{ shape: number[] }>>('convLens.files.useAsKernel', ref);
    assert.deepEqual(used.shape, [8, 3, 3, 3]);
    assert.deepEqual(api.store.get('kernel')?.origin, { kind: 'file', name: 'conv1.weight', file: 'small_cnn.pt' });
    // the cursor in the image literal: Convolve takes it as the input and the stored kernel
    const source = await vscode.workspace.openTextDocument(workspaceUri('tensors', 'conv1_input.py'));
    const editor = await vscode.window.showTextDocument(source);
    const inLiteral = positionOf(source, '[[-3, -2', 2);
    editor.selection = new vscode.Selection(inLiteral, inLiteral);
    const r = await vscode.commands.executeCommand<{ ok: boolean; output: { shape: number[]; data: Float64Array } }>(
      'convLens.convolve',
      { params: 'padding=1' },
    );
    const expected = JSON.parse(readFileSync(workspaceUri('tensors', 'conv1_expected.json').fsPath, 'utf8')) as {
      shape: number[];
      output: number[][][];
    };
    assert.equal(r.ok, true);
    assert.deepEqual(r.output.shape, expected.shape);
    const want = expected.output.flat(2);
    const worst = Math.max(...want.map((v, i) => Math.abs(v - r.output.data[i])));
    assert.ok(worst < 1e-12, `max |Conv Lens − PyTorch| = ${worst}`);
    api.store.clear();
  });

  test('a bad tensor reference is a message, not a crash', async () => {
    const doc = await openTensorFile(workspaceUri('tensors', 'small_cnn.pt'));
    const r = await vscode.commands.executeCommand<{ ok: boolean; error: string }>('convLens.files.showTensor', {
      uri: doc.uri.toString(),
      name: 'conv9.weight',
    });
    assert.deepEqual(r, { ok: false, error: 'small_cnn.pt has no tensor named "conv9.weight"' });
    const none = await vscode.commands.executeCommand<{ ok: boolean; error: string }>('convLens.files.useAsInput', 42);
    assert.equal(none.ok, false);
    assert.match(none.error, /wants \{ uri, name \}/);
  });

  test('an .npy with NaNs and infinities: counted and the first NaN located', async () => {
    const doc = await openTensorFile(workspaceUri('tensors', 'nan_inf.npy'));
    const stats = await waitFor(() => {
      const s = doc.model!.statsState('');
      return s.state === 'done' ? s.stats : undefined;
    });
    assert.deepEqual([stats!.nan, stats!.posInf, stats!.negInf, stats!.firstNaN], [2, 1, 1, [1, 2]]);
  });

  test('safetensors opens too', async () => {
    const doc = await openTensorFile(workspaceUri('tensors', 'hand.safetensors'));
    assert.equal(doc.model!.listing.format, 'safetensors');
    assert.ok(doc.model!.listing.tensors.some((t) => t.name === 'brain' && t.dtype === 'bfloat16'));
  });

  test('a checkpoint whose pickle names os.system is refused, by name, and nothing runs', async () => {
    const doc = await openTensorFile(workspaceUri('tensors', 'os_system.pt'));
    assert.equal(doc.model, undefined);
    assert.match(doc.errorMessage!, /refused: the pickle names posix\.system \(that is, os\.system\)/);
  });

  test('a text .pth (a site-packages path file) gets a clear message', async () => {
    const doc = await openTensorFile(workspaceUri('tensors', 'not_a_tensor_file.pth'));
    assert.match(doc.errorMessage!, /is not a tensor file \(Python's own \.pth files in site-packages are text/);
  });

  test('a file on a virtual file system is read whole through vscode.workspace.fs', async () => {
    const bytes = await vscode.workspace.fs.readFile(workspaceUri('tensors', 'nan_inf.npy'));
    const provider: vscode.FileSystemProvider = {
      onDidChangeFile: new vscode.EventEmitter<vscode.FileChangeEvent[]>().event,
      watch: () => new vscode.Disposable(() => undefined),
      stat: () => ({ type: vscode.FileType.File, ctime: 0, mtime: 0, size: bytes.byteLength }),
      readDirectory: () => [['nan_inf.npy', vscode.FileType.File]],
      createDirectory: () => undefined,
      readFile: () => bytes,
      writeFile: () => undefined,
      delete: () => undefined,
      rename: () => undefined,
    };
    const registration = vscode.workspace.registerFileSystemProvider('convlenstest', provider, { isReadonly: true });
    try {
      const doc = await openTensorFile(vscode.Uri.parse('convlenstest:/folder/nan_inf.npy'));
      assert.equal(doc.errorMessage, undefined);
      assert.deepEqual(doc.model!.listing.tensors[0].shape, [4, 5]);
      const t = await doc.model!.read('');
      assert.equal(t.data[3], 3);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      registration.dispose();
    }
  });
});
