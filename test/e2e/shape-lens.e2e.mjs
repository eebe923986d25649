// The shape lens as a person sees it, in code-server with the packaged VSIX, on the editor tests' samples
// (test/integration/workspace/shapes.py and resnet_lens.py, copied into the workspace): the output-shape
// hints after each layer, the red squiggle at the layer PyTorch would refuse, the quick fix from Ctrl+.
// that repairs it, the hover on a layer, Set Model Input Shape… from the palette, and the
// "Step through layer…" code lens opening the panel; dark and light.
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
  setColorTheme,
  sleep,
  test,
  textRect,
} from './driver.mjs';

const SAMPLE = join(ROOT, 'test', 'integration', 'workspace', 'shapes.py');
const RESNET = join(ROOT, 'test', 'integration', 'workspace', 'resnet_lens.py');
// PyTorch's shapes for the sample (test/shapeLens/generate.py)
const TORCH = JSON.parse(readFileSync(join(ROOT, 'test', 'shapeLens', 'workspace.json'), 'utf8'));
const shape = (s) => s.join('×');
const out = (run, i) => shape(run.layers[i].output_shape);

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

async function start(page, server, workspace, file = 'shapes.py') {
  copyFileSync(SAMPLE, join(workspace, 'shapes.py'));
  copyFileSync(RESNET, join(workspace, 'resnet_lens.py'));
  await openWorkbench(page, server.workbenchUrl());
  await openFile(page, file);
}

/** Scrolls the active editor to a line, as a person does with Ctrl+G. */
async function goToLine(page, line) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  await sleep(500);
}

test('shape hints after each layer, the refused layer flagged, and the quick fix repairs it', async ({
  page,
  server,
  workspace,
}) => {
  await start(page, server, workspace);
  await setColorTheme(page, 'Dark Modern');
  const conv1 = out(TORCH.BuggyNet, 0);
  await waitForEditorText(page, new RegExp(`self\\.conv1 = nn\\.Conv2d\\(3, 64, 3, padding=1\\)\\s*→ ${conv1}`));
  assert.match(await renderedLine(page, 'self.conv2 = '), /padding=1\)\s*→ ✗ refused/);
  assert.match(
    await renderedLine(page, "padding='same', dilation=2, groups=4)"),
    new RegExp(`→ ${out(TORCH.exact, 0)}`),
  );
  assert.match(await renderedLine(page, 'ceil_mode=True)'), new RegExp(`→ ${out(TORCH.exact, 2)}`));
  // the squiggle under the refused layer, and the code lens above its model
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 15_000 });
  await page.locator('.codelens-decoration', { hasText: 'refused at conv2' }).first().waitFor({ timeout: 15_000 });
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
  const after = TORCH['BuggyNet after the quick fix'];
  await waitForEditorText(
    page,
    new RegExp(`in_channels=64, out_channels=128, kernel_size=3, padding=1\\)\\s*→ ${out(after, 2)}`),
  );
  assert.match(await renderedLine(page, 'self.pool = '), new RegExp(`→ ${out(after, 1)} · ${out(after, 4)}`));
  assert.match(await renderedLine(page, 'self.fc = '), new RegExp(`→ ${out(after, 5)}`));
  const deadline = Date.now() + 10_000;
  while ((await page.locator('.monaco-editor .squiggly-error').count()) > 0) {
    assert.ok(Date.now() < deadline, 'the squiggle is still there after the fix');
    await sleep(250);
  }
  await page
    .locator('.codelens-decoration', {
      hasText: `${shape(TORCH.BuggyNet.input_shapes[0])} → ${shape(after.output_shapes[0])}`,
    })
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
  await setColorTheme(page, 'Light Modern');
  await waitForEditorText(page, new RegExp(`→ ${out(TORCH.exact, 0)}`));
  const hover = await hoverText(page, "padding='same', dilation=2");
  assert.match(hover, /call 1 of 4 in exact/);
  assert.match(hover, /H_out = floor\(\(15 \+ 2·2 − 2·\(3 − 1\) − 1\) \/ 1\) \+ 1 = 15/);
  assert.match(hover, /parameters 304/);
  await screenshot(page, 'shape-lens-hover-light');
  await pressEscape(page);

  // the code lens above `exact` (the second model in the file)
  const lens = page.locator('.codelens-decoration a', { hasText: 'Step through layer' }).nth(1);
  await lens.waitFor({ timeout: 15_000 });
  await lens.click();
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: '4. 3 (ConvTranspose2d)' }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
  const ints = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Random integers' }).first();
  await ints.waitFor({ timeout: 10_000 });
  await ints.click();
  const { locator } = await findInWebviews(page, '.scatter .arithmetic', { timeoutMs: 20_000 });
  // the layer's transposed conv of a 1×16×8×8 input: each input cell scatters its 3×3 products
  assert.match(await locator.innerText(), /^input\[0, 0\] = -?\d scatters: /);
  await screenshot(page, 'shape-lens-step-light');
  await setColorTheme(page, 'Dark Modern');
});

