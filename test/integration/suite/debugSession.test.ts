/**
 * Runtime tensors in a REAL debug session in code-server: the test-only extension test/fixtures/debugpy-adapter
 * (installed beside Conv Lens) contributes the `debugpy` debugger type and starts Debian's debugpy adapter; the
 * program test/integration/workspace/debug_tensors.py pauses holding tensors and writes what Python itself says
 * about them. The tests read them through the Variables view menu's commands and the palette's, use them as
 * operands, verify in PyTorch, and do what goes wrong in real sessions.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { activateExtension, waitFor, workspaceUri } from './helpers';

interface Expected {
  values: Record<string, { type: string; dtype: string; shape: number[]; values?: (number | string)[] }>;
  before: { locals: string[]; globals: string[]; tensors: Record<string, unknown> };
}

interface ProtocolVariable {
  name: string;
  value: string;
  type?: string;
  evaluateName?: string;
  variablesReference: number;
  __vscodeVariableMenuContext?: string;
}

interface Source {
  name: string;
  expression: string;
  dtype: string;
  shape: number[];
  device: string;
  pythonType: string;
  requiresGrad: boolean;
  data: Float64Array;
  notes: string[];
  stats: { nanCount: number; firstNaN: number[] | null; posInfCount: number; firstPosInf: number[] | null };
  origin: { kind: string; sessionName: string };
}

type ReadResult =
  | {
      ok: true;
      source: Source;
      timings: { channel: string; totalMs: number; evaluateMs: number; bytes: number };
      view?: { title: string; summary: { label: string; value: string }[] };
    }
  | { ok: false; error: string };

interface Api {
  panel: {
    view?: {
      title: string;
      kind: string;
      summary: { label: string; value: string }[];
      tensors: { id: string; name: string; data: Float64Array | null }[];
    };
  };
  store: {
    get(
      role: string,
    ):
      | { tensor: { shape: number[]; data: Float64Array }; origin?: { kind: string; name: string }; dtype?: string }
      | undefined;
    clear(): void;
  };
}

const ROOT_FIXTURES = (extensionPath: string) => join(extensionPath, 'test', 'fixtures');
const decode = (v: number | string) =>
  v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v;
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

let api: Api;
let extensionPath: string;

interface Paused {
  session: vscode.DebugSession;
  frame: vscode.DebugStackFrame;
  expected: Expected;
  expectedFile: string;
}

/** Starts the debuggee under the fixture's `debugpy` debugger and resolves once it pauses at breakpoint(). */
async function startPaused(): Promise<Paused> {
  const expectedFile = join(tmpdir(), `conv-lens-expected-${process.pid}-${Date.now()}.json`);
  const stopped = new Promise<vscode.DebugStackFrame>((resolve) => {
    const sub = vscode.debug.onDidChangeActiveStackItem((item) => {
      if (item instanceof vscode.DebugStackFrame) {
        sub.dispose();
        resolve(item);
      }
    });
  });
  const folder = vscode.workspace.workspaceFolders?.[0];
  const started = await vscode.debug.startDebugging(folder, {
    type: 'debugpy',
    name: 'Conv Lens: debug_tensors.py',
    request: 'launch',
    program: workspaceUri('debug_tensors.py').fsPath,
    cwd: workspaceUri().fsPath,
    env: {
      CONV_LENS_LECTURE: join(ROOT_FIXTURES(extensionPath), 'lecture-examples.json'),
      CONV_LENS_EXPECTED: expectedFile,
    },
  });
  assert.ok(started, 'vscode.debug.startDebugging refused the debugpy launch configuration');
  const frame = await Promise.race([
    stopped,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('the debuggee did not pause within 120 s')), 120_000),
    ),
  ]);
  const expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as Expected;
  return { session: frame.session, frame, expected, expectedFile };
}

async function frameVariables(p: Paused): Promise<ProtocolVariable[]> {
  const { scopes } = (await p.session.customRequest('scopes', { frameId: p.frame.frameId })) as {
    scopes: { name: string; variablesReference: number }[];
  };
  const locals = scopes.find((s) => /local/i.test(s.name)) ?? scopes[0];
  const { variables } = (await p.session.customRequest('variables', {
    variablesReference: locals.variablesReference,
  })) as { variables: ProtocolVariable[] };
  return variables;
}

/** What the Variables view passes a `debug/variables/context` menu command. */
function menuArgs(p: Paused, v: ProtocolVariable) {
  return {
    sessionId: p.session.id,
    container: { name: 'Locals', variablesReference: 1, expensive: false },
    variable: v,
  };
}

async function run(command: string, args?: unknown): Promise<ReadResult> {
  const r = await vscode.commands.executeCommand<ReadResult>(command, args);
  assert.ok(r, `${command} returned nothing (cancelled?)`);
  return r;
}

