// The person's path (issue 12): each flow a new user reported, done as they did it — selections, the palette,
// typing, Enter — and read back as they would read it. Screenshots of each view at its first and last step.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  editorText,
  findInWebviews,
  hoverText,
  openFile,
  openWorkbench,
  readNotifications,
  runCommand,
  screenshot,
  selectRange,
  setColorTheme,
  sleep,
  test,
  textRect,
} from './driver.mjs';

const IMAGE = ['[[1, 3, 2, 3, 3]', '[2, 3, 2, 1, 2]]'];
const KERNEL = ['[[1, 3, 2], [', '[3, 1, 1]]'];
const GRAD = ['[[8., 13., 13., 13., 11.]', '[8., 12., 12., 12., 8.]]'];

async function addSelection(page, startText, endText) {
  // a press soon after the last one's release is read as a double click, which extends the selection instead
  await sleep(700);
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

/** Types the parameters into the prompt and presses Enter, as a person does. */
async function typeParams(page, text) {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.pressSequentially(text, { delay: 10 });
  await sleep(400);
  await page.keyboard.press('Enter');
}

async function panel(page, selector) {
  return (await findInWebviews(page, selector, { timeoutMs: 20_000 })).locator;
}

/** Waits until the panel shows a view whose title matches `title` (the command's result, not the one before). */
async function waitForView(page, title) {
  for (let i = 0; i < 120; i++) {
    const { locator } = await findInWebviews(page, 'h2', { timeoutMs: 20_000 });
    if (title.test(await locator.innerText())) return;
    await sleep(250);
  }
  throw new Error(`the panel never showed a view titled ${title}`);
}

async function panelText(page, selector) {
  return (await panel(page, selector)).innerText();
}

/** The panel's summary as label → value. */
async function summary(page) {
  const { frame } = await findInWebviews(page, '.summary');
  const labels = await frame.locator('.summary dt').allInnerTexts();
  const values = await frame.locator('.summary dd').allInnerTexts();
  return Object.fromEntries(labels.map((l, i) => [l, values[i]]));
}

async function key(page, viewSelector, k) {
  const { frame } = await findInWebviews(page, `${viewSelector} .player`);
  const player = frame.locator(`${viewSelector} .player`).first();
  await player.focus();
  await player.press(k);
  await sleep(300);
}

async function start(page, server, colour = 'Dark Modern') {
  await openWorkbench(page, server.workbenchUrl());
  await setColorTheme(page, colour);
  await openFile(page, 'lecture.py');
}

/** Screenshots the view at step 1 and at its last step. */
async function firstAndLast(page, viewSelector, name) {
  await key(page, viewSelector, 'Home');
  await screenshot(page, `${name}-step-1`);
  await key(page, viewSelector, 'End');
  await sleep(500);
  await screenshot(page, `${name}-last-step`);
}

for (const colour of ['dark', 'light']) {
  const themeName = colour === 'dark' ? 'Dark Modern' : 'Light Modern';

  test(`1 (${colour}): Set Selection as Input / Kernel, then Convolve with stride=2, padding=1 convolves the set operands`, async ({
    page,
    server,
  }) => {
    await start(page, server, themeName);
    await selectRange(page, IMAGE[0], IMAGE[1]);
    await runCommand(page, 'Conv Lens: Set Selection as Input');
    await selectRange(page, KERNEL[0], KERNEL[1]);
    await runCommand(page, 'Conv Lens: Set Selection as Kernel');
    // the kernel is still selected: it must stay the kernel, not become the input too
    await runCommand(page, 'Conv Lens: Convolve…');
    await typeParams(page, 'stride=2, padding=1');
    await waitForView(page, /^Convolution/);
    assert.equal(await panelText(page, 'h2 + code'), 'stride=2, padding=1');
    const s = await summary(page);
    assert.match(s.input, /^5×5 · 5×5 python at lecture\.py:5$/);
    assert.match(s.kernel, /^3×3 · 3×3 np\.array at lecture\.py:6$/);
    assert.equal(s.output, '3×3');
    assert.match(
      await page.locator('.statusbar').innerText(),
      /input 5×5 \(lecture\.py:5\) · kernel 3×3 \(lecture\.py:6\)/,
    );
    await firstAndLast(page, '.sliding', `persons-path-1-convolve-${colour}`);
    const { frame } = await findInWebviews(page, '.sliding table.grid');
    const out = await frame.locator('.sliding table.grid').nth(2).locator('td .v').allInnerTexts();
    assert.deepEqual(out.map(Number), [16, 24, 16, 33, 33, 18, 25, 21, 12]);
    // the hover's "Step through a convolution" on the kernel uses the input that was set
    const hover = await hoverText(page, '[3, 1, 1]');
    assert.match(hover, /Step through a convolution/);
    await page.locator('.monaco-hover:not(.hidden) a', { hasText: 'Step through a convolution' }).first().click();
    await typeParams(page, 'padding=1');
    for (let i = 0; i < 80 && (await panelText(page, 'h2 + code')) !== 'padding=1'; i++) await sleep(250);
    const after = await summary(page);
    assert.match(after.input, /^5×5 · /);
    assert.match(after.kernel, /^3×3 · /);
    assert.match(await panelText(page, '.sliding .arithmetic'), /= 16$/);
    assert.equal(await page.locator('.monaco-hover:not(.hidden)').count(), 0, 'the hover closed when its link ran');
  });

  test(`2 (${colour}): typed parameters are what is computed (Max Pool, Show im2col, Check Gradient)`, async ({
    page,
    server,
  }) => {
    await start(page, server, themeName);
    await selectRange(page, IMAGE[0], IMAGE[1]);
    await runCommand(page, 'Conv Lens: Max Pool…');
    await typeParams(page, 'kernel_size=2, stride=2, padding=1');
    await waitForView(page, /^Max pooling/);
    assert.equal(await panelText(page, 'h2 + code'), 'kernel_size=2, stride=2, padding=1');
    assert.equal((await summary(page)).output, '3×3');
    // padding drawn on every side: the 5×5 input in a 7×7 ring
    const { frame } = await findInWebviews(page, '.pooling table.grid');
    assert.equal(await frame.locator('.pooling table.grid').first().locator('td.pad').count(), 24);
    await firstAndLast(page, '.pooling', `persons-path-2-maxpool-${colour}`);
    await selectRange(page, IMAGE[0], IMAGE[1]);
    await runCommand(page, 'Conv Lens: Show im2col…');
    await typeParams(page, 'kernel_size=3, stride=2');
    await waitForView(page, /^im2col/);
    assert.equal(await panelText(page, 'h2 + code'), 'kernel_size=3, stride=2');
    assert.equal((await summary(page)).output, '9×4');
    await firstAndLast(page, '.im2col', `persons-path-2-im2col-${colour}`);
    await selectRange(page, IMAGE[0], IMAGE[1]);
    await addSelection(page, KERNEL[0], KERNEL[1]);
    await runCommand(page, 'Conv Lens: Check Gradient…');
    await typeParams(page, 'padding=0');
    await waitForView(page, /^Gradient check/);
    await (await panel(page, '.gradcheck')).waitFor();
    assert.equal(await panelText(page, 'h2 + code'), 'padding=0');
  });

  test(`3 (${colour}): the transposed-conv scatter and the backward grids build up step by step`, async ({
    page,
    server,
  }) => {
    await start(page, server, themeName);
    await selectRange(page, '[[5, 6], [7, 8]]');
    await addSelection(page, '[[1, 2], [3, 4]]', '[[1, 2], [3, 4]]');
    await runCommand(page, 'Conv Lens: Transposed Convolution…');
    await typeParams(page, 'stride=1');
    await waitForView(page, /^Transposed convolution/);
    const { frame } = await findInWebviews(page, '.scatter table.grid');
    const result = () => frame.locator('.scatter table.grid').nth(1).locator('td .v').allInnerTexts();
    await key(page, '.scatter', 'Home');
    await frame.waitForFunction(() => document.querySelectorAll('.scatter table.grid')[1]?.textContent?.includes('20'));
    assert.deepEqual(
      (await result()).filter((v) => v !== '·'),
      ['5', '10', '15', '20'],
    );
    await screenshot(page, `persons-path-3-scatter-${colour}-step-1`);
    await key(page, '.scatter', 'End');
    await frame.waitForFunction(() => !document.querySelectorAll('.scatter table.grid')[1]?.textContent?.includes('·'));
    assert.deepEqual((await result()).map(Number), [5, 16, 12, 22, 60, 40, 21, 52, 32]);
    await screenshot(page, `persons-path-3-scatter-${colour}-last-step`);
    // backward: dX over the padded input, labelled as such
    await selectRange(page, IMAGE[0], IMAGE[1]);
    await addSelection(page, KERNEL[0], KERNEL[1]);
    await runCommand(page, 'Conv Lens: Show Backward Pass…');
    await typeParams(page, 'padding=1');
    await waitForView(page, /^Backward pass/);
    assert.match(
      await panelText(page, '.backward figure:nth-of-type(2) figcaption'),
      /^dX over the padded input 7×7 \(coordinates before the crop; grey: cropped, leaving the dX 5×5\)$/,
    );
    await firstAndLast(page, '.backward', `persons-path-3-backward-${colour}`);
  });

  test(`4 (${colour}): Check Gradient with a wrong gradient says so in red and marks the element in the file`, async ({
    page,
    server,
  }) => {
    await start(page, server, themeName);
    await selectRange(page, IMAGE[0], IMAGE[1]);
    await addSelection(page, KERNEL[0], KERNEL[1]);
    await addSelection(page, GRAD[0], GRAD[1]);
    await runCommand(page, 'Conv Lens: Check Gradient…');
    await typeParams(page, 'padding=1');
    let notes = [];
    for (let i = 0; i < 40 && !notes.some((n) => /wrong element/.test(n.message)); i++) {
      await sleep(250);
      notes = await readNotifications(page);
    }
    const verdict = notes.find((n) => /wrong element/.test(n.message));
    assert.ok(verdict, JSON.stringify(notes));
    assert.equal(verdict.severity, 'error');
    assert.match(verdict.message, /your grad_input has 1 wrong element of 25/);
    assert.match(
      await panelText(page, '.gradcheck section.check.failed h3'),
      /your grad_input: 1 of 25 elements wrong/,
    );
    assert.ok((await page.locator('.monaco-editor .squiggly-error').count()) >= 1, 'the wrong element is underlined');
    // the mark's message, as a person reaches it when the number is out of view: Go to Next Problem (F8)
    await page.keyboard.press('Escape');
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('F8');
    const problem = page.locator('.marker-widget').first();
    await problem.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await problem.innerText(), /grad_input\[2, 2\] is 81 but should be 18/);
    await screenshot(page, `persons-path-4-gradcheck-${colour}`);
  });
}

