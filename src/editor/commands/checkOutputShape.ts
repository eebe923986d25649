/**
 * Check Output Shape…: from literals (read as the other commands read them) or typed shapes (1x3x224x224),
 * the output shape with the formula, or PyTorch's error explained with the fix. Shapes only: no values.
 */
import * as vscode from 'vscode';
import { readConvOperands } from '../../app/operands';
import type { ShapeOp } from '../../app/operation';
import { checkShape } from '../../app/results/shape';
import { parseShape } from '../../engine/requests';
import { inlineHandle } from '../engineWorkers';
import type { StoredOperand } from '../operandStore';
import { readSettings } from '../settings';
import type { CommandArgs, CommandContext, CommandResult } from './context';
import { pickOperands, selectedLiterals } from './operandPicker';
import { askParameters } from './parameterPrompt';
import { UserCancelled, UserFacingError } from './userErrors';

function parseShapeArg(value: string | number[], what: string): number[] {
  if (Array.isArray(value)) return value;
  try {
    return parseShape(value, what);
  } catch (e) {
    throw new UserFacingError((e as Error).message);
  }
}

async function askShape(what: string, example: string): Promise<number[]> {
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
}

export async function checkOutputShape(ctx: CommandContext, args: CommandArgs | undefined): Promise<CommandResult> {
  const settings = readSettings();
  let op = args?.op;
  if (!op) {
    const picked = await vscode.window.showQuickPick<vscode.QuickPickItem & { value: ShapeOp }>(
      [
        { label: 'Convolution', description: 'conv1d / conv2d / conv3d', value: 'conv' },
        { label: 'Transposed convolution', description: 'conv_transpose1d/2d/3d', value: 'conv_transpose' },
        { label: 'Max pooling', description: 'max_pool1d/2d/3d', value: 'max_pool' },
        { label: 'Average pooling', description: 'avg_pool1d/2d/3d', value: 'avg_pool' },
      ],
      { title: 'Conv Lens: check the output shape of…', ignoreFocusOut: true },
    );
    if (!picked) throw new UserCancelled();
    op = picked.value;
  }
  const needsWeight = op === 'conv' || op === 'conv_transpose';
  let inputShape = args?.inputShape !== undefined ? parseShapeArg(args.inputShape, 'the input shape') : undefined;
  let weightShape =
    args?.weightShape === null
      ? null
      : args?.weightShape !== undefined
        ? parseShapeArg(args.weightShape, 'the weight shape')
        : undefined;
  if (
    inputShape === undefined &&
    (args?.input !== undefined || selectedLiterals().length > 0 || ctx.store.get('input'))
  ) {
    // the shapes of literals, read the way the other commands read them
    const ops = await pickOperands(ctx.store, args, needsWeight ? ['input', 'kernel'] : ['input']);
    const input = (ops.get('input') as StoredOperand).tensor;
    if (needsWeight) {
      const read = readConvOperands(input, (ops.get('kernel') as StoredOperand).tensor);
      inputShape = [...read.input.shape];
      weightShape = [...read.weight.shape];
    } else inputShape = [...input.shape];
  }
  if (inputShape === undefined) inputShape = await askShape('input shape (N×C×H×W)', '1x3x224x224');
  if (needsWeight && (weightShape === undefined || weightShape === null)) {
    weightShape = await askShape(
      op === 'conv' ? 'weight shape (C_out×C_in/groups×kH×kW)' : 'weight shape (C_in×C_out/groups×kH×kW)',
      op === 'conv' ? '64x3x7x7' : '64x32x4x4',
    );
  }
  const shapes = { input: inputShape, weight: needsWeight ? (weightShape ?? null) : null };
  const shapeOp = op;
  const params = await askParameters(
    ctx.extension,
    shapeOp,
    args?.params,
    (values) => checkShape(shapeOp, shapes.input, shapes.weight, values, '', settings.numberPrecision).refusal,
  );
  const check = checkShape(shapeOp, shapes.input, shapes.weight, params.values, params.text, settings.numberPrecision);
  const handle = inlineHandle(check.session);
  ctx.results.remember(handle);
  ctx.panel.show(handle.view);
  if (check.shape) void vscode.window.showInformationMessage(`Conv Lens: output shape ${check.shape.join('×')}`);
  else void vscode.window.showWarningMessage(`Conv Lens: PyTorch would refuse this. ${check.refusal}`);
  return { ok: check.shape !== null, view: handle.view, output: null, shape: check.shape };
}