function ok(r: ReadResult): Extract<ReadResult, { ok: true }> {
  if (!r.ok) assert.fail(`expected a tensor, got the error: ${r.error}`);
  return r;
}

async function setting(section: string, key: string, value: unknown) {
  await vscode.workspace.getConfiguration(section).update(key, value, vscode.ConfigurationTarget.Global);
}

function checkValues(name: string, source: Source, e: Expected['values'][string]) {
  assert.equal(source.dtype, e.dtype, `${name}: dtype`);
  assert.deepEqual([...source.shape], e.shape, `${name}: shape`);
  if (e.values) {
    const want = e.values.map(decode) as number[];
    assert.equal(source.data.length, want.length, `${name}: element count`);
    const wrong = [...source.data.keys()].filter((i) => !same(source.data[i], want[i]));
    assert.deepEqual(
      wrong.slice(0, 5),
      [],
      `${name}: values differ from what Python printed at ${wrong.slice(0, 5).join(', ')}`,
    );
  }
}

suite('Runtime tensors from a paused debugpy session', function () {
  this.timeout(240_000);
  let paused: Paused;

  suiteSetup(async function () {
    this.timeout(180_000);
    const ext = await activateExtension();
    api = ext.exports as Api;
    extensionPath = ext.extensionPath;
    await setting('convLens.debug', 'transfer', undefined);
    await setting('convLens.debug', 'maxElements', undefined);
    paused = await startPaused();
  });

  suiteTeardown(async () => {
    for (const s of [vscode.debug.activeDebugSession].filter(Boolean)) await vscode.debug.stopDebugging(s);
    await setting('convLens.python', 'path', undefined);
    await setting('convLens.debug', 'transfer', undefined);
    if (paused) rmSync(paused.expectedFile, { force: true });
  });

  test('the session is the debugpy type users have, paused in main', () => {
    assert.equal(paused.session.type, 'debugpy');
    assert.ok(vscode.debug.activeStackItem instanceof vscode.DebugStackFrame);
  });

  test('the tracker marks tensor-like variables (the menus show on them), and only them', async () => {
    const variables = await frameVariables(paused);
    const context = Object.fromEntries(variables.map((v) => [v.name, v.__vscodeVariableMenuContext ?? null]));
    for (const name of [
      'weights_t',
      'half_np',
      'five_d',
      'lecture_input',
      'lecture_kernel',
      'with_nan',
      'big',
      'bf16',
      'np_scalar',
      'zero_d',
      'nested',
      'out',
    ])
      assert.equal(context[name], 'convLens.tensor', `${name} should be marked: ${JSON.stringify(context)}`);
    for (const name of ['label', 'count', 'config', 'words', 'model'])
      assert.equal(context[name], null, `${name} is not a tensor but is marked`);
  });

  test('Show Tensor (the Variables view menu) reads each planted value as Python printed it', async () => {
    const variables = await frameVariables(paused);
    for (const [name, e] of Object.entries(paused.expected.values)) {
      if (name === 'activations') continue; // over the cap: its own test
      const v = variables.find((x) => x.name === name);
      assert.ok(v, `no variable ${name} in the frame`);
      const r = ok(await run('convLens.debug.showTensor', menuArgs(paused, v)));
      checkValues(name, r.source, e);
      assert.equal(r.source.origin.kind, 'debug');
      // the panel's title names the variable with its shape and dtype, as the Variables view shows it
      assert.equal(api.panel.view?.title, `${name} · ${e.shape.length ? e.shape.join('×') : 'scalar'} ${e.dtype}`);
    }
    const w = ok(await run('convLens.debug.showTensor', { expression: 'weights_t' }));
    assert.equal(w.source.requiresGrad, true);
    assert.match(w.source.notes.join('; '), /detached.*non-contiguous/);
  });

  test('Inspect Tensor Variable… lists the frame’s tensors with type, shape, dtype and device', async () => {
    const items = await vscode.commands.executeCommand<
      { name: string; type: string; dtype: string; shape: number[]; device: string }[]
    >('convLens.debug.inspectVariable', { list: true });
    const byName = Object.fromEntries(items.map((i) => [i.name, i]));
    for (const [name, e] of Object.entries(paused.expected.values)) {
      assert.ok(byName[name], `${name} missing from the quick pick: ${items.map((i) => i.name).join(', ')}`);
      assert.equal(byName[name].dtype, e.dtype, name);
      assert.deepEqual(byName[name].shape, e.shape, name);
      assert.equal(byName[name].device, 'cpu');
    }
    assert.equal(byName.half_np.type, 'numpy.ndarray');
    assert.equal(byName.weights_t.type, 'torch.Tensor');
    assert.ok(!byName.label && !byName.model, 'non-tensors are not offered');
    for (const expression of ['model.weight', 'lecture_input[0, :3]', 'model.weight.grad']) {
      const r = ok(await run('convLens.debug.inspectVariable', { pick: expression }));
      assert.equal(r.source.expression, expression);
    }
  });

  test('the palette’s quick pick and the slice prompt, driven like a person: Enter on the first item (over the cap), Enter on the slice', async () => {
    const result = vscode.commands.executeCommand<ReadResult>('convLens.debug.inspectVariable');
    // the quick pick opens with `activations` first (debugpy lists names alphabetically)
    await new Promise((r) => setTimeout(r, 1500));
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    // activations (8×64×56×56) is over convLens.debug.maxElements: the input box offers activations[0]
    await new Promise((r) => setTimeout(r, 1500));
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const r = ok(await result);
    assert.equal(r.source.expression, 'activations[0]');
    assert.deepEqual([...r.source.shape], [64, 56, 56]);
  });

  test('over the cap and Escape: nothing is read, nothing hangs', async () => {
    const started = Date.now();
    const result = vscode.commands.executeCommand<ReadResult | undefined>('convLens.debug.showTensor', {
      expression: 'activations',
    });
    await new Promise((r) => setTimeout(r, 1500));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.equal(await result, undefined);
    assert.ok(Date.now() - started < 20_000);
  });

  test('finds the planted NaN and infinity, with their indices', async () => {
    const r = ok(await run('convLens.debug.showTensor', { expression: 'with_nan' }));
    assert.equal(r.source.stats.nanCount, 1);
    assert.deepEqual(r.source.stats.firstNaN, [1, 2, 3, 4]);
    assert.equal(r.source.stats.posInfCount, 1);
    assert.deepEqual(r.source.stats.firstPosInf, [0, 1, 2, 3]);
    const nanRow = api.panel.view?.summary.find((s) => s.label === 'NaN / ∞');
    assert.equal(nanRow?.value, '1 NaN (first at [1, 2, 3, 4]) · 1 +∞');
    assert.equal(api.panel.view?.kind, 'tensor');
  });

  test('Use as Input / Use as Kernel, then Convolve: the lecture’s 25 numbers, and Verify in PyTorch: difference 0', async () => {
    const lecture = JSON.parse(readFileSync(join(ROOT_FIXTURES(extensionPath), 'lecture-examples.json'), 'utf8')) as {
      cases: { expect: { output: number[][][] } }[];
    };
    api.store.clear();
    const variables = await frameVariables(paused);
    const input = variables.find((v) => v.name === 'lecture_input') as ProtocolVariable;
    const kernel = variables.find((v) => v.name === 'lecture_kernel') as ProtocolVariable;
    ok(await run('convLens.debug.useAsInput', menuArgs(paused, input)));
    ok(await run('convLens.debug.useAsKernel', menuArgs(paused, kernel)));
    assert.equal(api.store.get('input')?.origin?.kind, 'debug');
    assert.equal(api.store.get('input')?.dtype, 'float32');
    assert.deepEqual(api.store.get('kernel')?.tensor.shape, [3, 3]);
    // no editor selection: the operands come from the store, as for literals set as input/kernel
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const conv = await vscode.commands.executeCommand<{
      ok: boolean;
      output: { shape: number[]; data: Float64Array } | null;
    }>('convLens.convolve', { params: 'padding=1' });
    assert.ok(conv?.ok, JSON.stringify(conv));
    assert.deepEqual(conv.output?.shape, [5, 5]);
    assert.deepEqual(Array.from(conv.output?.data ?? []), lecture.cases[0].expect.output.flat(2));
    const shown = api.panel.view?.tensors.find((t) => t.id === 'result');
    assert.deepEqual(
      Array.from(shown?.data ?? []),
      lecture.cases[0].expect.output.flat(2),
      'the panel shows the lecture’s 5×5 output',
    );

    await setting('convLens.python', 'path', '/usr/bin/python3');
    const report = await vscode.commands.executeCommand<{
      kind: string;
      agree: boolean;
      comparisons: { name: string; maxAbsDifference: number }[];
    }>('convLens.verifyInPyTorch');
    assert.equal(report.kind, 'compared', JSON.stringify(report));
    assert.equal(report.agree, true);
    assert.deepEqual(
      report.comparisons.map((c) => [c.name, c.maxAbsDifference]),
      [['output', 0]],
    );
  });

  test('Verify in PyTorch with an interpreter without torch says which one and what is missing', async function () {
    const candidates = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'python3'));
    const withoutTorch = candidates.find(
      (p) => existsSync(p) && spawnSync(p, ['-c', 'import torch'], { timeout: 60_000 }).status === 1,
    );
    if (!withoutTorch) {
      console.warn('skipped: no python3 on PATH without torch');
      this.skip();
    }
    await setting('convLens.python', 'path', withoutTorch);
    const report = await vscode.commands.executeCommand<{
      kind: string;
      interpreter: string;
      error: string;
    }>('convLens.verifyInPyTorch');
    assert.equal(report.kind, 'no-torch', JSON.stringify(report));
    assert.equal(report.interpreter, withoutTorch);
    assert.match(report.error, /No module named 'torch'/);
    await setting('convLens.python', 'path', '/usr/bin/python3');
  });

  test('bad input gets a clear message and the session stays usable', async () => {
    const raised = await run('convLens.debug.showTensor', { expression: 'undefined_name + 1' });
    assert.equal(raised.ok, false);
    assert.match(
      (raised as { error: string }).error,
      /^evaluating undefined_name \+ 1 raised NameError: name 'undefined_name' is not defined/,
    );
    const notTensor = await run('convLens.debug.showTensor', { expression: 'label', name: 'label' });
    assert.deepEqual(notTensor, { ok: false, error: 'label is a str, not a tensor' });
    const none = await run('convLens.debug.showTensor', { expression: 'out.grad' });
    assert.match((none as { error: string }).error, /is None, not a tensor/);
    const variables = await frameVariables(paused);
    const words = variables.find((v) => v.name === 'words') as ProtocolVariable;
    assert.deepEqual(await run('convLens.debug.showTensor', menuArgs(paused, words)), {
      ok: false,
      error: 'words is a list of str, not of numbers',
    });
    // and then a read works
    ok(await run('convLens.debug.showTensor', { expression: 'lecture_kernel' }));
  });

  test('nothing in the program changed: names, tensors, versions, gradients', async () => {
    const { result } = (await paused.session.customRequest('evaluate', {
      expression: 'state_now()',
      frameId: paused.frame.frameId,
      context: 'repl',
      format: { rawString: true },
    })) as { result: string };
    const state = JSON.parse(result) as Expected['before'];
    assert.deepEqual(state.locals, paused.expected.before.locals);
    // `out.grad` (the person's own expression, above) made torch warn: Python notes that in __warningregistry__
    assert.deepEqual(
      state.globals.filter((g) => g !== '__warningregistry__'),
      paused.expected.before.globals,
    );
    assert.deepEqual(state.tensors, paused.expected.before.tensors);
  });

  test('measured: Show Tensor to the data in the host, 1,000,000 float32, socket and evaluate channels', async () => {
    const measured: Record<string, number[]> = { socket: [], inline: [] };
    // one round each by default (the inline one takes seconds); CONV_LENS_MEASURE_ROUNDS=3 for the README's numbers
    const rounds = Number(process.env.CONV_LENS_MEASURE_ROUNDS) || 1;
    for (const transfer of Array.from({ length: rounds }, () => ['auto', 'evaluate']).flat()) {
      await setting('convLens.debug', 'transfer', transfer);
      const started = performance.now();
      const r = ok(await run('convLens.debug.showTensor', { expression: 'big' }));
      const wall = performance.now() - started;
      checkValues('big', r.source, paused.expected.values.big);
      assert.equal(r.source.data.length, 1_000_000);
      measured[r.timings.channel].push(Math.round(r.timings.totalMs));
      console.log(
        `[measure] big 1000x1000 float32 over ${r.timings.channel}: data in the host after ${r.timings.totalMs.toFixed(0)} ms (evaluate answered after ${r.timings.evaluateMs.toFixed(0)} ms); the command with the panel: ${wall.toFixed(0)} ms`,
      );
    }
    console.log(`[measure] summary (ms): ${JSON.stringify(measured)}`);
    assert.equal(measured.socket.length, rounds);
    assert.equal(measured.inline.length, rounds);
    await setting('convLens.debug', 'transfer', undefined);
  });

  test('the program dies while a tensor is being read: a clear message, and a new session reads again', async () => {
    // the read's own expression kills the debuggee (as a crash or the OOM killer would), so the session ends while
    // the read waits for its answer — deterministic, where a kill from outside races the transfer (and Stop in the
    // toolbar lets debugpy finish the evaluate first, so the tensor arrives)
    const r = await run('convLens.debug.showTensor', {
      name: 'big',
      expression: "(__import__('os').kill(__import__('os').getpid(), 9), big)[1]",
    });
    assert.equal(r.ok, false, 'the read should have failed');
    assert.match(
      (r as { error: string }).error,
      /debug session "Conv Lens: debug_tensors\.py" ended while reading big/,
    );
    await waitFor(() => vscode.debug.activeDebugSession === undefined, 30_000, 'the session to end');
    rmSync(paused.expectedFile, { force: true });
    paused = await startPaused();
    const again = ok(await run('convLens.debug.showTensor', { expression: 'lecture_kernel' }));
    assert.deepEqual([...again.source.shape], [3, 3]);
  });
});
