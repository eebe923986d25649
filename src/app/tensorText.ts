/**
 * A tensor as a Markdown or LaTeX table, one table per 2-D plane (the last two dims at each index of the
 * others): what "Copy as Markdown/LaTeX" puts on the clipboard. The host has every value, even of a tensor the
 * panel only holds planes of.
 */
import type { Tensor } from '../engine/tensor';
import { formatNumber } from '../format';
import type { TableFormat } from '../protocol';

/** no more than this many numbers go on the clipboard (a 1000×1000 table is not something to paste) */
export const MAX_TABLE_ELEMENTS = 65_536;

function planesOf(t: Tensor): { label: string; rows: number[][] }[] {
  const rank = t.shape.length;
  const rows = rank >= 2 ? t.shape[rank - 2] : 1;
  const cols = rank >= 1 ? t.shape[rank - 1] : 1;
  const lead = t.shape.slice(0, Math.max(0, rank - 2));
  const count = lead.reduce((a, b) => a * b, 1);
  const out: { label: string; rows: number[][] }[] = [];
  for (let k = 0; k < count; k++) {
    const idx: number[] = [];
    let rest = k;
    for (let i = lead.length - 1; i >= 0; i--) {
      idx.unshift(rest % lead[i]);
      rest = Math.floor(rest / lead[i]);
    }
    const base = k * rows * cols;
    out.push({
      label: lead.length ? `[${idx.join(', ')}, :, :]` : '',
      rows: Array.from({ length: rows }, (_, r) => Array.from(t.data.subarray(base + r * cols, base + (r + 1) * cols))),
    });
  }
  return out;
}

export function markdownTable(name: string, t: Tensor, precision: number): string {
  return planesOf(t)
    .map(({ label, rows }) => {
      const cols = rows[0]?.length ?? 0;
      const head = `| ${Array.from({ length: cols }, (_, c) => String(c)).join(' | ')} |`;
      const rule = `|${Array.from({ length: cols }, () => '---:').join('|')}|`;
      const body = rows.map((r) => `| ${r.map((v) => formatNumber(v, precision)).join(' | ')} |`);
      const title = label ? `**${name} ${label}**\n` : `**${name}** (${t.shape.join('×')})\n`;
      return [title, head, rule, ...body].join('\n');
    })
    .join('\n\n');
}

export function latexTable(name: string, t: Tensor, precision: number): string {
  const tex = (v: number) =>
    Number.isNaN(v)
      ? '\\mathrm{NaN}'
      : v === Infinity
        ? '\\infty'
        : v === -Infinity
          ? '-\\infty'
          : formatNumber(v, precision);
  return planesOf(t)
    .map(
      ({ label, rows }) =>
        `% ${name} ${label || t.shape.join('x')}\n\\begin{bmatrix}\n${rows.map((r) => r.map(tex).join(' & ')).join(' \\\\\n')}\n\\end{bmatrix}`,
    )
    .join('\n\n');
}

export function tensorTable(format: TableFormat, name: string, t: Tensor, precision: number): string {
  return format === 'markdown' ? markdownTable(name, t, precision) : latexTable(name, t, precision);
}
