/**
 * Questions to the host: a page of steps, a plane of a tensor. Each request carries an id; main.ts hands every
 * reply to `deliver`, which settles the request that asked. Nothing is asked twice: a slow answer is waited
 * for, and a refusal (the view is gone) is shown where the answer would have been.
 */
import { widen, type HostMessage, type StepPage, type TracePart } from '../src/protocol';
import { vscode } from './vscodeApi';

type Reply = Extract<HostMessage, { type: 'page' | 'plane' }>;

const waiting = new Map<number, (reply: Reply) => void>();
let nextId = 1;

/** How many questions are still unanswered (an export waits for a frame's numbers before drawing it). */
export function unanswered(): number {
  return waiting.size;
}

export function deliver(reply: Reply): void {
  const settle = waiting.get(reply.inReplyTo);
  waiting.delete(reply.inReplyTo);
  settle?.(reply);
}

export function requestPage(viewId: string, part: TracePart, start: number): Promise<StepPage> {
  const requestId = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(requestId, (r) =>
      r.type === 'page' && r.page ? resolve(r.page) : reject(new Error(r.error ?? 'no page')),
    );
    vscode.postMessage({ type: 'page', requestId, viewId, part, start });
  });
}

/** A scatter's uncropped result plane after steps 0 … `step`. */
export function requestPartial(
  viewId: string,
  part: TracePart,
  step: number,
  batch: number,
  channel: number,
): Promise<Float64Array> {
  const requestId = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(requestId, (r) =>
      r.type === 'plane' && r.data ? resolve(widen(r.data)) : reject(new Error(r.error ?? 'no partial sum')),
    );
    vscode.postMessage({ type: 'partial', requestId, viewId, part, step, batch, channel });
  });
}

/** Dims rows × cols of a tensor, the other dims at `index` (a full multi-index). */
export function requestSlice(
  viewId: string,
  tensor: string,
  rows: number,
  cols: number,
  index: readonly number[],
): Promise<Float64Array> {
  const requestId = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(requestId, (r) =>
      r.type === 'plane' && r.data ? resolve(widen(r.data)) : reject(new Error(r.error ?? 'no slice')),
    );
    vscode.postMessage({ type: 'slice', requestId, viewId, tensor, rows, cols, index });
  });
}

export function requestPlane(viewId: string, tensor: string, index: readonly number[]): Promise<Float64Array> {
  const requestId = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(requestId, (r) =>
      r.type === 'plane' && r.data ? resolve(widen(r.data)) : reject(new Error(r.error ?? 'no plane')),
    );
    vscode.postMessage({ type: 'plane', requestId, viewId, tensor, index });
  });
}
