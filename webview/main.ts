/**
 * The panel's browser code. It draws what the host sends (PanelView, with the engine's trace) and computes
 * nothing itself. Every message is checked with the shared protocol's guard; user data reaches the DOM only
 * as text. The view and the step on screen are kept with setState, so hiding the panel or reloading the
 * window brings back the same picture.
 */
import { isHostMessage, isPanelView, type PanelView } from '../src/protocol';
import { renderView, type UiState } from './render';
import { deliverSteps } from './steps';
import { vscode } from './vscodeApi';

const app = document.getElementById('app') as HTMLElement;

function saveUi(ui: UiState): void {
  vscode.setState({ ...(vscode.getState() ?? {}), ui });
}

function show(view: PanelView): void {
  const previous = vscode.getState();
  vscode.setState({ ...(previous ?? {}), view });
  renderView(app, view, previous?.ui as UiState | undefined, saveUi);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isHostMessage(message)) {
    console.warn('Conv Lens: ignored a malformed message');
    return;
  }
  switch (message.type) {
    case 'show':
      show(message.view);
      break;
    case 'steps':
      deliverSteps(message.viewId, message.trace as Record<string, unknown>);
      break;
    case 'clear':
      vscode.setState({});
      app.replaceChildren();
      break;
  }
});

const saved = vscode.getState();
if (saved && isPanelView(saved.view)) renderView(app, saved.view, saved.ui as UiState | undefined, saveUi);
vscode.postMessage({ type: 'ready' });
