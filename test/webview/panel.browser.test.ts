/**
 * The panel's real bundle in Chromium, fed PanelViews that the real command logic made from the lecture's
 * examples: the numbers on screen at chosen steps of every view, the keyboard, the state restore, hostile
 * messages, and screenshots in light, dark and high contrast (test/webview/screenshots/).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyControls } from '../../src/app/controls';
import type { OperationSpec } from '../../src/app/operation';
import { openResult, type ResultSession } from '../../src/app/results';
import { openTensorView } from '../../src/app/results/tensorView';
import { fromNested } from '../../src/engine/tensor';
import type { PanelView } from '../../src/protocol';
import { attachHost, post, posted, ROOT, startHarness, type Harness } from './page';

const lecture = JSON.parse(readFileSync(resolve(ROOT, 'test/fixtures/lecture-examples.json'), 'utf8')).cases;
const X = fromNested(lecture[0].request.input[0], 'input');
const W = fromNested(lecture[0].request.weight[0][0], 'kernel');
const SHOTS = resolve(__dirname, 'screenshots');
mkdirSync(SHOTS, { recursive: true });

const base = { paramsText: '', flipByDefault: false, precision: 6, canInsert: true, maxElements: 1_000_000 };
/** the sessions the page's stand-in host answers page and plane requests from */
const sessions = new Map<string, ResultSession>();
const specs = new Map<string, OperationSpec>();
/** the host's part of the live controls: the same operands with the changed parameters (src/editor/commands/recompute.ts) */
function recompute(viewId: string, values: Record<string, string>): ResultSession | null {
  const spec = specs.get(viewId);
  if (!spec) return null;
  const applied = applyControls(spec.kind, spec.params, values);
  if (!applied.ok) return null;
  const next = { ...spec, params: applied.values, paramsText: applied.text };
  const session = openResult(next);
  specs.set(session.view.id, next);
  return session;
}
function runOperation(
  spec: Omit<OperationSpec, 'paramsText' | 'flipByDefault' | 'precision' | 'canInsert' | 'maxElements'> &
    Partial<OperationSpec>,
): ResultSession {
  const full = { ...base, ...spec };
  const session = openResult(full);
  sessions.set(session.view.id, session);
  specs.set(session.view.id, full);
  return session;
}
const convRun = runOperation({ kind: 'conv', input: X, kernel: W, params: { padding: 1 }, paramsText: 'padding=1' });

let h: Harness;
let page: Page;
const errors: string[] = [];

