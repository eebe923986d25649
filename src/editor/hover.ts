/**
 * The hover on a matrix literal: shape and element type, min/max/mean, a small preview, and links to the
 * commands (trusted: only these four may run from the hover's Markdown).
 */
import * as vscode from 'vscode';
import { literalAt, type DocumentLiteral, type LiteralRef } from './documentLiterals';
import { readSettings } from './settings';
import { formatNumber } from '../format';

export const HOVER_COMMANDS = [
  'convLens.convolve',
  'convLens.showIm2col',
  'convLens.setInput',
  'convLens.setKernel',
] as const;

const PREVIEW_ROWS = 8;
const PREVIEW_COLUMNS = 8;

function stats(data: Float64Array): { min: number; max: number; mean: number; nan: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let nan = 0;
  for (const v of data) {
    if (Number.isNaN(v)) {
      nan++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / Math.max(1, data.length - nan), nan };
}

/**
 * The first PREVIEW_ROWS × PREVIEW_COLUMNS of the last two dims (of the first plane) as aligned text, for a
 * code block: hover tables have no cell padding, so numbers run together; a monospace block keeps columns.
 */
export function previewText(shape: readonly number[], data: Float64Array, precision: number): string {
  const cols = shape[shape.length - 1];
  const rows = shape.length >= 2 ? shape[shape.length - 2] : 1;
  const shownRows = Math.min(rows, PREVIEW_ROWS);
  const shownCols = Math.min(cols, PREVIEW_COLUMNS);
  const cells: string[][] = [];
  for (let r = 0; r < shownRows; r++) {
    const row: string[] = [];
    for (let c = 0; c < shownCols; c++) row.push(formatNumber(data[r * cols + c], precision));
    if (cols > shownCols) row.push('…');
    cells.push(row);
  }
  if (rows > shownRows) cells.push(Array.from({ length: Math.min(cols, shownCols + 1) }, () => '⋮'));
  const width = Math.max(1, ...cells.flat().map((s) => s.length));
  return cells.map((row) => row.map((s) => s.padStart(width)).join('  ')).join('\n');
}

export function hoverMarkdown(found: DocumentLiteral, precision: number): vscode.MarkdownString {
  const { literal } = found;
  const s = stats(literal.tensor.data);
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: [...HOVER_COMMANDS] };
  const source = literal.wrapper ? `\`${literal.wrapper}\`` : literal.format;
  md.appendMarkdown(`**Conv Lens** · \`${literal.shape.join('×')}\` ${literal.dtype} · ${source}\n\n`);
  const n = literal.tensor.data.length;
  md.appendMarkdown(
    `min ${formatNumber(s.min, precision)} · max ${formatNumber(s.max, precision)} · mean ${formatNumber(s.mean, precision)} · ${n} element${n === 1 ? '' : 's'}${s.nan ? ` · ${s.nan} NaN` : ''}\n\n`,
  );
  if (literal.shape.length >= 1) {
    const planes = literal.shape.length > 2 ? literal.shape.slice(0, -2).reduce((a, b) => a * b, 1) : 1;
    if (planes > 1) md.appendMarkdown(`first of ${planes} planes:\n\n`);
    md.appendCodeblock(previewText(literal.shape, literal.tensor.data, precision), 'text');
  }
  for (const note of literal.notes) md.appendMarkdown(`_${note}_\n\n`);
  const ref: LiteralRef = {
    uri: found.uri.toString(),
    line: found.range.start.line,
    character: found.range.start.character,
  };
  const link = (icon: string, label: string, command: string, tip: string) =>
    `[$(${icon}) ${label}](command:${command}?${encodeURIComponent(JSON.stringify([ref]))} "${tip}")`;
  md.appendMarkdown(
    [
      link('play', 'Step through a convolution', 'convLens.convolve', 'Convolve this input with the kernel you set'),
      link('table', 'im2col', 'convLens.showIm2col', 'Show the im2col matrix of this input'),
      link('arrow-right', 'Use as input', 'convLens.setInput', 'Set this literal as the input'),
      link('symbol-array', 'Use as kernel', 'convLens.setKernel', 'Set this literal as the kernel'),
    ].join(' · '),
  );
  return md;
}

export class LiteralHoverProvider implements vscode.HoverProvider {
  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const settings = readSettings();
    if (!settings.hoverEnabled) return undefined;
    const found = literalAt(document, position, settings.hoverMaxElements);
    if (!found) return undefined;
    if (!found.ok) {
      const md = new vscode.MarkdownString();
      if (found.error.limit) {
        // the hover's own limit: a literal bigger than it reads is said to be so, never shown in part
        md.appendMarkdown('**Conv Lens** · too large for the hover\n\n');
        md.appendText(
          `${found.error.message}\n\nThe hover reads up to ${settings.hoverMaxElements} elements (convLens.limits.hoverMaxElements); select the literal and run a command, which reads up to ${settings.maxElements}.`,
        );
        return new vscode.Hover(md, found.range);
      }
      // a broken literal under the cursor: say where and what was expected
      md.appendMarkdown('**Conv Lens** · not a matrix literal yet\n\n');
      md.appendText(`${found.error.message}`);
      return new vscode.Hover(md, found.range);
    }
    return new vscode.Hover(hoverMarkdown(found.value, settings.numberPrecision), found.value.range);
  }
}
