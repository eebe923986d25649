/** The listing as text (the CLI's table, the editor's plain view) and as JSON for scripts. */
import { shapeText } from '../engine/tensor';
import { formatNumber } from '../format';
import type { TensorEntry, TensorListing } from './file';
import type { TensorStats } from './layout';

export function shortBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function displayName(name: string): string {
  return name === '' ? '(the tensor)' : name;
}

/** A tensor's stats as the table shows them: done, still pending, not computed, or why they failed. */
export type StatsCell = TensorStats | { readonly pending: true } | { readonly error: string } | null;

export interface TableOptions {
  readonly precision?: number;
  /** false: no stats columns at all (`conv-lens inspect --no-stats`) */
  readonly withStats?: boolean;
  readonly fileName?: string;
}

function pad(cells: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = cells[0].map((_, c) => Math.max(...cells.map((r) => [...r[c]].length)));
  return cells.map((r) =>
    r
      .map((cell, c) => {
        const fill = ' '.repeat(widths[c] - [...cell].length);
        return rightAligned.has(c) ? fill + cell : cell + fill;
      })
      .join('  ')
      .trimEnd(),
  );
}

export function listingText(
  listing: TensorListing,
  statsOf: (entry: TensorEntry) => StatsCell,
  options: TableOptions = {},
): string {
  const precision = options.precision ?? 4;
  const withStats = options.withStats ?? true;
  const lines: string[] = [];
  const n = listing.tensors.length;
  lines.push(`${options.fileName ? `${options.fileName}: ` : ''}${listing.description}`);
  lines.push(
    `${n} tensor${n === 1 ? '' : 's'}, ${shortBytes(listing.tensorBytes)} of tensor data, file ${shortBytes(listing.fileSize)}`,
  );
  lines.push('');
  const header = ['name', 'dtype', 'shape', 'size'];
  if (withStats) header.push('min', 'max', 'mean', 'NaN', '±Inf');
  const rows = [header];
  const failures: string[] = [];
  const num = (x: number | null) => (x === null ? '—' : formatNumber(x, precision));
  for (const t of listing.tensors) {
    const row = [displayName(t.name), t.dtype, shapeText(t.shape), shortBytes(t.bytes)];
    if (withStats) {
      const s = statsOf(t);
      if (s === null || 'pending' in s) row.push('…', '…', '…', '', '');
      else if ('error' in s) {
        row.push('—', '—', '—', '', '');
        failures.push(`${displayName(t.name)}: ${s.error}`);
      } else row.push(num(s.min), num(s.max), num(s.mean), String(s.nan), String(s.posInf + s.negInf));
    }
    rows.push(row);
  }
  lines.push(...pad(rows, new Set(withStats ? [3, 4, 5, 6, 7, 8] : [3])));
  const notes = listing.tensors.filter((t) => t.notes.length);
  if (notes.length) {
    lines.push('', 'notes:');
    for (const t of notes) lines.push(`  ${displayName(t.name)}: ${t.notes.join('; ')}`);
  }
  if (failures.length) {
    lines.push('', 'stats not computed:');
    for (const f of failures) lines.push(`  ${f}`);
  }
  if (listing.values.length) {
    lines.push('', 'other values:');
    for (const v of listing.values) lines.push(`  ${v.name || '(the file)'} = ${v.text}`);
  }
  if (listing.skipped.length) {
    lines.push('', 'not read:');
    for (const s of listing.skipped) lines.push(`  ${s.name}: ${s.reason}`);
  }
  if (listing.metadata) {
    lines.push('', 'metadata:');
    for (const [k, v] of Object.entries(listing.metadata)) lines.push(`  ${k} = ${v}`);
  }
  return lines.join('\n') + '\n';
}

/** The listing for scripts: every field of every entry, stats (or their error) per tensor. */
export function listingJson(
  listing: TensorListing,
  statsOf: (entry: TensorEntry) => StatsCell,
  fileName?: string,
): unknown {
  return {
    ...(fileName === undefined ? {} : { file: fileName }),
    format: listing.format,
    description: listing.description,
    fileSize: listing.fileSize,
    tensorBytes: listing.tensorBytes,
    tensors: listing.tensors.map((t) => {
      const s = statsOf(t);
      return {
        ...t,
        shape: [...t.shape],
        ...(s === null || 'pending' in s ? {} : 'error' in s ? { statsError: s.error } : { stats: s }),
      };
    }),
    values: listing.values,
    skipped: listing.skipped,
    metadata: listing.metadata,
  };
}