async function open(theme: 'light' | 'dark' | 'high-contrast' = 'dark'): Promise<Page> {
  const p = await h.browser.newPage({ viewport: { width: 1100, height: 900 } });
  await attachHost(p, sessions, recompute);
  p.on('pageerror', (e) => errors.push(String(e)));
  p.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await p.goto(h.url(theme));
  await p.waitForFunction(() =>
    (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'),
  );
  return p;
}

async function show(p: Page, view: PanelView): Promise<void> {
  await post(p, { type: 'show', view });
  await p.waitForSelector('h2');
}

const text = (p: Page, selector: string) => p.locator(selector).first().innerText();
const shot = (p: Page, name: string) => p.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  h = await startHarness();
  page = await open();
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('sliding window', () => {
  it("step 0 is the lecture's first output, with the arithmetic written out", async () => {
    await show(page, convRun.view);
    const arithmetic = await text(page, '.sliding .arithmetic');
    expect(arithmetic).toContain('1·0 + 3·0 + 2·0 + 1·0 + 3·1 + 3·3');
    expect(arithmetic.endsWith('= 16')).toBe(true);
    // the padded input is 7×7 with a ring of 24 padding cells; the window lights 9 cells
    expect(await page.locator('.sliding table.grid').first().locator('td.pad').count()).toBe(24);
    expect(await page.locator('.sliding table.grid').first().locator('td.win').count()).toBe(9);
    const out = page.locator('.sliding table.grid').nth(2);
    expect(await out.locator('td.current .v').innerText()).toBe('16');
    expect(await out.locator('td .v').nth(1).innerText()).toBe('·');
  });
  it('→ steps forward, a click on an output cell jumps to its window, End goes to the last', async () => {
    await page.locator('.sliding').focus();
    await page.locator('.player').first().focus();
    await page.keyboard.press('ArrowRight');
    expect((await text(page, '.sliding .arithmetic')).endsWith('= 28')).toBe(true);
    const out = page.locator('.sliding table.grid').nth(2);
    await out.locator('td').nth(12).click();
    expect((await text(page, '.sliding .arithmetic')).endsWith('= 33')).toBe(true);
    expect(await text(page, '.player .position')).toBe('step 13 / 25');
    await page.locator('.player').first().focus();
    await page.keyboard.press('End');
    expect((await text(page, '.sliding .arithmetic')).endsWith('= 12')).toBe(true);
    const values = await out.locator('td .v').allInnerTexts();
    expect(values.map(Number)).toEqual((lecture[0].expect.output as number[][][]).flat(2));
  });
  it('a click on an input cell lists the outputs it feeds', async () => {
    await page.locator('.sliding table.grid').first().locator('td').nth(8).click(); // padded (1, 1) = input (0, 0)
    expect(await text(page, '.sliding p.feeds')).toBe(
      'padded cell (1, 1) feeds 4 outputs: (0, 0) (0, 1) (1, 0) (1, 1)',
    );
  });
  it('exports the step as Markdown and LaTeX, the result as a table, and the frame as SVG', async () => {
    await page.locator('.player').first().focus();
    await page.keyboard.press('Home');
    const before = (await posted(page)).length;
    for (const label of ['Copy step as Markdown', 'Copy step as LaTeX', 'Copy as Markdown', 'Save frame as SVG']) {
      await page.locator('vscode-button', { hasText: label }).click();
    }
    const [md, tex, result, svg] = (await posted(page)).slice(before) as {
      type: string;
      text: string;
      fileName?: string;
    }[];
    expect(md.type).toBe('copy');
    expect(md.text).toContain('**out[0, 0] = 16**');
    expect(md.text).toContain('| 0 | 1, 1 | 1, 1 | 0, 0 | 1 | 3 | 3 | 3 |');
    expect(tex.text).toContain('\\begin{tabular}{rrrrrrrr}');
    expect(result).toMatchObject({ type: 'copyTensor', tensor: 'result', format: 'markdown' });
    expect(svg).toMatchObject({ type: 'save', fileName: 'conv-lens-conv.svg' });
    expect(svg.text.startsWith('<svg')).toBe(true);
    expect(svg.text).toContain('>16</text>');
  });
  it('Space plays and pauses; Home goes back to the first step', async () => {
    await page.locator('.player').first().focus();
    await page.keyboard.press('Home');
    await page.keyboard.press(' ');
    expect(await page.locator('.player vscode-toolbar-button').nth(2).getAttribute('icon')).toBe('debug-pause');
    await page.keyboard.press(' ');
    expect(await page.locator('.player vscode-toolbar-button').nth(2).getAttribute('icon')).toBe('play');
  });
  it('the step survives a reload (getState/setState)', async () => {
    await page.locator('.player').first().focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
    await page.reload();
    await page.waitForSelector('.sliding .arithmetic');
    expect(await text(page, '.player .position')).toBe('step 7 / 25');
    expect(
      (await text(page, '.sliding .arithmetic')).endsWith(`= ${(lecture[0].expect.output as number[][][]).flat(2)[6]}`),
    ).toBe(true);
  });
  it('screenshots in light, dark and high contrast', async () => {
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      const p = await open(theme);
      await show(p, convRun.view);
      await p.locator('.player').first().focus();
      for (let i = 0; i < 7; i++) await p.keyboard.press('ArrowRight');
      await p.screenshot({ path: resolve(SHOTS, `sliding-window-${theme}.png`), fullPage: true });
      await p.close();
    }
  });
});

