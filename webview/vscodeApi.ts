/** The VS Code webview API, typed; a test page may stand in for it with the same three functions. */
import type { WebviewMessage } from '../src/protocol';

/** What the webview keeps across being hidden or reloaded: which view it shows, and where in it. */
export interface PersistedState {
  readonly viewId?: string;
  readonly ui?: unknown;
}

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): PersistedState | undefined;
  setState(state: PersistedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const vscode: VsCodeApi = acquireVsCodeApi();
