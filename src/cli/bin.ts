import { isMainThread, workerData } from 'node:worker_threads';
import { startEngineThread } from './engineThread';
import { main } from './main';

// `conv-lens run` starts this same bundle as its engine thread
if (!isMainThread && (workerData as { convLensEngineThread?: boolean } | null)?.convLensEngineThread) {
  startEngineThread();
} else {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      // parseArgs refusals (an unknown flag, a missing value) land here: a usage error, not a crash
      process.stderr.write(`conv-lens: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
