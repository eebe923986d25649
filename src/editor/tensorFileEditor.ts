/**
 * The read-only custom editor for tensor files (*.npy, *.npz, *.safetensors, *.pt, *.pth, *.ckpt). Phase A:
 * the document model (tensorFileDocument.ts) and a minimal, locked-down webview that shows the listing as
 * plain text — no scripts, CSP default-src 'none', only the command link that reopens the file as text. The
 * tensor view of the shared host↔webview protocol replaces `render` in phase B; the document stays.
 */
import * as vscode from 'vscode';
import { displayName, listingText, type StatsCell } from '../tensorFiles/format';
import { TensorFileDocument } from './tensorFileDocument';

export const TENSOR_FILE_VIEW_TYPE = 'convLens.tensorFile';
const REOPEN_AS_TEXT = 'workbench.action.reopenTextEditor';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function tensorFileText(document: TensorFileDocument): string {
  const model = document.model;
  if (!model) return `${document.fileName}\n\nThis file cannot be shown: ${document.errorMessage}\n`;
  const statsOf = (t: { name: string }): StatsCell => {
    const s = model.statsState(t.name);
    return s.state === 'done' ? s.stats : s.state === 'failed' ? { error: s.error } : { pending: true };
  };
  return listingText(model.listing, statsOf, { fileName: document.fileName });
}

export class TensorFileEditorProvider implements vscode.CustomReadonlyEditorProvider<TensorFileDocument> {
  /** the open documents (the integration tests read their listings) */
  readonly documents = new Set<TensorFileDocument>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  async openCustomDocument(uri: vscode.Uri): Promise<TensorFileDocument> {
    const document = await TensorFileDocument.open(uri);
    if (document.error) this.log.warn(`tensor file ${uri.toString(true)}: ${document.errorMessage}`);
    else {
      const l = document.model!.listing;
      this.log.info(`tensor file ${uri.toString(true)}: ${l.description}, ${l.tensors.length} tensors`);
    }
    this.documents.add(document);
    document.onDidDispose(() => this.documents.delete(document));
    return document;
  }

  resolveCustomEditor(document: TensorFileDocument, panel: vscode.WebviewPanel): void {
    panel.webview.options = { enableScripts: false, enableCommandUris: [REOPEN_AS_TEXT], localResourceRoots: [] };
    const render = () => {
      panel.webview.html = this.html(panel.webview, document);
    };
    render();
    // stats arrive one tensor at a time; redraw the plain text at most twice a second
    let timer: ReturnType<typeof setTimeout> | undefined;
    const subscription = document.onDidChangeStats(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        render();
      }, 500);
    });
    panel.onDidDispose(() => {
      subscription.dispose();
      if (timer) clearTimeout(timer);
    });
  }

  private html(webview: vscode.Webview, document: TensorFileDocument): string {
    const csp = [`default-src 'none'`, `style-src ${webview.cspSource}`, `img-src ${webview.cspSource}`].join('; ');
    const reopen = document.error ? `<p><a href="command:${REOPEN_AS_TEXT}">Reopen it as text</a></p>` : '';
    const title = document.model ? displayName(document.fileName) : document.fileName;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
</head>
<body>
<pre id="listing">${escapeHtml(tensorFileText(document))}</pre>
${reopen}
</body>
</html>`;
  }
}

export function registerTensorFileEditor(log: vscode.LogOutputChannel): {
  provider: TensorFileEditorProvider;
  disposable: vscode.Disposable;
} {
  const provider = new TensorFileEditorProvider(log);
  const disposable = vscode.window.registerCustomEditorProvider(TENSOR_FILE_VIEW_TYPE, provider, {
    supportsMultipleEditorsPerDocument: true,
  });
  return { provider, disposable };
}
