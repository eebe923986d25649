/**
 * The one Conv Lens panel. Locked down (CSP with a nonce and default-src 'none'; local resources only from
 * the webview bundle and media), state kept by the webview itself (getState/setState) and revived after a
 * reload by a WebviewPanelSerializer, without retainContextWhenHidden. Every message from the webview is
 * checked by the protocol's guard before it is acted on.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  isPanelView,
  isWebviewMessage,
  type HostMessage,
  type PanelView,
  type TracePart,
  type WebviewMessage,
} from '../protocol';

export const PANEL_VIEW_TYPE = 'convLens.panel';

export interface PanelEvents {
  onInsert(viewId: string, tensor: string): void;
  onRunCommand(command: string): void;
  /** the next page of a view's trace, or null when the view is gone */
  onLoadSteps(viewId: string, part: TracePart, start: number): unknown | null;
}

export class PanelManager implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private pending: HostMessage | undefined;
  private current: PanelView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly events: PanelEvents,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          this.attach(panel);
          // the webview restores its own drawing from getState(); the host only needs to know the view
          const view = (state as { view?: unknown } | undefined)?.view;
          if (isPanelView(view)) this.current = view;
        },
      }),
    );
  }

  /** The view on screen now (for tests and the insert command). */
  get view(): PanelView | undefined {
    return this.current;
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  show(view: PanelView): void {
    this.current = view;
    this.open(true);
    this.post({ type: 'show', view });
  }

  open(preserveFocus = false): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Conv Lens',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      {
        enableScripts: true,
        localResourceRoots: [
          vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'),
          vscode.Uri.joinPath(this.extensionUri, 'media'),
        ],
      },
    );
    this.attach(panel);
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'),
        vscode.Uri.joinPath(this.extensionUri, 'media'),
      ],
    };
    panel.webview.html = this.html(panel.webview);
    panel.webview.onDidReceiveMessage((m: unknown) => this.handleMessage(m), undefined, this.disposables);
    panel.onDidDispose(
      () => {
        this.panel = undefined;
        this.ready = false;
      },
      undefined,
      this.disposables,
    );
  }

  private post(message: HostMessage): void {
    if (!this.panel) return;
    if (!this.ready) {
      this.pending = message;
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  /** Every message from the webview lands here; public so that tests can send hostile ones. */
  handleMessage(message: unknown): void {
    if (!isWebviewMessage(message)) {
      this.log.warn(`ignored a malformed message from the panel: ${safePreview(message)}`);
      return;
    }
    const m: WebviewMessage = message;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.pending) {
          void this.panel?.webview.postMessage(this.pending);
          this.pending = undefined;
        }
        return;
      case 'insert':
        this.events.onInsert(m.viewId, m.tensor);
        return;
      case 'copy':
        void vscode.env.clipboard
          .writeText(m.text)
          .then(() => vscode.window.setStatusBarMessage('Conv Lens: copied', 2000));
        return;
      case 'runCommand':
        this.events.onRunCommand(m.command);
        return;
      case 'loadSteps': {
        const trace = this.events.onLoadSteps(m.viewId, m.part, m.start);
        if (trace) this.post({ type: 'steps', viewId: m.viewId, trace });
        return;
      }
      case 'save':
        void this.save(m.text, m.fileName);
        return;
    }
  }

  private async save(text: string, fileName: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, fileName) : undefined,
      filters: { SVG: ['svg'] },
      title: 'Conv Lens: save the current frame',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    vscode.window.setStatusBarMessage(`Conv Lens: saved ${vscode.workspace.asRelativePath(target)}`, 3000);
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const asset = (...path: string[]) =>
      webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...path)).toString();
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('dist', 'webview', 'codicon.css')}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${asset('media', 'panel.css')}">
<title>Conv Lens</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="empty">Run a Conv Lens command (Convolve…, Max Pool…, Check Output Shape…) to see its steps here.</p></main>
<script nonce="${nonce}" src="${asset('dist', 'webview', 'main.js')}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function safePreview(x: unknown): string {
  try {
    const s = JSON.stringify(x);
    return s === undefined ? String(x) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return String(x);
  }
}
