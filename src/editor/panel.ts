/**
 * The one Conv Lens panel. Locked down (CSP with a nonce and default-src 'none'; local resources only from
 * the webview bundle and media), revived after a reload by a WebviewPanelSerializer, without
 * retainContextWhenHidden: the webview keeps only which view and step it shows, and asks the host for the
 * view again when it is rebuilt. Every message from the webview is checked by the protocol's guard; pages and
 * planes are answered from the result's session (in the host or in its engine worker), never recomputed.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { MAX_TABLE_ELEMENTS, tensorTable } from '../app/tensorText';
import { isWebviewMessage, narrowIfExact, type HostMessage, type PanelView, type WebviewMessage } from '../protocol';
import type { SessionHandle } from './engineWorkers';
import type { Results } from './results';

export const PANEL_VIEW_TYPE = 'convLens.panel';

export interface PanelEvents {
  onInsert(viewId: string, tensor: string): void;
  /** the person changed live controls in the panel */
  onRecompute(viewId: string, values: Readonly<Record<string, string>>): void;
  onRunCommand(command: string): void;
}

export class Panel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  /** how many views have been shown: openAhead's abandon closes only a panel nothing was shown in */
  private shown = 0;
  private pending: HostMessage | undefined;
  private current: PanelView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly results: Results,
    private readonly events: PanelEvents,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: (panel) => {
          this.attach(panel);
          return Promise.resolve();
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

  /**
   * Opens the panel ahead of a result, while the person still types its parameters: its webview takes about a
   * second to start in code-server (measured in the editor-path e2e), and that second can pass then instead
   * of after Enter. The function returned closes the panel again if it was opened here and nothing has been
   * shown in it since (the person cancelled).
   */
  openAhead(): () => void {
    const created = !this.panel;
    const shown = this.shown;
    this.open(true);
    return () => {
      if (created && this.shown === shown) this.panel?.dispose();
    };
  }

  show(view: PanelView): void {
    this.shown++;
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
      { enableScripts: true, localResourceRoots: this.roots() },
    );
    this.attach(panel);
  }

  private roots(): vscode.Uri[] {
    return [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.extensionUri, 'media')];
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    panel.webview.options = { enableScripts: true, localResourceRoots: this.roots() };
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
      if (message.type === 'show' || message.type === 'clear') this.pending = message;
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
        } else if (m.viewId) {
          // the webview was rebuilt (hidden and shown again, or a reload): send its view once more if it is known
          const known = this.results.get(m.viewId)?.view;
          if (known) {
            this.current = known;
            this.post({ type: 'show', view: known });
          }
        }
        return;
      case 'page': {
        const handle = this.results.get(m.viewId);
        if (!handle) {
          this.post({ type: 'page', inReplyTo: m.requestId, page: null, error: GONE });
          return;
        }
        handle.page(m.part, m.start).then(
          (page) => this.post({ type: 'page', inReplyTo: m.requestId, page, error: null }),
          (e: unknown) => this.post({ type: 'page', inReplyTo: m.requestId, page: null, error: errorText(e) }),
        );
        return;
      }
      case 'plane':
        this.replyPlane(m.requestId, m.viewId, (h) => h.plane(m.tensor, m.index));
        return;
      case 'slice':
        this.replyPlane(m.requestId, m.viewId, (h) => h.slice(m.tensor, m.rows, m.cols, m.index));
        return;
      case 'partial':
        this.replyPlane(m.requestId, m.viewId, (h) => h.partial(m.part, m.step, m.batch, m.channel));
        return;
      case 'recompute':
        this.events.onRecompute(m.viewId, m.values);
        return;
      case 'insert':
        this.events.onInsert(m.viewId, m.tensor);
        return;
      case 'copy':
        void this.copy(m.text, 'the step');
        return;
      case 'copyTensor':
        void this.copyTensor(m.viewId, m.tensor, m.format);
        return;
      case 'runCommand':
        this.events.onRunCommand(m.command);
        return;
      case 'save':
        void this.save(new TextEncoder().encode(m.text), m.fileName, 'SVG');
        return;
      case 'saveBinary':
        void this.save(m.data, m.fileName, 'PNG');
        return;
    }
  }

  /** Answers a request for numbers of a view (a plane, a slice, a partial sum) from its result's session. */
  private replyPlane(requestId: number, viewId: string, ask: (h: SessionHandle) => Promise<Float64Array>): void {
    const handle = this.results.get(viewId);
    if (!handle) {
      this.post({ type: 'plane', inReplyTo: requestId, data: null, error: GONE });
      return;
    }
    ask(handle).then(
      (data) => this.post({ type: 'plane', inReplyTo: requestId, data: narrowIfExact(data), error: null }),
      (e: unknown) => this.post({ type: 'plane', inReplyTo: requestId, data: null, error: errorText(e) }),
    );
  }

  private async copy(text: string, what: string): Promise<void> {
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage(`$(check) Conv Lens: copied ${what} to the clipboard`, 4000);
  }

  private async copyTensor(viewId: string, id: string, format: 'markdown' | 'latex'): Promise<void> {
    const handle = this.results.get(viewId);
    const payload = handle?.view.tensors.find((t) => t.id === id);
    if (!handle || !payload) {
      void vscode.window.showWarningMessage(`Conv Lens: ${GONE}`);
      return;
    }
    if (payload.stats.count > MAX_TABLE_ELEMENTS) {
      void vscode.window.showWarningMessage(
        `Conv Lens: ${payload.name} has ${payload.stats.count.toLocaleString('en-US')} numbers, too many for a table (at most ${MAX_TABLE_ELEMENTS.toLocaleString('en-US')}): use Insert Result, or a smaller tensor`,
      );
      return;
    }
    const tensor = await handle.tensor(id);
    if (!tensor) return;
    await this.copy(
      tensorTable(format, payload.name, tensor, handle.view.precision),
      `${payload.name} as ${format === 'markdown' ? 'Markdown' : 'LaTeX'}`,
    );
  }

  private async save(bytes: Uint8Array, fileName: string, kind: 'SVG' | 'PNG'): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, fileName) : undefined,
      filters: kind === 'SVG' ? { SVG: ['svg'] } : { 'Animated PNG': ['png'] },
      title: kind === 'SVG' ? 'Conv Lens: save the current frame' : 'Conv Lens: save the animation',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(`Conv Lens: saved ${vscode.workspace.asRelativePath(target)}`);
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

const GONE = 'this result is no longer kept (only the last 20 are): run the command again';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function safePreview(x: unknown): string {
  try {
    const s = JSON.stringify(x);
    return s === undefined ? String(x) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return String(x);
  }
}
