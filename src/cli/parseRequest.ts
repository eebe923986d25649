/**
 * The CLI's `parse` op: the matrix-literal parser for scripts and tests.
 *   {"op": "parse", "text": "x = np.array([[1, 2], [3, 4]])", "offset": 8}
 *   → {"ok": true, "shape": [2, 2], "values": [[1, 2], [3, 4]], "format": "numpy", "range": {...}, "rows": [...]}
 * With "offset" it finds the literal around that position (as the hover does); without, the whole text
 * must be one literal (as a selection). "format" forces a format.
 */
import type { Answer } from '../engine/requests';
import { describe, toNested } from '../engine/tensor';
import { findLiteralAt, LITERAL_FORMATS, parseLiteral, type LiteralFormat, type ParseResult } from '../parse';

const FIELDS = ['op', 'id', 'text', 'offset', 'format', 'max_elements'];

export function answerParse(req: Record<string, unknown>, maxElements?: number): Answer {
  const id = req.id === undefined ? {} : { id: req.id };
  const refuse = (param: string, rule: string, error: string): Answer => ({ ok: false, error, param, rule, ...id });
  for (const key of Object.keys(req)) {
    if (!FIELDS.includes(key))
      return refuse(
        key,
        'unknown_field',
        `parse has no field ${JSON.stringify(key)}; its fields are text, offset, format`,
      );
  }
  if (typeof req.text !== 'string')
    return refuse(
      'text',
      req.text === undefined ? 'missing_field' : 'type',
      `parse needs "text", a string, got ${describe(req.text)}`,
    );
  const format = req.format;
  if (format !== undefined && !(LITERAL_FORMATS as readonly unknown[]).includes(format)) {
    return refuse('format', 'type', `format must be one of ${LITERAL_FORMATS.join(', ')}, got ${describe(format)}`);
  }
  const offset = req.offset;
  if (
    offset !== undefined &&
    !(Number.isInteger(offset) && (offset as number) >= 0 && (offset as number) <= req.text.length)
  ) {
    return refuse(
      'offset',
      'type',
      `offset must be an integer from 0 to the text's length (${req.text.length}), got ${describe(offset)}`,
    );
  }
  let result: ParseResult | null;
  if (offset === undefined)
    result = parseLiteral(req.text, { format: format as LiteralFormat | undefined, maxElements });
  else result = findLiteralAt(req.text, offset as number, { maxElements });
  if (result === null) return refuse('offset', 'not_found', `there is no matrix literal at offset ${String(offset)}`);
  if (!result.ok) {
    const e = result.error;
    return {
      ok: false,
      error: e.message,
      param: 'text',
      // a literal past a limit is no mistake in it: size_limit, with which limit it was
      rule: e.limit ? 'size_limit' : 'syntax',
      ...(e.limit ? { limit: e.limit } : {}),
      line: e.line,
      column: e.column,
      offset: e.offset,
      ...id,
    };
  }
  const l = result.literal;
  return {
    ok: true,
    shape: l.shape,
    values: toNested(l.tensor),
    format: l.format,
    dtype: l.dtype,
    wrapper: l.wrapper ?? null,
    range: l.range,
    values_range: l.valuesRange,
    rows: l.rows,
    notes: l.notes,
    ...id,
  };
}
