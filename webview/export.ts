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

/** Draws every grid table inside `root` as it appears on screen: cell rectangles, colours and numbers. */
export function frameSvg(root: HTMLElement): string {
  const box = root.getBoundingClientRect();
  const parts: string[] = [];
  const body = getComputedStyle(document.body);
  const font = body.getPropertyValue('--vscode-editor-font-family') || 'monospace';
  for (const fig of Array.from(root.querySelectorAll('figure'))) {
    const cap = fig.querySelector('figcaption');
    if (cap) {
      const r = cap.getBoundingClientRect();
      parts.push(
        `<text x="${r.left - box.left}" y="${r.bottom - box.top - 3}" font-size="12" fill="${getComputedStyle(cap).color}">${escapeXml(cap.textContent ?? '')}</text>`,
      );
    }
    for (const td of Array.from(fig.querySelectorAll('td'))) {
      const r = td.getBoundingClientRect();
      const style = getComputedStyle(td);
      const x = r.left - box.left;
      const y = r.top - box.top;
      parts.push(
        `<rect x="${x}" y="${y}" width="${r.width}" height="${r.height}" fill="${style.backgroundColor}" stroke="${style.borderTopColor}"/>`,
      );
      const value = td.querySelector('.v')?.textContent ?? td.textContent ?? '';
      parts.push(
        `<text x="${x + r.width - 4}" y="${y + r.height / 2 + 4}" text-anchor="end" font-size="12" fill="${style.color}">${escapeXml(value)}</text>`,
      );
    }
  }
  const text = root.querySelector('.arithmetic');
  if (text) {
    const r = text.getBoundingClientRect();
    parts.push(
      `<text x="${r.left - box.left}" y="${r.top - box.top + 14}" font-size="12" fill="${getComputedStyle(text).color}">${escapeXml(text.textContent ?? '')}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(box.width)}" height="${Math.ceil(box.height)}" font-family="${escapeXml(font)}" style="background:${body.backgroundColor}">\n${parts.join('\n')}\n</svg>\n`;
}
