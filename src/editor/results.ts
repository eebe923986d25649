/**
 * The results on the panel, wherever they were computed: opens an OperationSpec inline when it costs about a
 * millisecond, otherwise in an engine worker behind a progress notification with Cancel, and remembers the
 * recent ones so that the panel can page through their steps and planes after they were shown.
 */
import * as vscode from 'vscode';
import type { OperationSpec } from '../app/operation';
import { operationRequest } from '../app/operationRequest';
import type { Answer } from '../engine/requests';
import { openResult, runsInline } from '../app/results';
import { WARM_UP_SPECS, warmUp } from '../app/results/warmUp';
import { UserCancelled } from './commands/userErrors';
import { Cancelled, EngineWorkers, inlineHandle, type SessionHandle } from './engineWorkers';

/** results the panel can still page through */
const REMEMBERED = 20;

export class Results implements vscode.Disposable {
  private readonly handles = new Map<string, SessionHandle>();
  /** what each view was opened from, to open it again with other parameters (the panel's live controls) */
  private readonly specs = new Map<string, OperationSpec>();
  /** the Cancel of every open still running in a worker */
  private readonly running = new Set<() => void>();
  private opened = false;

  /**
   * `onWorkerStart` runs as an open goes to a worker: the panel opens then, because its webview takes about a
   * second to start in code-server (measured in the editor-path e2e), and that second can pass while the
   * worker computes rather than after it.
   */
  constructor(
    private readonly workers: EngineWorkers,
    private readonly onWorkerStart: () => void = () => {},
  ) {}

  /**
   * Warms up the code that opens small results on this thread (app/results/warmUp.ts): a few tasks of a few
   * milliseconds, skipped once a command has opened something.
   */
  warmUp(): void {
    warmUp(
      WARM_UP_SPECS.inline(),
      () => this.opened,
      (next) => void setTimeout(next, 0),
    );
  }

  /** Opens `spec`; `title` is the progress notification's when it runs in a worker. Throws UserCancelled. */
  async open(spec: OperationSpec, title: string): Promise<SessionHandle> {
    this.opened = true;
    const handle = runsInline(spec) ? inlineHandle(openResult(spec)) : await this.inWorker(spec, title);
    this.remember(handle);
    this.specs.set(handle.view.id, spec);
    return handle;
  }

  specOf(viewId: string): OperationSpec | undefined {
    return this.specs.get(viewId);
  }

  /**
   * The view's operation as a JSON request, with the engine's JSON answer to it (computed in a worker: the
   * answer of a big conv is big). For Verify in PyTorch, which sends the same request to PyTorch.
   */
  async operationOf(viewId: string): Promise<{ request: Record<string, unknown>; answer: Answer } | undefined> {
    const spec = this.specs.get(viewId);
    if (!spec) return undefined;
    const request = operationRequest(spec);
    return { request, answer: await this.workers.answer(request) };
  }

  /** Keeps a result opened elsewhere (a shape check) so that the panel can ask about it. */
  remember(handle: SessionHandle): void {
    this.handles.set(handle.view.id, handle);
    while (this.handles.size > REMEMBERED) {
      const oldest = this.handles.keys().next().value as string;
      this.handles.get(oldest)?.close();
      this.handles.delete(oldest);
      this.specs.delete(oldest);
    }
  }

  get(viewId: string): SessionHandle | undefined {
    return this.handles.get(viewId);
  }

  private async inWorker(spec: OperationSpec, title: string): Promise<SessionHandle> {
    this.onWorkerStart();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (progress, token) => {
        let reported = 0;
        let mine: (() => void) | undefined;
        return this.workers
          .openResult(spec, {
            onProgress: (fraction) => {
              progress.report({ increment: (fraction - reported) * 100, message: `${Math.round(fraction * 100)}%` });
              reported = fraction;
            },
            onCancel: (cancel) => {
              mine = cancel;
              this.running.add(cancel);
              token.onCancellationRequested(cancel);
            },
          })
          .finally(() => {
            if (mine) this.running.delete(mine);
          });
      },
    );
    if (result instanceof Cancelled) throw new UserCancelled();
    return result;
  }

  /** Cancels every open still running (what the notification's Cancel does, for all of them at once). */
  cancelRunning(): void {
    for (const cancel of this.running) cancel();
    this.running.clear();
  }

  dispose(): void {
    for (const h of this.handles.values()) h.close();
    this.handles.clear();
    this.workers.dispose();
  }
}
