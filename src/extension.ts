/**
 * The extension host entry point. The editor features (hover, commands, panel) arrive with the editor
 * issue; today it only proves the bundle loads and logs which engine it carries.
 */
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Conv Lens', { log: true });
  context.subscriptions.push(log);
  log.info('Conv Lens activated');
}

export function deactivate(): void {}
