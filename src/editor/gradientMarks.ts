/**
 * Check Gradient's verdict in the user's own literal: each wrong element of their gradient gets an error
 * squiggle on the number itself, saying what it should be. The marks go away when that document changes
 * or the next check runs.
 */
import * as vscode from 'vscode';
import { formatNumber } from '../format';
import { parseLiteral } from '../parse';
import type { StoredOperand } from './operandStore';

/** at most this many wrong elements are marked (the panel lists them all) */
const MAX_MARKS = 200;
const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf(?:inity)?|True|False/gi;

export class GradientMarks implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('conv-lens-gradient');
  private readonly listener: vscode.Disposable;

  constructor() {
    this.listener = vscode.workspace.onDidChangeTextDocument((e) => {
      if (this.diagnostics.has(e.document.uri) && e.contentChanges.length > 0) this.diagnostics.delete(e.document.uri);
    });
  }

  /** Marks the wrong elements of `operand` (a literal in a document); clears earlier marks. */
  async mark(
    operand: StoredOperand,
    name: string,
    wrong: readonly { readonly index: readonly number[]; readonly got: number; readonly expected: number }[],
    precision: number,
  ): Promise<void> {
    this.diagnostics.clear();
    if (!operand.uri || !operand.range || wrong.length === 0) return;
    const doc = await vscode.workspace.openTextDocument(operand.uri);
    const text = doc.getText(operand.range);
    const parsed = parseLiteral(text);
    if (!parsed.ok) return;
    const base = doc.offsetAt(operand.range.start);
    const shape = parsed.literal.shape;
    const last = shape[shape.length - 1] ?? 1;
    const marks: vscode.Diagnostic[] = [];
    for (const w of wrong.slice(0, MAX_MARKS)) {
      let flat = 0;
      for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + (w.index[d] ?? 0);
      const row = parsed.literal.rows[Math.floor(flat / last)];
      if (!row) continue;
      const numbers = [...text.slice(row.start, row.end).matchAll(NUMBER)];
      const hit = numbers[flat % last];
      const start = row.start + (hit?.index ?? 0);
      const end = hit ? start + hit[0].length : row.end;
      const d = new vscode.Diagnostic(
        new vscode.Range(doc.positionAt(base + start), doc.positionAt(base + end)),
        `${name}[${w.index.join(', ')}] is ${formatNumber(w.got, precision)} but should be ${formatNumber(w.expected, precision)} (Conv Lens: Check Gradient)`,
        vscode.DiagnosticSeverity.Error,
      );
      d.source = 'Conv Lens';
      marks.push(d);
    }
    this.diagnostics.set(operand.uri, marks);
  }

  dispose(): void {
    this.listener.dispose();
    this.diagnostics.dispose();
  }
}
