/**
 * The real webview bundle in Debian's Chromium, in a page like the one VS Code builds: the same CSP and
 * nonce, the theme's --vscode-* variables and body class, and a stand-in for acquireVsCodeApi that records
 * what the panel posts and keeps its state in sessionStorage (so a reload restores it, as in VS Code).
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
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
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
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
  const server: Server = createServer(async (req, res) => {
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
  });
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

/** Posts a host message into the page as the extension host would. */
export async function post(page: Page, message: unknown): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message as never);
}

export async function posted(page: Page): Promise<Record<string, unknown>[]> {
  return page.evaluate(() => (window as unknown as { __posted: Record<string, unknown>[] }).__posted);
}
