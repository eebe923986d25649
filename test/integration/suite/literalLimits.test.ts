/**
 * Literals longer than the text read around the cursor (issue 14), in the real extension host: a 1×64×56×56
 * literal (about 1 MB of text) is found whole from its middle, or, over the hover's element limit, the hover
 * says so — it never shows a part of it.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, hoverTexts } from './helpers';

function bigLiteral(): string {
  const row = Array.from({ length: 56 }, (_, i) => ((i * 7) % 10) / 4).join(', ');
  const plane = Array.from({ length: 56 }, () => `[${row}]`).join(',\n    ');
  return `[[${Array.from({ length: 64 }, () => `[\n    ${plane}]`).join(',\n ')}]]`;
}

suite('Literals longer than the scan window', () => {
  let doc: vscode.TextDocument;
  let middle: vscode.Position;
  suiteSetup(async () => {
    await activateExtension();
    const literal = bigLiteral();
    const content = `import numpy as np\n\nfeatures = np.array(${literal})\n\nprint(features.shape)\n`;
    assert.ok(literal.length > 600_000, `the literal is ${literal.length} characters`);
    doc = await vscode.workspace.openTextDocument({ content, language: 'python' });
    await vscode.window.showTextDocument(doc);
    middle = doc.positionAt(content.indexOf('np.array(') + Math.floor(literal.length / 2));
  });

  test('over the hover’s element limit, the hover says so instead of showing a part', async () => {
    // appendText writes spaces as &nbsp;
    const texts = (await hoverTexts(doc.uri, middle))
      .filter((t) => t.includes('Conv Lens'))
      .map((t) => t.replace(/&nbsp;/g, ' '));
    assert.equal(texts.length, 1, JSON.stringify(texts));
    assert.match(texts[0], /too large for the hover/);
    assert.match(texts[0], /more than 100000 elements/);
    assert.doesNotMatch(texts[0], /`56×56`|`64×56×56`/);
  });

  test('with the limit raised, the whole 1×64×56×56 literal is found from its middle', async () => {
    const config = vscode.workspace.getConfiguration('convLens');
    await config.update('limits.hoverMaxElements', 1_000_000, vscode.ConfigurationTarget.Global);
    try {
      const texts = (await hoverTexts(doc.uri, middle)).filter((t) => t.includes('Conv Lens'));
      assert.equal(texts.length, 1, JSON.stringify(texts));
      assert.match(texts[0], /`1×64×56×56`/);
      assert.match(texts[0], /200704 elements/);
    } finally {
      await config.update('limits.hoverMaxElements', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
