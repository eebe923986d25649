/**
 * The parameter prompt: PyTorch's keyword syntax (`stride=2, padding=1`), checked as you type. What you type
 * is what is computed: typed text is its own first item, never matched to a preset or cut short; presets
 * and the last parameters used in the workspace are offered below it, to pick with the arrow keys.
 */
import * as vscode from 'vscode';
import { KEYWORDS, parseKwargs, type KeywordSet, type KwValue } from '../../app/keywords';
import { UserCancelled, UserFacingError } from './userErrors';

export const PRESETS: Record<KeywordSet, string[]> = {
  conv: [
    'padding=1',
    'stride=1, padding=0',
    "padding='same'",
    'stride=2, padding=1',
    "padding=1, padding_mode='reflect'",
    'dilation=2, padding=2',
    'flip=True, padding=1',
  ],
  conv_transpose: ['stride=2', 'stride=2, padding=1, output_padding=1', 'stride=1, padding=0'],
  max_pool: ['kernel_size=2', 'kernel_size=3, stride=2, padding=1', 'kernel_size=2, ceil_mode=True'],
  avg_pool: [
    'kernel_size=2',
    'kernel_size=3, stride=1, padding=1, count_include_pad=False',
    'kernel_size=2, divisor_override=1',
  ],
  unfold: ['padding=1', 'kernel_size=3', 'kernel_size=3, stride=2'],
  gradcheck: ['padding=1', 'stride=2, padding=1', 'padding=1, fast_mode=True'],
};

export interface Parameters {
  readonly values: Record<string, KwValue>;
  readonly text: string;
}

/** PyTorch's refusal of these values for the operands at hand, in a sentence, or null when it accepts them. */
export type DryRun = (values: Record<string, KwValue>) => string | null;

function parse(text: string, kind: KeywordSet): Parameters {
  const r = parseKwargs(text, KEYWORDS[kind]);
  if (!r.ok) throw new UserFacingError(`parameters: ${r.message}`);
  return { values: r.values, text };
}

/** What the typed item says under the text: the syntax error, PyTorch's refusal, or that it is fine. */
function verdict(text: string, kind: KeywordSet, dryRun: DryRun | undefined): { ok: boolean; detail: string } {
  const r = parseKwargs(text, KEYWORDS[kind]);
  if (!r.ok) return { ok: false, detail: `$(error) ${r.message}` };
  const problem = dryRun?.(r.values);
  return problem
    ? { ok: true, detail: `$(warning) PyTorch would refuse this: ${problem} (Enter shows why in the panel)` }
    : { ok: true, detail: '$(check) PyTorch accepts these parameters' };
}

type Item = vscode.QuickPickItem & { readonly text: string; readonly typed?: boolean };

export async function askParameters(
  context: vscode.ExtensionContext,
  kind: KeywordSet,
  given: string | undefined,
  dryRun?: DryRun,
): Promise<Parameters> {
  if (given !== undefined) return parse(given, kind);
  const key = `convLens.params.${kind}`;
  const last = context.workspaceState.get<string>(key);
  const offered: Item[] = [];
  if (last !== undefined)
    offered.push({ label: last || '(defaults)', description: 'last used in this workspace', text: last });
  for (const p of PRESETS[kind]) if (p !== last) offered.push({ label: p, description: 'preset', text: p });

  const qp = vscode.window.createQuickPick<Item>();
  qp.title = 'Conv Lens: parameters (PyTorch keyword syntax)';
  qp.placeholder = `type keywords (${KEYWORDS[kind].join(', ')}), or pick one below`;
  qp.ignoreFocusOut = true;
  qp.matchOnDescription = false;
  const refresh = () => {
    const value = qp.value.trim();
    if (value === '') {
      qp.items = offered;
      return;
    }
    const v = verdict(value, kind, dryRun);
    // the typed item is always shown and always first: Enter computes exactly what was typed
    const typed: Item = {
      label: value,
      description: 'what you typed',
      detail: v.detail,
      text: value,
      typed: true,
      alwaysShow: true,
    };
    qp.items = [typed, ...offered];
    qp.activeItems = [typed];
  };
  refresh();
  const chosen = await new Promise<string | undefined>((resolve) => {
    qp.onDidChangeValue(refresh);
    qp.onDidAccept(() => {
      const item = qp.activeItems[0] ?? qp.selectedItems[0];
      const text = item ? item.text : qp.value.trim();
      if (item?.typed && !verdict(text, kind, dryRun).ok) return; // a syntax error: the detail says what to fix
      resolve(text);
      qp.hide();
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (chosen === undefined) throw new UserCancelled();
  // not awaited: the update is a round trip to the workbench, and the command's result should not wait for it
  void Promise.resolve(context.workspaceState.update(key, chosen)).catch(() => {});
  return parse(chosen, kind);
}