describe('the other views', () => {
  it("max pooling: the lecture's first row and the index PyTorch returns", async () => {
    const r = runOperation({
      ...base,
      kind: 'max_pool',
      input: fromNested(lecture[3].request.input[0], 'x'),
      params: { kernel_size: 3, stride: 2, padding: 1 },
    });
    await show(page, r.view);
    expect(await text(page, '.pooling .arithmetic')).toMatch(/^out\[0, 0\] = max\(.*\) = 3 at index \d+$/);
    expect(await page.locator('.pooling td.argmax').count()).toBe(1);
    await page.locator('.pooling .player').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await text(page, '.pooling .arithmetic')).toMatch(/= 3 at index/);
    await shot(page, 'max-pool-dark');
  });
  it('im2col: column 0 is the first window, and W times it is 16', async () => {
    const r = runOperation({ ...base, kind: 'im2col', input: X, kernel: W, params: { padding: 1 } });
    await show(page, r.view);
    expect(await text(page, '.im2col .arithmetic')).toMatch(/= 16$/);
    expect(await page.locator('.im2col table.grid').nth(1).locator('td.current').count()).toBe(9);
    await page.locator('.im2col .player').focus();
    await page.keyboard.press('ArrowRight');
    expect(await text(page, '.im2col .arithmetic')).toMatch(/= 28$/);
    await shot(page, 'im2col-dark');
  });
  it('transposed convolution: each input cell scatters kernel-times-value into the output', async () => {
    const t = lecture[5].request;
    const r = runOperation({
      ...base,
      kind: 'conv_transpose',
      input: fromNested(t.input[0], 'x'),
      kernel: fromNested(t.weight[0][0], 'w'),
      params: {},
    });
    await show(page, r.view);
    const drawn = await page.locator('vscode-tab-panel').first().innerText();
    expect(drawn).not.toContain('could not be drawn');
    const line = await text(page, '.scatter .arithmetic');
    expect(line).toMatch(/^input\[0, 0\] = 5 scatters: 5·1 → \(0, 0\)/);
    expect(await page.locator('.scatter td.win').count()).toBe(4);
    // the sum builds up: after step 1 only the four cells the first input cell scatters to hold a number
    const result = page.locator('.scatter table.grid').nth(1);
    await page.waitForFunction(() => document.querySelectorAll('.scatter table.grid')[1]?.textContent?.includes('5'));
    const filled = async () => (await result.locator('td .v').allInnerTexts()).filter((v) => v !== '·');
    expect(await filled()).toEqual(['5', '10', '15', '20']);
    await shot(page, 'transposed-step-1-dark');
    await page.locator('.scatter .player').focus();
    await page.keyboard.press('End');
    await page.waitForFunction(() => !document.querySelectorAll('.scatter table.grid')[1]?.textContent?.includes('·'));
    expect((await result.locator('td .v').allInnerTexts()).map(Number)).toEqual(
      (lecture[5].expect.output as number[][][]).flat(2),
    );
    await shot(page, 'transposed-dark');
  });
  it("backward: dX equals the lecture's", async () => {
    const b = lecture[4].request;
    const r = runOperation({
      kind: 'backward',
      input: fromNested(b.input[0], 'x'),
      kernel: fromNested(b.weight[0][0], 'w'),
      gradOutput: fromNested(b.grad_output[0], 'gy'),
      params: {},
    });
    await show(page, r.view);
    expect(await page.locator('vscode-tab-panel').first().innerText()).not.toContain('could not be drawn');
    const dx = page.locator('.backward section.tensor').first().locator('td');
    expect((await dx.allInnerTexts()).map(Number)).toEqual((lecture[4].expect.grad_input as number[][][]).flat(2));
    expect(await text(page, '.backward .arithmetic')).toContain('dY[0, 0] = 5 scatters');
    await shot(page, 'backward-dark');
  });
  it("gradient check: a heat map, and the user's wrong element with what it should be", async () => {
    const r = runOperation({
      kind: 'gradcheck',
      input: fromNested(
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
        'x',
      ),
      kernel: fromNested(
        [
          [1, 0],
          [0, -1],
        ],
        'w',
      ),
      params: {},
      userGradient: {
        of: 'input',
        tensor: fromNested(
          [
            [1, 1, 0],
            [1, 5, -1],
            [0, -1, -1],
          ],
          'g',
        ),
      },
    });
    await show(page, r.view);
    expect(await page.locator('.gradcheck table.grid').count()).toBeGreaterThanOrEqual(2);
    expect(await text(page, '.gradcheck section.check.failed h3')).toBe('your grad_input: 1 of 9 elements wrong');
    expect(await page.locator('.gradcheck section.check.failed table.list tbody td').allInnerTexts()).toEqual([
      '1, 1',
      '5',
      '0',
      '5',
    ]);
    await shot(page, 'gradcheck-dark');
  });
  it('equivariance: the conv output shifts with the input', async () => {
    await show(page, convRun.view);
    await page.locator('vscode-tab-header').nth(1).click();
    expect(await text(page, '.equivariance p')).toMatch(
      /^Shifting the input one cell to the right shifts the convolution's output: \d+ of 20 output cells/,
    );
  });
  it('a refused request shows PyTorch’s error, why and the fix', async () => {
    const r = runOperation({
      ...base,
      kind: 'conv',
      input: fromNested(
        [
          [1, 2],
          [3, 4],
        ],
        'x',
      ),
      kernel: W,
      params: {},
    });
    await show(page, r.view);
    expect(await text(page, '.error .torch')).toContain("Kernel size can't be greater than actual input size");
    expect(await text(page, '.error')).toContain('Fix: use padding ≥ 1');
    await shot(page, 'refused-dark');
  });
});

