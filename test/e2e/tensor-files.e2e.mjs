// Tensor files as a person opens them, in code-server with the packaged VSIX: Ctrl+P a PyTorch checkpoint and
// it opens in Conv Lens's tensor-file editor (the default editor for *.pt) as the table of its tensors, with
// their stats once computed; clicking conv1.weight shows it in the panel with its 8 filters drawn as RGB
// images; "Use as Kernel" on its row, then Convolve on an image literal from the palette, gives PyTorch's
// numbers; an .npy with NaNs shows how many and where the first one is; a checkpoint whose pickle names
// os.system says it was refused. The files are copies written by test/tensorFiles/generate.py and
// generate_conv1.py.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/vscode/server.mjs';
import {
  findInWebviews,
  openWorkbench,
  runCommand,
  screenshot,
  setColorTheme,
  sleep,
  test,
  textRect,
  webviewFrames,
} from './driver.mjs';

const TENSORS = join(ROOT, 'test', 'integration', 'workspace', 'tensors');

async function quickOpen(page, name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(name);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ timeout: 15_000 });
  await row.click();
}

/** The tensor-file view whose text matches `pattern`, once it does: { frame, text }. */
async function tensorFileView(page, pattern, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let seen = [];
  for (;;) {
    seen = [];
    for (const frame of webviewFrames(page)) {
      if (
        !(await frame
          .locator('body.tensor-file')
          .count()
          .catch(() => 0))
      )
        continue;
      const text = await frame
        .locator('body')
        .innerText()
        .catch(() => '');
      seen.push(text.slice(0, 200));
      if (pattern.test(text)) return { frame, text };
    }
    if (Date.now() > deadline)
      throw new Error(`no tensor-file view shows ${pattern}; views seen:\n${seen.join('\n---\n')}`);
    await sleep(250);
  }
}

const listingText = async (page, pattern) => (await tensorFileView(page, pattern)).text;

/** Waits until the panel's title matches `title`; returns the panel's frame. */
async function panelShowing(page, title) {
  for (let i = 0; i < 120; i++) {
    const { frame, locator } = await findInWebviews(page, 'h2', { timeoutMs: 20_000 });
    if (title.test(await locator.innerText())) return frame;
    await sleep(250);
  }
  throw new Error(`the panel never showed a view titled ${title}`);
}

test('a checkpoint opens as the list of its tensors; NaNs are counted and located; a malicious pickle is refused', async ({
  page,
  server,
  workspace,
}) => {
  mkdirSync(join(workspace, 'tensors'), { recursive: true });
  for (const f of ['small_cnn.pt', 'nan_inf.npy', 'os_system.pt'])
    copyFileSync(join(TENSORS, f), join(workspace, 'tensors', f));
  await openWorkbench(page, server.workbenchUrl());

  await quickOpen(page, 'small_cnn.pt');
  // the stats arrive after the listing: wait for the last row's
  const cnn = await listingText(page, /small_cnn\.pt: PyTorch checkpoint[\s\S]*fc\.bias\s+float32\s+10\s+40 B\s+-?\d/);
  assert.match(cnn, /conv1\.weight\s+float32\s+8×3×3×3\s+864 B\s+-0\.194\s+0\.1931/);
  assert.match(cnn, /11 tensors/);
  assert.match(cnn, /fc\.weight\s+float32\s+10×64/);
  assert.match(cnn, /bn1\.num_batches_tracked\s+int64\s+scalar\s+8 B\s+2\s+2\s+2\s+0\s+0/);
  await screenshot(page, 'tensor-file-checkpoint');

  await quickOpen(page, 'nan_inf.npy');
  const npy = await listingText(
    page,
    /nan_inf\.npy: NumPy \.npy[\s\S]*\(the tensor\)\s+float32\s+4×5\s+80 B\s+0\s+19\s+9\.563\s+2\s+2/,
  );
  assert.match(npy, /\(the tensor\)/);

  await quickOpen(page, 'os_system.pt');
  const refused = await listingText(page, /os_system\.pt\s+This file cannot be shown/);
  assert.match(refused, /refused: the pickle names posix\.system \(that is, os\.system\)/);
});