test('a torchvision-style ResNet: hints through _make_layer, the refused classifier by its path, the quick fix', async ({
  page,
  server,
  workspace,
}) => {
  await start(page, server, workspace, 'resnet_lens.py');
  await setColorTheme(page, 'Dark Modern');
  const run = TORCH['resnet_lens:ResNet'];
  const fixed = TORCH['resnet_lens:ResNet after the quick fix'];
  // the helper that builds every 3×3 conv shows the shapes of its layers
  await waitForEditorText(page, /kernel_size=3, stride=stride, padding=1, bias=False\)\s*→ 1×64×56×56 · 1×128×28×28/);
  const source = readFileSync(RESNET, 'utf8').split('\n');
  const line = (text) => source.findIndex((l) => l.includes(text)) + 1;
  await goToLine(page, line('x = self.layer4(x)'));
  const layer4 = shape(run.layers.filter((l) => l.path.startsWith('layer4.')).at(-1).output_shape);
  await waitForEditorText(page, new RegExp(`x = self\\.layer4\\(x\\)\\s*→ ${layer4}`));
  await goToLine(page, line('self.fc = nn.Linear(2048'));
  await waitForEditorText(page, /nn\.Linear\(2048, num_classes\)\s*→ ✗ refused/);
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 15_000 });
  const hover = await hoverText(page, 'nn.Linear(2048');
  assert.match(hover, /mat1 and mat2 shapes cannot be multiplied \(1x512 and 2048x1000\)/);
  assert.match(hover, /fc \(Linear\)/);
  await screenshot(page, 'shape-lens-resnet-dark');
  await pressEscape(page);
  const rect = await textRect(page, 'nn.Linear(2048');
  await page.mouse.click(rect.left + 5, rect.top + rect.height / 2);
  await page.keyboard.press('Control+.');
  await page
    .locator('.action-widget .monaco-list-row', { hasText: 'Set in_features=512' })
    .first()
    .waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await waitForEditorText(page, new RegExp(`nn\\.Linear\\(512, num_classes\\)\\s*→ ${shape(fixed.output_shapes[0])}`));
  const deadline = Date.now() + 10_000;
  while ((await page.locator('.monaco-editor .squiggly-error').count()) > 0) {
    assert.ok(Date.now() < deadline, 'the squiggle is still there after the fix');
    await sleep(250);
  }
  await page.keyboard.press('Control+Z');
});

test('Set Model Input Shape… from the palette: typed shape, then the hints appear', async ({
  page,
  server,
  workspace,
}) => {
  await start(page, server, workspace);
  await setColorTheme(page, 'Dark Modern');
  // the cursor in the encoder, which has no input comment
  const rect = await textRect(page, 'nn.Conv1d(1, 16');
  await page.mouse.click(rect.left + 5, rect.top + rect.height / 2);
  await runCommand(page, 'Conv Lens: Set Model Input Shape…');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill('1x1x16000');
  await page.keyboard.press('Enter');
  await waitForEditorText(
    page,
    new RegExp(`nn\\.Conv1d\\(1, 16, kernel_size=9, stride=4\\),?\\s*→ ${out(TORCH.encoder, 0)}`),
  );
  await page
    .locator('.codelens-decoration', { hasText: `1×1×16000 → ${shape(TORCH.encoder.output_shapes[0])}` })
    .first()
    .waitFor({ timeout: 10_000 });
  // a malformed shape: the box says why, and nothing is set
  await runCommand(page, 'Conv Lens: Set Model Input Shape…');
  await input.fill('1x-3');
  await page
    .locator('.quick-input-widget .quick-input-message', { hasText: /not a shape/ })
    .waitFor({ timeout: 10_000 });
  await pressEscape(page);
});