describe('big inputs', () => {
  it('a 64×64 conv draws heat maps and pages its steps from the host', async () => {
    const big = fromNested(
      Array.from({ length: 64 }, (_, r) => Array.from({ length: 64 }, (_, c) => (r * 7 + c * 3) % 11)),
      'x',
    );
    const r = runOperation({ ...base, kind: 'conv', input: big, kernel: W, params: { padding: 1 } });
    await show(page, r.view);
    expect(await page.locator('.sliding .heatmap').count()).toBe(3 - 1); // padded input and output; the 3×3 kernel stays a table
    await page.locator('.sliding .player').focus();
    await page.keyboard.press('End');
    // the last step is beyond the first page: the panel asks the host (here the test's stand-in) for its page
    await page.waitForFunction(() =>
      document.querySelector('.sliding .arithmetic')?.textContent?.startsWith('out[63, 63]'),
    );
    const asked = (await posted(page)).filter((m) => m.type === 'page');
    const pageSize = (r.view.trace as { steps: { pageSize: number } }).steps.pageSize;
    const last = 4095 - (4095 % pageSize);
    expect(asked[0]).toMatchObject({ part: 'steps', start: last });
    // and, once there, the page before it (half a page back), so that stepping back does not wait
    expect(asked.map((m) => (m as { start?: number }).start)).toEqual([last, last - pageSize]);
    expect(await text(page, '.player .position')).toBe('step 4096 / 4096');
  });
});

describe('exports from every tab', () => {
  const svgOf = async () => {
    const before = (await posted(page)).length;
    await page.locator('vscode-button', { hasText: 'Save frame as SVG' }).click();
    const m = (await posted(page)).slice(before).find((x) => x.type === 'save') as { text: string } | undefined;
    expect(m).toBeTruthy();
    return m!.text;
  };
  it('the frame as SVG draws what each tab shows: tables, heat maps, badges', async () => {
    const pool = runOperation({
      kind: 'max_pool',
      input: fromNested(lecture[3].request.input[0], 'x'),
      params: { kernel_size: 3, stride: 2, padding: 1 },
    });
    await show(page, pool.view);
    expect((await svgOf()).match(/<rect /g)?.length).toBeGreaterThan(25);
    const tc = lecture[5].request;
    const scatter = runOperation({
      kind: 'conv_transpose',
      input: fromNested(tc.input[0], 'x'),
      kernel: fromNested(tc.weight[0][0], 'w'),
      params: {},
    });
    await show(page, scatter.view);
    expect(await svgOf()).toContain('>+5</text>');
    await show(page, convRun.view);
    await page.locator('vscode-tab-header', { hasText: 'Equivariance' }).click();
    const eq = await svgOf();
    expect(eq).toContain('Shifting the input one cell');
    // the equivariance tab has no steps: the step exports are off there
    expect(
      await page.locator('vscode-button', { hasText: 'Copy step as Markdown' }).getAttribute('disabled'),
    ).not.toBeNull();
    const big = runOperation({
      kind: 'conv',
      input: fromNested(
        Array.from({ length: 64 }, (_, r) => Array.from({ length: 64 }, (_, c) => (r + c) % 5)),
        'x',
      ),
      kernel: W,
      params: { padding: 1 },
    });
    await show(page, big.view);
    expect(await svgOf()).toContain('<image ');
  });
  it('the animation as an animated PNG: one frame per step, handed to the host to save', async () => {
    await show(page, convRun.view);
    const before = (await posted(page)).length;
    await page.locator('vscode-button', { hasText: 'Save animation (APNG)' }).click();
    await page.waitForFunction(
      (n) =>
        (window as unknown as { __posted: { type: string }[] }).__posted.slice(n).some((m) => m.type === 'saveBinary'),
      before,
      { timeout: 60_000 },
    );
    const m = (await posted(page)).slice(before).find((x) => x.type === 'saveBinary') as {
      data: Record<string, number>;
      fileName: string;
    };
    expect(m.fileName).toBe('conv-lens-conv.png');
    const bytes = Uint8Array.from(Object.values(m.data));
    const { readChunks } = await import('../../webview/apng');
    const chunks = readChunks(bytes);
    expect(chunks.filter((c) => c.type === 'fcTL')).toHaveLength(25);
    // the step on screen is put back
    expect(await text(page, '.player .position')).toBe('step 1 / 25');
  }, 90_000);
});

