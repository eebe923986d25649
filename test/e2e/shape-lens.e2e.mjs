// The shape lens as a person sees it, in code-server with the packaged VSIX, on the editor tests' sample
// (test/integration/workspace/shapes.py, copied into the workspace): the output-shape hints after each
// layer, the red squiggle at the layer PyTorch would refuse, the quick fix from Ctrl+. that repairs it,
// the hover on a layer, and the "Step through layer…" code lens opening the panel; dark and light.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/vscode/server.mjs';
import {
  editorText,
  findInWebviews,
  hoverText,
  openFile,
  openWorkbench,
  pressEscape,
  runCommand,
  screenshot,
  sleep,
  test,
  textRect,
} from './driver.mjs';

const SAMPLE = join(ROOT, 'test', 'integration', 'workspace', 'shapes.py');
// PyTorch's shapes for the sample (test/shapeLens/generate.py)
const TORCH = JSON.parse(readFileSync(join(ROOT, 'test', 'shapeLens', 'workspace.json'), 'utf8'));
const shape = (s) => s.join('×');

/** Waits until the active editor's rendered text (inlay hints included) matches. */
async function waitForEditorText(page, pattern, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await editorText(page);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`the editor never showed ${pattern}; it shows:\n${text}`);
    await sleep(250);
  }
}

/** The rendered line that contains `text` (with its inlay hints). */
async function renderedLine(page, text) {
  return (await editorText(page)).split('\n').find((l) => l.includes(text)) ?? '';
}

async function theme(page, name) {
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await input.fill(name);
  await sleep(300);
  await page.keyboard.press('Enter');
  await sleep(1000);
}

async function start(page, server, workspace) {
  copyFileSync(SAMPLE, join(workspace, 'shapes.py'));
  await openWorkbench(page, server.workbenchUrl());
  await openFile(page, 'shapes.py');
}

test('shape hints after each layer, the refused layer flagged, and the quick fix repairs it', async ({
  page,
  server,
  workspace,
}) => {
  await start(page, server, workspace);
  await theme(page, 'Dark Modern');
  const conv1 = shape(TORCH.BuggyNet.steps[0].shape);
  await waitForEditorText(page, new RegExp(`self\\.conv1 = nn\\.Conv2d\\(3, 64, 3, padding=1\\)\\s*→ ${conv1}`));
  assert.match(await renderedLine(page, 'self.conv2 = '), /padding=1\)\s*→ ✗ refused/);
  assert.match(
    await renderedLine(page, "padding='same', dilation=2, groups=4)"),
    new RegExp(`→ ${shape(TORCH.exact.steps[0].shape)}`),
  );
  assert.match(await renderedLine(page, 'ceil_mode=True)'), new RegExp(`→ ${shape(TORCH.exact.steps[2].shape)}`));
  // the squiggle under the refused layer, and the code lens above its model
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 15_000 });
  await page
    .locator('.codelens-decoration', { hasText: 'refused at layer 4 (conv2)' })
    .first()
    .waitFor({ timeout: 15_000 });
  await screenshot(page, 'shape-lens-hints-dark');

  const hover = await hoverText(page, 'in_channels=32');
  assert.match(hover, /expected input\[1, 64, 16, 16\] to have 32 channels, but got 64 channels instead/);
  assert.match(hover, /set in_channels=64/);
  await screenshot(page, 'shape-lens-dark');
  await pressEscape(page);

  // Ctrl+. on the squiggle: the quick fix
  const rect = await textRect(page, 'in_channels=32');
  await page.mouse.click(rect.left + 5, rect.top + rect.height / 2);
  await page.keyboard.press('Control+.');
  const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Set in_channels=64' }).first();
  await fix.waitFor({ timeout: 10_000 });
  // the only fix is focused; a click is intercepted by the widget's pointer block, Enter is what people press
  assert.match(await page.locator('.action-widget .monaco-list-row.focused').innerText(), /Set in_channels=64/);
  await page.keyboard.press('Enter');
  const after = TORCH['BuggyNet after the quick fix'].steps;
  await waitForEditorText(
    page,
    new RegExp(`in_channels=64, out_channels=128, kernel_size=3, padding=1\\)\\s*→ ${shape(after[3].shape)}`),
  );
  assert.match(
    await renderedLine(page, 'self.pool = '),
    new RegExp(`→ ${shape(after[2].shape)} · ${shape(after[6].shape)}`),
  );
  assert.match(await renderedLine(page, 'self.fc = '), new RegExp(`→ ${shape(after[8].shape)}`));
  const deadline = Date.now() + 10_000;
  while ((await page.locator('.monaco-editor .squiggly-error').count()) > 0) {
    assert.ok(Date.now() < deadline, 'the squiggle is still there after the fix');
    await sleep(250);
  }
  await page
    .locator('.codelens-decoration', { hasText: `${shape(TORCH.BuggyNet.input)} → ${shape(after[8].shape)}` })
    .first()
    .waitFor({ timeout: 10_000 });
  await screenshot(page, 'shape-lens-fixed-dark');
  await page.keyboard.press('Control+Z');
});

test('hover a layer, then Step through layer… from the code lens opens the panel on it (light theme)', async ({
  page,
  server,
  workspace,
}) => {
  await start(page, server, workspace);
  await theme(page, 'Light Modern');
  await waitForEditorText(page, new RegExp(`→ ${shape(TORCH.exact.steps[0].shape)}`));
  const hover = await hoverText(page, "padding='same', dilation=2");
  assert.match(hover, /layer 1 of 4 in exact/);
  assert.match(hover, /H_out = floor\(\(15 \+ 2·2 − 2·\(3 − 1\) − 1\) \/ 1\) \+ 1 = 15/);
  assert.match(hover, /parameters 304/);
  await screenshot(page, 'shape-lens-hover-light');
  await pressEscape(page);

  // the code lens above `exact` (the second model in the file)
  const lens = page.locator('.codelens-decoration a', { hasText: 'Step through layer' }).nth(1);
  await lens.waitFor({ timeout: 15_000 });
  await lens.click();
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: '4. ConvTranspose2d' }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
  const ints = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Random integers' }).first();
  await ints.waitFor({ timeout: 10_000 });
  await ints.click();
  const { locator } = await findInWebviews(page, '.scatter .arithmetic', { timeoutMs: 20_000 });
  // the layer's transposed conv of a 1×16×8×8 input: each input cell scatters its 3×3 products
  assert.match(await locator.innerText(), /^input\[0, 0\] = -?\d scatters: /);
  await screenshot(page, 'shape-lens-step-light');
  await theme(page, 'Dark Modern');
});
