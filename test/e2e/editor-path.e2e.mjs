// The editor path on big problems, as a person meets it (issue 13): stepping through a ResNet stem from the
// palette, and Convolve on a 1×64×56×56 literal with a 64×64×3×3 kernel set from the file. Times what the
// person waits for — from Enter to the first step's numbers, and from a key press to the next step — and
// reads the extension host's event-loop log (src/editor/eventLoopLog.ts) over the same span.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  findInWebviews,
  openFile,
  openWorkbench,
  runCommand,
  SCREENSHOTS,
  screenshot,
  sleep,
  test,
} from './driver.mjs';

const STEM = `import torch.nn as nn

# conv-lens: input 1x3x224x224
stem = nn.Sequential(
    nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False),
    nn.BatchNorm2d(64),
    nn.ReLU(inplace=True),
    nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
)
`;

/** A literal of `shape` with small integers, one innermost row per line (as np.set_printoptions would write it). */
function literal(shape, seed) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.round((s / 2147483648) * 4 - 2);
  };
  const build = (d, indent) => {
    if (d === shape.length - 1) return `[${Array.from({ length: shape[d] }, next).join(', ')}]`;
    const inner = Array.from({ length: shape[d] }, () => build(d + 1, indent + ' ')).join(`,\n${indent} `);
    return `[${inner}]`;
  };
  return build(0, '');
}

/**
 * The extension host's event loop between two instants, from its own log: the worst delay (how late a timer
 * fired, ms) and the most the thread itself ran in any 200 ms (ms). On a 2-core machine the delay also counts
 * time the thread waited for a core while the browser and the engine worker ran; the busy time is Conv Lens's
 * (and VS Code's) own work on that thread.
 */
function hostLoop(from, to) {
  const path = process.env.CONV_LENS_EVENT_LOOP_LOG;
  assert.ok(path, 'the e2e runner sets CONV_LENS_EVENT_LOOP_LOG');
  const samples = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    // each sample covers the 200 ms before it
    .filter((r) => r.t >= from && r.t - 200 <= to);
  assert.ok(samples.length > 0, 'the extension host logged its event loop');
  const slow = samples
    .filter((r) => r.maxMs > 50 || r.busyMs > 50)
    .map((r) => `+${r.t - from} ms: ${Math.round(r.maxMs)} ms late, thread busy ${Math.round(r.busyMs)} of 200 ms`);
  if (slow.length > 0) console.log(`  host samples over 50 ms late or busy: ${slow.join('; ')}`);
  return { delayMs: Math.max(...samples.map((r) => r.maxMs)), busyMs: Math.max(...samples.map((r) => r.busyMs)) };
}

/**
 * Issue 13's goals for these two flows. They are measured and reported here, not asserted: on a shared 2-core
 * machine a run's wall times vary several-fold with what else runs (the brief keeps timing goals out of the
 * tests), and an e2e that fails on a busy machine says nothing about the code. What is asserted is what a
 * person sees: the first step's arithmetic, and each → moving to the next step.
 */
const GOALS = {
  stem: { firstStepMs: 1500, stepMsMax: 100, hostStallMs: 50, hostBusyMs: 50 },
  conv: { firstStepMs: 1000, stepMsMax: 100, hostStallMs: 50, hostBusyMs: 50 },
};

