// Preloaded into the CLI by the limits suite (node --import): on exit, the process's peak resident set size (all
// its threads), on stderr, for the test to read. resourceUsage().maxRSS is in kilobytes.
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.on('exit', () => {
    try {
      writeSync(2, `\nCONV_LENS_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
    } catch {
      // stderr closed: nothing to report to
    }
  });
}
