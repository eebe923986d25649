/**
 * The context key `convLens.literalAtCursor`: true while the cursor is inside a matrix literal, so the
 * editor's context menu offers Convolve, im2col and the other literal commands only where they apply. It
 * reads the literal lookup's cache (the hover fills it) and otherwise a small window around the cursor.
 */
import * as vscode from 'vscode';
import { literalAt } from './documentLiterals';

/** literals bigger than this do not count for the menu's context key (the commands still read them) */
const CONTEXT_ELEMENTS = 10_000;

export function trackLiteralAtCursor(): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let last: boolean | undefined;
  const update = () => {
    const editor = vscode.window.activeTextEditor;
    let inside = false;
    if (editor && editor.selection.isEmpty) {
      const lookup = literalAt(editor.document, editor.selection.active, CONTEXT_ELEMENTS);
      inside = lookup?.ok === true;
    }
    if (inside !== last) {
      last = inside;
      void vscode.commands.executeCommand('setContext', 'convLens.literalAtCursor', inside);
    }
  };
  const soon = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(update, 150);
  };
  const subscriptions = [
    vscode.window.onDidChangeTextEditorSelection(soon),
    vscode.window.onDidChangeActiveTextEditor(soon),
  ];
  soon();
  return {
    dispose: () => {
      if (timer) clearTimeout(timer);
      for (const s of subscriptions) s.dispose();
    },
  };
}
