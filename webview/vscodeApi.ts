/** The VS Code webview API, typed; a test page may stand in for it with the same three functions. */
import type { HostMessage, PanelView, WebviewMessage } from '../src/protocol';

export interface PersistedState {
  readonly view?: PanelView;
  /** per view kind, the step the person was on */
  readonly step?: number;
  readonly [key: string]: unknown;
}

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): PersistedState | undefined;
  setState(state: PersistedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const vscode: VsCodeApi = acquireVsCodeApi();

export type { HostMessage };
