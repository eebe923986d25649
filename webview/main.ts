/**
 * The panel's browser code. It draws what the host sends (PanelView, with the engine's trace) and computes
 * nothing itself. Every message is checked with the shared protocol's guard; user data reaches the DOM only
 * as text. The state it keeps (getState/setState) is which view it shows and where in it: when the panel is
 * rebuilt (hidden and shown again, or a window reload) it asks the host for that view again.
 */
import { hostMessageProblem, type HostMessage, type PanelView } from '../src/protocol';
import { deliver } from './host';
import { renderView, type UiState } from './render';
import { vscode } from './vscodeApi';

const app = document.getElementById('app') as HTMLElement;

function saveUi(ui: UiState): void {
  vscode.setState({ viewId: ui.viewId, ui });
}

function show(view: PanelView): void {
  const previous = vscode.getState();
  const carried = previous?.viewId === view.id || (view.replaces !== null && previous?.viewId === view.replaces);
  const ui = carried ? (previous?.ui as UiState | undefined) : undefined;
  vscode.setState({ viewId: view.id, ui });
  renderView(app, view, ui, saveUi);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const problem = hostMessageProblem(event.data);
  if (problem) {
    console.warn(`Conv Lens: ignored a malformed message: ${problem}`);
    return;
  }
  const message = event.data as HostMessage;
  switch (message.type) {
    case 'show':
      show(message.view);
      break;
    case 'page':
    case 'plane':
      deliver(message);
      break;
    case 'clear':
      vscode.setState({});
      app.replaceChildren();
      break;
  }
});

vscode.postMessage({ type: 'ready', viewId: vscode.getState()?.viewId ?? null });
