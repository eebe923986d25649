/**
 * Show Backward Pass…: dX, dW and db of the conv of the operands for dY = ones, or for your own dY (a third
 * selected literal).
 */
import * as vscode from 'vscode';
import type { OperationSpec } from '../../app/operation';
import type { OperandRole, StoredOperand } from '../operandStore';
import { readSettings } from '../settings';
import type { CommandArgs, CommandContext, CommandResult } from './context';
import { originsOf } from './operation';
import { pickOperands, resolveArg, selectedLiterals, storedLiteral } from './operandPicker';
import { askParameters } from './parameterPrompt';

export async function showBackward(ctx: CommandContext, args: CommandArgs | undefined): Promise<CommandResult> {
  const settings = readSettings();
  const selected = args?.input === undefined ? selectedLiterals() : [];
  let ops: Map<OperandRole | 'dY', StoredOperand>;
  let gradOutput: StoredOperand | undefined;
  if (selected.length >= 3) {
    ops = new Map([
      ['input', storedLiteral(selected[0])],
      ['kernel', storedLiteral(selected[1])],
    ]);
    gradOutput = storedLiteral(selected[2]);
  } else {
    ops = await pickOperands(ctx.store, args, ['input', 'kernel']);
    if (args?.gradOutput !== undefined) gradOutput = await resolveArg(args.gradOutput, 'grad_output');
  }
  if (gradOutput) ops.set('dY', gradOutput);
  const params = await askParameters(ctx.extension, 'conv', args?.params);
  const spec: OperationSpec = {
    kind: 'backward',
    input: (ops.get('input') as StoredOperand).tensor,
    kernel: (ops.get('kernel') as StoredOperand).tensor,
    gradOutput: gradOutput?.tensor,
    params: params.values,
    paramsText: params.text,
    flipByDefault: settings.defaultMode === 'convolution',
    precision: settings.numberPrecision,
    canInsert: false,
    maxElements: settings.maxElements,
    origins: originsOf(ops),
  };
  const handle = await ctx.results.open(spec, 'Conv Lens: computing the backward pass');
  ctx.panel.show(handle.view);
  const e = handle.view.error;
  if (e) void vscode.window.showWarningMessage(`Conv Lens: ${e.why ? `${e.why}: ${e.fix}` : e.message}`);
  return { ok: e === null, view: handle.view, output: null };
}
