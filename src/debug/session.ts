/**
 * The paused Python frame the debug commands read from, and `evaluate` in it through the debug session
 * (debugpy: `format: { rawString: true }`, so a long string result is neither quoted nor cut at 64 KiB).
 */
import * as vscode from 'vscode';
import type { Evaluate } from './readTensor';

/** Session types of debugpy: the Python Debugger extension's `debugpy`, and `python` of older Python extensions. */
export const PYTHON_DEBUG_TYPES = ['python', 'debugpy'] as const;

export class DebugUserError extends Error {}

export interface PausedFrame {
  readonly session: vscode.DebugSession;
  readonly frameId: number;
  readonly threadId: number;
  /** "forward (model.py:42)" when the adapter says */
  readonly label?: string;
}

function checkType(session: vscode.DebugSession): void {
  if (!(PYTHON_DEBUG_TYPES as readonly string[]).includes(session.type))
    throw new DebugUserError(
      `the debug session "${session.name}" is of type "${session.type}"; Conv Lens reads tensors from Python sessions (debugpy: type "debugpy" or "python")`,
    );
}

interface StackFrameInfo {
  readonly id: number;
  readonly name?: string;
  readonly line?: number;
  readonly source?: { readonly name?: string; readonly path?: string };
}

async function topFrame(session: vscode.DebugSession, threadId: number): Promise<StackFrameInfo> {
  const r = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 })) as {
    stackFrames?: StackFrameInfo[];
  };
  const frame = r.stackFrames?.[0];
  if (!frame) throw new DebugUserError('the paused thread has no stack frame to read from');
  return frame;
}

async function frameLabel(
  session: vscode.DebugSession,
  threadId: number,
  frameId: number,
): Promise<string | undefined> {
  try {
    const r = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 20 })) as {
      stackFrames?: StackFrameInfo[];
    };
    const f = r.stackFrames?.find((s) => s.id === frameId);
    if (!f) return undefined;
    const file = f.source?.name ?? f.source?.path?.split(/[\\/]/).pop();
    return `${f.name ?? '?'}${file ? ` (${file}${f.line ? `:${f.line}` : ''})` : ''}`;
  } catch {
    return undefined;
  }
}

/**
 * The frame the person is looking at: the focused stack frame (the Variables view shows its variables), else the
 * top frame of the focused thread. `sessionId` (from a Variables view menu) must match it.
 */
export async function pausedFrame(sessionId?: string): Promise<PausedFrame> {
  const item = vscode.debug.activeStackItem;
  const session = item?.session ?? vscode.debug.activeDebugSession;
  if (!session)
    throw new DebugUserError('no debug session: start debugging a Python program and pause it (a breakpoint) first');
  if (sessionId && session.id !== sessionId) {
    throw new DebugUserError(
      'that variable belongs to a debug session that is not the focused one: select its stack frame first',
    );
  }
  checkType(session);
  if (item instanceof vscode.DebugStackFrame) {
    return {
      session,
      frameId: item.frameId,
      threadId: item.threadId,
      label: await frameLabel(session, item.threadId, item.frameId),
    };
  }
  if (item instanceof vscode.DebugThread) {
    const frame = await topFrame(session, item.threadId);
    return {
      session,
      frameId: frame.id,
      threadId: item.threadId,
      label: await frameLabel(session, item.threadId, frame.id),
    };
  }
  throw new DebugUserError(
    `the debug session "${session.name}" is running: pause it (a breakpoint) to read its tensors`,
  );
}

/** Evaluate in the frame, as a raw string; debugpy's errors become messages a person can act on. */
export function evaluatorFor(frame: PausedFrame): Evaluate {
  return async (expression) => {
    let body: { result?: unknown };
    try {
      body = (await frame.session.customRequest('evaluate', {
        expression,
        frameId: frame.frameId,
        context: 'repl',
        format: { rawString: true },
      })) as { result?: unknown };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (/frame|thread|not paused|running/i.test(message))
        throw new DebugUserError(`the program is no longer paused in that frame (${message})`);
      throw new DebugUserError(`the debug adapter could not evaluate in the paused frame: ${message}`);
    }
    if (typeof body?.result !== 'string') throw new DebugUserError('the debug adapter answered no result');
    return body.result;
  };
}

/** An AbortSignal that aborts when the session ends (or `extra` aborts), with a message naming what was read. */
export function sessionSignal(
  session: vscode.DebugSession,
  what: string,
  extra?: AbortSignal,
): { signal: AbortSignal; endedWithin(ms: number): Promise<boolean>; dispose(): void } {
  const controller = new AbortController();
  let ended = false;
  const waiting = new Set<() => void>();
  const sub = vscode.debug.onDidTerminateDebugSession((s) => {
    if (s.id !== session.id) return;
    ended = true;
    for (const w of waiting) w();
    controller.abort(
      new DebugUserError(`the debug session "${session.name}" ended while reading ${what}: nothing was read`),
    );
  });
  const onExtra = () => controller.abort(extra?.reason);
  extra?.addEventListener('abort', onExtra, { once: true });
  return {
    signal: controller.signal,
    // the adapter's error for the request can arrive before VS Code says the session ended: wait a moment for that
    endedWithin: (ms) =>
      ended
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              waiting.delete(done);
              resolve(ended);
            };
            const timer = setTimeout(done, ms);
            waiting.add(done);
          }),
    dispose: () => {
      sub.dispose();
      extra?.removeEventListener('abort', onExtra);
    },
  };
}