test('5: exports from every tab, with a confirmation; the frame of the Equivariance tab saved as SVG', async ({
  page,
  server,
}) => {
  await start(page, server);
  await selectRange(page, IMAGE[0], IMAGE[1]);
  await addSelection(page, KERNEL[0], KERNEL[1]);
  await runCommand(page, 'Conv Lens: Convolve…');
  await typeParams(page, 'padding=1');
  const { frame } = await findInWebviews(page, '.sliding');
  await frame.locator('vscode-button', { hasText: 'Copy as Markdown' }).click();
  assert.match(await frame.locator('.actions .done').innerText(), /✓ copied as Markdown/);
  await frame.locator('vscode-tab-header', { hasText: 'Equivariance' }).click();
  assert.match(await frame.locator('.equivariance p').first().innerText(), /kernel_size=2, stride=2, ceil_mode=True/);
  assert.notEqual(
    await frame.locator('vscode-button', { hasText: 'Copy step as Markdown' }).getAttribute('disabled'),
    null,
  );
  await frame.locator('vscode-button', { hasText: 'Save frame as SVG' }).click();
  // code-server's save dialog: the path, proposed in the workspace; Enter accepts it
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await sleep(300);
  await page.keyboard.press('Enter');
  const file = join(server.workspace, 'conv-lens-conv.svg');
  for (let i = 0; i < 40 && !existsSync(file); i++) await sleep(250);
  const svg = readFileSync(file, 'utf8');
  assert.match(svg, /^<svg /);
  assert.match(svg, /Shifting the input one cell/);
  assert.ok((svg.match(/<rect /g) ?? []).length > 50, 'the tables are drawn');
});

