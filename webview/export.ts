/**
 * Exports of what is on screen: the current step as a Markdown or LaTeX table (to the clipboard, through the
 * host), and the current frame — the grids on screen — as an SVG file. Whole tensors are formatted by the
 * host, which has every value (src/app/tensorText.ts).
 */
import { formatNumber } from '../src/format';
import type { StepTable } from './views/common';

/** The step on screen as a Markdown table. */
export function markdownStep(t: StepTable, precision: number): string {
  const cell = (v: string | number) => (typeof v === 'number' ? formatNumber(v, precision) : v.replace(/\|/g, '\\|'));
  return [
    `**${t.caption}**`,
    '',
    `| ${t.headers.join(' | ')} |`,
    `|${t.headers.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** The step on screen as a LaTeX tabular. */
export function latexStep(t: StepTable, precision: number): string {
  const esc = (s: string) => s.replace(/([&%$#_{}])/g, '\\$1');
  const cell = (v: string | number) =>
    typeof v === 'number' ? formatNumber(v, precision).replace('∞', '\\infty') : esc(v);
  return [
    `% ${t.caption}`,
    `\\begin{tabular}{${t.headers.map(() => 'r').join('')}}`,
    `${t.headers.map(esc).join(' & ')} \\\\ \\hline`,
    ...t.rows.map((r) => `${r.map(cell).join(' & ')} \\\\`),
    '\\end{tabular}',
  ].join('\n');
}

function escapeXml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch] as string,
  );
}

/**
 * The tab on screen as an SVG drawing, as it appears: every table cell (its colour, its number, its tap badge),
 * every canvas (heat maps, filters) as an embedded image, histogram bars, and the text of captions, headings,
 * paragraphs and list items. Works for every tab, since it draws what is on screen rather than one view's data.
 */
export function frameSvg(root: HTMLElement): string {
  const box = root.getBoundingClientRect();
  const parts: string[] = [];
  const body = getComputedStyle(document.body);
  const font = body.getPropertyValue('--vscode-editor-font-family') || 'monospace';
  const at = (e: Element) => {
    const r = e.getBoundingClientRect();
    return { x: r.left - box.left, y: r.top - box.top, w: r.width, h: r.height };
  };
  const visible = (e: Element) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const text = (e: Element, content: string, anchor: 'start' | 'end' = 'start') => {
    const r = at(e);
    const style = getComputedStyle(e);
    const size = parseFloat(style.fontSize) || 12;
    const x = anchor === 'end' ? r.x + r.w - 4 : r.x;
    parts.push(
      `<text x="${x.toFixed(1)}" y="${(r.y + r.h / 2 + size / 3).toFixed(1)}" text-anchor="${anchor}" font-size="${size}" fill="${style.color}">${escapeXml(content)}</text>`,
    );
  };
  for (const e of Array.from(
    root.querySelectorAll('td, th, canvas, .histogram .bar, figcaption, h3, p, li, .position'),
  )) {
    if (!visible(e)) continue;
    const r = at(e);
    const style = getComputedStyle(e);
    if (e instanceof HTMLCanvasElement) {
      parts.push(`<image x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" href="${e.toDataURL('image/png')}"/>`);
    } else if (e.matches('td, th')) {
      parts.push(
        `<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="${style.backgroundColor}" stroke="${style.borderTopColor}"/>`,
      );
      const value = e.querySelector('.v')?.textContent ?? e.textContent ?? '';
      if (value) text(e, value, e.matches('td') ? 'end' : 'start');
      const badge = e.querySelector('.badge');
      if (badge?.textContent) {
        const b = at(badge);
        parts.push(
          `<text x="${b.x.toFixed(1)}" y="${(b.y + 9).toFixed(1)}" font-size="9" fill="${getComputedStyle(badge).color}">${escapeXml(badge.textContent)}</text>`,
        );
      }
    } else if (e.matches('.bar')) {
      parts.push(`<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="${style.backgroundColor}"/>`);
    } else if (!e.closest('td, th') && e.textContent?.trim()) {
      text(e, e.textContent.trim());
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(box.width)}" height="${Math.ceil(box.height)}" font-family="${escapeXml(font)}" style="background:${body.backgroundColor}">\n<rect width="100%" height="100%" fill="${body.backgroundColor}"/>\n${parts.join('\n')}\n</svg>\n`;
}
