/**
 * For the end-to-end tests: when CONV_LENS_EVENT_LOOP_LOG names a file, the extension host's event-loop delay
 * is sampled and its worst value of every 200 ms appended there as a JSON line {"t": epoch ms, "maxMs": …},
 * so a test driving the UI can check that Conv Lens never held the host's thread for long. Off otherwise.
 */
import { appendFileSync } from 'node:fs';
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
