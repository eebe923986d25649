/**
 * The panel's live controls: the same operands with the parameters the person changed in the panel,
 * computed again and shown in place of the view they were changed in (its tab and step carry over).
 * Parameters PyTorch refuses give a view with PyTorch's refusal, with the controls still there to fix it.
 */
import * as vscode from 'vscode';
import { applyControls } from '../../app/controls';
import type { CommandContext } from './context';
import { TITLES } from './operation';

export async function recompute(
  ctx: CommandContext,
  viewId: string,
  changed: Readonly<Record<string, string>>,
): Promise<void> {
  const spec = ctx.results.specOf(viewId);
  if (!spec) {
    void vscode.window.showWarningMessage('Conv Lens: that result is no longer kept: run the command again');
    return;
  }
  const applied = applyControls(spec.kind, spec.params, changed);
  if (!applied.ok) {
    void vscode.window.showWarningMessage(`Conv Lens: ${applied.message}`);
    return;
  }
  const handle = await ctx.results.open(
    { ...spec, params: applied.values, paramsText: applied.text },
    TITLES[spec.kind],
  );
  const target = ctx.insertTargets.get(viewId);
  if (target && handle.output) ctx.insertTargets.set(handle.view.id, target);
  ctx.panel.show({ ...handle.view, replaces: viewId });
}
