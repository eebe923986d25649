/**
 * Runtime tensors in the editor: the debug adapter tracker that marks tensor-like variables, the Variables view
 * menu (Show Tensor, Use as Input, Use as Kernel), Inspect Tensor Variable… from the palette, and Verify in
 * PyTorch. A thin layer: reading is readTensor.ts, the panel's picture is the tensor view (tensorViewSpec.ts), PyTorch is
 * src/python/.
 */
import * as vscode from 'vscode';
import type { OperandRole, OperandStore, StoredOperand } from '../editor/operandStore';
import { readSettings } from '../editor/settings';
import type { Panel } from '../editor/panel';
import type { Results } from '../editor/results';
import type { CurrentOperation } from '../python/verify';
import { shapeText } from '../engine/tensor';
import { sourceTensor, type TensorSource } from '../tensorSource';
import type { Description, ReaderRefusal, TensorDescription } from './readerResult';
import {
  describeTensor,
  describeValues,
  ReadCancelled,
  readValue,
  toTensorSource,
  type ReadTimings,
  type TransferChannel,
} from './readTensor';
import {
  DebugUserError,
  evaluatorFor,
  pausedFrame,
  PYTHON_DEBUG_TYPES,
  sessionSignal,
  type PausedFrame,
} from './session';
import { showTensor } from './showTensor';
import { suggestSlice } from './slice';
import { markTensorVariables, tensorLikeKind, type ProtocolVariable } from './tensorLike';
import { registerVerifyCommand } from './verifyCommand';
import { summarisedWhenSerialised } from '../editor/commandReturn';

export const DEBUG_COMMANDS = {
  showTensor: 'convLens.debug.showTensor',
  useAsInput: 'convLens.debug.useAsInput',
  useAsKernel: 'convLens.debug.useAsKernel',
  inspectVariable: 'convLens.debug.inspectVariable',
} as const;

/** What a Variables view menu passes: `{ sessionId, container, variable }` (VS Code's IVariablesContext). */
interface VariableMenuArgs {
  readonly sessionId?: string;
  readonly variable?: {
    readonly name?: string;
    readonly evaluateName?: string;
    readonly type?: string;
    readonly value?: string;
  };
}

/** What scripts and tests pass instead: an expression, and the name to show it under. */
interface ExpressionArgs {
  readonly expression?: string;
  readonly name?: string;
}

export interface ReadResult {
  readonly source: TensorSource;
  readonly timings: ReadTimings;
}

interface DebugSettings {
  readonly maxElements: number;
  readonly transfer: TransferChannel;
}

function debugSettings(): DebugSettings {
  const c = vscode.workspace.getConfiguration('convLens.debug');
  const max = c.get<number>('maxElements') ?? 1_000_000;
  return {
    maxElements: Math.max(1, Math.min(1 << 27, Math.round(Number.isFinite(max) ? max : 1_000_000))),
    transfer: c.get<string>('transfer') === 'evaluate' ? 'evaluate' : 'auto',
  };
}

/** A read slower than this gets a progress notification with Cancel (a quick one never flashes one). */
const PROGRESS_DELAY_MS = 400;

