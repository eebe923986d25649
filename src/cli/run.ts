/**
 * `conv-lens run`: JSON Lines in, one answer line per request out, in order, whatever the lines hold.
 *
 * - Lines are split on '\n' only (a bare '\r' inside a line is part of it; "\r\n" ends one), as bytes, and a
 *   line longer than maxLineBytes is refused while it is read: nothing past the limit is kept.
 * - A line of up to 256 KB is decoded, measured and estimated here; when the estimate says it is tiny (a
 *   lecture-sized convolution) it is answered at once on this thread. Everything else runs on the engine
 *   thread, kept warm between lines, under a timer: a request past its timeout is stopped (the thread is
 *   terminated and a fresh one started), answered with rule "timeout", and the next line goes on.
 * - The engine thread dying (out of memory) is an answer too; stdout closing early (`run | head -1`) ends
 *   the run quietly.
 */
import { Worker } from 'node:worker_threads';
import { describeWork, formatBytes } from '../engine/budget';
import { encodeChunks } from './encode';
import type { ThreadReply, ThreadTask } from './engineThread';
import { answerPrepared, decodeLine, encodeAnswer, prepareLine, type LineOptions } from './lines';

export interface RunOptions extends LineOptions {
  /** a request's time limit unless it gives its own timeout_ms; 0 for none */
  readonly timeoutMs: number;
  /** the longest line read, in bytes */
  readonly maxLineBytes: number;
  /** the script the engine thread runs: the CLI's own bundle, which starts the thread when it is a worker */
  readonly threadScript: string;
  /** the engine thread's JS heap limit, in MB */
  readonly threadHeapMb?: number;
}

/** Lines up to this size are decoded, estimated and, when tiny, answered on the main thread. */
const INLINE_BYTES = 1 << 18;
/** Stop reading stdin while this much is waiting to be answered. */
const QUEUE_HIGH = 64 << 20;
const QUEUE_LOW = 16 << 20;

type Line =
  { readonly kind: 'bytes'; readonly bytes: Uint8Array } | { readonly kind: 'oversized'; readonly bytes: number };

/** Splits a byte stream into lines at '\n', dropping a '\r' before it; bounded by maxLineBytes while reading. */
class LineSplitter {
  private parts: Uint8Array[] = [];
  private length = 0;
  private oversized = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly emit: (line: Line) => void,
  ) {}

  push(chunk: Uint8Array): void {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      const end = nl < 0 ? chunk.length : nl;
      this.add(chunk.subarray(from, end));
      if (nl < 0) return;
      this.finishLine();
      from = nl + 1;
    }
  }

  end(): void {
    if (this.length > 0 || this.oversized) this.finishLine();
  }

  private add(part: Uint8Array): void {
    if (part.length === 0) return;
    if (this.oversized) {
      this.length += part.length;
      return;
    }
    if (this.length + part.length > this.maxLineBytes) {
      this.oversized = true;
      this.parts = [];
      this.length += part.length;
      return;
    }
    // a copy (Buffer#slice would be a view): the stream may reuse its chunk, and the line's bytes are
    // transferred to the engine thread, which detaches their buffer
    this.parts.push(new Uint8Array(part));
    this.length += part.length;
  }

  private finishLine(): void {
    if (this.oversized) {
      this.emit({ kind: 'oversized', bytes: this.length });
    } else {
      let bytes: Uint8Array;
      if (this.parts.length === 1) bytes = this.parts[0];
      else {
        bytes = new Uint8Array(this.length);
        let at = 0;
        for (const p of this.parts) {
          bytes.set(p, at);
          at += p.length;
        }
      }
      let end = bytes.length;
      if (end > 0 && bytes[end - 1] === 13) end--;
      let blank = true;
      for (let i = 0; i < end && blank; i++) {
        const c = bytes[i];
        blank = c === 32 || c === 9 || c === 13 || c === 11 || c === 12;
      }
      if (!blank) this.emit({ kind: 'bytes', bytes: end === bytes.length ? bytes : bytes.subarray(0, end) });
    }
    this.parts = [];
    this.length = 0;
    this.oversized = false;
  }
}

