/**
 * An engine worker thread: opens result sessions (the op, its first page of steps, the view) and answers the
 * panel's later questions about them, so that big convolutions and gradient checks never stall the
 * extension host's event loop. The host stops a worker to cancel, which frees everything it held.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openResult, type ResultSession } from './app/results';
import { WARM_UP_SPECS, warmUp } from './app/results/warmUp';
import { buffersOf, type WorkerReply, type WorkerRequest } from './app/workerMessages';
import { handleRequest } from './engine/requests';

const port = parentPort;
const sessions = new Map<string, ResultSession>();

function reply(message: WorkerReply): void {
  port?.postMessage(message, buffersOf(message));
}

function answer(id: number, viewId: string, fn: (s: ResultSession) => WorkerReply): void {
  const session = sessions.get(viewId);
  if (!session) {
    reply({ type: 'failed', id, error: 'this view is no longer open in the engine: run the command again' });
    return;
  }
  try {
    reply(fn(session));
  } catch (e) {
    reply({ type: 'failed', id, error: e instanceof Error ? e.message : String(e) });
  }
}

/** set by the first request: a warm-up never runs beside real work */
let serving = false;

port?.on('message', (m: WorkerRequest) => {
  serving = true;
  switch (m.type) {
    case 'open': {
      let last = 0;
      const onProgress = (fraction: number) => {
        // at most ~100 progress messages per task
        if (fraction - last >= 0.01 || fraction === 1) {
          last = fraction;
          reply({ type: 'progress', id: m.id, fraction });
        }
      };
      try {
        const session = openResult(m.spec, { onProgress });
        sessions.set(session.view.id, session);
        // the output stays in the session too: send a copy, since transferring detaches the original
        const output = session.output ? { shape: session.output.shape, data: session.output.data.slice() } : null;
        const outcome = 'outcome' in session ? (session as { outcome: unknown }).outcome : null;
        reply({ type: 'opened', id: m.id, result: { view: session.view, output, outcome } });
      } catch (e) {
        reply({ type: 'failed', id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      }
      return;
    }
    case 'page':
      answer(m.id, m.viewId, (s) => ({ type: 'page', id: m.id, page: s.page(m.part, m.start) }));
      return;
    case 'plane':
      answer(m.id, m.viewId, (s) => ({ type: 'plane', id: m.id, data: s.plane(m.tensor, m.index) }));
      return;
    case 'slice':
      answer(m.id, m.viewId, (s) => ({ type: 'plane', id: m.id, data: s.slice(m.tensor, m.rows, m.cols, m.index) }));
      return;
    case 'partial':
      answer(m.id, m.viewId, (s) => ({ type: 'plane', id: m.id, data: s.partial(m.part, m.step, m.batch, m.channel) }));
      return;
    case 'tensor':
      answer(m.id, m.viewId, (s) => {
        const t = s.tensor(m.tensor);
        return { type: 'tensor', id: m.id, tensor: t ? { shape: t.shape, data: t.data.slice() } : null };
      });
      return;
    case 'request':
      reply({ type: 'answer', id: m.id, answer: handleRequest(m.request) });
      return;
    case 'close':
      sessions.delete(m.viewId);
      return;
  }
});

// A spare worker is started ahead of the command it will serve (EngineWorkers keeps one); it spends that idle
// time warming up (app/results/warmUp.ts) until the first request arrives.
if ((workerData as { warmUp?: boolean } | null)?.warmUp) warmUp(WARM_UP_SPECS.worker(), () => serving, setImmediate);
