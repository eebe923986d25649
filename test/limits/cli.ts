/**
 * The built CLI in a child process, as a script uses it: every line written at once, each answer timed as it
 * arrives (its time is the gap since the previous answer, the first one's since the start, as the lines are
 * answered in order), the child's peak RSS read from what report-rss.mjs prints at exit. At most two children
 * run at once (the machine has two cores).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CLI = resolve(__dirname, '../../dist/cli.js');
const RSS = pathToFileURL(resolve(__dirname, 'report-rss.mjs')).href;

export interface Answered {
  readonly line: string;
  readonly answer: Record<string, unknown>;
  readonly ms: number;
}

export interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly maxRssMb: number;
  readonly answers: Answered[];
  readonly totalMs: number;
}

let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(run: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await run();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export function runCli(
  args: string[],
  lines: (string | Buffer)[],
  options: { closeAfter?: number } = {},
): Promise<Run> {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  return slot(
    () =>
      new Promise<Run>((done, fail) => {
        const t0 = Date.now();
        const child = spawn(process.execPath, ['--import', RSS, CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
        const answers: Answered[] = [];
        let parts: string[] = [];
        let last = t0;
        let stderr = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          // only the new chunk is searched for line ends: a 25 MB answer arrives in 400 chunks
          let from = 0;
          let nl: number;
          while ((nl = chunk.indexOf('\n', from)) >= 0) {
            parts.push(chunk.slice(from, nl));
            const text = parts.join('');
            parts = [];
            from = nl + 1;
            const now = Date.now();
            let answer: Record<string, unknown>;
            try {
              answer = JSON.parse(text) as Record<string, unknown>;
            } catch {
              answer = { unparsable: text.slice(0, 200) };
            }
            answers.push({ line: text, answer, ms: now - last });
            last = now;
            if (options.closeAfter !== undefined && answers.length >= options.closeAfter) child.stdout.destroy();
          }
          if (from < chunk.length) parts.push(chunk.slice(from));
        });
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (c: string) => (stderr += c));
        child.stdin.on('error', () => {
          // the child may stop reading (closeAfter): the rest of the input is not needed
        });
        child.on('error', fail);
        child.on('close', (status, signal) => {
          const m = /CONV_LENS_MAX_RSS_KB=(\d+)/.exec(stderr);
          done({
            status,
            signal,
            stderr: stderr.replace(/\n?CONV_LENS_MAX_RSS_KB=\d+\n?/, ''),
            maxRssMb: m ? Number(m[1]) / 1024 : NaN,
            answers,
            totalMs: Date.now() - t0,
          });
        });
        const write = async () => {
          for (const l of lines) {
            const data = typeof l === 'string' ? l + '\n' : Buffer.concat([l, Buffer.from('\n')]);
            if (!child.stdin.write(data)) await new Promise((r) => child.stdin.once('drain', r));
            if (child.stdin.destroyed) return;
          }
          child.stdin.end();
        };
        void write();
      }),
  );
}

/** A nested list of `shape` filled with `value`, as JSON (built as text: a 16-million-element tensor in a second). */
export function zerosJson(shape: readonly number[], value = '0'): string {
  let inner = value;
  for (let d = shape.length - 1; d >= 0; d--) inner = `[${new Array(shape[d]).fill(inner).join(',')}]`;
  return inner;
}

/** A request line whose tensor fields are given as shapes (filled with zeros) and the rest as values. */
export function requestLine(fields: Record<string, unknown>, tensors: Record<string, readonly number[]>): string {
  const plain = JSON.stringify(fields);
  const extra = Object.entries(tensors)
    .map(([k, shape]) => `${JSON.stringify(k)}:${zerosJson(shape)}`)
    .join(',');
  return extra ? `${plain.slice(0, -1)}${plain.length > 2 ? ',' : ''}${extra}}` : plain;
}
