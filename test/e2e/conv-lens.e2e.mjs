// Conv Lens as a person uses it, in code-server with the packaged VSIX: hover a literal, select two
// literals and run Convolve from the palette, read the numbers in the panel; Check Output Shape with an
// invalid request and read the explanation; open every view from the palette and read its numbers;
// screenshots of the hover and the panel in dark and light themes.
import assert from 'node:assert/strict';
import {
  findInWebviews,
  hoverText,
  openFile,
  openWorkbench,
  pressEscape,
  runCommand,
  screenshot,
  selectRange,
  sleep,
  test,
  textRect,
} from './driver.mjs';

const LECTURE_OUTPUT = [
  16, 28, 24, 28, 16, 27, 41, 38, 37, 21, 33, 40, 33, 25, 18, 32, 40, 37, 29, 17, 25, 27, 21, 20, 12,
];
const IMAGE = ['[[1, 3, 2, 3, 3]', '[2, 3, 2, 1, 2]]'];
const KERNEL = ['[[1, 3, 2], [', '[3, 1, 1]]'];

/** Adds a second selection by Alt+dragging over it (VS Code's default multi-cursor modifier). */
async function addSelection(page, startText, endText) {
  const a = await textRect(page, startText);
  const b = await textRect(page, endText);
  await page.mouse.move(a.left + 1, a.top + a.height / 2);
  await page.keyboard.down('Alt');
  await page.mouse.down();
  await page.mouse.move(b.right - 1, b.top + b.height / 2, { steps: 8 });
  await page.mouse.up();
  await page.keyboard.up('Alt');
  await sleep(200);
}

/**
 * Answers the parameter prompt as a person does: types the keywords into the quick pick (what is typed is
 * its first item) and presses Enter. Returns the prompt's text (the typed item's verdict) once it matches
 * `expectMessage` (when given).
 */
async function enterParams(page, text, expectMessage) {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.pressSequentially(text, { delay: 10 });
  await sleep(400);
  let message = '';
  for (let i = 0; i < 20; i++) {
    message = await page
      .locator('.quick-input-widget')
      .innerText()
      .catch(() => '');
    if (!expectMessage || expectMessage.test(message)) break;
    await sleep(250);
  }
  await page.keyboard.press('Enter');
  return message;
}

/** Answers a plain input box (a shape). */
async function enterText(page, text) {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(text);
  await sleep(200);
  await page.keyboard.press('Enter');
  await sleep(300);
}

async function panelText(page, selector) {
  const { locator } = await findInWebviews(page, selector, { timeoutMs: 20_000 });
  return locator.innerText();
}

/** Focuses the panel's step controls and presses a key there. */
async function stepKey(page, key, viewSelector) {
  const { frame } = await findInWebviews(page, `${viewSelector} .player`);
  await frame.locator(`${viewSelector} .player`).first().focus();
  await frame.locator(`${viewSelector} .player`).first().press(key);
  await sleep(200);
}

async function start(page, server) {
  await openWorkbench(page, server.workbenchUrl());
  await openFile(page, 'lecture.py');
}

test('hover a matrix literal: shape, statistics, preview and command links', async ({ page, server }) => {
  await start(page, server);
  // the screenshots of the following tests are in a dark theme; the last test switches to a light one
  await runCommand(page, 'Preferences: Color Theme');
  await enterText(page, 'Dark Modern');
  await sleep(1000);
  const text = await hoverText(page, '[3, 1, 2, 1, 1]');
  assert.match(text, /Conv Lens · 5×5 int · python/);
  assert.match(text, /min 1 · max 3 · mean 2 · 25 elements/);
  assert.match(text, /1 +3 +2 +3 +3\n *3 +1 +2 +1 +1/);
  assert.match(text, /Step through a convolution/);
  await screenshot(page, 'hover-dark');
});

test('select two literals, run Convolve from the palette, read the lecture’s numbers in the panel', async ({
  page,
  server,
}) => {
  await start(page, server);
  await selectRange(page, IMAGE[0], IMAGE[1]);
  await addSelection(page, KERNEL[0], KERNEL[1]);
  await runCommand(page, 'Conv Lens: Convolve…');
  await enterParams(page, 'padding=1');
  const first = await panelText(page, '.sliding .arithmetic');
  assert.match(first, /^out\[0, 0\] = 1·0 \+ 3·0 \+ 2·0 \+ 1·0 \+ 3·1 \+ 3·3 .* = 16$/);
  await stepKey(page, 'End', '.sliding');
  const { frame } = await findInWebviews(page, '.sliding table.grid');
  const out = await frame.locator('.sliding table.grid').nth(2).locator('td .v').allInnerTexts();
  assert.deepEqual(out.map(Number), LECTURE_OUTPUT);
  await stepKey(page, 'Home', '.sliding');
  for (let i = 0; i < 7; i++) await stepKey(page, 'ArrowRight', '.sliding');
  assert.match(await panelText(page, '.sliding .arithmetic'), /= 38$/);
  await screenshot(page, 'panel-dark');
});