/** Prints the measured times beside their goals, and appends them to test/e2e/screenshots/timings.jsonl. */
function recordTimings(flow, measured, goals) {
  const parts = Object.entries(measured).map(
    ([k, v]) => `${k} ${Math.round(v)} (goal ≤ ${goals[k]}${v <= goals[k] ? ', met' : ', NOT met'})`,
  );
  console.log(`  ${flow}: ${parts.join('; ')}`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  appendFileSync(join(SCREENSHOTS, 'timings.jsonl'), `${JSON.stringify({ flow, measured, goals })}\n`);
}

/**
 * For working on the panel's speed: with CONV_LENS_E2E_RENDERER_PROFILE naming a folder, the workbench page's
 * renderer (the panel's frame runs on its main thread) is CPU-profiled from before Enter to the last step, and
 * written there as <flow>.cpuprofile. Off otherwise.
 */
async function rendererProfile(page) {
  const folder = process.env.CONV_LENS_E2E_RENDERER_PROFILE;
  if (!folder) return undefined;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.start');
  return {
    stop: async (flow) => {
      const { profile } = await cdp.send('Profiler.stop');
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, `${flow}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
      await cdp.detach();
    },
  };
}

async function arithmetic(page) {
  // polled often: the time until it appears is what is measured
  const { locator } = await findInWebviews(page, '.sliding .arithmetic', { timeoutMs: 30_000, pollMs: 20 });
  return locator;
}

/** Presses → in the player `count` times; the longest wait from a key press to the next step's text (ms). */
async function stepTimes(page, count) {
  const { frame } = await findInWebviews(page, '.sliding .player');
  const player = frame.locator('.sliding .player').first();
  const text = frame.locator('.sliding .arithmetic').first();
  await player.focus();
  // the panel's own long tasks (over 50 ms on its renderer's main thread), printed beside the step times
  const pressedAt = await frame.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
    return performance.now();
  });
  // Playwright sets up its polling in the frame's main world on the first waitForFunction (100–300 ms on this
  // machine): done here, so that the first press is timed like the others
  await frame.waitForFunction(() => true);
  const times = [];
  for (let i = 0; i < count; i++) {
    const before = await text.innerText();
    const position = await frame.locator('.player .position').first().innerText();
    const t0 = Date.now();
    await player.press('ArrowRight');
    await frame.waitForFunction(
      ([p, b]) => {
        const pos = document.querySelector('.player .position')?.textContent;
        const a = document.querySelector('.sliding .arithmetic')?.textContent ?? '';
        return pos !== p && a !== b && !a.startsWith('loading');
      },
      [position, before],
      { timeout: 10_000 },
    );
    times.push(Date.now() - t0);
  }
  const long = await frame.evaluate(() => window.longTasks);
  console.log(
    `  the panel's long tasks, from the first → press: ${long.map(([t, d]) => `${Math.round(d)} ms at ${Math.round(t - pressedAt)} ms`).join(', ') || 'none'}`,
  );
  return times;
}

async function pick(page, text) {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
}

test(
  'Step Through Model Layer on a ResNet stem (1×3×224×224, 7×7, stride 2): the first step, then each next one (timed against 1.5 s and 100 ms)',
  async ({ page, server }) => {
    writeFileSync(join(server.workspace, 'resnet_stem.py'), STEM);
    await openWorkbench(page, server.workbenchUrl());
    await openFile(page, 'resnet_stem.py');
    await runCommand(page, 'Conv Lens: Step Through Model Layer…');
    await pick(page, '1. ');
    const ints = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Random integers' }).first();
    await ints.waitFor({ state: 'visible' });
    await ints.hover();
    const profiler = await rendererProfile(page);
    const t0 = Date.now();
    await page.keyboard.press('Enter');
    const line = await arithmetic(page);
    // the index within the plane on screen (the batch and the filter are the pickers above it); a negative
    // value is written in brackets, as each term is
    await line.filter({ hasText: /^out\[0, 0\] = .* = (-?\d+|\(-\d+\))$/ }).waitFor({ timeout: 30_000 });
    const first = Date.now() - t0;
    const steps = await stepTimes(page, 60);
    await profiler?.stop('resnet-stem');
    const t1 = Date.now();
    await sleep(400);
    const loop = hostLoop(t0, t1);
    console.log(
      `  ResNet stem: first step ${first} ms after Enter; next steps max ${Math.max(...steps)} ms, median ${[...steps].sort((a, b) => a - b)[30]} ms; host timers up to ${loop.delayMs.toFixed(1)} ms late, thread busy at most ${loop.busyMs.toFixed(1)} ms per 200 ms; steps ${steps.join(' ')}`,
    );
    await screenshot(page, 'resnet-stem-step');
    recordTimings(
      'ResNet stem',
      { firstStepMs: first, stepMsMax: Math.max(...steps), hostStallMs: loop.delayMs, hostBusyMs: loop.busyMs },
      GOALS.stem,
    );
  },
  { timeoutMs: 180_000 },
);

test(
  'Convolve a 1×64×56×56 literal with a 64×64×3×3 kernel set from the file: the first step after Enter (timed against 1 s)',
  async ({ page, server }) => {
    writeFileSync(
      join(server.workspace, 'activations.py'),
      `# a layer's input and weight, as printed by a training script\nx = ${literal([1, 64, 56, 56], 7)}\n\nw = ${literal([64, 64, 3, 3], 8)}\n`,
    );
    await openWorkbench(page, server.workbenchUrl());
    await openFile(page, 'activations.py');
    // the cursor into the input literal (line 2), then into the kernel's (after the input's 3,584 lines)
    const go = async (line) => {
      await page.keyboard.press('Control+G');
      await page.keyboard.type(`${line}:8`);
      await page.keyboard.press('Enter');
      await sleep(300);
    };
    await go(2);
    await runCommand(page, 'Conv Lens: Set Selection as Input');
    await go(2 + 64 * 56 + 1);
    await runCommand(page, 'Conv Lens: Set Selection as Kernel');
    await runCommand(page, 'Conv Lens: Convolve…');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.pressSequentially('padding=1', { delay: 10 });
    await sleep(300);
    const profiler = await rendererProfile(page);
    const t0 = Date.now();
    await page.keyboard.press('Enter');
    const line = await arithmetic(page);
    await line.filter({ hasText: /^out\[0, 0\] = .* = (-?\d+|\(-\d+\))$/ }).waitFor({ timeout: 30_000 });
    const first = Date.now() - t0;
    const steps = await stepTimes(page, 30);
    await profiler?.stop('big-conv');
    const t1 = Date.now();
    await sleep(400);
    const loop = hostLoop(t0, t1);
    console.log(
      `  1×64×56×56 conv: first step ${first} ms after Enter; next steps max ${Math.max(...steps)} ms; host timers up to ${loop.delayMs.toFixed(1)} ms late, thread busy at most ${loop.busyMs.toFixed(1)} ms per 200 ms; steps ${steps.join(' ')}`,
    );
    await screenshot(page, 'big-conv-step');
    recordTimings(
      '1×64×56×56 conv',
      { firstStepMs: first, stepMsMax: Math.max(...steps), hostStallMs: loop.delayMs, hostBusyMs: loop.busyMs },
      GOALS.conv,
    );
  },
  { timeoutMs: 180_000 },
);
