/**
 * Conv Lens: Verify in PyTorch — the current operation run again in the person's own Python with torch, and the
 * differences shown. Which Python: the `convLens.python.path` setting, else the Python extension's selected
 * interpreter (its public API), else `python3` on PATH. The work is src/python/verify.ts.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { reportLines, verifyInTorch, type CurrentOperation, type VerifyReport } from '../python/verify';
import { summarisedWhenSerialised } from '../editor/commandReturn';

export const VERIFY_COMMAND = 'convLens.verifyInPyTorch';

export interface Interpreter {
  readonly path: string;
  /** where it came from, for messages */
  readonly from: string;
}

/** The part of ms-python.python's exported API this reads (environments API, with the older settings API). */
interface PythonExtensionApi {
  readonly ready?: Promise<void>;
  readonly environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { readonly id?: string; readonly path?: string } | undefined;
    resolveEnvironment?(
      env: { readonly id?: string; readonly path?: string } | string,
    ): Promise<{ readonly executable?: { readonly uri?: vscode.Uri } } | undefined>;
  };
  readonly settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { readonly execCommand?: readonly string[] } | undefined;
  };
}

async function fromPythonExtension(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    await api?.ready;
    const resource = vscode.window.activeTextEditor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    const active = api?.environments?.getActiveEnvironmentPath?.(resource);
    if (active) {
      const resolved = await api.environments?.resolveEnvironment?.(active);
      const path = resolved?.executable?.uri?.fsPath ?? active.path;
      if (path) return path;
    }
    return api?.settings?.getExecutionDetails?.(resource)?.execCommand?.[0];
  } catch {
    return undefined;
  }
}

export async function pythonInterpreter(): Promise<Interpreter> {
  const configured = vscode.workspace.getConfiguration('convLens.python').get<string>('path')?.trim();
  if (configured) {
    const path = configured.startsWith('~/') ? `${os.homedir()}${configured.slice(1)}` : configured;
    return { path, from: 'the setting convLens.python.path' };
  }
  const selected = await fromPythonExtension();
  if (selected) return { path: selected, from: "the Python extension's selected interpreter" };
  const onPath = process.platform === 'win32' ? 'python' : 'python3';
  return { path: onPath, from: `${onPath} on PATH (convLens.python.path is not set)` };
}

const SET_PATH = 'Set convLens.python.path';

export function registerVerifyCommand(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  currentOperation: () => Promise<CurrentOperation | undefined>,
): void {
  const problem = async (message: string, offerSetting: boolean) => {
    log.warn(`Verify in PyTorch: ${message}`);
    const picked = await vscode.window.showErrorMessage(`Conv Lens: ${message}`, ...(offerSetting ? [SET_PATH] : []));
    if (picked === SET_PATH)
      await vscode.commands.executeCommand('workbench.action.openSettings', 'convLens.python.path');
  };

  const run = async (): Promise<VerifyReport | undefined> => {
    const operation = await currentOperation();
    if (!operation) {
      void problem(
        'there is no operation to verify yet: run Convolve…, Max Pool…, Check Gradient… or another Conv Lens command first',
        false,
      );
      return { kind: 'not-applicable', reason: 'no operation' };
    }
    const interpreter = await pythonInterpreter();
    const timeoutSeconds = vscode.workspace.getConfiguration('convLens.python').get<number>('timeoutSeconds') ?? 120;
    const report = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Conv Lens: running it in PyTorch (${interpreter.path})`,
        cancellable: true,
      },
      (_progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return verifyInTorch(operation, {
          interpreter: interpreter.path,
          timeoutMs: Math.max(1, timeoutSeconds) * 1000,
          signal: controller.signal,
        });
      },
    );
    const lines = reportLines(report);
    for (const line of lines) log.info(`Verify in PyTorch: ${line}`);
    const op = String(operation.request.op === 'trace' ? operation.request.of : operation.request.op);
    switch (report.kind) {
      case 'compared': {
        const text = `${op}: PyTorch ${report.torchVersion} ${report.agree ? 'agrees' : 'DISAGREES'} — ${lines.join('; ')}`;
        if (report.agree) void vscode.window.showInformationMessage(`Conv Lens: ${text}`);
        else void vscode.window.showWarningMessage(`Conv Lens: ${text}`);
        break;
      }
      case 'torch-refused':
        if (report.convLensError)
          void vscode.window.showInformationMessage(`Conv Lens: ${op}: ${lines[0]} (Conv Lens refuses it too)`);
        else void vscode.window.showWarningMessage(`Conv Lens: ${op}: ${lines.join('; ')}`);
        break;
      case 'conv-lens-refused':
        void vscode.window.showWarningMessage(`Conv Lens: ${op}: ${lines.join('; ')}`);
        break;
      case 'no-torch':
        void problem(
          `Verify in PyTorch needs torch, but ${interpreter.path} (Python ${report.pythonVersion}, from ${interpreter.from}) cannot import it: ${report.error}. Install PyTorch for that interpreter, or set convLens.python.path to a Python that has torch.`,
          true,
        );
        break;
      case 'not-started':
        void problem(
          `Verify in PyTorch could not start ${interpreter.path} (from ${interpreter.from}): ${report.message}. Set convLens.python.path to a Python that has torch.`,
          true,
        );
        break;
      case 'timeout':
        void problem(
          `PyTorch did not answer within ${timeoutSeconds} s (${interpreter.path}); it was stopped. convLens.python.timeoutSeconds sets the limit.`,
          false,
        );
        break;
      case 'failed':
        void problem(`${interpreter.path} failed while running the check: ${report.detail}`, true);
        break;
      case 'not-applicable':
        void vscode.window.showInformationMessage(`Conv Lens: nothing to verify in PyTorch: ${report.reason}`);
        break;
      case 'cancelled':
        log.info('Verify in PyTorch: cancelled');
        break;
    }
    return report;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(VERIFY_COMMAND, async () => {
      try {
        return summarisedWhenSerialised(await run());
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        log.error(`Verify in PyTorch failed: ${e instanceof Error ? (e.stack ?? message) : message}`);
        void vscode.window.showErrorMessage(`Conv Lens: Verify in PyTorch failed: ${message}`);
        return undefined;
      }
    }),
  );
}