describe('live controls', () => {
  it('change stride and padding on the lecture example: the new numbers, on the same step; PyTorch refuses in place', async () => {
    const r = runOperation({ kind: 'conv', input: X, kernel: W, params: { padding: 1 }, paramsText: 'padding=1' });
    await show(page, r.view);
    await page.locator('.sliding .player').focus();
    await page.keyboard.press('ArrowRight');
    const field = (keyword: string) => page.locator(`.controls [data-keyword=${keyword}] vscode-textfield`);
    const set = async (keyword: string, value: string) => {
      const before = await text(page, 'h2 + code');
      await field(keyword).evaluate((e: HTMLElement & { value: string }, v) => {
        e.value = v;
        e.dispatchEvent(new Event('change'));
      }, value);
      await page.waitForFunction((b) => document.querySelector('h2 + code')?.textContent !== b, before);
    };
    await set('stride', '2');
    expect(await text(page, 'h2 + code')).toBe('padding=1, stride=2');
    // stride 2 with padding 1: a 3×3 output, and the view stayed on step 2
    expect(await text(page, '.player .position')).toBe('step 2 / 9');
    expect(await text(page, '.sliding .arithmetic')).toMatch(/^out\[0, 1\] = .* = 24$/);
    await set('padding', '0');
    expect(await text(page, '.player .position')).toBe('step 2 / 4');
    expect((await page.locator('.sliding table.grid').nth(2).locator('td .v').allInnerTexts()).slice(0, 2)).toEqual([
      '41',
      '37',
    ]);
    await shot(page, 'live-controls-dark');
    // dilation 3 makes the 3×3 kernel span 7 cells, more than the 5×5 input: PyTorch's refusal, controls still there
    await set('dilation', '3');
    expect(await text(page, '.error .torch')).toContain("Kernel size can't be greater than actual input size");
    expect(await page.locator('.controls [data-keyword=dilation] vscode-textfield').getAttribute('value')).toBe('3');
    await set('dilation', '1');
    expect(await text(page, '.sliding .arithmetic')).toMatch(/= \d+$/);
  });
});

