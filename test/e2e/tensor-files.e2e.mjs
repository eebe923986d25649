// Tensor files as a person opens them, in code-server with the packaged VSIX: Ctrl+P a PyTorch checkpoint and
// it opens in Conv Lens's tensor-file editor (the default editor for *.pt) as the list of its tensors, with
// their stats once computed; an .npy with NaNs shows how many and where the first one is; a checkpoint whose
// pickle names os.system says it was refused. Phase A's view is plain text; the files are copies written by
// test/tensorFiles/generate.py.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/vscode/server.mjs';
import { openWorkbench, screenshot, sleep, test, webviewFrames } from './driver.mjs';

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

/** The text of the tensor-file view whose listing matches `pattern`, once it does. */
async function listingText(page, pattern, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let seen = [];
  for (;;) {
    seen = [];
    for (const frame of webviewFrames(page)) {
      const pre = frame.locator('#listing');
      if (!(await pre.count().catch(() => 0))) continue;
      const text = await pre.innerText().catch(() => '');
      seen.push(text.slice(0, 200));
      if (pattern.test(text)) return text;
    }
    if (Date.now() > deadline)
      throw new Error(`no tensor-file view shows ${pattern}; views seen:\n${seen.join('\n---\n')}`);
    await sleep(250);
  }
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
  const cnn = await listingText(
    page,
    /small_cnn\.pt: PyTorch checkpoint[\s\S]*conv1\.weight\s+float32\s+8×3×3×3\s+864 B\s+-?\d/,
  );
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
  const refused = await listingText(page, /os_system\.pt\n\nThis file cannot be shown/);
  assert.match(refused, /refused: the pickle names posix\.system \(that is, os\.system\)/);
});
