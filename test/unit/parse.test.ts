import { describe, expect, it } from 'vitest';
import {
  LITERAL_FORMATS,
  findLiteralAt,
  formatLiteral,
  parseLiteral,
  type LiteralFormat,
  type ParseError,
  type ParseResult,
  type ParsedLiteral,
  type SourceRange,
} from '../../src/parse';
import type { Tensor } from '../../src/engine/tensor';

// ---------------------------------------------------------------------------------------------------------
// Helpers

function ok(text: string, options?: Parameters<typeof parseLiteral>[1]): ParsedLiteral {
  const r = parseLiteral(text, options);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to parse, got: ${r.error.message}`);
  return r.literal;
}

function err(text: string, options?: Parameters<typeof parseLiteral>[1]): ParseError {
  const r = parseLiteral(text, options);
  if (r.ok) throw new Error(`expected ${JSON.stringify(text)} to fail, got shape [${r.literal.shape}]`);
  return r.error;
}

const cut = (text: string, r: SourceRange): string => text.slice(r.start, r.end);
const values = (lit: ParsedLiteral): number[] => Array.from(lit.tensor.data);
const rowsOf = (text: string, lit: ParsedLiteral): string[] => lit.rows.map((r) => cut(text, r));

/** Offset of the `nth` occurrence of `needle`, plus `delta`. */
function at(text: string, needle: string, delta = 0, nth = 0): number {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`${JSON.stringify(needle)} not in text`);
  }
  return i + delta;
}

function found(r: ParseResult | null): ParsedLiteral {
  if (r === null) throw new Error('expected a literal, got null');
  if (!r.ok) throw new Error(`expected a literal, got: ${r.error.message}`);
  return r.literal;
}

function foundError(r: ParseResult | null): ParseError {
  if (r === null) throw new Error('expected an error, got null');
  if (r.ok) throw new Error(`expected an error, got shape [${r.literal.shape}]`);
  return r.error;
}

function tensorOf(shape: number[], data: number[]): Tensor {
  return { shape, data: Float64Array.from(data) };
}

function sameTensor(a: Tensor, b: Tensor): boolean {
  return (
    a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i]) &&
    a.data.length === b.data.length &&
    a.data.every((x, i) => Object.is(x, b.data[i]))
  );
}

// ---------------------------------------------------------------------------------------------------------
// Python / numpy / torch / tensorflow

describe('Python nested lists and tuples', () => {
  it('reads a 2-D list with its ranges and rows', () => {
    const text = '[[1, 2], [3, 4]]';
    const lit = ok(text);
    expect(lit.format).toBe('python');
    expect(lit.shape).toEqual([2, 2]);
    expect(lit.tensor.shape).toEqual([2, 2]);
    expect(values(lit)).toEqual([1, 2, 3, 4]);
    expect(cut(text, lit.range)).toBe(text);
    expect(cut(text, lit.valuesRange)).toBe(text);
    expect(rowsOf(text, lit)).toEqual(['[1, 2]', '[3, 4]']);
    expect(lit.dtype).toBe('int');
    expect(lit.wrapper).toBeUndefined();
    expect(lit.notes).toEqual([]);
  });

  it('a 1-D list is shape [n] and is its own row', () => {
    const text = '  [1.5, -2, 3]  ';
    const lit = ok(text);
    expect(lit.shape).toEqual([3]);
    expect(values(lit)).toEqual([1.5, -2, 3]);
    expect(cut(text, lit.range)).toBe('[1.5, -2, 3]');
    expect(rowsOf(text, lit)).toEqual(['[1.5, -2, 3]']);
    expect(lit.dtype).toBe('float');
  });

  it('reads 3-D (C×H×W) and 4-D (N×C×H×W) nesting in row-major order', () => {
    const three = '[[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]]';
    const lit3 = ok(three);
    expect(lit3.shape).toEqual([3, 2, 2]);
    expect(values(lit3)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(rowsOf(three, lit3)).toEqual(['[1, 2]', '[3, 4]', '[5, 6]', '[7, 8]', '[9, 10]', '[11, 12]']);

    const four = '[[[[0, 1, 2]], [[3, 4, 5]]], [[[6, 7, 8]], [[9, 10, 11]]]]';
    const lit4 = ok(four);
    expect(lit4.shape).toEqual([2, 2, 1, 3]);
    expect(values(lit4)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(lit4.rows).toHaveLength(4);
    expect(rowsOf(four, lit4)[3]).toBe('[9, 10, 11]');
  });

  it('reads tuples, mixed tuples and lists, and trailing commas', () => {
    expect(ok('((1,2),(3,4))').shape).toEqual([2, 2]);
    expect(ok('((1,2),(3,4),)').shape).toEqual([2, 2]);
    expect(ok('[(1, 2,), [3, 4,],]').shape).toEqual([2, 2]);
    const single = ok('((1,), (2,))');
    expect(single.shape).toEqual([2, 1]);
    expect(values(single)).toEqual([1, 2]);
    expect(ok('((1,2),(3,4))').format).toBe('python');
  });

  it('treats parentheses without a comma as grouping, as Python does', () => {
    const lit = ok('((1), (2), (3))');
    expect(lit.shape).toEqual([3]);
    expect(values(lit)).toEqual([1, 2, 3]);
    expect(ok('([1, 2])').shape).toEqual([2]);
    expect(ok('(((1, 2)))').shape).toEqual([2]);
  });

  it('skips # comments and blank lines inside a multi-line literal', () => {
    const text = ['[', '    [1, 2],  # first row (of two', '', '    # a whole-line comment ]', '    [3, 4],', ']'].join(
      '\n',
    );
    const lit = ok(text);
    expect(lit.shape).toEqual([2, 2]);
    expect(rowsOf(text, lit)).toEqual(['[1, 2]', '[3, 4]']);
  });

  it('reads doctest continuation prompts', () => {
    const text = 'np.array([[1, 2],\n...           [3, 4]])';
    const lit = ok(text);
    expect(lit.shape).toEqual([2, 2]);
    expect(values(lit)).toEqual([1, 2, 3, 4]);
  });

  it('ignores an assignment before the literal and a semicolon after it', () => {
    const text = 'kernel = [[1, 0], [0, 1]];';
    const lit = ok(text);
    expect(lit.shape).toEqual([2, 2]);
    expect(cut(text, lit.range)).toBe('[[1, 0], [0, 1]]');
    expect(ok('x: list[list[int]] = [[1, 2]]').shape).toEqual([1, 2]);
    expect(ok('const w = [1, 2, 3]').shape).toEqual([3]);
  });
});

describe('array constructors', () => {
  const cases: Array<[string, LiteralFormat, string]> = [
    ['np.array([[1, 2], [3, 4]])', 'numpy', 'np.array'],
    ['np.asarray([[1, 2], [3, 4]])', 'numpy', 'np.asarray'],
    ['numpy.array([[1, 2], [3, 4]])', 'numpy', 'numpy.array'],
    ['torch.tensor([[1, 2], [3, 4]])', 'torch', 'torch.tensor'],
    ['torch.Tensor([[1, 2], [3, 4]])', 'torch', 'torch.Tensor'],
    ['tf.constant([[1, 2], [3, 4]])', 'tensorflow', 'tf.constant'],
  ];
  for (const [text, format, wrapper] of cases) {
    it(`reads ${wrapper}(...)`, () => {
      const lit = ok(text);
      expect(lit.format).toBe(format);
      expect(lit.wrapper).toBe(wrapper);
      expect(lit.shape).toEqual([2, 2]);
      expect(values(lit)).toEqual([1, 2, 3, 4]);
      expect(cut(text, lit.range)).toBe(text);
      expect(cut(text, lit.valuesRange)).toBe('[[1, 2], [3, 4]]');
    });
  }

  it('skips keyword arguments after the literal and mentions dtype', () => {
    const text = 'torch.tensor([[1., 2.]], dtype=torch.float64, requires_grad=True)';
    const lit = ok(text);
    expect(lit.shape).toEqual([1, 2]);
    expect(lit.dtype).toBe('float');
    expect(cut(text, lit.range)).toBe(text);
    expect(cut(text, lit.valuesRange)).toBe('[[1., 2.]]');
    expect(lit.notes.join(' ')).toContain('dtype=torch.float64');
  });

  it('skips strings and nested brackets in the other arguments, and a space before the paren', () => {
    const text = 'y = np.array ( [1, 2, 3], np.float32, names=("a)", [")"]) )';
    const lit = ok(text);
    expect(lit.shape).toEqual([3]);
    expect(cut(text, lit.range)).toBe(text.slice(4));
  });

  it('reads a multi-line constructor with comments', () => {
    const text = 'np.array([\n  [1, 2],  # top\n  [3, 4],  # bottom\n], dtype=float)';
    const lit = ok(text);
    expect(lit.shape).toEqual([2, 2]);
    expect(rowsOf(text, lit)).toEqual(['[1, 2]', '[3, 4]']);
  });

  it('refuses unknown calls and non-literal arguments', () => {
    expect(err('foo([1, 2])').message).toContain("'foo(' is not an array constructor");
    expect(err('np.array(x)').message).toContain('expected a list literal as the first argument of np.array(');
    expect(err('np.array([1, 2]').message).toMatch(/^unclosed '\(' of np\.array\( opened at line 1, column 9/);
    expect(err('np.array([1, 2] x)').message).toContain("expected ',' or ')' after the literal but found 'x'");
  });
});

describe('JSON / JavaScript arrays', () => {
  it('reads nested arrays with trailing commas and JS words', () => {
    const text = '[[true, false], [false, true],]';
    const lit = ok(text);
    expect(lit.format).toBe('json');
    expect(lit.dtype).toBe('bool');
    expect(values(lit)).toEqual([1, 0, 0, 1]);
    expect(ok('[1, Infinity, -Infinity, NaN]').format).toBe('json');
  });

  it('skips // comments', () => {
    expect(ok('[\n  [1, 2], // a\n  [3, 4] // b\n]').shape).toEqual([2, 2]);
  });

  it('with format json, only square brackets are allowed', () => {
    expect(ok('[[1, 2]]', { format: 'json' }).format).toBe('json');
    expect(err('[(1, 2)]', { format: 'json' }).message).toContain("expected a number or ']' but found '('");
    expect(err('np.array([1])', { format: 'json' }).message).toContain("expected '['");
  });
});

// ---------------------------------------------------------------------------------------------------------
// MATLAB / Octave / Julia

describe('MATLAB / Julia matrices', () => {
  it('reads spaces and semicolons', () => {
    const text = '[1 2; 3 4]';
    const lit = ok(text);
    expect(lit.format).toBe('matlab');
    expect(lit.shape).toEqual([2, 2]);
    expect(values(lit)).toEqual([1, 2, 3, 4]);
    expect(rowsOf(text, lit)).toEqual(['1 2', '3 4']);
    expect(cut(text, lit.range)).toBe(text);
  });

  it('reads commas and semicolons', () => {
    const lit = ok('[1, 2; 3, 4]');
    expect(lit.format).toBe('matlab');
    expect(lit.shape).toEqual([2, 2]);
  });

  it('reads rows on separate lines, with % comments and a trailing semicolon', () => {
    const text = 'A = [1 2 3   % first\n     4 5 6\n     7 8 9];';
    const lit = ok(text);
    expect(lit.shape).toEqual([3, 3]);
    expect(values(lit)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rowsOf(text, lit)).toEqual(['1 2 3', '4 5 6', '7 8 9']);
    expect(cut(text, lit.range)).toBe('[1 2 3   % first\n     4 5 6\n     7 8 9]');
  });

  it('joins lines continued with ...', () => {
    const lit = ok('[1 2 ...\n 3 4; 5 6 7 8]');
    expect(lit.shape).toEqual([2, 4]);
    expect(values(lit)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('row vectors are 1×n and column vectors n×1', () => {
    expect(ok('[1 2 3]').shape).toEqual([1, 3]);
    const col = ok('[1; 2; 3]');
    expect(col.shape).toEqual([3, 1]);
    expect(values(col)).toEqual([1, 2, 3]);
  });

  it('a sign against the digits starts a new element; a spaced one is an expression', () => {
    expect(values(ok('[1 -2 +3]'))).toEqual([1, -2, 3]);
    expect(err('[1 - 2]').message).toBe("expected ',' or ']' but found '-' (line 1, column 4)");
    expect(err('[1 - 2]', { format: 'matlab' }).message).toContain("expected a number, ',', ';' or ']' but found '-'");
    // When the two grammars disagree, the one that got further explains the mistake.
    expect(err('[1 2 x]').message).toBe("expected a number, ',', ';' or ']' but found 'x' (line 1, column 6)");
  });

  it('reads Inf / NaN, and a line break after ; does not add a row', () => {
    const lit = ok('[Inf -Inf;\n NaN 1]');
    expect(lit.shape).toEqual([2, 2]);
    expect(values(lit)).toEqual([Infinity, -Infinity, NaN, 1]);
  });

  it("refuses Julia's ;; and nested brackets", () => {
    expect(err('[1 2;; 3 4]').message).toContain("';;'");
    expect(err('[[1 2]; [3 4]]', { format: 'matlab' }).message).toContain("found '[' inside a MATLAB-style matrix");
    expect(err('[[1 2]; [3 4]]').message).toBe("expected ',' or ']' but found '2' (line 1, column 5)");
  });

  it('with format matlab a comma list with line breaks has one row per line', () => {
    const lit = ok('[1, 2,\n 3, 4]', { format: 'matlab' });
    expect(lit.shape).toEqual([2, 2]);
    // Without the hint the same text is a Python list.
    expect(ok('[1, 2,\n 3, 4]').shape).toEqual([4]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Grids, CSV, Markdown

describe('whitespace grids', () => {
  it('reads a tab- or space-separated grid', () => {
    const text = '1\t2\t3\n4\t5\t6\n';
    const lit = ok(text);
    expect(lit.format).toBe('grid');
    expect(lit.shape).toEqual([2, 3]);
    expect(values(lit)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rowsOf(text, lit)).toEqual(['1\t2\t3', '4\t5\t6']);
    expect(cut(text, lit.range)).toBe('1\t2\t3\n4\t5\t6');
  });

  it('a blank line between channels makes C×H×W', () => {
    const text = '  1 2\n  3 4\n\n  5 6\n  7 8\n\n  9 10\n  11 12';
    const lit = ok(text);
    expect(lit.shape).toEqual([3, 2, 2]);
    expect(values(lit)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(lit.rows).toHaveLength(6);
  });

  it('two blank lines between batch items and one between channels make N×C×H×W', () => {
    const text = '1 2\n\n3 4\n\n\n5 6\n\n7 8';
    const lit = ok(text);
    expect(lit.shape).toEqual([2, 2, 1, 2]);
    expect(values(lit)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('skips a header row of words and says so', () => {
    const text = 'x y z\n1 2 3\n4 5 6';
    const lit = ok(text);
    expect(lit.shape).toEqual([2, 3]);
    expect(lit.notes).toEqual(['skipped a header row (line 1)']);
    expect(cut(text, lit.range)).toBe(text);
    expect(cut(text, lit.valuesRange)).toBe('1 2 3\n4 5 6');
  });

  it('reports ragged rows and mismatched channels', () => {
    const ragged = err('1 2 3\n4 5\n6 7 8');
    expect(ragged.message).toBe(
      'row 2 has 2 elements but row 1 has 3 (line 2, column 1): every row needs the same length',
    );
    expect([ragged.line, ragged.column, ragged.offset]).toEqual([1, 0, 6]);
    const channels = err('1 2\n3 4\n\n5 6');
    expect(channels.message).toContain('block 2 has 1 row but block 1 has 2 (line 4, column 1)');
    expect(channels.line).toBe(3);
    expect(err('1 2\n\n3 4\n\n\n5 6').message).toContain('group 2 has 1 channel but group 1 has 2');
  });
});

describe('CSV', () => {
  it('reads comma-separated lines and skips a header row', () => {
    const text = 'a,b,c\n1,2,3\n4,5.5,-6\n';
    const lit = ok(text);
    expect(lit.format).toBe('csv');
    expect(lit.shape).toEqual([2, 3]);
    expect(values(lit)).toEqual([1, 2, 3, 4, 5.5, -6]);
    expect(lit.notes).toEqual(['skipped a header row (line 1)']);
    expect(rowsOf(text, lit)).toEqual(['1,2,3', '4,5.5,-6']);
    expect(lit.dtype).toBe('float');
  });

  it('handles CRLF, quoted cells and spaces', () => {
    const text = '"w0", "w1"\r\n"1", 2\r\n 3 , "4"\r\n';
    const lit = ok(text);
    expect(lit.shape).toEqual([2, 2]);
    expect(values(lit)).toEqual([1, 2, 3, 4]);
    expect(rowsOf(text, lit)).toEqual(['"1", 2', '3 , "4"']);
  });

  it('a single comma-separated line is one row', () => {
    expect(ok('1, 2, 3').shape).toEqual([1, 3]);
  });

  it('reports empty cells and words below the header', () => {
    const empty = err('1,2\n3,,4');
    expect(empty.message).toBe('expected a number but found an empty cell (line 2, column 3)');
    const word = err('a,b\n1,2\n3,x');
    expect(word.message).toBe("expected a number but found 'x' (line 3, column 3)");
    expect(word.expected).toBe('a number');
  });
});

describe('Markdown tables', () => {
  it('reads rows, skips the separator and the header', () => {
    const text = '| a | b |\n|:--|--:|\n| 1 | 2 |\n| 3 | 4 |';
    const lit = ok(text);
    expect(lit.format).toBe('markdown');
    expect(lit.shape).toEqual([2, 2]);
    expect(values(lit)).toEqual([1, 2, 3, 4]);
    expect(lit.notes).toEqual(['skipped a header row (line 1)']);
    expect(rowsOf(text, lit)).toEqual(['| 1 | 2 |', '| 3 | 4 |']);
    expect(cut(text, lit.range)).toBe(text);
    expect(cut(text, lit.valuesRange)).toBe('| 1 | 2 |\n| 3 | 4 |');
  });

  it('keeps a numeric header row as data, and reads rows without outer pipes', () => {
    const lit = ok('| 0 | 1 |\n|---|---|\n| 2 | 3 |');
    expect(values(lit)).toEqual([0, 1, 2, 3]);
    expect(lit.notes).toEqual([]);
    expect(ok('x | y\n--|--\n1 | 2', { format: 'markdown' }).shape).toEqual([1, 2]);
  });

  it('reports ragged rows and words in the body', () => {
    expect(err('| a | b |\n|---|---|\n| 1 | 2 |\n| 3 |').message).toBe(
      'row 2 has 1 element but row 1 has 2 (line 4, column 1): every row needs the same length',
    );
    expect(err('| a | b |\n|---|---|\n| 1 | 2 |\n| x | 4 |').message).toBe(
      "expected a number but found 'x' (line 4, column 3)",
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// LaTeX

describe('LaTeX matrices', () => {
  it('reads bmatrix with ranges and rows', () => {
    const text = '\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}';
    const lit = ok(text);
    expect(lit.format).toBe('latex');
    expect(lit.wrapper).toBe('bmatrix');
    expect(lit.shape).toEqual([2, 2]);
    expect(values(lit)).toEqual([1, 2, 3, 4]);
    expect(cut(text, lit.range)).toBe(text);
    expect(cut(text, lit.valuesRange)).toBe('1 & 2 \\\\ 3 & 4');
    expect(rowsOf(text, lit)).toEqual(['1 & 2', '3 & 4']);
  });

  for (const env of ['pmatrix', 'matrix', 'vmatrix', 'Bmatrix', 'smallmatrix', 'bmatrix*']) {
    it(`reads ${env}`, () => {
      const lit = ok(`\\begin{${env}} 1 & 0 \\\\ 0 & 1 \\end{${env}}`);
      expect(lit.shape).toEqual([2, 2]);
      expect(lit.wrapper).toBe(env);
    });
  }

  it('reads array with a column spec, \\hline, \\\\[2pt], a trailing \\\\ and surrounding math', () => {
    const text =
      '$$ A = \\left[\\begin{array}{c|c}\n  1 & 2 \\\\[2pt]\n  \\hline\n  3 & 4 \\\\\n\\end{array}\\right] $$';
    const lit = ok(text);
    expect(lit.shape).toEqual([2, 2]);
    expect(values(lit)).toEqual([1, 2, 3, 4]);
    expect(cut(text, lit.range)).toBe('\\begin{array}{c|c}\n  1 & 2 \\\\[2pt]\n  \\hline\n  3 & 4 \\\\\n\\end{array}');
    expect(rowsOf(text, lit)).toEqual(['1 & 2', '3 & 4']);
  });

  it('reads signs, unicode minus, braces, \\frac, \\infty and \\text{NaN}', () => {
    const lit = ok('\\begin{pmatrix} -1 & {-2} & −3 \\\\ \\frac{1}{4} & -\\infty & \\text{NaN} \\end{pmatrix}');
    expect(lit.shape).toEqual([2, 3]);
    expect(values(lit)).toEqual([-1, -2, -3, 0.25, -Infinity, NaN]);
    expect(lit.dtype).toBe('float');
  });

  it('a single row is 1×n', () => {
    expect(ok('\\begin{bmatrix} 1 & 2 & 3 \\end{bmatrix}').shape).toEqual([1, 3]);
  });

  it('reports ragged rows, elided entries and an unclosed environment', () => {
    const text = '\\begin{bmatrix}\n1 & 2 \\\\\n3\n\\end{bmatrix}';
    expect(err(text).message).toBe(
      'row 2 has 1 element but row 1 has 2 (line 3, column 1): every row needs the same length',
    );
    expect(err('\\begin{bmatrix} 1 & \\cdots \\end{bmatrix}').message).toContain(
      "expected a number but found '\\cdots'",
    );
    const unclosed = err('\\begin{bmatrix} 1 & 2');
    expect(unclosed.message).toMatch(/^unclosed \\begin\{bmatrix\} opened at line 1, column 1/);
    expect(err('\\begin{align} x \\end{align}').message).toContain('is not a matrix environment');
    expect(err('\\begin{bmatrix} 1 \\end{pmatrix}').message).toContain(
      'expected \\end{bmatrix} but found \\end{pmatrix}',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Numbers and dtype

describe('number forms', () => {
  const cases: Array<[string, number, 'int' | 'float' | 'bool']> = [
    ['0', 0, 'int'],
    ['42', 42, 'int'],
    ['-3', -3, 'int'],
    ['+2', 2, 'int'],
    ['1_000', 1000, 'int'],
    ['1.', 1, 'float'],
    ['.5', 0.5, 'float'],
    ['-.5', -0.5, 'float'],
    ['3.25', 3.25, 'float'],
    ['1e-3', 0.001, 'float'],
    ['2E+4', 20000, 'float'],
    ['1.5e2', 150, 'float'],
    ['−3', -3, 'int'],
    ['−2.5', -2.5, 'float'],
    ['nan', NaN, 'float'],
    ['NaN', NaN, 'float'],
    ['np.nan', NaN, 'float'],
    ['numpy.nan', NaN, 'float'],
    ['math.nan', NaN, 'float'],
    ["float('nan')", NaN, 'float'],
    ['float("nan")', NaN, 'float'],
    ['inf', Infinity, 'float'],
    ['-inf', -Infinity, 'float'],
    ['np.inf', Infinity, 'float'],
    ['-np.inf', -Infinity, 'float'],
    ['Inf', Infinity, 'float'],
    ['-Inf', -Infinity, 'float'],
    ['Infinity', Infinity, 'float'],
    ["float('inf')", Infinity, 'float'],
    ["-float('inf')", -Infinity, 'float'],
    ["float('-inf')", -Infinity, 'float'],
    ['math.inf', Infinity, 'float'],
    ['torch.inf', Infinity, 'float'],
    ['True', 1, 'bool'],
    ['False', 0, 'bool'],
    ['true', 1, 'bool'],
    ['false', 0, 'bool'],
  ];
  for (const [spelled, value, dtype] of cases) {
    it(`reads ${spelled}`, () => {
      const lit = ok(`[${spelled}, ${spelled}]`);
      expect(lit.tensor.data[0]).toBe(value);
      expect(lit.tensor.data[1]).toBe(value);
      expect(lit.dtype).toBe(dtype);
    });
  }

  it('refuses number-like garbage as a whole token', () => {
    for (const bad of ['1x', '3j', '1.5.2', '0x1F', '1e', '1__0', 'nan2', 'np.pi', 'None']) {
      const e = err(`[1, ${bad}]`);
      expect(e.message, bad).toMatch(/^expected a number or '\]' but found /);
      expect(e.column, bad).toBe(4);
    }
  });

  it('promotes dtype like numpy: bool < int < float', () => {
    expect(ok('[True, 2]').dtype).toBe('int');
    expect(ok('[True, 2.]').dtype).toBe('float');
    expect(ok('[1, 2]').dtype).toBe('int');
    expect(ok('[1, nan]').dtype).toBe('float');
  });

  it('keeps the sign of a float zero only', () => {
    expect(Object.is(ok('[-0.0, 1]').tensor.data[0], -0)).toBe(true);
    expect(Object.is(ok('[-0, 1]').tensor.data[0], 0)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Errors

describe('errors', () => {
  it('ragged rows in 2-D', () => {
    const text = '[[1, 2, 3, 4, 5],\n [1, 2, 3, 4, 5],\n [1, 2, 3, 4, 5],\n [1, 2, 3, 4]]';
    const e = err(text);
    expect(e.message).toBe('row 4 has 4 elements but row 1 has 5 (line 4, column 2): every row needs the same length');
    expect([e.line, e.column]).toEqual([3, 1]);
    expect(text.slice(e.offset, e.offset + 5)).toBe('[1, 2');
  });

  it('ragged rows and blocks in 3-D', () => {
    expect(err('[[[1, 2], [3, 4]], [[5, 6], [7]]]').message).toBe(
      'row 4 has 1 element but row 1 has 2 (line 1, column 29): every row needs the same length',
    );
    const block = err('[[[1, 2], [3, 4]],\n [[5, 6]]]');
    expect(block.message).toBe(
      'block [1] has 1 row but block [0] has 2 (line 2, column 2): every block at the same depth needs the same shape',
    );
    expect([block.line, block.column]).toEqual([1, 1]);
  });

  it('ragged blocks in 4-D', () => {
    const e = err('[[[[1]], [[2]]], [[[3]]]]');
    expect(e.message).toContain('block [1] has 1 block but block [0] has 2');
    expect(e.column).toBe(17);
  });

  it('a number where a list belongs and the reverse', () => {
    expect(err('[[1, 2], 3]').message).toBe(
      'found the number 3 where a list was expected (line 1, column 10): the first entries make this a rank-2 literal, so every entry at this depth must be a list',
    );
    expect(err('[1, [2, 3]]').message).toContain("found '[' where a number was expected (line 1, column 5)");
  });

  it('a stray token', () => {
    const e = err('[1, 2, x]');
    expect(e.message).toBe("expected a number or ']' but found 'x' (line 1, column 8)");
    expect(e).toMatchObject({ offset: 7, line: 0, column: 7, expected: "a number or ']'" });
    const missing = err('[[1, 2]\n [3, 4]]');
    expect(missing.message).toBe("expected ',' or ']' but found '[' (line 2, column 2)");
    expect(err('[[1, 2],, [3, 4]]').message).toBe("expected a number or ']' but found ',' (line 1, column 9)");
  });

  it('an unclosed bracket points at where it opened', () => {
    const e = err('[[1, 2],\n [3, 4]');
    expect(e.message).toBe("unclosed '[' opened at line 1, column 1: expected ']' before the end of the text");
    expect([e.offset, e.line, e.column]).toEqual([0, 0, 0]);
    expect(err('x = [[1, 2], [3, 4]').message).toMatch(/^unclosed '\[' opened at line 1, column 5/);
    expect(err('[1 2; 3 4').message).toMatch(/^unclosed '\[' opened at line 1, column 1/);
    expect(err('((1, 2), (3, 4)').message).toMatch(/^unclosed '\(' opened at line 1, column 1: expected '\)'/);
  });

  it('a mismatched closer', () => {
    expect(err('[1, 2)').message).toBe("expected ',' or ']' but found ')' (line 1, column 6)");
  });

  it('empty literals and lone numbers', () => {
    expect(err('').message).toBe('the selection is empty (line 1, column 1): select a matrix literal');
    expect(err('   \n  ').message).toContain('the selection is empty');
    expect(err('[]').message).toBe('the literal has no numbers (line 1, column 1): an empty list has no shape to show');
    expect(err('[[], []]').message).toContain('the literal has no numbers');
    expect(err('()').message).toContain('the literal has no numbers');
    expect(err('np.array([])').message).toContain('the literal has no numbers');
    expect(err('[;]').message).toContain('no numbers');
    expect(err('\\begin{bmatrix} \\end{bmatrix}').message).toContain('the bmatrix has no numbers');
    expect(err('| a | b |\n|---|---|').message).toContain('found no rows of numbers');
    expect(err('42').message).toBe(
      'a single number is not a matrix literal (line 1, column 1): select at least two numbers',
    );
    expect(err('(42)').message).toContain('a single number is not a matrix literal');
  });

  it('too many elements', () => {
    const e = err('[[1, 2, 3],\n [4, 5, 6]]', { maxElements: 4 });
    expect(e.message).toBe(
      'the literal has more than 4 elements (line 2, column 6): that is the limit (maxElements); select a smaller part or raise the limit',
    );
    expect(err('1 2 3\n4 5 6', { maxElements: 5 }).message).toContain('more than 5 elements (line 2, column 5)');
    expect(err('[1 2 3 4]', { maxElements: 3 }).message).toContain('more than 3 elements');
    expect(ok('[1, 2, 3, 4]', { maxElements: 4 }).shape).toEqual([4]);
  });

  it('text after the literal', () => {
    expect(err('[1, 2] [3, 4]').message).toBe(
      "unexpected '[' after the literal (line 1, column 8): select just one literal",
    );
    expect(err("[1 2 3]'").message).toContain('transposes are not supported');
  });

  it('deep nesting is refused, not a stack overflow', () => {
    expect(err('['.repeat(10_000) + '1' + ']'.repeat(10_000)).message).toContain('more than 64 levels of nesting');
    expect(err('('.repeat(10_000) + '1' + ')'.repeat(10_000)).message).toMatch(
      /more than \d+ (levels of nesting|nested brackets)/,
    );
  });

  it('the line and column count UTF-16 units from the start of the text, 0-based', () => {
    const e = err('# x\n\n  [[1, 2],\n   [3]]', { format: 'python' });
    // Leading comment lines are not part of a bracket literal, so the parser reports the `#`.
    expect([e.line, e.column]).toEqual([0, 0]);
    const r = err('\n\n  [[1, 2],\n   [3]]');
    expect([r.line, r.column, r.offset]).toEqual([3, 3, 16]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Auto-detection and explicit formats

describe('format detection', () => {
  const samples: Array<[string, LiteralFormat]> = [
    ['[[1, 2], [3, 4]]', 'python'],
    ['[[true, 1]]', 'json'],
    ['np.array([1, 2])', 'numpy'],
    ['torch.tensor([1, 2])', 'torch'],
    ['tf.constant([1, 2])', 'tensorflow'],
    ['[1 2; 3 4]', 'matlab'],
    ['1 2\n3 4', 'grid'],
    ['1,2\n3,4', 'csv'],
    ['| 1 | 2 |', 'markdown'],
    ['\\begin{bmatrix}1&2\\end{bmatrix}', 'latex'],
  ];
  for (const [text, format] of samples) {
    it(`detects ${format}`, () => expect(ok(text).format).toBe(format));
  }

  it('an explicit format labels the result and picks the grammar', () => {
    expect(ok('[[1, 2]]', { format: 'torch' }).format).toBe('torch');
    expect(ok('1,2\n3,4', { format: 'csv' }).format).toBe('csv');
    // As a grid, the first line is a one-cell header of non-numbers and the second is refused.
    expect(err('1,2\n3,4', { format: 'grid' }).message).toBe("expected a number but found '3,4' (line 2, column 1)");
    expect(err('1 2', { format: 'python' }).message).toContain("expected '[' or an array constructor");
  });
});

// ---------------------------------------------------------------------------------------------------------
// findLiteralAt

const PY_FILE = `import numpy as np
import torch

SOBEL = np.array([[1, 0, -1],
                  [2, 0, -2],   # middle row (of three
                  [1, 0, -1]], dtype=np.float32)

def apply(x, k=[1, 2]):
    y = conv(x, [0.5, 0.25], stride=2)
    names = ["a", "b"]
    t = torch.tensor([[[1., 2.], [3., 4.]],
                      [[5., 6.], [7., 8.]]], requires_grad=True)
    bad = [[1, 2], [3]]
    z = x[0] + (1 + 2) + f(3, 4)
    m = [float('nan'), 1]
    return y  # see [[1, 2], [3, 4]]
`;

describe('findLiteralAt in a Python file', () => {
  it('any position inside a multi-line constructor finds the whole call', () => {
    const range = PY_FILE.slice(at(PY_FILE, 'np.array'), at(PY_FILE, 'float32)') + 8);
    for (const [needle, delta] of [
      ['[[1, 0', 0],
      ['[[1, 0', 1],
      ['[[1, 0', 2],
      ['2, 0, -2', 0],
      ['-2]', 1],
      ['middle', 0],
      ['[1, 0, -1]]', 9],
      ['np.array', 0],
      ['np.array', 5],
      ['float32', 0],
      ['dtype', 0],
    ] as Array<[string, number]>) {
      const lit = found(findLiteralAt(PY_FILE, at(PY_FILE, needle, delta)));
      expect(cut(PY_FILE, lit.range), `${needle}+${delta}`).toBe(range);
      expect(lit.shape).toEqual([3, 3]);
      expect(lit.format).toBe('numpy');
      expect(lit.wrapper).toBe('np.array');
      expect(values(lit)).toEqual([1, 0, -1, 2, 0, -2, 1, 0, -1]);
      expect(rowsOf(PY_FILE, lit)).toEqual(['[1, 0, -1]', '[2, 0, -2]', '[1, 0, -1]']);
    }
  });

  it('hovering an inner row of a 3-D tensor gives the whole tensor', () => {
    const lit = found(findLiteralAt(PY_FILE, at(PY_FILE, '7., 8.')));
    expect(lit.shape).toEqual([2, 2, 2]);
    expect(lit.format).toBe('torch');
    expect(cut(PY_FILE, lit.range)).toMatch(/^torch\.tensor\(\[\[\[1\., 2\.\][\s\S]*requires_grad=True\)$/);
    expect(cut(PY_FILE, lit.valuesRange)).toMatch(/^\[\[\[1\., 2\.\][\s\S]*\[7\., 8\.\]\]\]$/);
  });

  it('a literal argument of an ordinary call is just the literal', () => {
    const lit = found(findLiteralAt(PY_FILE, at(PY_FILE, '0.25')));
    expect(cut(PY_FILE, lit.range)).toBe('[0.5, 0.25]');
    expect(lit.shape).toEqual([2]);
    const dflt = found(findLiteralAt(PY_FILE, at(PY_FILE, 'k=[1', 3)));
    expect(cut(PY_FILE, dflt.range)).toBe('[1, 2]');
  });

  it('is null on code that is not a literal', () => {
    for (const [needle, delta] of [
      ['import numpy', 2],
      ['stride=2', 0],
      ['conv(x', 5],
      ['"a"', 1],
      ['x[0]', 2],
      ['1 + 2', 0],
      ['f(3, 4)', 2],
      ['def apply', 1],
      ['return y', 0],
    ] as Array<[string, number]>) {
      expect(findLiteralAt(PY_FILE, at(PY_FILE, needle, delta)), `${needle}+${delta}`).toBeNull();
    }
  });

  it('reports a broken literal under the cursor with a file line/column', () => {
    const e = foundError(findLiteralAt(PY_FILE, at(PY_FILE, '[3]]', 1)));
    expect(e.message).toBe('row 2 has 1 element but row 1 has 2 (line 13, column 20): every row needs the same length');
    expect([e.line, e.column]).toEqual([12, 19]);
    expect(e.offset).toBe(at(PY_FILE, '[3]]'));
  });

  it('finds a literal around float(nan) and inside a comment on the cursor line', () => {
    const m = found(findLiteralAt(PY_FILE, at(PY_FILE, "'nan'", 2)));
    expect(cut(PY_FILE, m.range)).toBe("[float('nan'), 1]");
    const c = found(findLiteralAt(PY_FILE, at(PY_FILE, '[3, 4]]', 1)));
    expect(cut(PY_FILE, c.range)).toBe('[[1, 2], [3, 4]]');
  });

  it('a cursor right after the closing bracket still finds the literal', () => {
    const end = at(PY_FILE, '[0.5, 0.25]') + '[0.5, 0.25]'.length;
    expect(cut(PY_FILE, found(findLiteralAt(PY_FILE, end)).range)).toBe('[0.5, 0.25]');
  });

  it('grows past maxScan to find the whole literal, and refuses one longer than maxScanLimit, never a fragment', () => {
    const text = `x = [${Array.from({ length: 400 }, (_, i) => i).join(', ')}]`;
    const mid = text.length - 10;
    expect(found(findLiteralAt(text, mid)).shape).toEqual([400]);
    // the opening bracket is out of a 100-character window: the window grows until it is in
    expect(found(findLiteralAt(text, mid, { maxScan: 100 })).shape).toEqual([400]);
    const e = foundError(findLiteralAt(text, mid, { maxScan: 100, maxScanLimit: 400 }));
    expect(e.limit).toBe('window');
    expect(e.message).toContain('goes on for more than 400 characters before it');
  });

  it('respects maxElements', () => {
    const e = foundError(findLiteralAt(PY_FILE, at(PY_FILE, '2, 0, -2'), { maxElements: 5 }));
    expect(e.message).toContain('more than 5 elements');
  });

  it('finds MATLAB matrices and notes a transpose', () => {
    const text = "A = [1 2 3\n     4 5 6];\nB = [1, 2; 3, 4]';\n";
    const a = found(findLiteralAt(text, at(text, '5')));
    expect(a.shape).toEqual([2, 3]);
    expect(a.format).toBe('matlab');
    const b = found(findLiteralAt(text, at(text, '3, 4')));
    expect(b.shape).toEqual([2, 2]);
    expect(b.notes.join(' ')).toContain('transpose');
  });
});

const MD_FILE = `# Notes

Inline [1, 2, 3] in prose.

| a | b | c |
|---|---|---|
| 1 | 2 | 3 |
| 4 | 5 | 6 |

| name | x |
|------|---|
| foo  | 1 |

The input, two channels:

    1 2 3
    4 5 6

    7 8 9
    1 2 3

    5 5

a,b
1,2
3,4
`;

describe('findLiteralAt in a Markdown file', () => {
  it('finds the numeric table from any of its lines', () => {
    for (const needle of ['| 1 | 2', '|---|---|---|', '| a |', '5 | 6']) {
      const lit = found(findLiteralAt(MD_FILE, at(MD_FILE, needle, 2)));
      expect(lit.format, needle).toBe('markdown');
      expect(lit.shape).toEqual([2, 3]);
      expect(values(lit)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(cut(MD_FILE, lit.range)).toBe('| a | b | c |\n|---|---|---|\n| 1 | 2 | 3 |\n| 4 | 5 | 6 |');
      expect(lit.notes).toEqual(['skipped a header row (line 5)']);
    }
  });

  it('a table of words is not a literal', () => {
    expect(findLiteralAt(MD_FILE, at(MD_FILE, 'foo'))).toBeNull();
  });

  it('finds an inline list and nothing in plain prose', () => {
    expect(found(findLiteralAt(MD_FILE, at(MD_FILE, '2, 3]'))).shape).toEqual([3]);
    expect(findLiteralAt(MD_FILE, at(MD_FILE, 'Notes'))).toBeNull();
    expect(findLiteralAt(MD_FILE, at(MD_FILE, 'two channels'))).toBeNull();
  });

  it('a grid block takes same-shaped blocks across blank lines as channels, not others', () => {
    for (const needle of ['4 5 6', '7 8 9']) {
      const lit = found(findLiteralAt(MD_FILE, at(MD_FILE, needle, 2)));
      expect(lit.format).toBe('grid');
      expect(lit.shape).toEqual([2, 2, 3]);
      expect(values(lit)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3]);
      expect(cut(MD_FILE, lit.range)).toBe('1 2 3\n    4 5 6\n\n    7 8 9\n    1 2 3');
    }
    const lone = found(findLiteralAt(MD_FILE, at(MD_FILE, '5 5')));
    expect(lone.shape).toEqual([1, 2]);
    expect(findLiteralAt(MD_FILE, at(MD_FILE, '5 5') - 2)).not.toBeNull(); // the indent is on the line too
    expect(findLiteralAt(MD_FILE, at(MD_FILE, '\n\n    5 5') + 1)).toBeNull(); // the blank line between
  });

  it('a CSV block includes its header, from the data or the header', () => {
    for (const needle of ['3,4', 'a,b']) {
      const lit = found(findLiteralAt(MD_FILE, at(MD_FILE, needle)));
      expect(lit.format).toBe('csv');
      expect(lit.shape).toEqual([2, 2]);
      expect(cut(MD_FILE, lit.range)).toBe('a,b\n1,2\n3,4');
      expect(lit.notes).toEqual(['skipped a header row (line 24)']);
    }
  });
});

const TEX_FILE = String.raw`\documentclass{article}
\begin{document}
The kernel
$$ K = \begin{bmatrix}
  1 & -2 \\
  3 & \frac{1}{2} \\[2pt]
\end{bmatrix} $$
and a broken one
\begin{equation}
\begin{pmatrix} 1 & 2 \\ 3 \end{pmatrix}
\end{equation}
\end{document}
`;

describe('findLiteralAt in a LaTeX file', () => {
  it('finds the environment from its body, its \\begin and its \\end', () => {
    const whole = TEX_FILE.slice(
      at(TEX_FILE, '\\begin{bmatrix}'),
      at(TEX_FILE, '\\end{bmatrix}') + '\\end{bmatrix}'.length,
    );
    for (const [needle, delta] of [
      ['-2', 0],
      ['\\frac', 2],
      ['\\begin{bmatrix}', 0],
      ['\\begin{bmatrix}', 9],
      ['\\end{bmatrix}', 6],
    ] as Array<[string, number]>) {
      const lit = found(findLiteralAt(TEX_FILE, at(TEX_FILE, needle, delta)));
      expect(cut(TEX_FILE, lit.range), `${needle}+${delta}`).toBe(whole);
      expect(lit.shape).toEqual([2, 2]);
      expect(values(lit)).toEqual([1, -2, 3, 0.5]);
      expect(rowsOf(TEX_FILE, lit)).toEqual(['1 & -2', '3 & \\frac{1}{2}']);
    }
  });

  it('reports the ragged pmatrix and is null outside environments', () => {
    const e = foundError(findLiteralAt(TEX_FILE, at(TEX_FILE, '3 \\end{pmatrix}')));
    expect(e.message).toBe('row 2 has 1 element but row 1 has 2 (line 10, column 26): every row needs the same length');
    expect(findLiteralAt(TEX_FILE, at(TEX_FILE, 'kernel'))).toBeNull();
    expect(findLiteralAt(TEX_FILE, at(TEX_FILE, 'documentclass'))).toBeNull();
    expect(findLiteralAt(TEX_FILE, at(TEX_FILE, 'K ='))).toBeNull();
  });
});

describe('findLiteralAt edge cases', () => {
  it('never throws on odd offsets', () => {
    expect(findLiteralAt('', 0)).toBeNull();
    expect(findLiteralAt('[1, 2]', -5)).not.toBeNull();
    expect(findLiteralAt('[1, 2]', 1e9)).not.toBeNull();
    expect(findLiteralAt('[1, 2]', NaN)).toBeNull();
  });

  it('does not mistake nested non-literal brackets or strings for a literal', () => {
    const text = 'data = [["a", 1], ["b", 2]]';
    expect(findLiteralAt(text, at(text, '1'))).toBeNull();
    const call = 'out = model(torch.zeros(1, 3), [1, 2])';
    expect(findLiteralAt(call, at(call, '3)'))).toBeNull();
    expect(cut(call, found(findLiteralAt(call, at(call, '2]'))).range)).toBe('[1, 2]');
  });

  it('brackets in comments on the lines above do not pair with brackets of the literal', () => {
    const text = 'y = [1 2 ... see f(\n     3 4]\nz = 5\n';
    expect(found(findLiteralAt(text, at(text, '3'))).shape).toEqual([1, 4]);
    expect(findLiteralAt(text, at(text, '5'))).toBeNull();
  });

  it('a bracket pair that closes before the cursor does not enclose it', () => {
    // Walking back, `(` pairs with `]` (a `//` comment is not skipped there: it is Python's floor division);
    // reading forward, the `(` is in a comment and `[` closes at `]`, before the cursor.
    const text = 'y = [1, 2 // f(\n, 3]\nz = 5\n';
    expect(findLiteralAt(text, at(text, '5'))).toBeNull();
  });

  it('answers instead of throwing when something unexpected throws inside', () => {
    const hostile = {
      get maxElements(): number {
        throw new Error('boom');
      },
    };
    const p = parseLiteral('[1, 2]', hostile);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error.message).toBe('internal error while reading the literal: boom');
    const f = findLiteralAt('[1, 2]', 1, hostile);
    expect(f !== null && !f.ok && f.error.message).toBe('internal error while reading the literal: boom');
  });

  it('finds literals inside strings and JSON values', () => {
    const text = '{"w": [[1, 2], [3, 4]], "s": "[5, 6, 7]", "i": x[0][1]}';
    expect(cut(text, found(findLiteralAt(text, at(text, '3'))).range)).toBe('[[1, 2], [3, 4]]');
    expect(found(findLiteralAt(text, at(text, '6'))).shape).toEqual([3]);
    expect(findLiteralAt(text, at(text, '[1]', 1))).toBeNull();
  });

  it('a scalar or empty list under the cursor is no literal', () => {
    expect(findLiteralAt('x = []', 5)).toBeNull();
    expect(findLiteralAt('y = torch.tensor(3.0)', 18)).toBeNull();
    expect(findLiteralAt('n = 42\n', 4)).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------------
// formatLiteral

describe('formatLiteral', () => {
  const t2 = tensorOf([2, 3], [1, -2.5, 3, NaN, Infinity, -Infinity]);
  const t3 = tensorOf([2, 2, 3], [1, -2.5, 3, 4, 5e-7, 6, 7, 8, 123456789, -0, 1.25, 12]);
  const t4 = tensorOf(
    [2, 3, 2, 2],
    Array.from({ length: 24 }, (_, i) => (i % 5) - 2 + (i % 3) / 4),
  );
  const ints = tensorOf([3, 2], [0, 1, -2, 30, 4, 5]);

  for (const format of LITERAL_FORMATS) {
    it(`round-trips through ${format}`, () => {
      const cases = format === 'matlab' || format === 'latex' ? [t2, ints] : [t2, t3, t4, ints];
      for (const t of cases) {
        const text = formatLiteral(t, format);
        for (const r of [parseLiteral(text, { format }), parseLiteral(text)]) {
          const lit = found(r);
          expect(sameTensor(lit.tensor, t), `${format} ${t.shape}\n${text}`).toBe(true);
          expect(lit.shape).toEqual([...t.shape]);
        }
        expect(found(parseLiteral(text)).format).toBe(
          format === 'json' && !text.includes('Infinity') ? 'python' : format,
        );
      }
    });
  }

  it('round-trips a 1-D tensor through the nested formats and gives 1×n for the matrix ones', () => {
    const v = tensorOf([4], [1, 2, 3, 4]);
    for (const format of LITERAL_FORMATS) {
      const lit = found(parseLiteral(formatLiteral(v, format), { format }));
      const nested = ['python', 'numpy', 'torch', 'tensorflow', 'json'].includes(format);
      expect(lit.shape, format).toEqual(nested ? [4] : [1, 4]);
      expect(values(lit)).toEqual([1, 2, 3, 4]);
    }
  });

  it('writes each notation as expected', () => {
    const m = tensorOf([2, 2], [1, -2, 3, 4]);
    expect(formatLiteral(m, 'python')).toBe('[[ 1, -2],\n [ 3,  4]]');
    expect(formatLiteral(m, 'numpy')).toBe('np.array([[ 1, -2],\n          [ 3,  4]])');
    expect(formatLiteral(m, 'torch', { wrapper: 'torch.as_tensor' })).toBe(
      'torch.as_tensor([[ 1, -2],\n                 [ 3,  4]])',
    );
    expect(formatLiteral(m, 'matlab')).toBe('[ 1 -2;\n  3  4]');
    expect(formatLiteral(m, 'csv')).toBe('1,-2\n3,4');
    expect(formatLiteral(m, 'grid')).toBe(' 1 -2\n 3  4');
    expect(formatLiteral(m, 'latex', { wrapper: 'pmatrix' })).toBe(
      '\\begin{pmatrix}\n   1 & -2 \\\\\n   3 &  4\n\\end{pmatrix}',
    );
    expect(formatLiteral(m, 'markdown')).toBe('| c0  | c1  |\n|-----|-----|\n|   1 |  -2 |\n|   3 |   4 |');
    expect(formatLiteral(tensorOf([2, 1, 2], [1, 2, 3, 4]), 'python')).toBe('[[[1, 2]],\n\n [[3, 4]]]');
    expect(formatLiteral(tensorOf([2, 2], [1, 2, 3, 4]), 'latex', { wrapper: 'array' })).toContain(
      '\\begin{array}{cc}',
    );
  });

  it('spells special values per notation', () => {
    const s = tensorOf([3], [NaN, Infinity, -Infinity]);
    expect(formatLiteral(s, 'python')).toBe("[float('nan'), float('inf'), -float('inf')]");
    expect(formatLiteral(s, 'numpy')).toBe('np.array([np.nan, np.inf, -np.inf])');
    expect(formatLiteral(s, 'json')).toBe('[NaN, Infinity, -Infinity]');
    expect(formatLiteral(s, 'matlab')).toBe('[NaN Inf -Inf]');
    expect(formatLiteral(s, 'csv')).toBe('nan,inf,-inf');
  });

  it('honours precision and dtype', () => {
    const t = tensorOf([2], [1 / 3, 2]);
    expect(formatLiteral(t, 'python', { precision: 3 })).toBe('[0.333, 2.0]');
    expect(formatLiteral(tensorOf([2], [1, 2]), 'torch', { dtype: 'float' })).toBe('torch.tensor([1.0, 2.0])');
    expect(formatLiteral(tensorOf([2], [1, 0]), 'python', { dtype: 'bool' })).toBe('[True, False]');
    expect(formatLiteral(tensorOf([2], [1, 0]), 'json', { dtype: 'bool' })).toBe('[true, false]');
    expect(found(parseLiteral(formatLiteral(tensorOf([2], [1, 0]), 'python', { dtype: 'bool' }))).dtype).toBe('bool');
  });

  it('throws for ranks a notation cannot hold and for inconsistent tensors', () => {
    expect(() => formatLiteral(t3, 'matlab')).toThrow(RangeError);
    expect(() => formatLiteral(t3, 'latex')).toThrow(/2-D/);
    expect(() => formatLiteral(tensorOf([1, 1, 1, 1, 2], [1, 2]), 'grid')).toThrow(/at most 4/);
    expect(() => formatLiteral(tensorOf([], [1]), 'python')).toThrow(/rank-0/);
    expect(() => formatLiteral({ shape: [3], data: new Float64Array(2) }, 'python')).toThrow(/needs 3/);
  });
});