interface Pending {
  readonly seq: number;
  readonly started: number;
  op: string;
  id: unknown;
  work: number | null;
  millis: number | null;
  timeoutMs: number;
  timer: NodeJS.Timeout | null;
  readonly resolve: (chunks: Uint8Array[]) => void;
}

/** The engine thread, kept warm; replaced when a request is stopped or the thread dies. */
class EngineThread {
  private worker: Worker | null = null;
  private pending: Pending | null = null;
  private seq = 0;

  constructor(private readonly options: RunOptions) {}

  private spawn(): Worker {
    const worker = new Worker(this.options.threadScript, {
      workerData: { convLensEngineThread: true },
      resourceLimits: { maxOldGenerationSizeMb: this.options.threadHeapMb ?? 1536 },
      stdout: false,
      stderr: false,
    });
    worker.on('message', (reply: ThreadReply) => this.onReply(worker, reply));
    worker.on('error', (e) => this.onDeath(worker, e));
    worker.on('exit', (code) => this.onDeath(worker, new Error(`the engine thread exited with code ${code}`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** Starts the thread ahead of the first request that needs it. */
  warm(): void {
    if (!this.worker) this.spawn();
  }

  run(
    bytes: Uint8Array,
    known: { timeoutMs: number | null; op: string; id: unknown; work: number | null; millis: number | null } | null,
  ): Promise<Uint8Array[]> {
    const worker = this.worker ?? this.spawn();
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const p: Pending = {
        seq,
        started: Date.now(),
        op: known?.op ?? '',
        id: known?.id,
        work: known?.work ?? null,
        millis: known?.millis ?? null,
        timeoutMs: known?.timeoutMs ?? this.options.timeoutMs,
        timer: null,
        resolve,
      };
      this.pending = p;
      this.arm(p);
      const owned =
        bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
      const task: ThreadTask = {
        seq,
        bytes: owned,
        options: { limits: this.options.limits, maxAnswerBytes: this.options.maxAnswerBytes },
      };
      worker.postMessage(task, [owned.buffer as ArrayBuffer]);
    });
  }

  private arm(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    if (p.timeoutMs > 0) {
      const left = Math.max(0, p.started + p.timeoutMs - Date.now());
      p.timer = setTimeout(() => this.onTimeout(p), left);
    }
  }

  private settle(p: Pending, chunks: Uint8Array[]): void {
    if (this.pending !== p) return;
    if (p.timer) clearTimeout(p.timer);
    this.pending = null;
    p.resolve(chunks);
  }

  private onReply(worker: Worker, reply: ThreadReply): void {
    const p = this.pending;
    if (worker !== this.worker || !p || reply.seq !== p.seq) return;
    if (reply.type === 'started') {
      p.op = reply.op;
      p.id = reply.id;
      p.work = reply.work;
      p.millis = reply.millis;
      if (reply.timeoutMs !== null) {
        p.timeoutMs = reply.timeoutMs;
        this.arm(p);
      }
      return;
    }
    this.settle(p, reply.chunks);
  }

  private replace(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = null;
    void worker.terminate();
    // the next line should not wait for a thread to start
    this.spawn();
  }

  private onTimeout(p: Pending): void {
    if (this.pending !== p || !this.worker) return;
    const worker = this.worker;
    const estimate =
      p.work !== null && p.millis !== null
        ? `; its estimate was ${describeWork({ work: p.work, millis: p.millis } as Parameters<typeof describeWork>[0])}`
        : '';
    const what = p.op ? p.op : 'the request';
    this.settle(
      p,
      encodeChunks({
        ok: false,
        error: `${what} did not finish within ${p.timeoutMs} ms, the timeout (--timeout, or "timeout_ms" in the request)${estimate}: it was stopped; give it more time or make it smaller`,
        param: 'timeout_ms',
        rule: 'timeout',
        ...(p.id === undefined ? {} : { id: p.id }),
      }),
    );
    this.replace(worker);
  }

  private onDeath(worker: Worker, e: Error): void {
    if (worker !== this.worker) return;
    this.worker = null;
    const p = this.pending;
    if (p) {
      const oom = (e as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.settle(
        p,
        encodeChunks({
          ok: false,
          error: oom
            ? `${p.op || 'the request'} ran out of memory (the engine thread's heap is ${this.options.threadHeapMb ?? 1536} MB) and was stopped: make it smaller`
            : `internal error in Conv Lens (please report it): ${e.message}`,
          rule: oom ? 'memory' : 'internal',
          ...(p.id === undefined ? {} : { id: p.id }),
        }),
      );
    }
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/** Reads `input` to its end and answers every line on `output`; resolves with the exit code (0). */
export function runLines(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  options: RunOptions,
): Promise<number> {
  const thread = new EngineThread(options);
  const queue: Line[] = [];
  let queued = 0;
  let inputDone = false;
  let closed = false;
  let working = false;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));
  const NEWLINE = new Uint8Array([10]);

  const stop = (): void => {
    if (closed) return;
    closed = true;
    input.removeAllListeners('data');
    (input as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    void thread.close().then(() => finish(0));
  };
  output.on('error', (e: NodeJS.ErrnoException) => {
    // the reader went away (`run | head -1`): nothing more to say, and nobody to say it to
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') stop();
    else throw e;
  });

  const write = async (chunks: Uint8Array[]): Promise<void> => {
    for (const c of [...chunks, NEWLINE]) {
      if (closed) return;
      let ok: boolean;
      try {
        ok = output.write(c);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EPIPE') return stop();
        throw e;
      }
      if (!ok && !closed)
        await new Promise<void>((resolve) => {
          const onDrain = () => {
            output.off('error', onDrain);
            resolve();
          };
          output.once('drain', onDrain);
          output.once('error', onDrain);
        });
    }
  };

  const answer = async (line: Line): Promise<Uint8Array[]> => {
    if (line.kind === 'oversized') {
      return encodeChunks({
        ok: false,
        error: `the line has ${line.bytes} bytes, over the limit of ${options.maxLineBytes} (${formatBytes(options.maxLineBytes)}, --max-line-bytes): it was not read; send smaller requests`,
        param: 'request',
        rule: 'size_limit',
      });
    }
    if (line.bytes.length <= INLINE_BYTES) {
      const text = decodeLine(line.bytes);
      if (typeof text !== 'string') return encodeAnswer(text, options);
      const prepared = prepareLine(text, options);
      if (prepared.kind === 'answer' || prepared.tiny) return encodeAnswer(answerPrepared(prepared, options), options);
      return thread.run(line.bytes, {
        timeoutMs: prepared.timeoutMs,
        op: prepared.op,
        id: prepared.id,
        work: prepared.estimate ? prepared.estimate.work : null,
        millis: prepared.estimate ? prepared.estimate.millis : null,
      });
    }
    return thread.run(line.bytes, null);
  };

  const pump = async (): Promise<void> => {
    if (working) return;
    working = true;
    try {
      while (queue.length > 0 && !closed) {
        const line = queue.shift() as Line;
        queued -= line.kind === 'bytes' ? line.bytes.length : 0;
        if (queued < QUEUE_LOW && !inputDone) input.resume();
        const chunks = await answer(line);
        await write(chunks);
      }
    } finally {
      working = false;
    }
    if (inputDone && queue.length === 0 && !closed) {
      closed = true;
      await thread.close();
      finish(0);
    }
  };

  const splitter = new LineSplitter(options.maxLineBytes, (line) => {
    queue.push(line);
    queued += line.kind === 'bytes' ? line.bytes.length : 0;
    if (queued > QUEUE_HIGH) input.pause();
    void pump();
  });
  input.on('data', (chunk: Buffer | string) => splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
  input.on('end', () => {
    splitter.end();
    inputDone = true;
    void pump();
  });
  input.on('error', () => {
    inputDone = true;
    void pump();
  });
  return done;
}

/** One request through the same path as a line of `run` (timeout included); the answer as compact JSON bytes. */
export async function runOne(text: string, options: RunOptions): Promise<string> {
  const { Readable, Writable } = await import('node:stream');
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  await runLines(Readable.from([Buffer.from(text.replace(/\n/g, ' ') + '\n')]), sink, options);
  return Buffer.concat(parts).toString('utf8').trim();
}
