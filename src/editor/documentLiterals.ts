/**
 * Matrix literals in editor documents: under the cursor, or in a selection. The parser sees only a window of
 * text around the cursor (never the whole file), and the literals found are cached per document version, so
 * moving the mouse within one literal parses it once. When the literal goes on past the window, the window
 * grows (four times, each time) up to what a literal of maxElements numbers can span: a literal is found
 * whole or refused, saying so, never cut.
 */
import * as vscode from 'vscode';
import { findLiteralInSource, parseLiteral, type ParsedLiteral, type ParseError } from '../parse';

/** characters read on each side of the cursor at first */
const WINDOW = 200_000;

export interface DocumentLiteral {
  readonly literal: ParsedLiteral;
  readonly uri: vscode.Uri;
  /** the whole literal in the document */
  readonly range: vscode.Range;
  readonly label: string;
}

export type LiteralLookup =
  { ok: true; value: DocumentLiteral } | { ok: false; error: ParseError; range: vscode.Range };

interface CacheEntry {
  readonly version: number;
  readonly found: { start: number; end: number; lookup: LiteralLookup }[];
}

/** What a hover link passes to a command: where the literal is. */
export interface LiteralRef {
  readonly uri: string;
  readonly line: number;
  readonly character: number;
}

export function isLiteralRef(x: unknown): x is LiteralRef {
  const r = x as LiteralRef;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof r.uri === 'string' &&
    Number.isInteger(r.line) &&
    Number.isInteger(r.character)
  );
}

const cache = new Map<string, CacheEntry>();

export function forgetDocument(uri: vscode.Uri): void {
  cache.delete(uri.toString());
}

function describeLiteral(literal: ParsedLiteral): string {
  return `${literal.shape.join('×')} ${literal.wrapper ?? literal.format}`;
}

function lookupFrom(
  document: vscode.TextDocument,
  base: number,
  result: ReturnType<typeof parseLiteral>,
): LiteralLookup {
  if (result.ok) {
    const l = result.literal;
    const range = new vscode.Range(document.positionAt(base + l.range.start), document.positionAt(base + l.range.end));
    return { ok: true, value: { literal: l, uri: document.uri, range, label: describeLiteral(l) } };
  }
  const at = document.positionAt(base + result.error.offset);
  const error = { ...result.error, line: at.line, column: at.character };
  return { ok: false, error, range: new vscode.Range(at, at) };
}

/** The literal enclosing `position`, or null when the cursor is on none. */
export function literalAt(
  document: vscode.TextDocument,
  position: vscode.Position,
  maxElements: number,
): LiteralLookup | null {
  const key = document.uri.toString();
  const offset = document.offsetAt(position);
  let entry = cache.get(key);
  if (!entry || entry.version !== document.version) {
    entry = { version: document.version, found: [] };
    cache.set(key, entry);
  }
  const hit = entry.found.find((f) => f.start <= offset && offset <= f.end);
  if (hit) return hit.lookup;
  const last = document.lineAt(document.lineCount - 1).range.end;
  const { result, base: start } = findLiteralInSource(
    {
      length: document.offsetAt(last),
      read: (a, b) => document.getText(new vscode.Range(document.positionAt(a), document.positionAt(b))),
    },
    offset,
    { maxElements, window: WINDOW },
  );
  if (!result) return null;
  const lookup = lookupFrom(document, start, result);
  if (lookup.ok) {
    entry.found.push({
      start: document.offsetAt(lookup.value.range.start),
      end: document.offsetAt(lookup.value.range.end),
      lookup,
    });
    if (entry.found.length > 64) entry.found.shift();
  }
  return lookup;
}

/** The literal that a selection holds (the selection is the whole literal, or sits inside one). */
export function literalInSelection(
  document: vscode.TextDocument,
  selection: vscode.Selection,
  maxElements: number,
): LiteralLookup | null {
  if (selection.isEmpty) return literalAt(document, selection.active, maxElements);
  const base = document.offsetAt(selection.start);
  const result = parseLiteral(document.getText(selection), { maxElements });
  if (result.ok) {
    // the brackets of np.array([...]) selected: the literal around them is the same one, and knows its wrapper
    const around = literalAt(document, selection.start, maxElements);
    const same =
      around?.ok &&
      around.value.range.contains(selection) &&
      around.value.literal.shape.join() === result.literal.shape.join();
    return same ? around : lookupFrom(document, base, result);
  }
  // a selection inside a literal (one row, say) means the literal around it
  return literalAt(document, selection.start, maxElements) ?? lookupFrom(document, base, result);
}