export function registerDebugCommands(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  store: OperandStore,
  panel: Panel,
  results: Results,
  currentOperation: () => Promise<CurrentOperation | undefined>,
): void {
  // the tracker marks the variables the menus show on (`debugProtocolVariableMenuContext`)
  const trackerFactory: vscode.DebugAdapterTrackerFactory = {
    createDebugAdapterTracker: () => ({
      onDidSendMessage: (message: {
        type?: string;
        command?: string;
        success?: boolean;
        body?: { variables?: ProtocolVariable[] };
      }) => {
        if (message.type === 'response' && message.command === 'variables' && message.success)
          markTensorVariables(message.body?.variables ?? []);
      },
    }),
  };
  for (const type of PYTHON_DEBUG_TYPES)
    context.subscriptions.push(vscode.debug.registerDebugAdapterTrackerFactory(type, trackerFactory));

  const refusalMessage = (what: string, r: ReaderRefusal): string => {
    if (r.raised) return `evaluating ${what} raised ${r.error}`;
    if (r.cut) return `reading ${what} was cut off: ${r.error}`;
    if (r.internal) {
      log.error(`reader fault on ${what}: ${r.error}\n${r.traceback ?? ''}`);
      return `Conv Lens could not read ${what}: ${r.error} (the "Conv Lens" output channel has the details)`;
    }
    return `${what} is ${r.error}`;
  };

  /**
   * Reads an expression in the frame: progress with Cancel when slow, a slice prompt when over the cap (repeated
   * until it fits or the person gives up). Undefined when cancelled.
   */
  const readInteractive = async (
    frame: PausedFrame,
    name: string,
    expression: string,
  ): Promise<ReadResult | undefined> => {
    const settings = debugSettings();
    const evaluate = evaluatorFor(frame);
    let current = expression;
    let currentName = name;
    for (;;) {
      const what = current === currentName ? currentName : `${currentName} (${current})`;
      const cancel = new AbortController();
      const reading = sessionSignal(frame.session, what, cancel.signal);
      const signal = reading.signal;
      let progressReport: ((fraction: number) => void) | undefined;
      let fractionSoFar = 0;
      let finished = false;
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => (resolveDone = r));
      const timer = setTimeout(() => {
        if (finished) return;
        void vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Conv Lens: reading ${what}`, cancellable: true },
          (progress, token) => {
            token.onCancellationRequested(() => cancel.abort('cancelled'));
            let reported = 0;
            progressReport = (fraction) => {
              progress.report({ increment: (fraction - reported) * 100, message: `${Math.round(fraction * 100)}%` });
              reported = fraction;
            };
            if (fractionSoFar > 0) progressReport(fractionSoFar);
            return done;
          },
        );
      }, PROGRESS_DELAY_MS);
      let outcome;
      try {
        outcome = await readValue(evaluate, current, {
          cap: settings.maxElements,
          channel: settings.transfer,
          signal,
          onProgress: (fraction) => {
            fractionSoFar = fraction;
            progressReport?.(fraction);
          },
        });
      } catch (e) {
        if (e instanceof ReadCancelled) {
          log.info(`reading ${what}: cancelled`);
          return undefined;
        }
        if (!signal.aborted) await reading.endedWithin(1000);
        if (signal.reason instanceof DebugUserError) throw signal.reason;
        throw e;
      } finally {
        finished = true;
        clearTimeout(timer);
        resolveDone();
        reading.dispose();
      }
      if (outcome.kind === 'refused') throw new DebugUserError(refusalMessage(what, outcome.refusal));
      if (outcome.kind === 'tensor') {
        const source = toTensorSource(currentName, current, outcome, {
          kind: 'debug',
          sessionName: frame.session.name,
          frame: frame.label,
        });
        const t = outcome.timings;
        log.info(
          `read ${what}: ${describeTensor(outcome.header)} in ${t.totalMs.toFixed(0)} ms over the ${t.channel === 'socket' ? 'socket' : 'evaluate (inline base64)'} channel (evaluate answered after ${t.evaluateMs.toFixed(0)} ms)${t.socketError ? `; the debuggee could not reach the socket: ${t.socketError}` : ''}`,
        );
        return { source, timings: t };
      }
      // over the cap: ask for a slice, never read it all
      const d: TensorDescription = outcome.description;
      const suggestion = suggestSlice(current, d.shape, settings.maxElements);
      const answer = await vscode.window.showInputBox({
        title: `Conv Lens: ${what} is too big to read whole`,
        prompt: `${what} is ${describeTensor(d)} — ${d.numel.toLocaleString('en-US')} elements, over convLens.debug.maxElements (${settings.maxElements.toLocaleString('en-US')}). Read a slice of it:`,
        value: suggestion,
        ignoreFocusOut: true,
        validateInput: (v) =>
          v.trim() === ''
            ? { message: 'a Python expression, e.g. ' + suggestion, severity: vscode.InputBoxValidationSeverity.Error }
            : null,
      });
      if (answer === undefined || answer.trim() === '') return undefined;
      current = answer.trim();
      currentName = current;
    }
  };

  /** The expression and name of a menu's variable, or of a script's argument. */
  const target = (args: unknown): { name: string; expression: string; sessionId?: string } => {
    const a = (args ?? {}) as VariableMenuArgs & ExpressionArgs;
    if (typeof a.expression === 'string' && a.expression.trim()) {
      return { name: a.name ?? a.expression.trim(), expression: a.expression.trim(), sessionId: a.sessionId };
    }
    const v = a.variable;
    if (v) {
      if (!v.evaluateName)
        throw new DebugUserError(
          `${v.name ?? 'this entry'} has no expression the debugger can evaluate: pick the variable itself, or use Inspect Tensor Variable… with an expression`,
        );
      return { name: v.name ?? v.evaluateName, expression: v.evaluateName, sessionId: a.sessionId };
    }
    throw new DebugUserError(
      'run it from the Variables view (right-click a tensor) or use Conv Lens: Inspect Tensor Variable… from the palette',
    );
  };

  const show = async (frame: PausedFrame, name: string, expression: string) => {
    const read = await readInteractive(frame, name, expression);
    if (!read) return undefined;
    const view = showTensor(results, panel, read.source, readSettings().numberPrecision);
    const s = read.source.stats;
    if (s.nanCount || s.posInfCount || s.negInfCount) {
      const parts = [
        s.nanCount ? `${s.nanCount} NaN (first at [${(s.firstNaN ?? []).join(', ')}])` : '',
        s.posInfCount ? `${s.posInfCount} +Infinity` : '',
        s.negInfCount ? `${s.negInfCount} −Infinity` : '',
      ].filter(Boolean);
      void vscode.window.showWarningMessage(`Conv Lens: ${read.source.name} holds ${parts.join(', ')}`);
    }
    return { ok: true as const, ...read, view };
  };

  const useAs = async (role: OperandRole, frame: PausedFrame, name: string, expression: string) => {
    const read = await readInteractive(frame, name, expression);
    if (!read) return undefined;
    const src = read.source;
    const operand: StoredOperand = {
      tensor: sourceTensor(src),
      label: `${src.name}${src.expression !== src.name ? ` = ${src.expression}` : ''} (${src.dtype}${src.device === 'cpu' ? '' : `, ${src.device}`}) from the debug session "${frame.session.name}"`,
      format: 'python',
      origin: { kind: 'debug', name: src.name, expression: src.expression, sessionName: frame.session.name },
      dtype: src.dtype,
    };
    store.set(role, operand);
    vscode.window.setStatusBarMessage(
      `Conv Lens: ${role} set to ${src.name} (${shapeText(src.shape)} ${src.dtype})`,
      3000,
    );
    return { ok: true as const, ...read, operand };
  };

  /** Errors become a message (and, for scripts and tests, `{ ok: false, error }`); undefined means cancelled. */
  const safely =
    <T>(id: string, fn: (args: unknown) => Promise<T>) =>
    async (args: unknown): Promise<T | { ok: false; error: string } | undefined> => {
      try {
        return summarisedWhenSerialised(await fn(args));
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (e instanceof DebugUserError) {
          log.warn(`${id}: ${message}`);
          void vscode.window.showErrorMessage(`Conv Lens: ${message}`);
        } else {
          log.error(`${id} failed: ${e instanceof Error ? (e.stack ?? message) : message}`);
          void vscode.window.showErrorMessage(`Conv Lens: ${message}. The "Conv Lens" output channel has the details.`);
        }
        return { ok: false, error: message };
      }
    };

  const register = <T>(id: string, fn: (args: unknown) => Promise<T>) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, safely(id, fn)));

  register(DEBUG_COMMANDS.showTensor, async (args) => {
    const t = target(args);
    return show(await pausedFrame(t.sessionId), t.name, t.expression);
  });
  register(DEBUG_COMMANDS.useAsInput, async (args) => {
    const t = target(args);
    return useAs('input', await pausedFrame(t.sessionId), t.name, t.expression);
  });
  register(DEBUG_COMMANDS.useAsKernel, async (args) => {
    const t = target(args);
    return useAs('kernel', await pausedFrame(t.sessionId), t.name, t.expression);
  });

  // ------------------------------------------------------------------------------------------------
  // Inspect Tensor Variable…: the frame's tensors, described in one evaluate

  interface ScopeInfo {
    readonly name: string;
    readonly variablesReference: number;
    readonly expensive?: boolean;
  }

  /** The frame's tensor-like variables (locals shadow globals), each with its description. */
  const tensorVariables = async (frame: PausedFrame): Promise<{ name: string; description: Description }[]> => {
    const { scopes } = (await frame.session.customRequest('scopes', { frameId: frame.frameId })) as {
      scopes: ScopeInfo[];
    };
    const seen = new Set<string>();
    const candidates: { name: string; expression: string }[] = [];
    for (const scope of scopes ?? []) {
      if (scope.expensive) continue;
      const { variables } = (await frame.session.customRequest('variables', {
        variablesReference: scope.variablesReference,
      })) as { variables: (ProtocolVariable & { evaluateName?: string })[] };
      for (const v of variables ?? []) {
        if (!v.name || !v.evaluateName || seen.has(v.name) || v.name.startsWith('__')) continue;
        if (tensorLikeKind(v.type, v.value) === null) continue;
        seen.add(v.name);
        candidates.push({ name: v.name, expression: v.evaluateName });
      }
    }
    const descriptions = await describeValues(
      evaluatorFor(frame),
      candidates.map((c) => c.expression),
    );
    return candidates.map((c, i) => ({ name: c.name, description: descriptions[i] }));
  };

  interface InspectArgs {
    /** list the quick pick's items and return them (tests) */
    readonly list?: boolean;
    /** act on this variable (or expression) as if it had been picked */
    readonly pick?: string;
    readonly action?: 'show' | 'input' | 'kernel';
  }

  const act = (action: 'show' | 'input' | 'kernel', frame: PausedFrame, name: string, expression: string) =>
    action === 'show' ? show(frame, name, expression) : useAs(action, frame, name, expression);

  register(DEBUG_COMMANDS.inspectVariable, async (raw) => {
    const args = (raw ?? {}) as InspectArgs;
    const frame = await pausedFrame();
    if (args.pick) {
      return act(args.action ?? 'show', frame, args.pick, args.pick);
    }
    const found = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Conv Lens: listing the paused frame’s tensors' },
      () => tensorVariables(frame),
    );
    const readable = found.filter((f): f is { name: string; description: TensorDescription } => f.description.ok);
    if (args.list) return readable.map((f) => ({ name: f.name, ...f.description }));

    type Item = vscode.QuickPickItem & { readonly expression?: string };
    const inputButton: vscode.QuickInputButton = {
      iconPath: new vscode.ThemeIcon('arrow-right'),
      tooltip: 'Use as Input',
    };
    const kernelButton: vscode.QuickInputButton = {
      iconPath: new vscode.ThemeIcon('symbol-array'),
      tooltip: 'Use as Kernel',
    };
    const items: Item[] = readable.map((f) => {
      const d = f.description;
      return {
        label: f.name,
        description: `${shapeText(d.shape)} ${d.dtype}${d.device === 'cpu' ? '' : ` · ${d.device}`}`,
        detail: `${d.type}${d.requiresGrad ? ' · requires_grad' : ''}${d.contiguous ? '' : ' · non-contiguous'} · ${d.numel.toLocaleString('en-US')} elements`,
        expression: f.name,
        buttons: [inputButton, kernelButton],
      };
    });
    items.push({
      label: '$(edit) An expression…',
      description: 'model.conv1.weight, x[0, :3], out.grad',
      alwaysShow: true,
    });
    const qp = vscode.window.createQuickPick<Item>();
    qp.title = `Conv Lens: tensors in ${frame.label ?? 'the paused frame'}`;
    qp.placeholder =
      items.length > 1
        ? 'Enter shows the tensor; the buttons use it as the input or the kernel'
        : 'no tensor-like variable here: type an expression';
    qp.items = items;
    qp.matchOnDescription = true;
    const choice = await new Promise<{ item: Item; action: 'show' | 'input' | 'kernel' } | undefined>((resolve) => {
      qp.onDidAccept(() => resolve(qp.selectedItems[0] ? { item: qp.selectedItems[0], action: 'show' } : undefined));
      qp.onDidTriggerItemButton((e) =>
        resolve({ item: e.item, action: e.button === inputButton ? 'input' : 'kernel' }),
      );
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
    qp.dispose();
    if (!choice) return undefined;
    let expression = choice.item.expression;
    if (!expression) {
      expression = (
        await vscode.window.showInputBox({
          title: 'Conv Lens: a Python expression in the paused frame',
          prompt: 'Evaluated in the frame like a Watch expression, e.g. model.conv1.weight, x[0, :3], out.grad',
          ignoreFocusOut: true,
          validateInput: (v) =>
            v.trim() ? null : { message: 'type an expression', severity: vscode.InputBoxValidationSeverity.Error },
        })
      )?.trim();
      if (!expression) return undefined;
    }
    return act(choice.action, frame, expression, expression);
  });

  registerVerifyCommand(context, log, currentOperation);
}
