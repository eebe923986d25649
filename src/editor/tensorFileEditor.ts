/**
 * The read-only custom editor for tensor files (*.npy, *.npz, *.safetensors, *.pt, *.pth, *.ckpt): the
 * listing as a table, one row per tensor with its stats as they are computed, and on each row the links that
 * act on that tensor — Show (the panel's tensor view: any rank, a conv weight's filters as a grid), Use as
 * Input, Use as Kernel (tensorFileCommands.ts). The page is drawn once; as statistics arrive the host posts
 * the table's cells and webview/tensorFile.ts puts them in place (a reload would lose the scroll position and
 * a click). CSP default-src 'none' with one script and one style sheet from the extension, command links
 * enabled for exactly those commands and Reopen as Text. The panel draws the tensor; this page is the file's
 * table of contents.
 */
import * as vscode from 'vscode';
import type { TensorFileRowsMessage } from '../protocol/tensorFile';
import { displayName, listingTable, listingText, type StatsCell } from '../tensorFiles/format';
import { TENSOR_FILE_COMMANDS, tensorCommandUri } from './tensorFileCommands';
import { TensorFileDocument } from './tensorFileDocument';

export const TENSOR_FILE_VIEW_TYPE = 'convLens.tensorFile';
const REOPEN_AS_TEXT = 'workbench.action.reopenTextEditor';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function statsOf(document: TensorFileDocument) {
  return (t: { name: string }): StatsCell => {
    const s = document.model!.statsState(t.name);
    return s.state === 'done' ? s.stats : s.state === 'failed' ? { error: s.error } : { pending: true };
  };
}

/** The listing as plain text, as the CLI prints it (the integration tests read it). */
export function tensorFileText(document: TensorFileDocument): string {
  const model = document.model;
  if (!model) return `${document.fileName}\n\nThis file cannot be shown: ${document.errorMessage}\n`;
  return listingText(model.listing, statsOf(document), { fileName: document.fileName });
}

/** The listing as the editor's HTML: a table whose rows link to the commands on that tensor. */
export function tensorFileHtmlBody(document: TensorFileDocument): string {
  const model = document.model;
  if (!model)
    return `<h1>${escapeHtml(document.fileName)}</h1>
<p class="error">This file cannot be shown: ${escapeHtml(document.errorMessage ?? '')}</p>
<p><a href="command:${REOPEN_AS_TEXT}">Reopen it as text</a></p>`;
  const table = listingTable(model.listing, statsOf(document), { fileName: document.fileName });
  const uri = document.uri.toString();
  const link = (command: string, name: string, text: string, title: string) =>
    `<a href="${escapeHtml(tensorCommandUri(command, { uri, name }))}" title="${escapeHtml(title)}">${escapeHtml(text)}</a>`;
  const head = table.header.map(
    (h, c) => `<th${table.rightAligned.has(c) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`,
  );
  const rows = table.rows.map(({ entry, cells }) => {
    const label = displayName(entry.name);
    const tds = cells.map((cell, c) =>
      c === 0
        ? `<td class="name">${link(TENSOR_FILE_COMMANDS.show, entry.name, cell, `Show ${label} in the Conv Lens panel`)}</td>`
        : `<td${table.rightAligned.has(c) ? ' class="num"' : ''}>${escapeHtml(cell)}</td>`,
    );
    const actions = [
      link(
        TENSOR_FILE_COMMANDS.useAsInput,
        entry.name,
        'Use as Input',
        `Use ${label} as the input of the next operation`,
      ),
      link(
        TENSOR_FILE_COMMANDS.useAsKernel,
        entry.name,
        'Use as Kernel',
        `Use ${label} as the kernel of the next operation`,
      ),
    ];
    return `<tr data-name="${escapeHtml(entry.name)}">${tds.join('')}<td class="actions">${actions.join(' · ')}</td></tr>`;
  });
  const sections = table.sections.map(
    (s) =>
      `<h2>${escapeHtml(s.title.replace(/:$/, ''))}</h2>\n<ul>${s.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`,
  );
  return `<h1>${escapeHtml(table.headline[0])}</h1>
<p class="summary">${escapeHtml(table.headline[1])}. Click a name to see the tensor in the Conv Lens panel.</p>
<table id="listing">
<thead><tr>${head.join('')}<th></th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<div id="sections">
${sections.join('\n')}
</div>`;
}

/** The cells that change as statistics arrive, for the page to refresh in place. */
export function tensorFileRows(document: TensorFileDocument): TensorFileRowsMessage | undefined {
  const model = document.model;
  if (!model) return undefined;
  const table = listingTable(model.listing, statsOf(document), { fileName: document.fileName });
  return {
    type: 'rows',
    rows: table.rows.map((r) => ({ name: r.entry.name, cells: r.cells.slice(1) })),
    sections: table.sections,
  };
}

export class TensorFileEditorProvider implements vscode.CustomReadonlyEditorProvider<TensorFileDocument> {
  /** the open documents (the integration tests read their listings) */
  readonly documents = new Set<TensorFileDocument>();

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly mediaRoot: vscode.Uri,
    /** dist/webview: the page's one script */
    private readonly scriptRoot: vscode.Uri,
  ) {}

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
    panel.webview.options = {
      enableScripts: true,
      enableCommandUris: [REOPEN_AS_TEXT, ...Object.values(TENSOR_FILE_COMMANDS)],
      localResourceRoots: [this.mediaRoot, this.scriptRoot],
    };
    panel.webview.html = this.html(panel.webview, document);
    // stats arrive one tensor at a time; the page's cells are refreshed at most four times a second
    let timer: ReturnType<typeof setTimeout> | undefined;
    const subscription = document.onDidChangeStats(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        const rows = tensorFileRows(document);
        if (rows) void panel.webview.postMessage(rows);
      }, 250);
    });
    // a page that was hidden and shown again is drawn anew: the rows catch it up
    panel.onDidChangeViewState(() => {
      const rows = panel.visible ? tensorFileRows(document) : undefined;
      if (rows) void panel.webview.postMessage(rows);
    });
    panel.onDidDispose(() => {
      subscription.dispose();
      if (timer) clearTimeout(timer);
    });
  }

  private html(webview: vscode.Webview, document: TensorFileDocument): string {
    const css = webview.asWebviewUri(vscode.Uri.joinPath(this.mediaRoot, 'tensorFile.css'));
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.scriptRoot, 'tensorFile.js'));
    const csp = [
      `default-src 'none'`,
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource}`,
      `script-src ${webview.cspSource}`,
    ].join('; ');
    const title = document.model ? displayName(document.fileName) : document.fileName;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css.toString()}">
<title>${escapeHtml(title)}</title>
</head>
<body class="tensor-file">
${tensorFileHtmlBody(document)}
<script src="${script.toString()}"></script>
</body>
</html>`;
  }
}

export function registerTensorFileEditor(
  log: vscode.LogOutputChannel,
  extensionUri: vscode.Uri,
): {
  provider: TensorFileEditorProvider;
  disposable: vscode.Disposable;
} {
  const provider = new TensorFileEditorProvider(
    log,
    vscode.Uri.joinPath(extensionUri, 'media'),
    vscode.Uri.joinPath(extensionUri, 'dist', 'webview'),
  );
  const disposable = vscode.window.registerCustomEditorProvider(TENSOR_FILE_VIEW_TYPE, provider, {
    supportsMultipleEditorsPerDocument: true,
  });
  return { provider, disposable };
}
