// Helpers that drive the VS Code workbench (code-server in headless Chromium) like a person would,
// plus the tiny test registry that scripts/vscode/run-e2e.mjs runs.
//
//   import assert from 'node:assert/strict';
//   import { test, openWorkbench, openFile, hoverText } from './driver.mjs';
//   test('hover shows the shape', async ({ page, server }) => {
//     await openWorkbench(page, server.workbenchUrl());
//     await openFile(page, 'sample.py');
//     assert.match(await hoverText(page, 'np.array'), /shape/);
//   });
//
// Each test gets a fresh browser page (a new context: no workbench state from earlier tests) and the
// one code-server of the run, with the packaged VSIX installed. On failure the runner saves a
// screenshot test/e2e/screenshots/FAILED-<test>.png.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
const SETTLE_MS = Number(process.env.CONV_LENS_E2E_SETTLE_MS) || 3_000;

// ------------------------------------------------------------------------------------------------
// Registry
// ------------------------------------------------------------------------------------------------
const tests = [];

/**
 * Registers an e2e test. `fn({ page, context, server })`: page is a Playwright Page, server is what
 * scripts/vscode/server.mjs startCodeServer returned (url, workbenchUrl(), listExtensions(), ...).
 * @param {string} name
 * @param {(ctx: object) => Promise<void>} fn
 * @param {{ timeoutMs?: number, skip?: boolean, only?: boolean }} [options]
 */
export function test(name, fn, options = {}) {
  tests.push({
    name,
    fn,
    timeoutMs: options.timeoutMs ?? 120_000,
    skip: !!options.skip,
    only: !!options.only,
    file: currentFile,
  });
}
test.skip = (name, fn, options = {}) => test(name, fn, { ...options, skip: true });
test.only = (name, fn, options = {}) => test(name, fn, { ...options, only: true });

let currentFile = '';
/** Used by the runner: which file the next test() calls come from. */
export function _setCurrentFile(file) {
  currentFile = file;
}
/** Used by the runner. */
export function _registeredTests() {
  return tests;
}

// ------------------------------------------------------------------------------------------------
// Workbench
// ------------------------------------------------------------------------------------------------
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Opens the workbench and waits for it, then gives the extension host a few seconds to start. */
export async function openWorkbench(page, url, { settleMs = SETTLE_MS } = {}) {
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await page.waitForSelector('.part.statusbar', { timeout: 30_000 });
  await sleep(settleMs);
}

/** Waits until the quick input (Ctrl+P / F1 box) shows a row whose text includes `text`; returns it. */
async function quickInputRow(page, text, timeoutMs) {
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = rows.filter({ hasText: text }).first();
    if (await row.count()) return row;
    if (Date.now() > deadline) {
      const seen = await rows.allInnerTexts().catch(() => []);
      throw new Error(
        `quick input shows no row with ${JSON.stringify(text)}; rows: ${JSON.stringify(seen.map((s) => s.replace(/\s+/g, ' ')))}`,
      );
    }
    await sleep(200);
  }
}

/** Quick open (Ctrl+P) a workspace file by name; waits until its editor is the active one. */
export async function openFile(page, name, { timeoutMs = 15_000 } = {}) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(name);
  const base = name.split('/').pop();
  const row = await quickInputRow(page, base, timeoutMs);
  await row.click();
  await page
    .locator(`.tabs-container .tab.active[aria-label*="${base}"], .title .label-name:text-is("${base}")`)
    .first()
    .waitFor({ timeout: timeoutMs });
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ timeout: timeoutMs });
  await sleep(300);
}

/** Runs a command from the palette (F1) by its title, e.g. "Developer: Show Running Extensions". */
export async function runCommand(page, title, { timeoutMs = 15_000 } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(`>${title}`);
  const row = await quickInputRow(page, title, timeoutMs);
  await row.click();
  await sleep(300);
}

/** Closes any quick input / hover / menu. */
/** Picks a colour theme from the palette, as a person does ("Dark Modern", "Light Modern"). */
export async function setColorTheme(page, name) {
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await input.fill(name);
  await sleep(300);
  await page.keyboard.press('Enter');
  await sleep(1000);
}

export async function pressEscape(page, times = 1) {
  for (let i = 0; i < times; i++) await page.keyboard.press('Escape');
}

// ------------------------------------------------------------------------------------------------
// Editor text
// ------------------------------------------------------------------------------------------------

/**
 * Client rectangle of the `occurrence`-th appearance of `text` in the active editor's rendered lines
 * (one line; Monaco renders spaces as U+00A0, both match a space). Returns {x, y, width, height, left, right, top, bottom}.
 */
