// The packaged VSIX in a real workbench: installed, listed, loaded by the extension host, nothing broken.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { editorText, openFile, openWorkbench, readNotifications, runCommand, screenshot, test } from './driver.mjs';

/** The manifest of the installed Conv Lens, read from code-server's extensions dir. */
function installedManifest(server) {
  const dir = readdirSync(server.extensionsDir).find((d) => d.startsWith('conv-lens.conv-lens-'));
  assert.ok(dir, `no conv-lens.conv-lens-* folder in ${server.extensionsDir}`);
  return JSON.parse(readFileSync(join(server.extensionsDir, dir, 'package.json'), 'utf8'));
}

test('the VSIX is installed and the workbench opens sample.py', async ({ page, server }) => {
  const installed = server.listExtensions();
  assert.ok(
    installed.some((id) => id.startsWith('conv-lens.conv-lens@')),
    `code-server --list-extensions: ${JSON.stringify(installed)}`,
  );
  const manifest = installedManifest(server);

  await openWorkbench(page, server.workbenchUrl());
  await openFile(page, 'sample.py');
  assert.match(await editorText(page), /np\.array\(\[\[1\.0, 2\.0, 3\.0\]/);
  // The status bar names the language of the active editor.
  await page.locator('#status\\.editor\\.mode').getByText('Python').waitFor({ timeout: 10_000 });

  // The Extensions view lists it as installed and enabled (@enabled), without an error badge.
  await runCommand(page, 'Extensions: Show Enabled Extensions');
  const listed = page.locator('.extensions-viewlet .monaco-list-row').filter({ hasText: manifest.displayName }).first();
  await listed.waitFor({ timeout: 15_000 });
  const listedText = (await listed.innerText()).replace(/\s+/g, ' ');
  assert.doesNotMatch(listedText, /error|failed|disabled/i, `Extensions view row: ${listedText}`);

  // Running Extensions lists the extensions the extension host activated: ours too when it
  // activates at startup.
  await runCommand(page, 'Developer: Show Running Extensions');
  await page.locator('.runtime-extensions-editor .monaco-list-row').first().waitFor({ timeout: 15_000 });
  const startup = (manifest.activationEvents ?? []).some((e) => e === '*' || e === 'onStartupFinished');
  if (startup) {
    const row = page
      .locator('.runtime-extensions-editor .monaco-list-row')
      .filter({ hasText: manifest.displayName })
      .first();
    await row.waitFor({ timeout: 15_000 });
    const rowText = (await row.innerText()).replace(/\s+/g, ' ');
    assert.doesNotMatch(rowText, /error|failed/i, `Running Extensions row: ${rowText}`);
  }

  const errors = (await readNotifications(page)).filter(
    (n) => n.severity === 'error' || /conv.?lens/i.test(`${n.message} ${n.source}`),
  );
  assert.deepEqual(errors, [], 'no error notification, and none from Conv Lens');
  await screenshot(page, 'workbench-running-extensions');
});
