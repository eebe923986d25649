/** formatLiteral: writes a tensor in one of the literal notations, so results can be inserted into the document. */
import type { Tensor } from '../engine/tensor';
import type { FormatOptions, LiteralFormat } from './types';

const DEFAULT_WRAPPER: Partial<Record<LiteralFormat, string>> = {
  numpy: 'np.array',
  torch: 'torch.tensor',
  tensorflow: 'tf.constant',
  latex: 'bmatrix',
};

const PYTHON_FAMILY = new Set<LiteralFormat>(['python', 'numpy', 'torch', 'tensorflow']);

/** How each notation spells the values JSON-style numbers cannot: [nan, +inf, -inf]. */
function specials(format: LiteralFormat): [string, string, string] {
  switch (format) {
    case 'numpy':
      return ['np.nan', 'np.inf', '-np.inf'];
    case 'python':
    case 'torch':
    case 'tensorflow':
      return ["float('nan')", "float('inf')", "-float('inf')"];
    case 'json':
      // Not strict JSON (which has no way to write them) but JavaScript, and what this parser reads back.
      return ['NaN', 'Infinity', '-Infinity'];
    case 'matlab':
      return ['NaN', 'Inf', '-Inf'];
    case 'latex':
      return ['\\text{NaN}', '\\infty', '-\\infty'];
    default:
      return ['nan', 'inf', '-inf'];
  }
}

function speller(
  format: LiteralFormat,
  dtype: 'int' | 'float' | 'bool',
  precision: number | undefined,
): (x: number) => string {
  const [nan, inf, ninf] = specials(format);
  const python = PYTHON_FAMILY.has(format);
  const [yes, no] = python
    ? ['True', 'False']
    : format === 'json' || format === 'matlab'
      ? ['true', 'false']
      : ['1', '0'];
  // Python-family and JSON readers infer the dtype from the spelling, so a float tensor of whole numbers gets `2.0`.
  const markFloat = dtype === 'float' && (python || format === 'json');
  return (x: number): string => {
    if (Number.isNaN(x)) return nan;
    if (x === Infinity) return inf;
    if (x === -Infinity) return ninf;
    if (dtype === 'bool' && (x === 0 || x === 1)) return x ? yes : no;
    const v = precision ? Number(x.toPrecision(precision)) : x;
    if (Object.is(v, -0)) return '-0.0';
    const s = String(v);
    return markFloat && /^-?\d+$/.test(s) ? `${s}.0` : s;
  };
}

/**
 * Writes `tensor` as a literal in `format`. Python-family and JSON keep any rank (numpy's layout: one innermost row
 * per line, a blank line between higher blocks); MATLAB and LaTeX take rank 1 or 2 (rank 1 becomes one row); grids,
 * CSV and Markdown take rank 1 to 4 (channels separated by a blank line, batch items by two). Throws a RangeError for
 * a rank the notation cannot express, or a tensor whose data does not match its shape.
 */
