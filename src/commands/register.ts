/**
 * The command-palette commands: a thin layer that gathers operands (selections, the stored input/kernel,
 * or a prompt) and parameters (PyTorch keyword syntax, validated as you type, remembered per workspace),
 * calls the pure command logic in views.ts, and shows the result in the panel.
 *
 * Every command also takes an argument object, so scripts, hover links and tests can run it without
 * prompts: { input?, kernel?, params?, op?, ... } — see CommandArgs.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseShape, type Answer } from '../engine/requests';
import { fromNested, type Tensor } from '../engine/tensor';
import {
  isLiteralRef,
  literalAt,
  literalInSelection,
  type DocumentLiteral,
  type LiteralLookup,
  type LiteralRef,
} from '../host/documentLiterals';
import { Cancelled, EnginePool, type WorkerTask } from '../host/engineWorker';
import { OperandStore, type OperandRole, type StoredOperand } from '../host/operandStore';
import { readSettings } from '../host/settings';
import { formatLiteral, parseLiteral } from '../parse';
import type { PanelManager } from '../panel/panelManager';
import type { PanelView } from '../protocol';
import { formatKwargs, KEYWORDS, parseKwargs, type KeywordSet, type KwValue } from './kwargs';
import { readConvOperands, readPoolOperands } from './operands';
import {
  checkShape,
  gradientCheckRequest,
  gradientCheckView,
  runBackward,
  runOperation,
  traceMore,
  type OperationInput,
  type OperationKind,
  type OperationResult,
  type ShapeOp,
} from './views';

/** An operand given to a command directly: a literal's location, a nested array, or literal text. */
export type OperandArg = LiteralRef | unknown[] | string;

export interface CommandArgs {
  readonly input?: OperandArg;
  readonly kernel?: OperandArg;
  /** keyword text, e.g. "stride=2, padding=1"; skips the parameter prompt */
  readonly params?: string;
  /** Check Output Shape: the op and shapes ("1x3x224x224" or [1, 3, 224, 224]) */
  readonly op?: ShapeOp;
  readonly inputShape?: string | number[];
  readonly weightShape?: string | number[] | null;
  /** Check Gradient: the user's own gradient and (optionally) the grad_output it was computed for */
  readonly userGradient?: OperandArg;
  readonly userGradientOf?: 'input' | 'weight';
  readonly gradOutput?: OperandArg;
}

export interface CommandResult {
  readonly answer: Answer;
  readonly view: PanelView;
}

const PRESETS: Record<KeywordSet, string[]> = {
  conv: [
    'padding=1',
    'stride=1, padding=0',
    "padding='same'",
    'stride=2, padding=1',
    "padding=1, padding_mode='reflect'",
    'dilation=2, padding=2',
    'flip=True, padding=1',
  ],
  conv_transpose: ['stride=2', 'stride=2, padding=1, output_padding=1', 'stride=1, padding=0'],
  max_pool: ['kernel_size=2', 'kernel_size=3, stride=2, padding=1', 'kernel_size=2, ceil_mode=True'],
  avg_pool: [
    'kernel_size=2',
    'kernel_size=3, stride=1, padding=1, count_include_pad=False',
    'kernel_size=2, divisor_override=1',
  ],
  unfold: ['padding=1', 'kernel_size=3', 'kernel_size=3, stride=2'],
  gradcheck: ['padding=1', 'stride=2, padding=1', 'padding=1, fast_mode=True'],
};

class UserCancelled extends Error {}

/** multiply-adds (roughly input elements × kernel elements) above which a command runs in the worker */
const HEAVY_WORK = 4_000_000;

/** Something the user can fix: shown as a message, logged, never an unhandled exception. */
class UserFacingError extends Error {}

interface InsertTarget {
  readonly output: Tensor;
  readonly source: StoredOperand;
}

