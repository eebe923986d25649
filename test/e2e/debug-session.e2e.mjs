// A paused Python program, as a person debugs it: Start Debugging from the palette (the test-only debugpy
// adapter extension is installed beside the packaged VSIX), right-click variables in the Variables view — Conv
// Lens's items are there on tensors and not on a string — and Show Tensor puts the tensor in the panel.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findInWebviews, openWorkbench, pressEscape, runCommand, screenshot, sleep, test } from './driver.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The debuggee and a launch configuration for the fixture's `debugpy` debugger, written into the served copy. */
function prepareWorkspace(workspace) {
  copyFileSync(join(ROOT, 'test/integration/workspace/debug_tensors.py'), join(workspace, 'debug_tensors.py'));
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  const expected = join(tmpdir(), `conv-lens-e2e-expected-${process.pid}.json`);
  writeFileSync(
    join(workspace, '.vscode', 'launch.json'),
    JSON.stringify(
      {
        version: '0.2.0',
        configurations: [
          {
            type: 'debugpy',
            request: 'launch',
            name: 'Debug tensors',
            program: '${workspaceFolder}/debug_tensors.py',
            stopOnEntry: false,
            env: { CONV_LENS_LECTURE: join(ROOT, 'test/fixtures/lecture-examples.json'), CONV_LENS_EXPECTED: expected },
          },
        ],
      },
      null,
      2,
    ),
  );
  return expected;
}

/** The Variables view row of a variable (its aria-label reads "name, value …"). */
function variableRow(page, name) {
  return page.locator(`.monaco-list-row[aria-label^="${name}, value"]`).first();
}

async function contextMenuItems(page, name) {
  const row = variableRow(page, name);
  await row.scrollIntoViewIfNeeded();
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu').first();
  await menu.waitFor({ state: 'visible', timeout: 10_000 });
  await sleep(200);
  return (await menu.locator('.action-label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
}

test(
  'the Variables view menu offers Conv Lens on tensors only, and Show Tensor fills the panel',
  async ({ page, server }) => {
    const expected = prepareWorkspace(server.workspace);
    try {
      await openWorkbench(page, server.workbenchUrl());
      // the Run and Debug commands appear once the extension host has registered the debuggers
      for (let attempt = 1; ; attempt++) {
        try {
          await runCommand(page, 'Debug: Select and Start Debugging', { timeoutMs: 5_000 });
          break;
        } catch (e) {
          await pressEscape(page);
          if (attempt === 12) throw e;
          await sleep(5_000);
        }
      }
      const config = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Debug tensors' }).first();
      await config.waitFor({ state: 'visible', timeout: 15_000 });
      await config.click();
      // debugpy launched from the UI may stop on entry first (the Call Stack says "Paused on entry"): Continue to
      // the program's breakpoint()
      const entry = page.getByText('Paused on entry').first();
      const atBreakpoint = variableRow(page, 'lecture_input');
      await Promise.race([
        entry.waitFor({ state: 'visible', timeout: 120_000 }),
        atBreakpoint.waitFor({ state: 'visible', timeout: 120_000 }),
      ]);
      if (await entry.isVisible()) {
        await page.locator('.debug-toolbar .codicon-debug-continue').first().click();
      }
      await atBreakpoint.waitFor({ state: 'visible', timeout: 120_000 });
      await sleep(1000);

      const onTensor = await contextMenuItems(page, 'lecture_input');
      for (const item of ['Show Tensor', 'Use as Input', 'Use as Kernel'])
        assert.ok(onTensor.includes(item), `no "${item}" in the menu of a tensor: ${JSON.stringify(onTensor)}`);
      await pressEscape(page);
      const onString = await contextMenuItems(page, 'label');
      assert.ok(!onString.includes('Show Tensor'), `"Show Tensor" offered on a str: ${JSON.stringify(onString)}`);
      await pressEscape(page);

      await contextMenuItems(page, 'lecture_input');
      await page.locator('.context-view .monaco-menu .action-label', { hasText: 'Show Tensor' }).first().click();
      const { locator } = await findInWebviews(page, 'h2', { timeoutMs: 30_000 });
      assert.match(await locator.innerText(), /lecture_input · 5×5 float32/);
      const { locator: summary } = await findInWebviews(page, 'dl.summary');
      const text = await summary.innerText();
      assert.match(text, /float32/);
      assert.match(text, /5×5/);
      await screenshot(page, 'debug-show-tensor');

      // a 1,000,000-element float32 tensor: from the menu's Show Tensor to its numbers drawn in the panel
      await contextMenuItems(page, 'big');
      const t0 = Date.now();
      await page.locator('.context-view .monaco-menu .action-label', { hasText: 'Show Tensor' }).first().click();
      const { frame } = await findInWebviews(page, '.tensor-view', { timeoutMs: 30_000 });
      // the view's title first (the read is done and the view is in the panel), then its values drawn
      await frame.waitForFunction(() => document.querySelector('h2')?.textContent?.startsWith('big · 1000×1000'), {
        timeout: 30_000,
      });
      const titled = Date.now() - t0;
      await frame.waitForFunction(
        () =>
          document.querySelector('h2')?.textContent?.startsWith('big · 1000×1000') &&
          document.querySelector('.tensor-view')?.getAttribute('data-drawn') === 'true',
        undefined,
        { timeout: 30_000 },
      );
      const ms = Date.now() - t0;
      console.log(
        `  Show Tensor → a 1,000,000-element float32 tensor drawn: ${ms} ms (its view in the panel at ${titled} ms)`,
      );
      await screenshot(page, 'debug-show-big-tensor');
      // measured, not asserted (a shared machine's wall time says little about the code); the goal is 2 s
      console.log(`  goal ≤ 2000 ms: ${ms <= 2000 ? 'met' : 'NOT met'}`);
    } finally {
      rmSync(expected, { force: true });
    }
  },
  { timeoutMs: 240_000 },
);
