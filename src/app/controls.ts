/**
 * The panel's live controls: the parameters of a result as fields the person can change in place (stride,
 * padding, dilation, padding mode, groups, flip; kernel size and the pooling options). The host says which
 * fields a view has and what they hold; a change comes back as keyword text, is read with the same keyword
 * parser as the prompt, and the result is computed again from the same operands.
 */
import type { ParameterControl } from '../protocol';
import { KEYWORDS, parseKwargs, type KeywordSet, type KwValue } from './keywords';
import type { OperationKind } from './operation';

interface FieldSpec {
  readonly keyword: string;
  readonly kind: ParameterControl['kind'];
  /** what an empty field means */
  readonly placeholder: string;
  readonly options?: readonly string[];
}

const n = (keyword: string, placeholder: string): FieldSpec => ({ keyword, kind: 'number', placeholder });
const flag = (keyword: string, placeholder: string): FieldSpec => ({ keyword, kind: 'flag', placeholder });
const PADDING_MODE: FieldSpec = {
  keyword: 'padding_mode',
  kind: 'choice',
  placeholder: 'zeros',
  options: ['zeros', 'reflect', 'replicate', 'circular'],
};

const FIELDS: Partial<Record<OperationKind, readonly FieldSpec[]>> = {
  conv: [
    n('stride', '1'),
    n('padding', '0'),
    n('dilation', '1'),
    n('groups', '1'),
    PADDING_MODE,
    flag('flip', 'False'),
  ],
  backward: [
    n('stride', '1'),
    n('padding', '0'),
    n('dilation', '1'),
    n('groups', '1'),
    PADDING_MODE,
    flag('flip', 'False'),
  ],
  conv_transpose: [n('stride', '1'), n('padding', '0'), n('output_padding', '0'), n('dilation', '1'), n('groups', '1')],
  max_pool: [
    n('kernel_size', 'required'),
    n('stride', 'kernel_size'),
    n('padding', '0'),
    n('dilation', '1'),
    flag('ceil_mode', 'False'),
  ],
  avg_pool: [
    n('kernel_size', 'required'),
    n('stride', 'kernel_size'),
    n('padding', '0'),
    flag('ceil_mode', 'False'),
    flag('count_include_pad', 'True'),
    n('divisor_override', 'None'),
  ],
  im2col: [n('kernel_size', "the kernel's"), n('stride', '1'), n('padding', '0'), n('dilation', '1')],
};

/** A keyword's value as PyTorch code writes it: 2, (2, 1), same, True. */
export function valueText(v: KwValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return `(${v.join(', ')})`;
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}

export function controlsFor(
  kind: OperationKind,
  params: Readonly<Record<string, KwValue>>,
  flipByDefault: boolean,
): ParameterControl[] {
  return (FIELDS[kind] ?? []).map((f) => ({
    keyword: f.keyword,
    kind: f.kind,
    value: f.keyword === 'flip' && params.flip === undefined ? valueText(flipByDefault) : valueText(params[f.keyword]),
    placeholder: f.placeholder,
    options: f.options ?? [],
  }));
}

/** The keyword set a kind of result reads its parameters with. */
export function keywordSetOf(kind: OperationKind): KeywordSet {
  return kind === 'im2col' ? 'unfold' : kind === 'backward' ? 'conv' : kind;
}

/**
 * The parameters after the person changed some fields: the result's own parameters with each changed field
 * read as a keyword (an empty field drops it). Returns the text the panel shows and the values, or the
 * syntax error with the field it is in.
 */
export function applyControls(
  kind: OperationKind,
  params: Readonly<Record<string, KwValue>>,
  changed: Readonly<Record<string, string>>,
): { ok: true; text: string; values: Record<string, KwValue> } | { ok: false; message: string } {
  const allowed: readonly string[] = KEYWORDS[keywordSetOf(kind)];
  const values: Record<string, KwValue> = { ...params };
  for (const [keyword, text] of Object.entries(changed)) {
    if (!allowed.includes(keyword)) return { ok: false, message: `${keyword} is not a parameter of this view` };
    if (text.trim() === '') {
      delete values[keyword];
      continue;
    }
    const r = parseKwargs(`${keyword}=${text}`, allowed);
    if (!r.ok) return { ok: false, message: `${keyword}: ${r.message.replace(/ at column \d+/, '')}` };
    values[keyword] = r.values[keyword];
  }
  const text = Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? `'${v}'` : valueText(v) || 'None'}`)
    .join(', ');
  return { ok: true, text, values };
}
