import { main } from './main';

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
