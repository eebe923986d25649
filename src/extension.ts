/**
 * activate(): wires the commands, the hover, the shape lens and the panel to the engine. Nothing else lives here.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands/register';
import { registerDebugCommands } from './debug/commands';
import { forgetDocument } from './host/documentLiterals';
import { OperandStore } from './host/operandStore';
import { LiteralHoverProvider } from './hover/literalHover';
import { ShapeLens } from './lens/shapeLens';
import { PanelManager } from './panel/panelManager';

/** Documents that are not a person's text (output channels, debug consoles) get no hover. */
const SKIPPED_SCHEMES = new Set(['output', 'debug', 'vscode-scm']);

export function activate(context: vscode.ExtensionContext) {
  const log = vscode.window.createOutputChannel('Conv Lens', { log: true });
  const store = new OperandStore();
  let commands: ReturnType<typeof registerCommands> | undefined;
  const panel = new PanelManager(context.extensionUri, log, {
    onInsert: (viewId, tensor) => void commands?.insertResult(viewId, tensor),
    onRunCommand: (command) => void vscode.commands.executeCommand(command),
    // a backward trace pages gradInputSteps and gradWeightSteps from the same request: each page holds both
    onLoadSteps: (viewId, _part, start) => commands?.loadSteps(viewId, start) ?? null,
  });
  commands = registerCommands(context, log, store, panel);
  // Verify in PyTorch checks the last operation a command ran (to become: the panel's current view)
  registerDebugCommands(context, log, store, panel, () => commands?.lastOperation());
  const hover = new LiteralHoverProvider();
  const shapeLens = new ShapeLens(context, log, store);
  context.subscriptions.push(
    shapeLens,
    log,
    store,
    panel,
    vscode.languages.registerHoverProvider('*', {
      provideHover: (document, position) =>
        SKIPPED_SCHEMES.has(document.uri.scheme) ? undefined : hover.provideHover(document, position),
    }),
    vscode.workspace.onDidCloseTextDocument((d) => forgetDocument(d.uri)),
  );
  log.info(`Conv Lens ${context.extension.packageJSON.version as string} activated`);
  // returned for the integration tests: the panel's current view and the stored operands
  return { panel, store, shapeLens };
}

export function deactivate(): void {}
