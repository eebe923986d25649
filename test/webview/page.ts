/**
 * The real webview bundle in Debian's Chromium, in a page like the one VS Code builds: the same CSP and
 * nonce, the theme's --vscode-* variables and body class, and a stand-in for acquireVsCodeApi that records
 * what the panel posts and keeps its state in sessionStorage (so a reload restores it, as in VS Code).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ResultSession } from '../../src/app/results';
import type { TracePart } from '../../src/protocol';
import { THEMES, type ThemeName } from './themes';

export const ROOT = resolve(__dirname, '../..');
const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.html': 'text/html',
  '.png': 'image/png',
};
const NONCE = 'dGVzdC1ub25jZQ==';

function pageHtml(theme: ThemeName): string {
  const t = THEMES[theme];
  const csp = `default-src 'none'; img-src 'self' data:; style-src 'self'; font-src 'self'; script-src 'nonce-${NONCE}'`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="/dist/webview/codicon.css" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="/media/panel.css">
<script nonce="${NONCE}">
  (() => {
    const vars = ${JSON.stringify(t.vars)};
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
    window.__posted = [];
    // VS Code's transport: JSON, with every typed array lifted out and revived on the other side as the same type
    window.__deliver = (json, buffers) => {
      const arrays = buffers.map((b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
      const message = JSON.parse(json, (_k, v) => {
        if (!v || v.$$vscode_array_buffer_reference$$ !== true) return v;
        const buffer = arrays[v.index];
        if (!v.view) return buffer;
        const Ctor = globalThis[v.view.type];
        return new Ctor(buffer, v.view.byteOffset, v.view.byteLength / Ctor.BYTES_PER_ELEMENT);
      });
      window.postMessage(message, '*');
    };
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => {
        const json = JSON.stringify(m);
        window.__posted.push(JSON.parse(json));
        if (window.__toHost) window.__toHost(json);
      },
      getState: () => { const s = sessionStorage.getItem('state'); return s ? JSON.parse(s) : undefined; },
      setState: (s) => sessionStorage.setItem('state', JSON.stringify(s)),
    });
  })();
</script>
</head><body class="${t.bodyClass}">
<main id="app" aria-live="polite"></main>
<script nonce="${NONCE}" src="/dist/webview/main.js"></script>
</body></html>`;
}

export interface Harness {
  readonly browser: Browser;
  readonly url: (theme: ThemeName) => string;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const server: Server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/panel.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(pageHtml((url.searchParams.get('theme') as ThemeName) ?? 'dark'));
      return;
    }
    const file = join(ROOT, url.pathname);
    if (!file.startsWith(ROOT) || !/^\/(dist\/webview|media)\//.test(url.pathname)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  return {
    browser,
    url: (theme) => `http://127.0.0.1:${port}/panel.html?theme=${theme}`,
    close: async () => {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A message as VS Code's webview transport carries it: JSON with typed arrays lifted out as buffers. */
export function serializeForWebview(message: unknown): { json: string; buffers: string[] } {
  const buffers: ArrayBufferLike[] = [];
  const json = JSON.stringify(message, (_key, value: unknown) => {
    if (value instanceof ArrayBuffer) {
      buffers.push(value);
      return { $$vscode_array_buffer_reference$$: true, index: buffers.length - 1 };
    }
    if (ArrayBuffer.isView(value)) {
      // like VS Code, the whole underlying buffer travels (a view into a big buffer costs the big buffer)
      buffers.push(value.buffer);
      return {
        $$vscode_array_buffer_reference$$: true,
        index: buffers.length - 1,
        view: { type: value.constructor.name, byteLength: value.byteLength, byteOffset: value.byteOffset },
      };
    }
    return value;
  });
  return { json, buffers: buffers.map((b) => Buffer.from(b as ArrayBuffer).toString('base64')) };
}

/** Posts a host message into the page as the extension host would (typed arrays as typed arrays). */
export async function post(page: Page, message: unknown): Promise<void> {
  const { json, buffers } = serializeForWebview(message);
  await page.evaluate(
    ([j, b]) => (window as unknown as { __deliver: (j: string, b: string[]) => void }).__deliver(j, b),
    [json, buffers] as const,
  );
}

/**
 * Stands in for the extension host: answers the panel's page and plane requests from the sessions the test
 * opened, as src/editor/panel.ts does from its results.
 */
export async function attachHost(
  page: Page,
  sessions: Map<string, ResultSession>,
  recompute?: (viewId: string, values: Record<string, string>) => ResultSession | null,
): Promise<void> {
  await page.exposeFunction('__toHost', (json: string) => {
    const m = JSON.parse(json) as {
      type: string;
      requestId: number;
      viewId: string;
      part: TracePart;
      start: number;
      tensor: string;
      index: number[];
      rows: number;
      cols: number;
      step: number;
      batch: number;
      channel: number;
      values: Record<string, string>;
    };
    const session = sessions.get(m.viewId);
    const reply = (ok: () => unknown, type: 'page' | 'plane') => {
      try {
        const value = ok();
        return type === 'page'
          ? { type, inReplyTo: m.requestId, page: value, error: null }
          : { type, inReplyTo: m.requestId, data: value, error: null };
      } catch (e) {
        return type === 'page'
          ? { type, inReplyTo: m.requestId, page: null, error: String(e) }
          : { type, inReplyTo: m.requestId, data: null, error: String(e) };
      }
    };
    if (m.type === 'page')
      void post(
        page,
        reply(() => session!.page(m.part, m.start), 'page'),
      );
    if (m.type === 'plane')
      void post(
        page,
        reply(() => session!.plane(m.tensor, m.index), 'plane'),
      );
    if (m.type === 'partial')
      void post(
        page,
        reply(() => session!.partial(m.part, m.step, m.batch, m.channel), 'plane'),
      );
    if (m.type === 'slice')
      void post(
        page,
        reply(() => session!.slice(m.tensor, m.rows, m.cols, m.index), 'plane'),
      );
    if (m.type === 'recompute' && recompute) {
      const next = recompute(m.viewId, m.values);
      if (next) {
        sessions.set(next.view.id, next);
        void post(page, { type: 'show', view: { ...next.view, replaces: m.viewId } });
      }
    }
    if (m.type === 'ready' && m.viewId && session) void post(page, { type: 'show', view: session.view });
  });
}

export async function posted(page: Page): Promise<Record<string, unknown>[]> {
  return page.evaluate(() => (window as unknown as { __posted: Record<string, unknown>[] }).__posted);
}
