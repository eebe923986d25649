import * as assert from 'node:assert/strict';
import { suite, test } from 'mocha';
import * as vscode from 'vscode';
import { EXTENSION_ID, activateExtension, openWorkspaceFile } from './helpers';

suite('Conv Lens extension', () => {
  test('is installed in the extension host', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} not found among ${vscode.extensions.all.length} extensions`);
    assert.equal(ext.packageJSON.name, 'conv-lens');
  });

  test('activates', async () => {
    const ext = await activateExtension();
    assert.equal(ext.isActive, true);
  });
});

suite('Workspace', () => {
  test('opens sample.py as a python document', async () => {
    const editor = await openWorkspaceFile('sample.py');
    assert.equal(editor.document.languageId, 'python');
    assert.match(editor.document.getText(), /np\.array\(/);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), editor.document.uri.toString());
  });
});
