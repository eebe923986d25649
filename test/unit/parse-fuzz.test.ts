import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  LITERAL_FORMATS,
  findLiteralAt,
  formatLiteral,
  parseLiteral,
  type LiteralFormat,
  type ParseResult,
} from '../../src/parse';
import type { Tensor } from '../../src/engine/tensor';
import { fitTo, literalTensorArb } from '../support/arbitraries';

// ---------------------------------------------------------------------------------------------------------
// Invariants every answer must satisfy

/** Generous: a hang or an accidental quadratic shows up as seconds, a healthy call takes well under a millisecond. */
const MAX_CALL_MS = 2000;

function lineAndColumn(text: string, offset: number): [number, number] {
  let line = 0;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return [line, offset - start];
}

function timed<T>(run: () => T): T {
  const t0 = performance.now();
  const out = run();
  const ms = performance.now() - t0;
  if (ms > MAX_CALL_MS) throw new Error(`call took ${ms.toFixed(0)} ms`);
  return out;
}

function checkResult(text: string, r: ParseResult | null, where: string): void {
  if (r === null) return;
  if (!r.ok) {
    const e = r.error;
    expect(typeof e.message, where).toBe('string');
    expect(e.message.length, where).toBeGreaterThan(0);
    expect(e.message, where).not.toMatch(/internal error/);
    expect(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= text.length, `${where}: offset ${e.offset}`).toBe(
      true,
    );
    expect([e.line, e.column], `${where}: line/column of ${e.offset}`).toEqual(lineAndColumn(text, e.offset));
    return;
  }
  const lit = r.literal;
  expect(LITERAL_FORMATS, where).toContain(lit.format);
  expect(['int', 'float', 'bool'], where).toContain(lit.dtype);
  expect(lit.shape.length, where).toBeGreaterThan(0);
  for (const d of lit.shape) expect(Number.isInteger(d) && d > 0, `${where}: dim ${d}`).toBe(true);
  const size = lit.shape.reduce((a, b) => a * b, 1);
  expect(lit.tensor.data.length, where).toBe(size);
  expect([...lit.tensor.shape], where).toEqual(lit.shape);
  const inside = (a: { start: number; end: number }, b: { start: number; end: number }): boolean =>
    a.start >= b.start && a.end <= b.end && a.start <= a.end;
  expect(inside(lit.range, { start: 0, end: text.length }), `${where}: range`).toBe(true);
  expect(inside(lit.valuesRange, lit.range), `${where}: valuesRange`).toBe(true);
  // Every notation has one row per innermost line of numbers: rows × last dimension = all the numbers.
  expect(lit.rows.length * lit.shape[lit.shape.length - 1], `${where}: rows`).toBe(size);
  // Plain loops with one expect each: calling expect per row costs seconds on a 200,000-row grid.
  let previousEnd = lit.valuesRange.start;
  let badRow = -1;
  for (const [i, row] of lit.rows.entries()) {
    if (!inside(row, lit.valuesRange) || row.start < previousEnd) {
      badRow = i;
      break;
    }
    previousEnd = row.end;
  }
  expect(badRow, `${where}: rows must lie in valuesRange, in order`).toBe(-1);
  expect(
    lit.notes.every((n) => typeof n === 'string'),
    where,
  ).toBe(true);
}

/** A found literal reads the same when its range is selected and parsed on its own. */
function checkFound(text: string, offset: number, r: ParseResult | null, where: string): void {
  checkResult(text, r, where);
  if (r === null || !r.ok) return;
  const lit = r.literal;
  const firstLine = text.lastIndexOf('\n', lit.range.start - 1) + 1;
  let lastLine = text.indexOf('\n', lit.range.end);
  if (lastLine < 0) lastLine = text.length;
  expect(offset >= firstLine && offset <= lastLine, `${where}: cursor ${offset} not on the literal's lines`).toBe(true);
  const again = parseLiteral(text.slice(lit.range.start, lit.range.end), { format: lit.format });
  if (!again.ok) throw new Error(`${where}: the found range does not parse alone: ${again.error.message}`);
  expect(again.literal.shape, where).toEqual(lit.shape);
  expect(sameData(again.literal.tensor, lit.tensor), where).toBe(true);
}

function sameData(a: Tensor, b: Tensor): boolean {
  return a.data.length === b.data.length && a.data.every((x, i) => Object.is(x, b.data[i]));
}