test('6: the smaller things — Insert output is named, im2col scrolls, the walkthrough opens the example', async ({
  page,
  server,
}) => {
  await start(page, server);
  await selectRange(page, IMAGE[0], IMAGE[1]);
  await addSelection(page, KERNEL[0], KERNEL[1]);
  await runCommand(page, 'Conv Lens: Show im2col…');
  await typeParams(page, 'padding=1');
  const { frame } = await findInWebviews(page, '.im2col');
  const scrolls = await frame
    .locator('.im2col figure')
    .nth(1)
    .evaluate((f) => f.scrollWidth > f.clientWidth && getComputedStyle(f).overflowX === 'auto');
  assert.ok(scrolls, 'the 9×25 column matrix scrolls instead of being cut off');
  // the image is still selected: a press inside a selection would drag its text, so put the cursor elsewhere first
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Home');
  await sleep(300);
  await selectRange(page, IMAGE[0], IMAGE[1]);
  await addSelection(page, KERNEL[0], KERNEL[1]);
  await runCommand(page, 'Conv Lens: Convolve…');
  await typeParams(page, 'padding=1');
  const conv = await findInWebviews(page, '.sliding');
  await conv.frame.locator('vscode-button', { hasText: 'Insert output into the document' }).click();
  let text = '';
  for (let i = 0; i < 20 && !/image_conv = /.test(text); i++) {
    await sleep(250);
    text = await editorText(page);
  }
  assert.match(text, /image_conv = \[\[16, 28, 24, 28, 16\]/);
  await runCommand(page, 'Conv Lens: Open the Lecture Example');
  await sleep(1000);
  assert.match(await editorText(page), /the input image and the kernel of the lecture/);
  await screenshot(page, 'persons-path-6-walkthrough-sample');
});
