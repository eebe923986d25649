// Checks the driver itself against built-in VS Code features (TypeScript hovers, the Markdown preview
// webview), so that a failing Conv Lens e2e test points at Conv Lens, not at the driver.
import assert from 'node:assert/strict';
import {
  findInWebviews,
  hoverText,
  openFile,
  openWorkbench,
  runCommand,
  selectRange,
  test,
  webviewFrames,
} from './driver.mjs';

test('driver: hoverText and selectRange work on a TypeScript file', async ({ page, server }) => {
  await openWorkbench(page, server.workbenchUrl());
  await openFile(page, 'hello.ts');
  // The built-in TypeScript server answers hovers once it has started (slow on a cold machine).
  let text = '';
  for (let i = 0; i < 6 && !/greeting/.test(text); i++)
    text = await hoverText(page, 'greeting', { timeoutMs: 20_000 }).catch(() => '');
  assert.match(text, /const greeting: "hello"/);

  await selectRange(page, 'text.toUpperCase');
  // The status bar shows the selection: "Ln 4, Col 10 (16 selected)".
  await page.locator('#status\\.editor\\.selection').getByText('(16 selected)').waitFor({ timeout: 5_000 });
});

test('driver: webviewFrames finds the Markdown preview content', async ({ page, server }) => {
  await openWorkbench(page, server.workbenchUrl());
  await openFile(page, 'notes.md');
  await runCommand(page, 'Markdown: Open Preview to the Side');
  const { locator } = await findInWebviews(page, 'h1');
  assert.equal((await locator.innerText()).trim(), 'Notes');
  assert.ok(webviewFrames(page).length >= 1);
});
