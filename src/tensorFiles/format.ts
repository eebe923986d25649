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

/** The listing laid out once for every view: its headline, the table (a row per tensor) and the sections after it. */
export interface ListingTable {
  readonly headline: readonly string[];
  readonly header: readonly string[];
  readonly rows: readonly { readonly entry: TensorEntry; readonly cells: readonly string[] }[];
  /** the columns of numbers */
  readonly rightAligned: ReadonlySet<number>;
  /** "notes:", "stats not computed:", "other values:", "not read:", "metadata:", each with its lines */
  readonly sections: readonly { readonly title: string; readonly lines: readonly string[] }[];
}

export function listingTable(
  listing: TensorListing,
  statsOf: (entry: TensorEntry) => StatsCell,
  options: TableOptions = {},
): ListingTable {
  const precision = options.precision ?? 4;
  const withStats = options.withStats ?? true;
  const n = listing.tensors.length;
  const headline = [
    `${options.fileName ? `${options.fileName}: ` : ''}${listing.description}`,
    `${n} tensor${n === 1 ? '' : 's'}, ${shortBytes(listing.tensorBytes)} of tensor data, file ${shortBytes(listing.fileSize)}`,
  ];
  const header = ['name', 'dtype', 'shape', 'size'];
  if (withStats) header.push('min', 'max', 'mean', 'NaN', '±Inf');
  const failures: string[] = [];
  const num = (x: number | null) => (x === null ? '—' : formatNumber(x, precision));
  const rows = listing.tensors.map((t) => {
    const cells = [displayName(t.name), t.dtype, shapeText(t.shape), shortBytes(t.bytes)];
    if (withStats) {
      const s = statsOf(t);
      if (s === null || 'pending' in s) cells.push('…', '…', '…', '', '');
      else if ('error' in s) {
        cells.push('—', '—', '—', '', '');
        failures.push(`${displayName(t.name)}: ${s.error}`);
      } else cells.push(num(s.min), num(s.max), num(s.mean), String(s.nan), String(s.posInf + s.negInf));
    }
    return { entry: t, cells };
  });
  const sections = [
    {
      title: 'notes:',
      lines: listing.tensors.filter((t) => t.notes.length).map((t) => `${displayName(t.name)}: ${t.notes.join('; ')}`),
    },
    { title: 'stats not computed:', lines: failures },
    { title: 'other values:', lines: listing.values.map((v) => `${v.name || '(the file)'} = ${v.text}`) },
    { title: 'not read:', lines: listing.skipped.map((s) => `${s.name}: ${s.reason}`) },
    { title: 'metadata:', lines: Object.entries(listing.metadata ?? {}).map(([k, v]) => `${k} = ${v}`) },
  ].filter((x) => x.lines.length);
  return { headline, header, rows, rightAligned: new Set(withStats ? [3, 4, 5, 6, 7, 8] : [3]), sections };
}

export function listingText(
  listing: TensorListing,
  statsOf: (entry: TensorEntry) => StatsCell,
  options: TableOptions = {},
): string {
  const table = listingTable(listing, statsOf, options);
  const lines = [...table.headline, ''];
  lines.push(...pad([[...table.header], ...table.rows.map((r) => [...r.cells])], table.rightAligned));
  for (const section of table.sections) lines.push('', section.title, ...section.lines.map((l) => `  ${l}`));
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
