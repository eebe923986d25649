/**
 * Where a command's operands come from, in order: the command's arguments (hover links, scripts, tests),
 * the literals selected in the editor (in document order), what was set with Set Selection as Input/Kernel,
 * and last a prompt. A selected literal that is itself a stored operand keeps its role: selecting the kernel
 * you just set never turns it into the input as well.
 */
import * as vscode from 'vscode';
import { fromNested, type Tensor } from '../../engine/tensor';
import { parseLiteral } from '../../parse';
import {
  isLiteralRef,
  literalAt,
  literalInSelection,
  type DocumentLiteral,
  type LiteralLookup,
  type LiteralRef,
} from '../documentLiterals';
import type { OperandRole, OperandStore, StoredOperand } from '../operandStore';
import { readSettings } from '../settings';
import { UserCancelled, UserFacingError } from './userErrors';

/** An operand given to a command directly: a literal's location, a tensor, a nested array, or literal text. */
export type OperandArg = LiteralRef | Tensor | unknown[] | string;

function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    (x as Tensor).data instanceof Float64Array &&
    Array.isArray((x as Tensor).shape)
  );
}

export function fromLookup(lookup: LiteralLookup | null, what: string): DocumentLiteral {
  if (!lookup) {
    throw new UserFacingError(
      `no matrix literal at the cursor for the ${what}: select one, or put the cursor inside it`,
    );
  }
  if (!lookup.ok) {
    const e = lookup.error;
    throw new UserFacingError(
      `the ${what} is not a valid matrix literal: ${e.message} (line ${e.line + 1}, column ${e.column + 1})`,
    );
  }
  return lookup.value;
}

/** A document literal as an operand: its tensor, where it is, and how to write a result back in its format. */
export function storedLiteral(d: DocumentLiteral): StoredOperand {
  return {
    tensor: d.literal.tensor,
    label: `${d.label} at ${vscode.workspace.asRelativePath(d.uri)}:${d.range.start.line + 1}`,
    format: d.literal.format,
    wrapper: d.literal.wrapper,
    uri: d.uri,
    range: d.range,
  };
}

export async function resolveArg(arg: OperandArg, what: string): Promise<StoredOperand> {
  const max = readSettings().maxElements;
  if (isLiteralRef(arg)) {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(arg.uri));
    return storedLiteral(fromLookup(literalAt(doc, new vscode.Position(arg.line, arg.character), max), what));
  }
  if (isTensor(arg)) {
    if (arg.data.length > max) {
      throw new UserFacingError(
        `the ${what} has ${arg.data.length.toLocaleString('en-US')} elements, over convLens.limits.maxElements (${max.toLocaleString('en-US')})`,
      );
    }
    return { tensor: arg, label: `${what} (given)`, format: 'python' };
  }
  if (Array.isArray(arg)) {
    try {
      return { tensor: fromNested(arg, what, max), label: `${what} (given)`, format: 'python' };
    } catch (e) {
      throw new UserFacingError((e as Error).message);
    }
  }
  if (typeof arg === 'string') {
    const r = parseLiteral(arg, { maxElements: max });
    if (!r.ok) throw new UserFacingError(`the ${what} is not a valid matrix literal: ${r.error.message}`);
    return {
      tensor: r.literal.tensor,
      label: `${r.literal.shape.join('×')} (typed)`,
      format: r.literal.format,
      wrapper: r.literal.wrapper,
    };
  }
  throw new UserFacingError(
    `the ${what} argument must be a literal's location, a tensor, a nested list or literal text`,
  );
}

/** The literals the user selected in the active editor, in document order. */
export function selectedLiterals(): DocumentLiteral[] {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return [];
  const max = readSettings().maxElements;
  const selections = [...editor.selections].sort((a, b) => a.start.compareTo(b.start));
  const found: DocumentLiteral[] = [];
  for (const s of selections) {
    const lookup = literalInSelection(editor.document, s, max);
    if (lookup === null && s.isEmpty && selections.length === 1) return [];
    found.push(fromLookup(lookup, found.length === 0 ? 'first selection' : `selection ${found.length + 1}`));
  }
  return found;
}

async function promptOperand(role: string): Promise<StoredOperand> {
  const max = readSettings().maxElements;
  const text = await vscode.window.showInputBox({
    title: `Conv Lens: the ${role}`,
    prompt: `Type the ${role} as a matrix literal, e.g. [[1, 0, -1], [1, 0, -1], [1, 0, -1]] (or select one in the editor and run the command again)`,
    ignoreFocusOut: true,
    validateInput: (value) => {
      if (value.trim() === '') return null;
      const r = parseLiteral(value, { maxElements: max });
      return r.ok ? null : { message: r.error.message, severity: vscode.InputBoxValidationSeverity.Error };
    },
  });
  if (text === undefined || text.trim() === '') throw new UserCancelled();
  return resolveArg(text, role);
}

/** The role a stored operand at the same place in the same document has, if any. */
function storedRoleOf(store: OperandStore, operand: StoredOperand): OperandRole | undefined {
  if (!operand.uri || !operand.range) return undefined;
  for (const role of ['input', 'kernel'] as const) {
    const s = store.get(role);
    if (s?.uri && s.range && s.uri.toString() === operand.uri.toString() && s.range.isEqual(operand.range)) return role;
  }
  return undefined;
}

export interface OperandRequest {
  readonly input?: OperandArg;
  readonly kernel?: OperandArg;
}

/**
 * The operands for `roles`; `optional` roles are filled when given, selected or set, never prompted for
 * (im2col's kernel).
 */
export async function pickOperands(
  store: OperandStore,
  args: OperandRequest | undefined,
  roles: readonly OperandRole[],
  optional: readonly OperandRole[] = [],
): Promise<Map<OperandRole, StoredOperand>> {
  const out = new Map<OperandRole, StoredOperand>();
  const wanted = [...roles, ...optional];
  const place = (operand: StoredOperand, fallback: OperandRole) => {
    // a literal that is already a stored operand keeps the role it was stored as
    const role = storedRoleOf(store, operand) ?? fallback;
    out.set(wanted.includes(role) ? role : fallback, operand);
  };
  if (args?.input !== undefined) place(await resolveArg(args.input, 'input'), 'input');
  if (args?.kernel !== undefined && wanted.includes('kernel'))
    out.set('kernel', await resolveArg(args.kernel, 'kernel'));
  if (args?.input === undefined) {
    const selected = selectedLiterals();
    if (selected.length >= 2 && wanted.includes('kernel')) {
      out.set('input', storedLiteral(selected[0]));
      out.set('kernel', storedLiteral(selected[1]));
    } else if (selected.length >= 1) {
      // one literal: it fills whichever operand is not set yet (the input when both or neither are)
      const fallback: OperandRole =
        wanted.includes('kernel') && store.get('input') && !store.get('kernel') ? 'kernel' : 'input';
      place(storedLiteral(selected[0]), fallback);
    }
  }
  for (const role of roles) if (!out.has(role)) out.set(role, store.get(role) ?? (await promptOperand(role)));
  for (const role of optional) {
    const s = store.get(role);
    if (!out.has(role) && s) out.set(role, s);
  }
  return out;
}