describe('the tensor view', () => {
  const tensorOf = (shape: number[], f: (i: number) => number) => ({
    shape,
    data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)),
  });
  const showTensor = async (tensor: { shape: number[]; data: Float64Array }, name: string) => {
    const s = openTensorView({
      tensor,
      name,
      dtype: 'float16',
      origin: `${name} in train.py:12 (debug)`,
      precision: 6,
    });
    sessions.set(s.view.id, s);
    await show(page, s.view);
    return s;
  };
  it('a 4-D tensor with a planted NaN: it opens on the NaN, and the sliders move through the other dims', async () => {
    const planted = ((1 * 3 + 2) * 4 + 1) * 5 + 3; // [1, 2, 1, 3] of 2×3×4×5
    await showTensor(
      tensorOf([2, 3, 4, 5], (i) => (i === planted ? NaN : i)),
      'x',
    );
    expect(await text(page, '.summary')).toContain('1 NaN (first at [1, 2, 1, 3])');
    expect(await text(page, '.tensor-view figcaption')).toBe('x[1, 2, :, :] — dim 2 down, dim 3 across');
    expect(await page.locator('.tensor-view td.current .v').innerText()).toBe('NaN');
    const slider = page.locator('.tensor-view input[type=range]').first();
    await slider.fill('0');
    expect(await text(page, '.tensor-view figcaption')).toBe('x[0, 2, :, :] — dim 2 down, dim 3 across');
    expect(await page.locator('.tensor-view table.grid td .v').first().innerText()).toBe(String(2 * 20));
    expect(await page.locator('.histogram .bar').count()).toBe(64);
    await shot(page, 'tensor-view-dark');
  });
  it('a 1,000,000-element tensor draws a heat map from slices the host sends on request', async () => {
    await showTensor(
      tensorOf([10, 100, 1000], (i) => (i === 123_456 ? Infinity : i % 97)),
      'big',
    );
    await page.waitForSelector('.tensor-view .heatmap');
    // pick dims 0 × 2: that slice is not a plane, so the panel asks the host for it
    const before = (await posted(page)).filter((m) => m.type === 'slice').length;
    await page
      .locator('.tensor-view vscode-single-select')
      .first()
      .evaluate((e: HTMLElement & { value: string }) => {
        e.value = '0';
        e.dispatchEvent(new Event('change'));
      });
    await page.waitForFunction(
      (n) =>
        (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'slice').length > n,
      before,
    );
    expect(await text(page, '.tensor-view figcaption')).toMatch(/^big\[:, \d+, :\] — dim 0 down, dim 2 across$/);
    expect(await text(page, '.summary')).toContain('1 +∞');
    // the slice arrived and the heat map was drawn from it: the jump to +∞ lands inside it
    await page.locator('vscode-button', { hasText: 'Jump to the first +∞' }).click();
    expect(await text(page, '.tensor-view p[aria-live]')).toBe('the first +∞ at big[1, 23, 456]');
    await shot(page, 'tensor-view-big-dark');
  });
  it('a conv weight with 3 input channels is also a grid of RGB filters', async () => {
    await showTensor(
      tensorOf([8, 3, 5, 5], (i) => Math.sin(i)),
      'conv1.weight',
    );
    await page.locator('vscode-tab-header', { hasText: 'Filters' }).click();
    expect(await page.locator('.filters .filter').count()).toBe(8);
    expect(await page.locator('.filters .filter').first().locator('canvas').count()).toBe(1);
    await shot(page, 'filters-dark');
  });
});

describe('hostile messages', () => {
  it('malformed messages are ignored and markup in values is shown as text', async () => {
    const before = errors.length;
    await post(page, { type: 'show', view: { id: 1 } });
    await post(page, { type: 'show', view: { ...convRun.view, tensors: 'nope' } });
    await post(page, { type: 'show', view: { ...convRun.view, precision: 1e9 } });
    await post(page, 'show');
    await post(page, null);
    await post(page, { type: 'page', inReplyTo: 1, page: 5, error: null });
    await post(page, { type: 'show', view: { ...convRun.view, trace: { kind: 'conv', steps: 'evil' } } });
    await post(page, {
      type: 'show',
      view: { ...convRun.view, tensors: [{ ...convRun.view.tensors[0], data: new Array(200000).fill(1) }] },
    });
    const evil = '<img src=x onerror="window.__pwned=1">';
    await show(page, {
      ...convRun.view,
      id: 'evil',
      title: evil,
      params: evil,
      notes: [evil],
      summary: [{ label: evil, value: evil }],
      error: { message: evil, torch: evil, why: evil, fix: evil },
    });
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await text(page, 'h2')).toBe(evil);
    expect(errors.slice(before).filter((e) => !e.includes('ignored a malformed message'))).toEqual([]);
  });
  it('the panel only ever posts messages the protocol allows', async () => {
    const all = await posted(page);
    expect(
      all.every((m) =>
        [
          'ready',
          'page',
          'plane',
          'slice',
          'partial',
          'recompute',
          'insert',
          'copy',
          'copyTensor',
          'save',
          'saveBinary',
          'runCommand',
        ].includes(String(m.type)),
      ),
    ).toBe(true);
  });
});
