/**
 * activate(): wires the commands, the hover, the shape lens and the panel to the pure layers (src/app,
 * src/engine, src/parse, src/shapeLens) and the engine workers. Nothing else lives here.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { insertResult, registerCommands } from './editor/commands/register';
import type { CommandContext } from './editor/commands/context';
import { recompute } from './editor/commands/recompute';
import { safely } from './editor/commands/userErrors';
import { forgetDocument } from './editor/documentLiterals';
import { EngineWorkers } from './editor/engineWorkers';
import { GradientMarks } from './editor/gradientMarks';
import { startCpuProfile, startEventLoopLog } from './editor/eventLoopLog';
import { LiteralHoverProvider } from './editor/hover';
import { trackLiteralAtCursor } from './editor/literalContext';
import { OperandStore } from './editor/operandStore';
import { Panel } from './editor/panel';
import { Results } from './editor/results';
import { ShapeLens } from './editor/shapeLensProviders';
import { registerTensorFileCommands } from './editor/tensorFileCommands';
import { registerTensorFileEditor } from './editor/tensorFileEditor';
import { registerDebugCommands } from './debug/commands';

/** Documents that are not a person's text (output channels, debug consoles) get no hover. */
const SKIPPED_SCHEMES = new Set(['output', 'debug', 'vscode-scm']);

export function activate(context: vscode.ExtensionContext) {
  const log = vscode.window.createOutputChannel('Conv Lens', { log: true });
  const store = new OperandStore();
  const workers = new EngineWorkers(path.join(context.extensionPath, 'dist', 'worker.js'));
  // the panel is declared below; it is opened only once a command has started
  const results = new Results(workers, () => panel.open(true));
  // the first command finds warmed-up code, in a worker and on this thread; started once activation has settled
  const spare = setTimeout(() => {
    workers.warmSpare();
    results.warmUp();
  }, 3000);
  context.subscriptions.push({ dispose: () => clearTimeout(spare) });
  const panel = new Panel(context.extensionUri, log, results, {
    onInsert: (viewId, tensor) => void insertResult(commands, viewId, tensor),
    onRecompute: (viewId, values) => void safely(log, 'recompute', () => recompute(commands, viewId, values)),
    onRunCommand: (command) => void vscode.commands.executeCommand(command),
  });
  const gradientMarks = new GradientMarks();
  const commands: CommandContext = {
    extension: context,
    log,
    store,
    panel,
    results,
    insertTargets: new Map(),
    gradientMarks,
  };
  registerCommands(commands);
  // Verify in PyTorch checks the view on the panel: its operation as a request, and the engine's answer to it
  registerDebugCommands(context, log, store, panel, results, async () => {
    const id = panel.view?.id;
    return id ? results.operationOf(id) : undefined;
  });
  const hover = new LiteralHoverProvider();
  const shapeLens = new ShapeLens(context, log, store);
  const tensorFiles = registerTensorFileEditor(log, context.extensionUri);
  context.subscriptions.push(
    tensorFiles.disposable,
    registerTensorFileCommands(tensorFiles.provider.documents, store, panel, results, log),
    shapeLens,
    gradientMarks,
    log,
    store,
    panel,
    results,
    vscode.languages.registerHoverProvider('*', {
      provideHover: (document, position) =>
        SKIPPED_SCHEMES.has(document.uri.scheme) ? undefined : hover.provideHover(document, position),
    }),
    vscode.workspace.onDidCloseTextDocument((d) => forgetDocument(d.uri)),
  );
  context.subscriptions.push(trackLiteralAtCursor());
  const loopLog = startEventLoopLog(process.env.CONV_LENS_EVENT_LOOP_LOG);
  if (loopLog) context.subscriptions.push(loopLog);
  const cpuProfile = startCpuProfile(process.env.CONV_LENS_CPU_PROFILE);
  if (cpuProfile) context.subscriptions.push(cpuProfile);
  log.info(`Conv Lens ${(context.extension.packageJSON as { version: string }).version} activated`);
  // returned for the integration tests: the panel's current view, the results it shows, the stored operands
  return { panel, results, store, shapeLens, tensorFiles: tensorFiles.provider };
}

export function deactivate(): void {}