export async function textRect(page, text, { occurrence = 0, timeoutMs = 10_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rect = await page.evaluate(
      ({ text, occurrence }) => {
        const editors = [...document.querySelectorAll('.editor-instance .monaco-editor, .monaco-editor')];
        const editor = editors.find((e) => e.closest('.editor-group-container.active')) ?? editors[0];
        if (!editor) return null;
        // Lines are absolutely positioned; sort by their top so "occurrence" counts in reading order.
        const lines = [...editor.querySelectorAll('.view-lines .view-line')].sort(
          (a, b) => parseFloat(a.style.top) - parseFloat(b.style.top),
        );
        let seen = 0;
        for (const line of lines) {
          const full = line.textContent.replace(/\u00a0/g, ' ');
          let index = full.indexOf(text);
          while (index >= 0) {
            if (seen++ === occurrence) {
              const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
              const range = document.createRange();
              let offset = 0;
              let startSet = false;
              for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const len = node.textContent.length;
                if (!startSet && index < offset + len) {
                  range.setStart(node, index - offset);
                  startSet = true;
                }
                if (startSet && index + text.length <= offset + len) {
                  range.setEnd(node, index + text.length - offset);
                  break;
                }
                offset += len;
              }
              const r = range.getBoundingClientRect();
              return {
                x: r.x,
                y: r.y,
                width: r.width,
                height: r.height,
                left: r.left,
                right: r.right,
                top: r.top,
                bottom: r.bottom,
              };
            }
            index = full.indexOf(text, index + 1);
          }
        }
        return null;
      },
      { text, occurrence },
    );
    if (rect && rect.width > 0) return rect;
    if (Date.now() > deadline)
      throw new Error(`${JSON.stringify(text)} (occurrence ${occurrence}) is not on the screen in the active editor`);
    await sleep(200);
  }
}

/**
 * Hovers the mouse over `text` in the active editor and returns the hover's text
 * (all `.monaco-hover-content` blocks, joined by newlines).
 */
export async function hoverText(page, text, { occurrence = 0, timeoutMs = 10_000 } = {}) {
  const rect = await textRect(page, text, { occurrence });
  // Move away first so a hover already shown for this spot is refreshed.
  await page.mouse.move(1, 1);
  await sleep(100);
  await page.mouse.move(rect.x + rect.width / 2, rect.y + rect.height / 2, { steps: 5 });
  const content = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content').first();
  await content.waitFor({ state: 'visible', timeout: timeoutMs });
  await sleep(300); // providers may fill in asynchronously ("Loading...")
  const all = await page.locator('.monaco-hover:not(.hidden) .monaco-hover-content').allInnerTexts();
  return all.join('\n').trim();
}

/** Selects from the start of `startText` to the end of `endText` (default: `startText` itself) with the mouse. */
export async function selectRange(
  page,
  startText,
  endText = startText,
  { occurrence = 0, endOccurrence = occurrence } = {},
) {
  const a = await textRect(page, startText, { occurrence });
  const b = await textRect(page, endText, { occurrence: endOccurrence });
  // Click just inside the first character's left half and the last character's right half.
  await page.mouse.click(a.left + 1, a.top + a.height / 2);
  await page.keyboard.down('Shift');
  await page.mouse.click(b.right - 1, b.top + b.height / 2);
  await page.keyboard.up('Shift');
  await sleep(200);
}

/** The active editor's visible text (rendered lines in order; may omit lines scrolled out of view). */
export async function editorText(page) {
  return page.evaluate(() => {
    const editor =
      document.querySelector('.editor-group-container.active .monaco-editor') ??
      document.querySelector('.monaco-editor');
    if (!editor) return '';
    const lines = [...editor.querySelectorAll('.view-lines .view-line')].sort(
      (a, b) => parseFloat(a.style.top) - parseFloat(b.style.top),
    );
    return lines.map((l) => l.textContent.replace(/\u00a0/g, ' ')).join('\n');
  });
}

// ------------------------------------------------------------------------------------------------
// Notifications, webviews, screenshots
// ------------------------------------------------------------------------------------------------

/** Visible notification toasts: [{ severity: 'error'|'warning'|'info', message, source }]. */
export async function readNotifications(page) {
  return page.evaluate(() =>
    [
      ...document.querySelectorAll(
        '.notifications-toasts .notification-toast, .notifications-center .notification-list-item',
      ),
    ].map((el) => {
      const icon = el.querySelector('.notification-list-item-icon');
      const cls = icon?.className ?? '';
      return {
        severity: /error/.test(cls) ? 'error' : /warning/.test(cls) ? 'warning' : 'info',
        message: el.querySelector('.notification-list-item-message')?.textContent?.trim() ?? el.textContent.trim(),
        source: el.querySelector('.notification-list-item-source')?.textContent?.trim() ?? '',
      };
    }),
  );
}

/** Waits for a notification whose message matches; returns it. */
export async function waitForNotification(page, pattern, { timeoutMs = 10_000 } = {}) {
  const re = pattern instanceof RegExp ? pattern : new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await readNotifications(page)).find((n) => re.test(n.message));
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(
        `no notification matching ${re} within ${timeoutMs} ms; shown: ${JSON.stringify(await readNotifications(page))}`,
      );
    await sleep(200);
  }
}

/**
 * Frames that hold webview content. VS Code nests them: the workbench's iframe.webview loads the
 * webview host page, whose inner #active-frame holds the extension's HTML. Returns the inner ones
 * (and any other webview-host frame), never the main page.
 */
export function webviewFrames(page) {
  return page.frames().filter((f) => f !== page.mainFrame() && /webview|vscode-cdn|fake\.html/i.test(f.url()));
}

/** Waits until some webview frame has `selector`; returns { frame, locator }. */
export async function findInWebviews(page, selector, { timeoutMs = 15_000, pollMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of webviewFrames(page)) {
      const locator = frame.locator(selector).first();
      if (await locator.count().catch(() => 0)) return { frame, locator };
    }
    if (Date.now() > deadline) {
      throw new Error(
        `no webview frame has ${selector} within ${timeoutMs} ms; webview frames: ${JSON.stringify(webviewFrames(page).map((f) => f.url()))}`,
      );
    }
    await sleep(pollMs);
  }
}

/** Saves a PNG of the page into test/e2e/screenshots/<name>.png; returns its path. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file });
  return file;
}
