/**
 * The messages between the extension host and the panel's webview: one typed union per direction
 * (vscode-hexeditor's habit). Requests from the webview carry a `requestId`; the host's reply carries it
 * back as `inReplyTo`, so one handler on each side matches replies without per-view waiter lists.
 * Typed arrays cross as buffers (VS Code transfers them since 1.57): NaN and ±∞ need no encoding.
 */
import type { Floats } from './floats';
import type { StepPage } from './pages';
import type { PanelView, TracePart } from './view';

export type HostMessage =
  | { readonly type: 'show'; readonly view: PanelView }
  /** a page of steps, answering a 'page' request; null with an error when the view is gone */
  | {
      readonly type: 'page';
      readonly inReplyTo: number;
      readonly page: StepPage | null;
      readonly error: string | null;
    }
  /**
   * a plane or slice of a tensor, answering a 'plane', 'slice' or 'partial' request (float32 when exact: floats.ts)
   */
  | {
      readonly type: 'plane';
      readonly inReplyTo: number;
      readonly data: Floats | null;
      readonly error: string | null;
    }
  | { readonly type: 'clear' };

export type WebviewMessage =
  /** the panel is listening; `viewId` is the view it shows from its saved state, if any, to be sent again */
  | { readonly type: 'ready'; readonly viewId: string | null }
  | {
      readonly type: 'page';
      readonly requestId: number;
      readonly viewId: string;
      readonly part: TracePart;
      readonly start: number;
    }
  | {
      readonly type: 'plane';
      readonly requestId: number;
      readonly viewId: string;
      readonly tensor: string;
      readonly index: readonly number[];
    }
  /**
   * any 2-D slice of a tensor: dims `rows` × `cols`, the other dims at `index` (a full multi-index whose
   * entries at `rows` and `cols` are ignored); the tensor view asks for these
   */
  | {
      readonly type: 'slice';
      readonly requestId: number;
      readonly viewId: string;
      readonly tensor: string;
      readonly rows: number;
      readonly cols: number;
      readonly index: readonly number[];
    }
  /**
   * a scatter's result plane (batch item `batch`, channel `channel`, before the crop) as it stands after
   * steps 0 … `step`: the picture of the sum building up. The reply holds the plane's sums, then the number
   * of contributions each cell has had so far (0: not reached yet).
   */
  | {
      readonly type: 'partial';
      readonly requestId: number;
      readonly viewId: string;
      readonly part: TracePart;
      readonly step: number;
      readonly batch: number;
      readonly channel: number;
    }
  /** the person changed live controls: the same operands with these parameters (keyword → its text) */
  | { readonly type: 'recompute'; readonly viewId: string; readonly values: Readonly<Record<string, string>> }
  | { readonly type: 'insert'; readonly viewId: string; readonly tensor: string }
  /** text the panel made of what is on screen (a step's table) */
  | { readonly type: 'copy'; readonly text: string }
  /** a whole tensor as a table: the host has every value, even of a tensor the panel holds only planes of */
  | {
      readonly type: 'copyTensor';
      readonly viewId: string;
      readonly tensor: string;
      readonly format: TableFormat;
    }
  | { readonly type: 'save'; readonly text: string; readonly fileName: string }
  /** a file the panel made (an animated PNG of the steps), to save where the person says */
  | { readonly type: 'saveBinary'; readonly data: Uint8Array; readonly fileName: string }
  | { readonly type: 'runCommand'; readonly command: PanelCommand };

export type TableFormat = 'markdown' | 'latex';

/** The commands the panel may ask the host to run: a fixed list, never a name from the message. */
export const PANEL_COMMANDS = [
  'convLens.convolve',
  'convLens.checkOutputShape',
  'convLens.checkGradient',
  'convLens.showIm2col',
] as const;
export type PanelCommand = (typeof PANEL_COMMANDS)[number];