test('Check Output Shape with an invalid request: PyTorch’s error, why, and the fix', async ({ page, server }) => {
  await start(page, server);
  await runCommand(page, 'Conv Lens: Check Output Shape…');
  await enterText(page, 'Convolution');
  await enterText(page, '1x64x56x56');
  await enterText(page, '128x3x3x3');
  const warning = await enterParams(page, 'padding=1', /refuse/);
  assert.match(
    warning,
    /PyTorch would refuse this: the weight's dim 1 \(in_channels\) is 3, but the input has 64 channels/,
  );
  const torch = await panelText(page, '.error .torch');
  assert.match(torch, /expected input\[1, 64, 56, 56\] to have 3 channels, but got 64 channels instead/);
  assert.match(await panelText(page, '.error'), /Fix: set in_channels=64/);
  await screenshot(page, 'shape-error-dark');
});

test('every view from the palette on a real file: pooling, im2col, transposed conv, backward, gradient check', async ({
  page,
  server,
}) => {
  await start(page, server);
  // max pool of the image
  await selectRange(page, IMAGE[0], IMAGE[1]);
  await runCommand(page, 'Conv Lens: Max Pool…');
  await enterParams(page, 'kernel_size=3, stride=2, padding=1');
  assert.match(await panelText(page, '.pooling .arithmetic'), /^out\[0, 0\] = max\(1, 3, 3, 1\) = 3 at index 1$/);
  // im2col of the image with the kernel: the GEMM's first column is 16
  await selectRange(page, IMAGE[0], IMAGE[1]);
  await addSelection(page, KERNEL[0], KERNEL[1]);
  await runCommand(page, 'Conv Lens: Show im2col…');
  await enterParams(page, 'padding=1');
  assert.match(await panelText(page, '.im2col .arithmetic'), /= 16$/);
  // transposed convolution of dY with w: the lecture's dX
  await selectRange(page, '[[5, 6], [7, 8]]');
  await addSelection(page, '[[1, 2], [3, 4]]', '[[1, 2], [3, 4]]');
  await runCommand(page, 'Conv Lens: Transposed Convolution…');
  await enterParams(page, 'stride=1');
  assert.match(await panelText(page, '.scatter .arithmetic'), /^input\[0, 0\] = 5 scatters: 5·1 → \(0, 0\)/);
  await stepKey(page, 'End', '.scatter');
  const { frame } = await findInWebviews(page, '.scatter table.grid');
  assert.deepEqual(
    (await frame.locator('.scatter table.grid').nth(1).locator('td .v').allInnerTexts()).map(Number),
    [5, 16, 12, 22, 60, 40, 21, 52, 32],
  );
  // backward pass of the image and the kernel
  await selectRange(page, IMAGE[0], IMAGE[1]);
  await addSelection(page, KERNEL[0], KERNEL[1]);
  await runCommand(page, 'Conv Lens: Show Backward Pass…');
  await enterParams(page, 'padding=1');
  assert.match(await panelText(page, '.backward .arithmetic'), /^dY\[0, 0\] = 1 scatters/);
  const dx = await findInWebviews(page, '.backward section.tensor');
  assert.match(await dx.locator.innerText(), /dX \(grad_input\)[\s\S]*8\s+13\s+13\s+13\s+11/);
  // gradient check of the same conv
  await selectRange(page, IMAGE[0], IMAGE[1]);
  await addSelection(page, KERNEL[0], KERNEL[1]);
  await runCommand(page, 'Conv Lens: Check Gradient…');
  await enterParams(page, 'padding=1');
  assert.match(await panelText(page, '.gradcheck h3'), /∂output\/∂input: passed/);
  await screenshot(page, 'gradcheck-dark');
});

test('the hover and the panel in a light theme', async ({ page, server }) => {
  await start(page, server);
  await runCommand(page, 'Preferences: Color Theme');
  await enterText(page, 'Light Modern');
  await sleep(1000);
  const text = await hoverText(page, '[3, 1, 2, 1, 1]');
  assert.match(text, /Conv Lens · 5×5/);
  await screenshot(page, 'hover-light');
  await pressEscape(page);
  await selectRange(page, IMAGE[0], IMAGE[1]);
  await addSelection(page, KERNEL[0], KERNEL[1]);
  await runCommand(page, 'Conv Lens: Convolve…');
  await enterParams(page, 'padding=1');
  assert.match(await panelText(page, '.sliding .arithmetic'), /= 16$/);
  for (let i = 0; i < 7; i++) await stepKey(page, 'ArrowRight', '.sliding');
  await screenshot(page, 'panel-light');
});