export function registerCommands(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  store: OperandStore,
  panel: PanelManager,
): {
  insertResult(viewId: string, tensor: string): Promise<void>;
  loadSteps(viewId: string, start: number): unknown | null;
  lastOperation(): { request: Record<string, unknown>; answer: Answer } | undefined;
} {
  const insertTargets = new Map<string, InsertTarget>();
  // the last request a command answered, for Verify in PyTorch (src/debug/verifyCommand.ts)
  let lastOperation: { request: Record<string, unknown>; answer: Answer } | undefined;
  const pool = new EnginePool(path.join(context.extensionPath, 'dist', 'worker.js'));
  context.subscriptions.push({ dispose: () => pool.dispose() });

  /**
   * Runs a task in the engine worker pool behind a cancellable progress notification, so that the editor
   * stays responsive; throws UserCancelled when the user cancels.
   */
  const inWorker = async <T>(title: string, task: WorkerTask): Promise<T> => {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (progress, token) => {
        let reported = 0;
        return pool.run<T>(task, {
          onProgress: (fraction) => {
            progress.report({ increment: (fraction - reported) * 100, message: `${Math.round(fraction * 100)}%` });
            reported = fraction;
          },
          onCancel: (cancel) => token.onCancellationRequested(cancel),
        });
      },
    );
    if (result instanceof Cancelled) throw new UserCancelled();
    return result;
  };
  /** big enough to take the editor's attention for a noticeable time: run it in the worker */
  const isHeavy = (input: Tensor, kernel?: Tensor) => input.data.length * (kernel?.data.length ?? 9) > HEAVY_WORK;
  // the trace request behind each recent view, to page through its steps (the last 20 views)
  const traceRequests = new Map<string, Record<string, unknown>>();
  const rememberTrace = (viewId: string, request: Record<string, unknown> | null) => {
    if (!request) return;
    traceRequests.set(viewId, request);
    if (traceRequests.size > 20) traceRequests.delete(traceRequests.keys().next().value as string);
  };

  const safely =
    <T>(name: string, fn: (args: CommandArgs | undefined) => Promise<T>) =>
    async (...raw: unknown[]): Promise<T | undefined> => {
      // hover links pass [LiteralRef]; scripts pass one CommandArgs object
      const first = raw[0];
      const args: CommandArgs | undefined = isLiteralRef(first) ? { input: first } : (first as CommandArgs | undefined);
      try {
        return await fn(args && typeof args === 'object' ? args : undefined);
      } catch (e) {
        if (e instanceof UserCancelled) return undefined;
        const message = e instanceof Error ? e.message : String(e);
        if (e instanceof UserFacingError) {
          log.warn(`${name}: ${message}`);
          void vscode.window.showErrorMessage(`Conv Lens: ${message}`);
        } else {
          log.error(`${name} failed: ${e instanceof Error ? (e.stack ?? message) : message}`);
          void vscode.window.showErrorMessage(
            `Conv Lens: ${name} failed: ${message}. The "Conv Lens" output channel has the details.`,
          );
        }
        return undefined;
      }
    };

  // ------------------------------------------------------------------------------------------------
  // Operands

  const fromLookup = (lookup: LiteralLookup | null, what: string): DocumentLiteral => {
    if (!lookup)
      throw new UserFacingError(
        `no matrix literal at the cursor for the ${what}: select one, or put the cursor inside it`,
      );
    if (!lookup.ok) {
      const e = lookup.error;
      throw new UserFacingError(
        `the ${what} is not a valid matrix literal: ${e.message} (line ${e.line + 1}, column ${e.column + 1})`,
      );
    }
    return lookup.value;
  };

  const stored = (d: DocumentLiteral): StoredOperand => ({
    tensor: d.literal.tensor,
    label: `${d.label} at ${vscode.workspace.asRelativePath(d.uri)}:${d.range.start.line + 1}`,
    format: d.literal.format,
    wrapper: d.literal.wrapper,
    uri: d.uri,
    range: d.range,
  });

  const resolveArg = async (arg: OperandArg, what: string): Promise<StoredOperand> => {
    const max = readSettings().maxElements;
    if (isLiteralRef(arg)) {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(arg.uri));
      return stored(fromLookup(literalAt(doc, new vscode.Position(arg.line, arg.character), max), what));
    }
    if (Array.isArray(arg)) {
      try {
        return { tensor: fromNested(arg, what, max), label: `${what} (given)`, format: 'python' };
      } catch (e) {
        throw new UserFacingError((e as Error).message);
      }
    }
    if (typeof arg === 'string') {
      const r = parseLiteral(arg, { maxElements: max });
      if (!r.ok) throw new UserFacingError(`the ${what} is not a valid matrix literal: ${r.error.message}`);
      return {
        tensor: r.literal.tensor,
        label: `${r.literal.shape.join('×')} (typed)`,
        format: r.literal.format,
        wrapper: r.literal.wrapper,
      };
    }
    throw new UserFacingError(`the ${what} argument must be a literal's location, a nested list or literal text`);
  };

  /** The literals the user selected in the active editor, in document order. */
  const selectedLiterals = (): DocumentLiteral[] => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return [];
    const max = readSettings().maxElements;
    const selections = [...editor.selections].sort((a, b) => a.start.compareTo(b.start));
    const found: DocumentLiteral[] = [];
    for (const s of selections) {
      const lookup = literalInSelection(editor.document, s, max);
      if (lookup === null && s.isEmpty && selections.length === 1) return [];
      found.push(fromLookup(lookup, found.length === 0 ? 'first selection' : `selection ${found.length + 1}`));
    }
    return found;
  };

  const promptOperand = async (role: string): Promise<StoredOperand> => {
    const max = readSettings().maxElements;
    const text = await vscode.window.showInputBox({
      title: `Conv Lens: the ${role}`,
      prompt: `Type the ${role} as a matrix literal, e.g. [[1, 0, -1], [1, 0, -1], [1, 0, -1]] (or select one in the editor and run the command again)`,
      ignoreFocusOut: true,
      validateInput: (value) => {
        if (value.trim() === '') return null;
        const r = parseLiteral(value, { maxElements: max });
        return r.ok ? null : { message: r.error.message, severity: vscode.InputBoxValidationSeverity.Error };
      },
    });
    if (text === undefined || text.trim() === '') throw new UserCancelled();
    return resolveArg(text, role);
  };

  /**
   * input (and kernel): arguments first, then selections, then what was set, then a prompt. `optional`
   * roles are filled when given or set, never prompted for (im2col's kernel).
   */
  const operands = async (
    args: CommandArgs | undefined,
    roles: OperandRole[],
    optional: OperandRole[] = [],
  ): Promise<Map<OperandRole, StoredOperand>> => {
    const out = new Map<OperandRole, StoredOperand>();
    const wanted = [...roles, ...optional];
    if (args?.input !== undefined) out.set('input', await resolveArg(args.input, 'input'));
    if (args?.kernel !== undefined && wanted.includes('kernel'))
      out.set('kernel', await resolveArg(args.kernel, 'kernel'));
    if (args?.input === undefined) {
      const selected = selectedLiterals();
      if (selected.length >= 2 && wanted.includes('kernel')) {
        out.set('input', stored(selected[0]));
        out.set('kernel', stored(selected[1]));
      } else if (selected.length >= 1) {
        // one literal: it fills whichever operand is not set yet (the input when both or neither are)
        const role: OperandRole =
          roles.includes('kernel') && store.get('input') && !store.get('kernel') ? 'kernel' : 'input';
        out.set(role, stored(selected[0]));
      }
    }
    // a hover link gives only the input: the kernel then comes from what was set, or a prompt
    for (const role of roles) {
      if (!out.has(role)) {
        const s = store.get(role);
        out.set(role, s ?? (await promptOperand(role)));
      }
    }
    for (const role of optional) {
      const s = store.get(role);
      if (!out.has(role) && s) out.set(role, s);
    }
    return out;
  };

  // ------------------------------------------------------------------------------------------------
  // Parameters

  const askParams = async (
    kind: KeywordSet,
    args: CommandArgs | undefined,
    dryRun?: (values: Record<string, KwValue>) => string | null,
  ): Promise<{ values: Record<string, KwValue>; text: string }> => {
    const allowed = KEYWORDS[kind];
    const parse = (text: string) => {
      const r = parseKwargs(text, allowed);
      if (!r.ok) throw new UserFacingError(`parameters: ${r.message}`);
      return { values: r.values, text };
    };
    if (args?.params !== undefined) return parse(args.params);
    const key = `convLens.params.${kind}`;
    const last = context.workspaceState.get<string>(key);
    const items: (vscode.QuickPickItem & { value?: string })[] = [];
    if (last !== undefined)
      items.push({ label: last || '(defaults)', description: 'last used in this workspace', value: last });
    for (const p of PRESETS[kind]) if (p !== last) items.push({ label: p, description: 'preset', value: p });
    items.push({ label: '$(edit) Type parameters…', value: undefined, alwaysShow: true });
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Conv Lens: parameters (PyTorch keyword syntax)',
      placeHolder: `pick a preset to edit, e.g. ${PRESETS[kind][0]}`,
      ignoreFocusOut: true,
    });
    if (!picked) throw new UserCancelled();
    const text = await vscode.window.showInputBox({
      title: 'Conv Lens: parameters',
      value: picked.value ?? last ?? PRESETS[kind][0],
      ignoreFocusOut: true,
      prompt: `PyTorch keywords: ${allowed.join(', ')}`,
      validateInput: (value) => {
        const r = parseKwargs(value, allowed);
        if (!r.ok) return { message: r.message, severity: vscode.InputBoxValidationSeverity.Error };
        // PyTorch would refuse these parameters: say why as you type, but let Enter through so that the
        // panel can lay out the whole explanation
        const problem = dryRun?.(r.values);
        return problem
          ? { message: `PyTorch would refuse this: ${problem}`, severity: vscode.InputBoxValidationSeverity.Warning }
          : null;
      },
    });
    if (text === undefined) throw new UserCancelled();
    await context.workspaceState.update(key, text);
    return parse(text);
  };

  const describeRefusal = (answer: Answer): string | null => {
    if (answer.ok) return null;
    return answer.why ? `${answer.why}: ${answer.fix}` : answer.error;
  };

  // ------------------------------------------------------------------------------------------------
  // Operations

  const operation =
    (kind: OperationKind) =>
    async (args: CommandArgs | undefined): Promise<CommandResult> => {
      const settings = readSettings();
      const needsKernel = kind === 'conv' || kind === 'conv_transpose';
      const ops = await operands(
        args,
        needsKernel ? ['input', 'kernel'] : ['input'],
        kind === 'im2col' ? ['kernel'] : [],
      );
      const input = ops.get('input') as StoredOperand;
      const kernel = ops.get('kernel');
      const keywordSet: KeywordSet = kind === 'im2col' ? 'unfold' : kind;
      const flipByDefault = settings.defaultMode === 'convolution';
      const dryRun = (values: Record<string, KwValue>): string | null => {
        if (kind === 'conv' || kind === 'conv_transpose') {
          const read = readConvOperands(input.tensor, (kernel as StoredOperand).tensor);
          return describeRefusal(
            checkShape(kind, read.input.shape, read.weight.shape, values, '', settings.numberPrecision).answer,
          );
        }
        if (kind === 'max_pool' || kind === 'avg_pool') {
          if (values.kernel_size === undefined) return 'kernel_size is required, e.g. kernel_size=2';
          const read = readPoolOperands(input.tensor, values.kernel_size);
          return describeRefusal(checkShape(kind, read.input.shape, null, values, '', settings.numberPrecision).answer);
        }
        return null;
      };
      const params = await askParams(keywordSet, args, dryRun);
      const task: OperationInput = {
        kind,
        input: input.tensor,
        kernel: kernel?.tensor,
        params: params.values,
        paramsText: params.text || formatKwargs(params.values),
        flipByDefault,
        precision: settings.numberPrecision,
        canInsert: input.uri !== undefined,
        limits: { maxElements: settings.maxElements },
      };
      const result = isHeavy(input.tensor, kernel?.tensor)
        ? await inWorker<OperationResult>('Conv Lens: computing', { kind: 'operation', operation: task })
        : runOperation(task);
      if (result.output && input.uri) insertTargets.set(result.view.id, { output: result.output, source: input });
      rememberTrace(result.view.id, result.traceRequest);
      if (result.request) lastOperation = { request: result.request, answer: result.answer };
      panel.show(result.view);
      if (!result.answer.ok) {
        log.info(`${kind}: refused: ${result.answer.error}`);
        void vscode.window.showWarningMessage(
          `Conv Lens: ${result.answer.why ? `${result.answer.why}: ${result.answer.fix}` : result.answer.error}`,
        );
      }
      return { answer: result.answer, view: result.view };
    };

  const parseShapeArg = (value: string | number[], what: string): number[] => {
    if (Array.isArray(value)) return value;
    try {
      return parseShape(value, what);
    } catch (e) {
      throw new UserFacingError((e as Error).message);
    }
  };

  const checkOutputShape = async (args: CommandArgs | undefined): Promise<CommandResult> => {
    const settings = readSettings();
    let op = args?.op;
    if (!op) {
      const picked = await vscode.window.showQuickPick(
        [
          { label: 'Convolution', description: 'conv1d / conv2d / conv3d', value: 'conv' as ShapeOp },
          {
            label: 'Transposed convolution',
            description: 'conv_transpose1d/2d/3d',
            value: 'conv_transpose' as ShapeOp,
          },
          { label: 'Max pooling', description: 'max_pool1d/2d/3d', value: 'max_pool' as ShapeOp },
          { label: 'Average pooling', description: 'avg_pool1d/2d/3d', value: 'avg_pool' as ShapeOp },
        ],
        { title: 'Conv Lens: check the output shape of…', ignoreFocusOut: true },
      );
      if (!picked) throw new UserCancelled();
      op = picked.value;
    }
    const needsWeight = op === 'conv' || op === 'conv_transpose';
    let inputShape: number[] | undefined =
      args?.inputShape !== undefined ? parseShapeArg(args.inputShape, 'the input shape') : undefined;
    let weightShape: number[] | null | undefined =
      args?.weightShape === null
        ? null
        : args?.weightShape !== undefined
          ? parseShapeArg(args.weightShape, 'the weight shape')
          : undefined;
    if (
      inputShape === undefined &&
      (args?.input !== undefined || selectedLiterals().length > 0 || store.get('input'))
    ) {
      // shapes of literals, read the way the other commands read them
      const ops = await operands(args, needsWeight ? ['input', 'kernel'] : ['input']);
      const input = (ops.get('input') as StoredOperand).tensor;
      if (needsWeight) {
        const read = readConvOperands(input, (ops.get('kernel') as StoredOperand).tensor);
        inputShape = [...read.input.shape];
        weightShape = [...read.weight.shape];
      } else inputShape = [...input.shape];
    }
    const askShape = async (what: string, example: string): Promise<number[]> => {
      const text = await vscode.window.showInputBox({
        title: `Conv Lens: ${what}`,
        prompt: `${what}, e.g. ${example}`,
        ignoreFocusOut: true,
        validateInput: (v) =>
          /^\s*\d+(\s*[x×,]\s*\d+)*\s*$/.test(v)
            ? null
            : { message: `write the shape like ${example}`, severity: vscode.InputBoxValidationSeverity.Error },
      });
      if (text === undefined) throw new UserCancelled();
      return parseShapeArg(text, what);
    };
    if (inputShape === undefined) inputShape = await askShape('input shape (N×C×H×W)', '1x3x224x224');
    if (needsWeight && (weightShape === undefined || weightShape === null)) {
      weightShape = await askShape(
        op === 'conv' ? 'weight shape (C_out×C_in/groups×kH×kW)' : 'weight shape (C_in×C_out/groups×kH×kW)',
        op === 'conv' ? '64x3x7x7' : '64x32x4x4',
      );
    }
    const keywordSet: KeywordSet = op;
    const params = await askParams(keywordSet, args, (values) =>
      describeRefusal(
        checkShape(
          op as ShapeOp,
          inputShape as number[],
          needsWeight ? (weightShape as number[]) : null,
          values,
          '',
          settings.numberPrecision,
        ).answer,
      ),
    );
    const { view, answer, request } = checkShape(
      op,
      inputShape,
      needsWeight ? (weightShape as number[]) : null,
      params.values,
      params.text,
      settings.numberPrecision,
    );
    lastOperation = { request, answer };
    panel.show(view);
    if (answer.ok) {
      void vscode.window.showInformationMessage(`Conv Lens: output shape ${(answer.shape as number[]).join('×')}`);
    } else {
      void vscode.window.showWarningMessage(
        `Conv Lens: PyTorch would refuse this. ${answer.why ? `${answer.why}: ${answer.fix}` : answer.error}`,
      );
    }
    return { view, answer };
  };

  const checkGradient = async (args: CommandArgs | undefined): Promise<CommandResult> => {
    const settings = readSettings();
    let userGradient: StoredOperand | undefined;
    let gradOutput: StoredOperand | undefined;
    let ops: Map<OperandRole, StoredOperand>;
    const selected = args?.input === undefined ? selectedLiterals() : [];
    if (selected.length >= 3) {
      // input, kernel, [grad_output,] your gradient — in document order
      ops = new Map([
        ['input', stored(selected[0])],
        ['kernel', stored(selected[1])],
      ]);
      if (selected.length >= 4) gradOutput = stored(selected[2]);
      userGradient = stored(selected[selected.length - 1]);
    } else {
      ops = await operands(args, ['input', 'kernel']);
      if (args?.userGradient !== undefined) userGradient = await resolveArg(args.userGradient, 'your gradient');
      if (args?.gradOutput !== undefined) gradOutput = await resolveArg(args.gradOutput, 'grad_output');
    }
    const input = ops.get('input') as StoredOperand;
    const kernel = ops.get('kernel') as StoredOperand;
    let of: 'input' | 'weight' | undefined = args?.userGradientOf;
    if (userGradient && !of) {
      const n = userGradient.tensor.data.length;
      const matchesInput = n === input.tensor.data.length;
      const matchesKernel = n === kernel.tensor.data.length;
      if (matchesInput && !matchesKernel) of = 'input';
      else if (matchesKernel && !matchesInput) of = 'weight';
      else if (matchesInput && matchesKernel) {
        const picked = await vscode.window.showQuickPick(['input', 'weight'], {
          title: 'Conv Lens: your gradient is the gradient with respect to…',
        });
        if (!picked) throw new UserCancelled();
        of = picked as 'input' | 'weight';
      } else {
        throw new UserFacingError(
          `your gradient has ${n} elements, but the input has ${input.tensor.data.length} and the kernel ${kernel.tensor.data.length}: it must match one of them`,
        );
      }
    }
    const params = await askParams('gradcheck', args);
    const g = {
      input: input.tensor,
      kernel: kernel.tensor,
      params: params.values,
      paramsText: params.text,
      flipByDefault: settings.defaultMode === 'convolution',
      userGradient: userGradient && of ? { of, tensor: userGradient.tensor } : undefined,
      gradOutput: gradOutput?.tensor,
      precision: settings.numberPrecision,
    };
    const { request, notes } = gradientCheckRequest(g);
    const answer = await inWorker<Answer>('Conv Lens: checking gradients', {
      kind: 'request',
      request,
      limits: { maxElements: settings.maxElements },
    });
    const view = gradientCheckView(g, notes, answer);
    lastOperation = { request, answer };
    panel.show(view);
    if (answer.ok) {
      const users =
        (answer.user_gradients as { name: string; passed: boolean; mismatches: number }[] | undefined) ?? [];
      const userText = users
        .map((u) =>
          u.passed
            ? ` Your ${u.name} is correct.`
            : ` Your ${u.name} has ${u.mismatches} wrong element${u.mismatches === 1 ? '' : 's'}: see the panel.`,
        )
        .join('');
      const text = `Conv Lens: gradient check ${answer.passed ? 'passed' : 'FAILED'}.${userText}`;
      if (answer.passed && users.every((u) => u.passed)) void vscode.window.showInformationMessage(text);
      else void vscode.window.showWarningMessage(text);
    } else void vscode.window.showWarningMessage(`Conv Lens: ${answer.error}`);
    return { answer, view };
  };

  const backward = async (args: CommandArgs | undefined): Promise<CommandResult> => {
    const settings = readSettings();
    const selected = args?.input === undefined ? selectedLiterals() : [];
    let ops: Map<OperandRole, StoredOperand>;
    let gradOutput: StoredOperand | undefined;
    if (selected.length >= 3) {
      ops = new Map([
        ['input', stored(selected[0])],
        ['kernel', stored(selected[1])],
      ]);
      gradOutput = stored(selected[2]);
    } else {
      ops = await operands(args, ['input', 'kernel']);
      if (args?.gradOutput !== undefined) gradOutput = await resolveArg(args.gradOutput, 'grad_output');
    }
    const params = await askParams('conv', args);
    const task = {
      input: (ops.get('input') as StoredOperand).tensor,
      kernel: (ops.get('kernel') as StoredOperand).tensor,
      gradOutput: gradOutput?.tensor,
      params: params.values,
      paramsText: params.text,
      flipByDefault: settings.defaultMode === 'convolution',
      precision: settings.numberPrecision,
      canInsert: false,
      limits: { maxElements: settings.maxElements },
    };
    const result = isHeavy(task.input, task.kernel)
      ? await inWorker<OperationResult>('Conv Lens: computing the backward pass', { kind: 'backward', operation: task })
      : runBackward(task);
    rememberTrace(result.view.id, result.traceRequest);
    if (result.request) lastOperation = { request: result.request, answer: result.answer };
    panel.show(result.view);
    if (!result.answer.ok)
      void vscode.window.showWarningMessage(
        `Conv Lens: ${result.answer.why ? `${result.answer.why}: ${result.answer.fix}` : result.answer.error}`,
      );
    return { answer: result.answer, view: result.view };
  };

  const setOperand =
    (role: OperandRole) =>
    async (args: CommandArgs | undefined): Promise<StoredOperand> => {
      let operand: StoredOperand;
      if (args?.input !== undefined) operand = await resolveArg(args.input, role);
      else {
        const selected = selectedLiterals();
        if (selected.length === 0)
          throw new UserFacingError(`select a matrix literal (or put the cursor inside one) to set it as the ${role}`);
        operand = stored(selected[0]);
      }
      store.set(role, operand);
      vscode.window.setStatusBarMessage(`Conv Lens: ${role} set to ${operand.tensor.shape.join('×')}`, 3000);
      return operand;
    };

  const insertResult = async (viewId: string, tensorName: string): Promise<void> => {
    const target = insertTargets.get(viewId);
    if (!target || tensorName !== 'output') {
      void vscode.window.showWarningMessage('Conv Lens: that result can no longer be inserted (run the command again)');
      return;
    }
    const { source, output } = target;
    if (!source.uri || !source.range) return;
    const doc = await vscode.workspace.openTextDocument(source.uri);
    const line = doc.lineAt(source.range.end.line);
    const indent = doc.lineAt(source.range.start.line).text.match(/^\s*/)?.[0] ?? '';
    const text = formatLiteral(output, source.format, {
      wrapper: source.wrapper,
      precision: readSettings().numberPrecision,
    });
    const edit = new vscode.WorkspaceEdit();
    edit.insert(source.uri, line.range.end, `\n${indent}${text.split('\n').join(`\n${indent}`)}`);
    await vscode.workspace.applyEdit(edit);
  };

  const register = <T>(id: string, fn: (args: CommandArgs | undefined) => Promise<T>) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, safely(id, fn)));

  register('convLens.convolve', operation('conv'));
  register('convLens.transposedConvolution', operation('conv_transpose'));
  register('convLens.maxPool', operation('max_pool'));
  register('convLens.avgPool', operation('avg_pool'));
  register('convLens.showIm2col', operation('im2col'));
  register('convLens.checkOutputShape', checkOutputShape);
  register('convLens.checkGradient', checkGradient);
  register('convLens.backward', backward);
  register('convLens.setInput', setOperand('input'));
  register('convLens.setKernel', setOperand('kernel'));
  register('convLens.clearOperands', async () => store.clear());
  register('convLens.openPanel', async () => panel.open());
  register('convLens.insertResult', async (args) => {
    const a = args as unknown as { viewId?: string; tensor?: string } | undefined;
    const viewId = a?.viewId ?? panel.view?.id;
    if (!viewId) throw new UserFacingError('there is no result to insert yet');
    await insertResult(viewId, a?.tensor ?? 'output');
  });
  return {
    insertResult,
    lastOperation: () => lastOperation,
    loadSteps: (viewId, start) => {
      const request = traceRequests.get(viewId);
      return request ? traceMore(request, start, { maxElements: readSettings().maxElements }) : null;
    },
  };
}