function probeEverything(text: string, offsets: number[], format: LiteralFormat | undefined, maxScan?: number): void {
  const where = JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…` : text);
  checkResult(
    text,
    timed(() => parseLiteral(text)),
    `parse ${where}`,
  );
  if (format)
    checkResult(
      text,
      timed(() => parseLiteral(text, { format })),
      `parse(${format}) ${where}`,
    );
  checkResult(
    text,
    timed(() => parseLiteral(text, { maxElements: 3 })),
    `parse(max 3) ${where}`,
  );
  for (const o of offsets) {
    const options = maxScan ? { maxScan } : undefined;
    checkFound(
      text,
      Math.max(0, Math.min(text.length, o)),
      timed(() => findLiteralAt(text, o, options)),
      `find@${o} ${where}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Generators

/** Pieces that matter to some grammar, so random text often gets deep into the parsers. */
const PIECES = [
  '[',
  ']',
  '(',
  ')',
  ',',
  ';',
  ' ',
  ' ',
  '\n',
  '\n\n',
  '\t',
  '\r\n',
  '0',
  '1',
  '2',
  '7',
  '-',
  '+',
  '.',
  'e',
  'E',
  '_',
  '#',
  '%',
  '//',
  '|',
  '&',
  '\\\\',
  '\\',
  '{',
  '}',
  '"',
  "'",
  ':',
  '=',
  '$',
  'x',
  'nan',
  'inf',
  'np.nan',
  "float('nan')",
  'True',
  'false',
  'Inf',
  '−',
  '...',
  '1.5',
  '-3e-2',
  '.5',
  '1.',
  'np.array(',
  'torch.tensor(',
  'tf.constant(',
  ', dtype=np.float32)',
  '\\begin{bmatrix}',
  '\\end{bmatrix}',
  '\\begin{array}{cc}',
  '\\end{array}',
  '\\frac{1}{2}',
  '\\infty',
  '\\hline',
  '|---|---|',
  '| 1 | 2 |',
  'a,b',
  'x y',
  '>>> ',
  'f(',
  'a[',
  '\u00a0',
  '\ud83d\ude00',
  '\ud800',
];

const junk = fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((parts) => parts.join(''));

const anyFormat = fc.option(fc.constantFrom(...LITERAL_FORMATS), { nil: undefined });

const value = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -99, max: 99 }) },
  { weight: 3, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 0.5, 1e-300, 5e-324) },
);

const tensorArb = literalTensorArb(value, 3);

/**
 * The shape a notation gives back. Line notations are 2-D at least and spell N and C with blank lines, so a dimension
 * of 1 there leaves no trace; nested notations keep everything.
 */
function expectedShape(format: LiteralFormat, shape: readonly number[]): number[] {
  if (['python', 'numpy', 'torch', 'tensorflow', 'json'].includes(format)) return [...shape];
  if (shape.length === 1) return [1, shape[0]];
  if (shape.length === 2) return [...shape];
  if (shape.length === 3) return shape[0] === 1 ? shape.slice(1) : [...shape];
  const [n, c, h, w] = shape;
  if (n === 1) return expectedShape(format, [c, h, w]);
  return c === 1 ? [n, h, w] : [...shape];
}

type Mutation =
  | { kind: 'insert'; at: number; piece: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'replace'; at: number; piece: string };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), piece: fc.constantFrom(...PIECES) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), piece: fc.constantFrom(...PIECES) }),
);

function mutate(text: string, mutations: Mutation[]): string {
  let s = text;
  for (const m of mutations) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    if (m.kind === 'insert') s = s.slice(0, at) + m.piece + s.slice(at);
    else if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.length);
    else s = s.slice(0, at) + m.piece + s.slice(at + 1);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Properties

