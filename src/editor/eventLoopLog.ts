/**
 * For the end-to-end tests: when CONV_LENS_EVENT_LOOP_LOG names a file, the extension host's event-loop delay
 * is sampled and its worst value of every 200 ms appended there as a JSON line {"t": epoch ms, "maxMs": …,
 * "busyMs": …}, so a test driving the UI can check that Conv Lens never held the host's thread for long. A delay
 * is how late a timer fired: on a busy machine that includes time the thread waited for a core. `busyMs` is the
 * time the thread itself ran in those 200 ms (its event-loop utilisation), which tells the two apart. Off otherwise.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type * as vscode from 'vscode';

export function startEventLoopLog(path: string | undefined): vscode.Disposable | undefined {
  if (!path) return undefined;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let utilisation = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const span = performance.eventLoopUtilization(utilisation);
    utilisation = performance.eventLoopUtilization();
    appendFileSync(path, `${JSON.stringify({ t: Date.now(), maxMs: histogram.max / 1e6, busyMs: span.active })}\n`);
    histogram.reset();
  }, 200);
  return {
    dispose: () => {
      clearInterval(timer);
      histogram.disable();
    },
  };
}

/**
 * For profiling the host under a UI test: when CONV_LENS_CPU_PROFILE names a folder, the extension host's CPU
 * is profiled and a `.cpuprofile` written there every 2 s, or every CONV_LENS_CPU_PROFILE_MS (open it in Chrome
 * DevTools or VS Code). Each write holds the host's thread for ~100 ms: a longer period keeps those stalls out of
 * the span being measured. Off otherwise.
 */
export function startCpuProfile(folder: string | undefined): vscode.Disposable | undefined {
  if (!folder) return undefined;
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  const timer = setInterval(
    () => {
      session.post('Profiler.stop', (err, result) => {
        if (!err) writeFileSync(join(folder, `host-${Date.now()}.cpuprofile`), JSON.stringify(result.profile));
        session.post('Profiler.start');
      });
    },
    Number(process.env.CONV_LENS_CPU_PROFILE_MS) || 2000,
  );
  return {
    dispose: () => {
      clearInterval(timer);
      session.disconnect();
    },
  };
}
