/**
 * For the end-to-end tests: when CONV_LENS_EVENT_LOOP_LOG names a file, the extension host's event-loop delay
 * is sampled and its worst value of every 200 ms appended there as a JSON line {"t": epoch ms, "maxMs": …},
 * so a test driving the UI can check that Conv Lens never held the host's thread for long. Off otherwise.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type * as vscode from 'vscode';

export function startEventLoopLog(path: string | undefined): vscode.Disposable | undefined {
  if (!path) return undefined;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const timer = setInterval(() => {
    appendFileSync(path, `${JSON.stringify({ t: Date.now(), maxMs: histogram.max / 1e6 })}\n`);
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
 * is profiled and a `.cpuprofile` written there every 2 s (open it in Chrome DevTools or VS Code). Off otherwise.
 */
export function startCpuProfile(folder: string | undefined): vscode.Disposable | undefined {
  if (!folder) return undefined;
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  const timer = setInterval(() => {
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(join(folder, `host-${Date.now()}.cpuprofile`), JSON.stringify(result.profile));
      session.post('Profiler.start');
    });
  }, 2000);
  return {
    dispose: () => {
      clearInterval(timer);
      session.disconnect();
    },
  };
}