describe('parser fuzzing', () => {
  it('formatLiteral output parses back to the same tensor in every notation', () => {
    fc.assert(
      fc.property(tensorArb, fc.constantFrom(...LITERAL_FORMATS), (t0, format) => {
        const t = fitTo(format, t0);
        const text = formatLiteral(t, format);
        const r = parseLiteral(text, { format });
        if ((format === 'grid' || format === 'csv') && t.data.length === 1) {
          // A lone number without brackets is not a matrix literal.
          expect(r.ok).toBe(false);
          return;
        }
        if (!r.ok) throw new Error(`${format}: ${r.error.message}\n${text}`);
        expect(r.literal.shape).toEqual(expectedShape(format, t.shape));
        expect(sameData(r.literal.tensor, t), text).toBe(true);
        checkResult(text, r, format);
      }),
      { numRuns: 1500 },
    );
  });

  it('random text never makes parseLiteral or findLiteralAt throw, hang or answer inconsistently', () => {
    fc.assert(
      fc.property(junk, anyFormat, fc.array(fc.nat({ max: 200 }), { maxLength: 4 }), (text, format, offsets) => {
        probeEverything(text, [0, text.length, ...offsets], format);
      }),
      { numRuns: 4000 },
    );
  });

  it('random unicode strings are handled too', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.nat({ max: 100 }), (text, offset) => {
        probeEverything(text, [offset], undefined);
      }),
      { numRuns: 1500 },
    );
  });

  it('mutated valid literals never throw, hang or answer inconsistently', () => {
    fc.assert(
      fc.property(
        tensorArb,
        fc.constantFrom(...LITERAL_FORMATS),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat({ max: 400 }), { minLength: 1, maxLength: 4 }),
        fc.string({ maxLength: 20 }),
        (t0, format, mutations, offsets, context) => {
          const t = fitTo(format, t0);
          const literal = mutate(formatLiteral(t, format), mutations);
          // Also inside some surrounding text, as in a file.
          const text = `${context}\nx = ${literal}\n${context}`;
          probeEverything(literal, [0, literal.length, ...offsets], format);
          probeEverything(
            text,
            offsets.map((o) => o % (text.length + 1)),
            undefined,
            64,
          );
        },
      ),
      { numRuns: 2500 },
    );
  });

  it('findLiteralAt from any offset inside an unmutated literal in a file finds that literal', () => {
    fc.assert(
      fc.property(tensorArb, fc.constantFrom(...LITERAL_FORMATS), fc.nat(), (t0, format, pick) => {
        const t = fitTo(format, t0);
        if ((format === 'grid' || format === 'csv') && t.data.length === 1) return;
        const literal = formatLiteral(t, format);
        const before = 'def f(x):\n    return x\n\n';
        const text = `${before}${literal}\n\nprint("done")\n`;
        // A cursor on a visible character: the blank line between two channels belongs to neither.
        const visible = Array.from({ length: literal.length }, (_, i) => i).filter((i) => !/\s/.test(literal[i]));
        const offset = before.length + visible[pick % visible.length];
        const lit = (() => {
          const r = findLiteralAt(text, offset);
          if (r === null || !r.ok)
            throw new Error(`${format} @${offset - before.length}: ${r ? r.error.message : 'null'}\n${literal}`);
          return r.literal;
        })();
        // `[0]` is a one-element Python list before it is a 1×1 MATLAB matrix.
        const shape = format === 'matlab' && t.data.length === 1 ? [1] : expectedShape(format, t.shape);
        expect(lit.shape).toEqual(shape);
        expect(sameData(lit.tensor, t)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Size

describe('large inputs', () => {
  it('finds a 10,000-element literal in the middle of a 1 MB Python file', () => {
    let filler = '';
    for (let i = 0; filler.length < 500_000; i++) {
      filler += `def layer_${i}(x, w=[1, 2]):\n    # weights (see [paper]\n    return conv(x, w, stride=${i % 3}) + x[0]\n\n`;
    }
    const row = Array.from({ length: 100 }, (_, j) => (j * 0.37).toFixed(2)).join(', ');
    const literal = `torch.tensor([\n${Array.from({ length: 100 }, () => `    [${row}],`).join('\n')}\n], dtype=torch.float32)`;
    const text = `${filler}weights = ${literal}\n${filler}`;
    expect(text.length).toBeGreaterThan(1_000_000);
    const start = text.indexOf('torch.tensor([');
    for (const offset of [start + 2, start + literal.length / 2, start + literal.length - 3]) {
      const r = findLiteralAt(text, offset);
      if (r === null || !r.ok) throw new Error(r ? r.error.message : 'null');
      expect(r.literal.shape).toEqual([100, 100]);
      expect(r.literal.range).toEqual({ start, end: start + literal.length });
      expect(r.literal.tensor.data[101]).toBeCloseTo(0.37);
    }
    expect(findLiteralAt(text, 10)).toBeNull();
    expect(findLiteralAt(text, text.length - 5)).toBeNull();
    expect(findLiteralAt(text, start - 400_000)).toBeNull();
  });

  it('reads a million numbers, and refuses more than maxElements', () => {
    const text = `[${Array.from({ length: 1 << 20 }, (_, i) => i % 7).join(',')}]`;
    const r = parseLiteral(text);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.literal.shape).toEqual([1 << 20]);
    const limited = parseLiteral(text, { maxElements: 1000 });
    expect(limited.ok).toBe(false);
    if (!limited.ok) expect(limited.error.message).toContain('more than 1000 elements');
  });

  it('pathological inputs return', () => {
    const cases = [
      '['.repeat(200_000),
      '('.repeat(100_000) + '1' + ')'.repeat(100_000),
      `[${','.repeat(300_000)}]`,
      '[1, #\n'.repeat(50_000),
      '|\n'.repeat(200_000),
      '1\n'.repeat(200_000),
      '1 2\n\n'.repeat(50_000),
      '\\begin{bmatrix} 1 & '.repeat(20_000),
      '...'.repeat(100_000),
      '1'.repeat(500_000),
      'np.array('.repeat(50_000),
      `x = [${'[1, 2], '.repeat(50_000)}`,
    ];
    for (const text of cases) {
      checkResult(
        text,
        timed(() => parseLiteral(text)),
        text.slice(0, 20),
      );
      for (const o of [0, text.length >> 1, text.length])
        checkResult(
          text,
          timed(() => findLiteralAt(text, o)),
          `${text.slice(0, 20)}@${o}`,
        );
    }
  });
});