for (const [colour, themeName] of [
  ['dark', 'Dark Modern'],
  ['light', 'Light Modern'],
]) {
  test(`(${colour}) conv1.weight of a checkpoint: its filters in the panel, then the kernel of a Convolve on a literal`, async ({
    page,
    server,
    workspace,
  }) => {
    mkdirSync(join(workspace, 'tensors'), { recursive: true });
    for (const f of ['small_cnn.pt', 'conv1_input.py']) copyFileSync(join(TENSORS, f), join(workspace, 'tensors', f));
    const expected = JSON.parse(readFileSync(join(TENSORS, 'conv1_expected.json'), 'utf8'));
    await openWorkbench(page, server.workbenchUrl());
    await setColorTheme(page, themeName);

    await quickOpen(page, 'small_cnn.pt');
    const { frame: file } = await tensorFileView(page, /conv1\.weight\s+float32\s+8×3×3×3\s+864 B\s+-?\d/);
    await screenshot(page, `tensor-file-${colour}`);
    // the name is the link to the tensor view
    await file.locator('#listing a', { hasText: /^conv1\.weight$/ }).click();
    const view = await panelShowing(page, /^conv1\.weight · 8×3×3×3 float32/);
    await view.locator('vscode-tab-header', { hasText: 'Filters' }).click();
    const filters = view.locator('.filters .filter');
    await filters.first().waitFor({ timeout: 10_000 });
    assert.equal(await filters.count(), 8);
    assert.equal(await view.locator('.filters canvas').count(), 8, 'each filter drawn as one RGB image');
    await screenshot(page, `tensor-file-filters-${colour}`);

    // Use as Kernel on the conv1.weight row; the status bar says so
    await file.locator('tr[data-name="conv1.weight"] a', { hasText: 'Use as Kernel' }).click();
    for (
      let i = 0;
      i < 40 && !/kernel conv1\.weight: 8×3×3×3 float32/.test(await page.locator('.statusbar').innerText());
      i++
    )
      await sleep(250);
    assert.match(
      await page.locator('.statusbar').innerText(),
      /kernel conv1\.weight: 8×3×3×3 float32 \(small_cnn\.pt\)/,
    );

    // the image literal: a click inside it, then Convolve from the palette with padding=1
    // in the first editor group (the panel's group has the focus after its links were clicked)
    await page.keyboard.press('Control+1');
    await sleep(300);
    await quickOpen(page, 'conv1_input.py');
    const at = await textRect(page, '[2, 3, -3, -2, -1]');
    await page.mouse.click(at.left + 4, at.top + at.height / 2);
    await runCommand(page, 'Conv Lens: Convolve…');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.pressSequentially('padding=1', { delay: 10 });
    await sleep(400);
    await page.keyboard.press('Enter');
    const conv = await panelShowing(page, /^Convolution/);
    // the output fills in step by step: End shows the last step, the last filter's plane complete, and the
    // filter picker follows the player there
    const player = conv.locator('.sliding .player').first();
    await player.focus();
    await player.press('End');
    await sleep(500);
    const picked = conv.locator('vscode-single-select[aria-label="output channel (filter)"]');
    assert.equal(await picked.evaluate((e) => e.value), '7');
    // the output plane of filter 7, as the panel writes it (6 significant digits), against PyTorch's
    // (the panel writes a minus as −, U+2212)
    const shown = (await conv.locator('.sliding table.grid').nth(2).locator('td .v').allInnerTexts()).map((t) =>
      Number(t.replace('−', '-')),
    );
    const want = expected.output[7].flat();
    assert.equal(shown.length, want.length);
    shown.forEach((v, i) =>
      assert.ok(
        Math.abs(v - want[i]) <= 5e-6 * Math.max(1, Math.abs(want[i])),
        `output[7] element ${i}: ${v} vs ${want[i]}`,
      ),
    );
    await screenshot(page, `tensor-file-convolve-${colour}`);
  });
}
