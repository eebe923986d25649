/**
 * Runs a Python script in a person's interpreter: the script as `-c` source, one JSON request on stdin, one JSON
 * answer on stdout. Never a shell (the interpreter path is spawned as it is, so spaces or quotes in it are only a
 * path); a timeout and an AbortSignal end the process. No vscode.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';

export type PythonRun =
  | { readonly kind: 'answer'; readonly value: unknown; readonly stderr: string; readonly ms: number }
  /** the interpreter could not be started (ENOENT, EACCES…) */
  | { readonly kind: 'not-started'; readonly message: string }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'cancelled' }
  /** it ran but did not answer JSON (it crashed, or printed something else) */
  | {
      readonly kind: 'failed';
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly stderr: string;
      readonly stdout: string;
    };

export interface RunOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** the most bytes of stdout kept (an answer bigger than this is a failure, not a flooded host) */
  readonly maxOutputBytes?: number;
}

const TAIL = 4000;

export function runPythonScript(
  interpreter: string,
  script: string,
  input: unknown,
  options: RunOptions,
): Promise<PythonRun> {
  const started = performance.now();
  const maxOutput = options.maxOutputBytes ?? 512 * 1024 * 1024;
  return new Promise<PythonRun>((resolve) => {
    if (options.signal?.aborted) {
      resolve({ kind: 'cancelled' });
      return;
    }
    // the temp dir as cwd: `-c` puts the cwd first on sys.path, and a workspace's own torch.py or json.py must
    // not stand in for the real ones
    const child = spawn(interpreter, ['-c', script], {
      cwd: tmpdir(),
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONUNBUFFERED: '1' },
      windowsHide: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let overflow = false;
    let err = '';
    let done = false;
    const finish = (r: PythonRun) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const kill = () => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    };
    const timer = setTimeout(() => {
      kill();
      finish({ kind: 'timeout', ms: options.timeoutMs });
    }, options.timeoutMs);
    const onAbort = () => {
      kill();
      finish({ kind: 'cancelled' });
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (e) => finish({ kind: 'not-started', message: e.message }));
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxOutput) {
        overflow = true;
        kill();
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-TAIL);
    });
    child.stdin.on('error', () => {}); // a Python that exits before reading stdin (no torch) closes the pipe early
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (!overflow) {
        try {
          finish({ kind: 'answer', value: JSON.parse(stdout), stderr: err, ms: performance.now() - started });
          return;
        } catch {
          // not JSON: report below
        }
      }
      finish({
        kind: 'failed',
        exitCode: code,
        signal,
        stderr: overflow ? `${err}\n(the answer was over ${maxOutput} bytes and was cut)` : err,
        stdout: stdout.slice(-TAIL),
      });
    });
    child.stdin.end(JSON.stringify(input));
  });
}
