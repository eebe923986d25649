/**
 * A bare Debug Adapter Protocol client for the unit tests: starts Debian's debugpy adapter (`python3 -m
 * debugpy.adapter`) on stdio, launches a program, waits for it to pause, and evaluates in the paused frame —
 * the same requests VS Code sends, without an editor.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';

export const DEBIAN_PYTHON = '/usr/bin/python3';

/** Why the debug-session unit tests cannot run here, or null when they can. */
export function debugpyMissing(python = DEBIAN_PYTHON): string | null {
  const r = spawnSync(python, ['-c', 'import debugpy, torch, numpy'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error)
    return `${python} cannot be started (${r.error.message}): apt-get install python3-debugpy python3-torch python3-numpy`;
  if (r.status !== 0)
    return `${python} lacks debugpy, torch or numpy (${r.stderr.trim().split('\n').pop()}): apt-get install python3-debugpy python3-torch python3-numpy`;
  return null;
}

interface Message {
  seq: number;
  type: 'request' | 'response' | 'event';
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: Record<string, unknown>;
}

export class DapClient {
  private readonly adapter: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private seq = 1;
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private readonly waiters: { event: string; resolve: (m: Message) => void }[] = [];
  readonly output: string[] = [];
  exited = false;

  constructor(python = DEBIAN_PYTHON) {
    this.adapter = spawn(python, ['-m', 'debugpy.adapter'], { stdio: 'pipe' });
    this.adapter.stdout.on('data', (d: Buffer) => this.onData(d));
    this.adapter.on('exit', () => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error('the debug adapter exited'));
      this.pending.clear();
    });
  }

  private onData(d: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, d]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString())?.[1]);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')) as Message;
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.onMessage(message);
    }
  }

  private onMessage(m: Message): void {
    if (m.type === 'response') {
      const p = this.pending.get(m.request_seq ?? -1);
      this.pending.delete(m.request_seq ?? -1);
      if (!p) return;
      if (m.success) p.resolve(m);
      else p.reject(new Error(m.message ?? `${m.command} failed`));
    } else if (m.type === 'event') {
      if (m.event === 'output' && typeof m.body?.output === 'string') this.output.push(m.body.output);
      for (const w of [...this.waiters])
        if (w.event === m.event) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
    } else if (m.type === 'request') {
      this.send({ seq: this.seq++, type: 'response', request_seq: m.seq, command: m.command, success: true });
    }
  }

  private send(m: Record<string, unknown>): void {
    const text = JSON.stringify(m);
    this.adapter.stdin.write(`Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  }

  request<T = Record<string, unknown>>(command: string, args: Record<string, unknown> = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const seq = this.seq++;
      this.pending.set(seq, { resolve: (m) => resolve((m.body ?? {}) as T), reject });
      this.send({ seq, type: 'request', command, arguments: args });
    });
  }

  nextEvent(event: string, timeoutMs = 60_000): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} event in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        event,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Launches `program` and resolves with the paused top frame once it stops. */
  async launchAndPause(
    program: string,
    env: Record<string, string>,
    python = DEBIAN_PYTHON,
  ): Promise<{ threadId: number; frameId: number }> {
    await this.request('initialize', {
      adapterID: 'debugpy',
      clientID: 'conv-lens-tests',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
      supportsVariableType: true,
    });
    const stopped = this.nextEvent('stopped', 120_000);
    const initialized = this.nextEvent('initialized');
    const launched = this.request('launch', {
      program,
      console: 'internalConsole',
      justMyCode: true,
      python: [python],
      env,
    });
    await initialized;
    await this.request('configurationDone');
    await launched;
    const threadId = Number((await stopped).body?.threadId);
    const stack = await this.request<{ stackFrames: { id: number }[] }>('stackTrace', { threadId, levels: 1 });
    return { threadId, frameId: stack.stackFrames[0].id };
  }

  /** evaluate in a frame with rawString (what Conv Lens sends), the result as a string. */
  async evaluate(frameId: number, expression: string): Promise<string> {
    const body = await this.request<{ result: string }>('evaluate', {
      expression,
      frameId,
      context: 'repl',
      format: { rawString: true },
    });
    return body.result;
  }

  async close(): Promise<void> {
    if (!this.exited) {
      await Promise.race([
        this.request('disconnect', { terminateDebuggee: true }).catch(() => {}),
        new Promise((r) => setTimeout(r, 3000)),
      ]);
    }
    this.adapter.kill();
  }

  /** Kills the adapter (and so the session) at once: "the session ends mid-transfer". */
  kill(): void {
    this.adapter.kill('SIGKILL');
  }
}
