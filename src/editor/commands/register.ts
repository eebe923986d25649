/**
 * The command palette's commands, wired to their modules. Every command also takes an argument object
 * (CommandArgs), so scripts, hover links and tests can run it without prompts; a hover link passes the
 * literal's location alone, which is taken as the input.
 */
import * as vscode from 'vscode';
import { formatLiteral, type LiteralFormat } from '../../parse';
import { isLiteralRef } from '../documentLiterals';
import type { OperandRole, StoredOperand } from '../operandStore';
import { readSettings } from '../settings';
import { showBackward } from './backward';
import { checkGradient } from './checkGradient';
import { checkOutputShape } from './checkOutputShape';
import type { CommandArgs, CommandContext } from './context';
import { runOperation } from './operation';
import { resolveArg, selectedLiterals, storedLiteral } from './operandPicker';
import { safely, UserFacingError } from './userErrors';

function argsOf(raw: unknown[]): CommandArgs | undefined {
  const first = raw[0];
  if (isLiteralRef(first)) {
    // a hover link: the hover would otherwise stay open over the panel the command opens
    void vscode.commands.executeCommand('editor.action.hideHover').then(undefined, () => undefined);
    return { input: first };
  }
  return first && typeof first === 'object' ? first : undefined;
}

async function setOperand(
  ctx: CommandContext,
  role: OperandRole,
  args: CommandArgs | undefined,
): Promise<StoredOperand> {
  let operand: StoredOperand;
  if (args?.input !== undefined) operand = await resolveArg(args.input, role);
  else {
    const selected = selectedLiterals();
    if (selected.length === 0) {
      throw new UserFacingError(`select a matrix literal (or put the cursor inside one) to set it as the ${role}`);
    }
    operand = storedLiteral(selected[0]);
  }
  ctx.store.set(role, operand);
  vscode.window.setStatusBarMessage(`Conv Lens: ${role} set to ${operand.tensor.shape.join('×')}`, 3000);
  return operand;
}

/** Formats in which `name = literal` is code (Python, MATLAB/Julia); tables, grids and JSON get the literal alone. */
const ASSIGNABLE = new Set<LiteralFormat>(['python', 'numpy', 'torch', 'tensorflow', 'matlab']);
const SUFFIX: Record<string, string> = {
  conv: 'conv',
  conv_transpose: 'up',
  max_pool: 'maxpool',
  avg_pool: 'avgpool',
  im2col: 'cols',
};

/**
 * The name of an inserted result: the input's own variable with the op as a suffix (`x = np.array(…)` gives
 * `x_conv`), or the op's name when the literal is not assigned to a variable.
 */
export function resultName(beforeLiteral: string, kind: string): string | null {
  const suffix = SUFFIX[kind];
  if (!suffix) return null;
  const variable = /([A-Za-z_]\w*)\s*=\s*$/.exec(beforeLiteral)?.[1];
  return variable ? `${variable}_${suffix}` : `${suffix}_output`;
}

/** Writes a view's output under the literal it was computed from, in that literal's own format. */
export async function insertResult(ctx: CommandContext, viewId: string, tensorId: string): Promise<void> {
  const source = ctx.insertTargets.get(viewId);
  const output = ctx.results.get(viewId)?.output;
  if (!source?.uri || !source.range || !output || tensorId !== 'result') {
    void vscode.window.showWarningMessage('Conv Lens: that result can no longer be inserted (run the command again)');
    return;
  }
  const doc = await vscode.workspace.openTextDocument(source.uri);
  const line = doc.lineAt(source.range.end.line);
  const first = doc.lineAt(source.range.start.line).text;
  const indent = /^\s*/.exec(first)?.[0] ?? '';
  const text = formatLiteral(output, source.format, {
    wrapper: source.wrapper,
    precision: readSettings().numberPrecision,
  });
  const name = resultName(first.slice(0, source.range.start.character), ctx.results.get(viewId)?.view.kind ?? 'conv');
  const assignment = name && ASSIGNABLE.has(source.format) ? `${name} = ` : '';
  const edit = new vscode.WorkspaceEdit();
  edit.insert(source.uri, line.range.end, `\n${indent}${assignment}${text.split('\n').join(`\n${indent}`)}`);
  await vscode.workspace.applyEdit(edit);
}

export function registerCommands(ctx: CommandContext): void {
  const register = <T>(id: string, fn: (args: CommandArgs | undefined) => Promise<T>) =>
    ctx.extension.subscriptions.push(
      vscode.commands.registerCommand(id, (...raw: unknown[]) => safely(ctx.log, id, () => fn(argsOf(raw)))),
    );
  register('convLens.convolve', (a) => runOperation(ctx, 'conv', a));
  register('convLens.transposedConvolution', (a) => runOperation(ctx, 'conv_transpose', a));
  register('convLens.maxPool', (a) => runOperation(ctx, 'max_pool', a));
  register('convLens.avgPool', (a) => runOperation(ctx, 'avg_pool', a));
  register('convLens.showIm2col', (a) => runOperation(ctx, 'im2col', a));
  register('convLens.checkOutputShape', (a) => checkOutputShape(ctx, a));
  register('convLens.checkGradient', (a) => checkGradient(ctx, a));
  register('convLens.backward', (a) => showBackward(ctx, a));
  register('convLens.setInput', (a) => setOperand(ctx, 'input', a));
  register('convLens.setKernel', (a) => setOperand(ctx, 'kernel', a));
  register('convLens.clearOperands', () => Promise.resolve(ctx.store.clear()));
  register('convLens.openWalkthroughSample', async () => {
    // an untitled copy: the person can edit it freely, and nothing is written to their workspace
    const bytes = await vscode.workspace.fs.readFile(
      vscode.Uri.joinPath(ctx.extension.extensionUri, 'media', 'walkthrough', 'sample.py'),
    );
    const doc = await vscode.workspace.openTextDocument({
      language: 'python',
      content: new TextDecoder().decode(bytes),
    });
    await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
  });
  register('convLens.openPanel', () => Promise.resolve(ctx.panel.open()));
  register('convLens.insertResult', async (args) => {
    const a = args as { viewId?: string; tensor?: string } | undefined;
    const viewId = a?.viewId ?? ctx.panel.view?.id;
    if (!viewId) throw new UserFacingError('there is no result to insert yet');
    await insertResult(ctx, viewId, a?.tensor ?? 'result');
  });
}
