/**
 * Check Gradient…: torch.autograd.gradcheck's test of the conv, always in an engine worker with progress and
 * Cancel. Select a third literal — your own gradient — and it is checked element by element (a fourth: the
 * third is then grad_output); a wrong element is marked in your literal.
 */
import * as vscode from 'vscode';
import type { OperationSpec } from '../../app/operation';
import type { GradcheckOutcome } from '../../app/results/gradcheck';
import type { OperandRole, StoredOperand } from '../operandStore';
import { readSettings } from '../settings';
import type { CommandArgs, CommandContext, CommandResult } from './context';
import { originsOf } from './operation';
import { pickOperands, resolveArg, selectedLiterals, storedLiteral } from './operandPicker';
import { askParameters } from './parameterPrompt';
import { UserCancelled, UserFacingError } from './userErrors';

export async function checkGradient(ctx: CommandContext, args: CommandArgs | undefined): Promise<CommandResult> {
  const settings = readSettings();
  let userGradient: StoredOperand | undefined;
  let gradOutput: StoredOperand | undefined;
  let ops: Map<OperandRole, StoredOperand>;
  const selected = args?.input === undefined ? selectedLiterals() : [];
  if (selected.length >= 3) {
    // input, kernel, [grad_output,] your gradient — in document order
    ops = new Map([
      ['input', storedLiteral(selected[0])],
      ['kernel', storedLiteral(selected[1])],
    ]);
    if (selected.length >= 4) gradOutput = storedLiteral(selected[2]);
    userGradient = storedLiteral(selected[selected.length - 1]);
  } else {
    ops = await pickOperands(ctx.store, args, ['input', 'kernel']);
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
  const params = await askParameters(ctx.extension, 'gradcheck', args?.params);
  const origins = originsOf(ops);
  if (userGradient) origins.push({ role: 'your gradient', label: userGradient.label });
  const spec: OperationSpec = {
    kind: 'gradcheck',
    input: input.tensor,
    kernel: kernel.tensor,
    gradOutput: gradOutput?.tensor,
    userGradient: userGradient && of ? { of, tensor: userGradient.tensor } : undefined,
    params: params.values,
    paramsText: params.text,
    flipByDefault: settings.defaultMode === 'convolution',
    precision: settings.numberPrecision,
    canInsert: false,
    maxElements: settings.maxElements,
    origins,
  };
  const handle = await ctx.results.open(spec, 'Conv Lens: checking gradients');
  ctx.panel.show(handle.view);
  const outcome = handle.outcome as GradcheckOutcome | null;
  if (handle.view.error) void vscode.window.showWarningMessage(`Conv Lens: ${handle.view.error.message}`);
  else if (outcome?.passed) void vscode.window.showInformationMessage(`Conv Lens: ${outcome.headline}.`);
  else if (outcome) void vscode.window.showErrorMessage(`Conv Lens: ${outcome.headline}: see the panel.`);
  if (userGradient && outcome && of) {
    await ctx.gradientMarks.mark(
      userGradient,
      of === 'input' ? 'grad_input' : 'grad_weight',
      outcome.wrongElements,
      settings.numberPrecision,
    );
  }
  return { ok: handle.view.error === null, view: handle.view, output: null, outcome };
}
