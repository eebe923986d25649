/**
 * The messages between the extension host and an engine worker (src/worker.ts). A worker opens result
 * sessions and answers later questions about them (pages, planes, whole tensors) from what it computed;
 * every question carries an id that its reply repeats. Typed arrays are transferred, not copied.
 */
import type { Answer } from '../engine/requests';
import type { Tensor } from '../engine/tensor';
import type { PanelView, StepPage, TracePart } from '../protocol';
import type { OperationSpec } from './operation';

export type WorkerRequest =
  | { readonly type: 'open'; readonly id: number; readonly spec: OperationSpec }
  | {
      readonly type: 'page';
      readonly id: number;
      readonly viewId: string;
      readonly part: TracePart;
      readonly start: number;
    }
  | {
      readonly type: 'plane';
      readonly id: number;
      readonly viewId: string;
      readonly tensor: string;
      readonly index: readonly number[];
    }
  | {
      readonly type: 'slice';
      readonly id: number;
      readonly viewId: string;
      readonly tensor: string;
      readonly rows: number;
      readonly cols: number;
      readonly index: readonly number[];
    }
  | {
      readonly type: 'partial';
      readonly id: number;
      readonly viewId: string;
      readonly part: TracePart;
      readonly step: number;
      readonly batch: number;
      readonly channel: number;
    }
  | { readonly type: 'tensor'; readonly id: number; readonly viewId: string; readonly tensor: string }
  | { readonly type: 'close'; readonly viewId: string }
  /** a JSON request, answered as the CLI answers it (Verify in PyTorch compares against that answer) */
  | { readonly type: 'request'; readonly id: number; readonly request: Record<string, unknown> };

export interface OpenedReply {
  readonly view: PanelView;
  readonly output: Tensor | null;
  /** Check Gradient: what its notification says */
  readonly outcome: unknown;
}

export type WorkerReply =
  | { readonly type: 'progress'; readonly id: number; readonly fraction: number }
  | { readonly type: 'opened'; readonly id: number; readonly result: OpenedReply }
  | { readonly type: 'page'; readonly id: number; readonly page: StepPage }
  | { readonly type: 'plane'; readonly id: number; readonly data: Float64Array }
  | { readonly type: 'tensor'; readonly id: number; readonly tensor: Tensor | null }
  | { readonly type: 'answer'; readonly id: number; readonly answer: Answer }
  | { readonly type: 'failed'; readonly id: number; readonly error: string };

/** Every ArrayBuffer reachable from `value` (each once), for postMessage's transfer list. */
export function buffersOf(value: unknown, out = new Set<ArrayBuffer>()): ArrayBuffer[] {
  const walk = (v: unknown, depth: number): void => {
    if (depth > 16 || v === null || typeof v !== 'object') return;
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
      return;
    }
    if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(value, 0);
  return [...out];
}
