/**
 * The one message the tensor-file editor's page receives: the table's cells, whole, each time statistics
 * arrive (the host throttles it to a few a second). The page was drawn once from the same table
 * (src/tensorFiles/format.ts listingTable); this only refreshes cell text and the sections under the table,
 * so the page keeps its scroll position and focus and a click on a link is never lost to a reload. The page
 * sends nothing: its links are command URIs.
 */
export interface TensorFileRowsMessage {
  readonly type: 'rows';
  /** per tensor, by its name in the file: the cells after the name (dtype, shape, size, the stats) */
  readonly rows: readonly { readonly name: string; readonly cells: readonly string[] }[];
  readonly sections: readonly { readonly title: string; readonly lines: readonly string[] }[];
}

const MAX_ROWS = 1 << 20;
const MAX_CELLS = 64;
const MAX_TEXT = 1 << 16;

const isText = (x: unknown): x is string => typeof x === 'string' && x.length <= MAX_TEXT;
const isTexts = (x: unknown, max: number): x is string[] => Array.isArray(x) && x.length <= max && x.every(isText);
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The page trusts nothing it is sent: anything but a well-formed rows message is dropped. */
export function isTensorFileRowsMessage(x: unknown): x is TensorFileRowsMessage {
  if (!isRecord(x) || x.type !== 'rows' || !Array.isArray(x.rows) || !Array.isArray(x.sections)) return false;
  if (x.rows.length > MAX_ROWS || x.sections.length > MAX_CELLS) return false;
  return (
    x.rows.every((r) => isRecord(r) && isText(r.name) && isTexts(r.cells, MAX_CELLS)) &&
    x.sections.every((s) => isRecord(s) && isText(s.title) && isTexts(s.lines, MAX_ROWS))
  );
}
