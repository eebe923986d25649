/**
 * Convolve…, Transposed Convolution…, Max Pool…, Avg Pool… and Show im2col…: operands, parameters (checked
 * against PyTorch's rules as you type), then the result in the panel.
 */
import * as vscode from 'vscode';
import type { KeywordSet, KwValue } from '../../app/keywords';
import { readConvOperands, readPoolOperands } from '../../app/operands';
import type { OperationKind, OperationSpec } from '../../app/operation';
import { checkShape } from '../../app/results/shape';
import type { OperandRole, StoredOperand } from '../operandStore';
import { readSettings } from '../settings';
import type { CommandArgs, CommandContext, CommandResult } from './context';
import { pickOperands } from './operandPicker';
import { askParameters } from './parameterPrompt';

export type PanelOperation = Extract<OperationKind, 'conv' | 'conv_transpose' | 'max_pool' | 'avg_pool' | 'im2col'>;

export const TITLES: Record<OperationKind, string> = {
  conv: 'Conv Lens: convolving',
  conv_transpose: 'Conv Lens: computing the transposed convolution',
  max_pool: 'Conv Lens: max pooling',
  avg_pool: 'Conv Lens: average pooling',
  im2col: 'Conv Lens: building the column matrix',
  backward: 'Conv Lens: computing the backward pass',
  gradcheck: 'Conv Lens: checking gradients',
};

/** What PyTorch would say of these parameters for these operands, before anything is computed. */
function dryRunFor(kind: PanelOperation, input: StoredOperand, kernel: StoredOperand | undefined, precision: number) {
  return (values: Record<string, KwValue>): string | null => {
    try {
      if ((kind === 'conv' || kind === 'conv_transpose') && kernel) {
        const read = readConvOperands(input.tensor, kernel.tensor);
        return checkShape(kind, read.input.shape, read.weight.shape, values, '', precision).refusal;
      }
      if (kind === 'max_pool' || kind === 'avg_pool') {
        if (values.kernel_size === undefined) return 'kernel_size is required, e.g. kernel_size=2';
        const read = readPoolOperands(input.tensor, values.kernel_size);
        return checkShape(kind, read.input.shape, null, values, '', precision).refusal;
      }
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    return null;
  };
}

/** Where each operand came from, for the panel's summary; operands a script passed in need no saying. */
export function originsOf(operands: ReadonlyMap<string, StoredOperand>) {
  return [...operands].filter(([, o]) => !o.label.endsWith('(given)')).map(([role, o]) => ({ role, label: o.label }));
}

export async function runOperation(
  ctx: CommandContext,
  kind: PanelOperation,
  args: CommandArgs | undefined,
): Promise<CommandResult> {
  const settings = readSettings();
  const needsKernel = kind === 'conv' || kind === 'conv_transpose';
  const roles: OperandRole[] = needsKernel ? ['input', 'kernel'] : ['input'];
  const ops = await pickOperands(ctx.store, args, roles, kind === 'im2col' ? ['kernel'] : []);
  const input = ops.get('input') as StoredOperand;
  const kernel = ops.get('kernel');
  const keywordSet: KeywordSet = kind === 'im2col' ? 'unfold' : kind;
  const abandon = args?.params === undefined ? ctx.panel.openAhead() : () => {};
  const params = await askParameters(
    ctx.extension,
    keywordSet,
    args?.params,
    dryRunFor(kind, input, kernel, settings.numberPrecision),
  ).catch((e: unknown) => {
    abandon();
    throw e;
  });
  const spec: OperationSpec = {
    kind,
    input: input.tensor,
    kernel: kernel?.tensor,
    params: params.values,
    paramsText: params.text,
    flipByDefault: settings.defaultMode === 'convolution',
    precision: settings.numberPrecision,
    canInsert: input.uri !== undefined,
    maxElements: settings.maxElements,
    origins: originsOf(ops),
  };
  const handle = await ctx.results.open(spec, TITLES[kind]);
  const view = handle.view;
  if (handle.output && input.uri) ctx.insertTargets.set(view.id, input);
  ctx.panel.show(view);
  if (view.error) {
    ctx.log.info(`${kind}: refused: ${view.error.message}`);
    void vscode.window.showWarningMessage(
      `Conv Lens: ${view.error.why ? `${view.error.why}: ${view.error.fix}` : view.error.message}`,
    );
  }
  return { ok: view.error === null, view, output: handle.output };
}
