/** The VSIX holds only the bundles, media, README, CHANGELOG and LICENSE (vsce's own file list). */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

describe('the VSIX file list', () => {
  it('is exactly what the extension needs', () => {
    const r = spawnSync(
      process.execPath,
      [resolve(root, 'node_modules/@vscode/vsce/vsce'), 'ls', '--no-dependencies'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const files = r.stdout
      .trim()
      .split('\n')
      .map((f) => f.trim())
      .filter(Boolean)
      .sort();
    expect(files).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'dist/cli.js',
      'dist/extension.js',
      'dist/webview/codicon.css',
      'dist/webview/codicon.ttf',
      'dist/webview/main.js',
      'dist/webview/tensorFile.js',
      'dist/worker.js',
      'media/icon.png',
      'media/panel.css',
      'media/screenshot-debug.png',
      'media/screenshot-hover.png',
      'media/screenshot-panel.png',
      'media/screenshot-shape-lens.png',
      'media/screenshot-tensor-file.png',
      'media/tensorFile.css',
      'media/walkthrough/convolve.md',
      'media/walkthrough/hover.md',
      'media/walkthrough/im2col.md',
      'media/walkthrough/pool.md',
      'media/walkthrough/sample.md',
      'media/walkthrough/sample.py',
      'media/walkthrough/shapes.md',
      'package.json',
    ]);
  });
});