export function formatLiteral(tensor: Tensor, format: LiteralFormat, options: FormatOptions = {}): string {
  const shape = [...tensor.shape];
  const rank = shape.length;
  let size = 1;
  for (const d of shape) size *= d;
  if (size !== tensor.data.length)
    throw new RangeError(`data has ${tensor.data.length} values but shape [${shape.join(', ')}] needs ${size}`);
  if (rank === 0) throw new RangeError('a rank-0 tensor has no literal form; reshape it to [1] first');
  const precision =
    options.precision !== undefined && options.precision >= 1 && options.precision <= 100
      ? Math.floor(options.precision)
      : undefined;
  let integral = true;
  for (const x of tensor.data) {
    if (!Number.isInteger(x)) {
      integral = false;
      break;
    }
  }
  const dtype = options.dtype ?? (integral ? 'int' : 'float');
  const spell = speller(format, dtype, precision);
  const raw = Array.from(tensor.data, spell);
  // Right-align within a matrix so columns line up; CSV stays compact and a single row needs no alignment.
  let width = 0;
  if (rank >= 2 && format !== 'csv') for (const s of raw) width = Math.max(width, s.length);
  const cells = width ? raw.map((s) => s.padStart(width)) : raw;

  switch (format) {
    case 'python':
    case 'numpy':
    case 'torch':
    case 'tensorflow':
    case 'json': {
      const wrapper =
        format === 'python' || format === 'json' ? options.wrapper : (options.wrapper ?? DEFAULT_WRAPPER[format]);
      const prefix = wrapper ? `${wrapper}(` : '';
      return `${prefix}${nestedText(shape, cells, prefix.length)}${wrapper ? ')' : ''}`;
    }
    case 'matlab': {
      if (rank > 2) throw new RangeError(`MATLAB matrix literals are 2-D; this tensor has shape [${shape.join(', ')}]`);
      const [rows, cols] = rank === 1 ? [1, shape[0]] : shape;
      const lines: string[] = [];
      for (let r = 0; r < rows; r++) lines.push(cells.slice(r * cols, (r + 1) * cols).join(' '));
      return rows === 0 || cols === 0 ? '[]' : `[${lines.join(';\n ')}]`;
    }
    case 'latex': {
      if (rank > 2) throw new RangeError(`LaTeX matrices are 2-D; this tensor has shape [${shape.join(', ')}]`);
      const env = options.wrapper ?? 'bmatrix';
      const [rows, cols] = rank === 1 ? [1, shape[0]] : shape;
      const spec = env === 'array' ? `{${'c'.repeat(cols)}}` : '';
      const lines: string[] = [];
      for (let r = 0; r < rows; r++) lines.push(`  ${cells.slice(r * cols, (r + 1) * cols).join(' & ')}`);
      return `\\begin{${env}}${spec}\n${lines.join(' \\\\\n')}\n\\end{${env}}`;
    }
    case 'grid':
    case 'csv':
    case 'markdown':
      return linesText(shape, cells, format);
  }
}

/** numpy's layout: innermost rows on their own lines, (rank − 2 − depth) blank lines between higher blocks. */
function nestedText(shape: number[], cells: string[], indent: number): string {
  const rank = shape.length;
  let k = 0;
  const build = (depth: number, col: number): string => {
    const n = shape[depth];
    if (depth === rank - 1) {
      const row = cells.slice(k, k + n);
      k += n;
      return `[${row.join(', ')}]`;
    }
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(build(depth + 1, col + 1));
    return `[${parts.join(`,${'\n'.repeat(rank - 1 - depth)}${' '.repeat(col + 1)}`)}]`;
  };
  return build(0, indent);
}

function linesText(shape: number[], cells: string[], format: 'grid' | 'csv' | 'markdown'): string {
  const rank = shape.length;
  if (rank > 4)
    throw new RangeError(
      `${format} literals hold at most 4 dimensions (N×C×H×W); this tensor has shape [${shape.join(', ')}]`,
    );
  const full = rank === 1 ? [1, 1, 1, shape[0]] : rank === 2 ? [1, 1, ...shape] : rank === 3 ? [1, ...shape] : shape;
  const [n, c, h, w] = full;
  const sep = format === 'csv' ? ',' : ' ';
  const block = (offset: number): string => {
    const lines: string[] = [];
    if (format === 'markdown') {
      const width = Math.max(3, ...cells.map((s) => s.length), ...Array.from({ length: w }, (_, j) => `c${j}`.length));
      lines.push(`| ${Array.from({ length: w }, (_, j) => `c${j}`.padEnd(width)).join(' | ')} |`);
      lines.push(`|${Array.from({ length: w }, () => '-'.repeat(width + 2)).join('|')}|`);
      for (let r = 0; r < h; r++) {
        lines.push(
          `| ${cells
            .slice(offset + r * w, offset + (r + 1) * w)
            .map((s) => s.padStart(width))
            .join(' | ')} |`,
        );
      }
    } else {
      for (let r = 0; r < h; r++) lines.push(cells.slice(offset + r * w, offset + (r + 1) * w).join(sep));
    }
    return lines.join('\n');
  };
  const items: string[] = [];
  for (let i = 0; i < n; i++) {
    const channels: string[] = [];
    for (let j = 0; j < c; j++) channels.push(block((i * c + j) * h * w));
    items.push(channels.join('\n\n'));
  }
  return items.join('\n\n\n');
}
