/**
 * The parser over its scan window's edges: a literal placed anywhere around the edges of small windows, the
 * cursor anywhere on it, read from the whole text (findLiteralAt, the CLI's parse op) and from a document read
 * in slices (findLiteralInSource, the editor): the answer is always the whole literal or a refusal at a limit,
 * never a part of it. And on random text: a small first window never answers differently from a large one,
 * except by refusing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LITERAL_FORMATS, findLiteralAt, findLiteralInSource, formatLiteral, type ParseResult } from '../../src/parse';
import { fitTo, literalTensorArb } from '../support/arbitraries';

const value = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -99, max: 99 }) },
  { weight: 3, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 0.5, 1e-300) },
);

/** Up to a few hundred numbers: literals from a few characters to a few kilobytes, around windows of 8-400. */
const tensorArb = literalTensorArb(value, 6, 400);

const BEFORE = ['', 'def f(x):\n    return x\n\n', 'x = 1\n', '# notes: [1, 2] is a list\nw = 3\n\n'];
const AFTER = ['', '\n\nprint("done")\n', '\ny = 2\n'];
const FILLER = 'def layer(x, w=[1, 2]):\n    # weights (see [paper]\n    return conv(x, w, stride=1) + x[0]\n\n';

const placed = fc
  .record({
    t: tensorArb,
    format: fc.constantFrom(...LITERAL_FORMATS),
    before: fc.constantFrom(...BEFORE),
    after: fc.constantFrom(...AFTER),
    fillerBefore: fc.integer({ min: 0, max: 12 }),
    fillerAfter: fc.integer({ min: 0, max: 12 }),
    pick: fc.nat(),
    maxScan: fc.integer({ min: 8, max: 400 }),
    grow: fc.integer({ min: 1, max: 64 }),
  })
  .filter(({ t, format }) => !((format === 'grid' || format === 'csv') && t.data.length === 1));

function sameData(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

describe('the parser over its scan window’s edges: the whole literal or a refusal, never a fragment', () => {
  it('whole text and sliced document, any cursor on the literal, any window', () => {
    let whole = 0;
    let refused = 0;
    fc.assert(
      fc.property(placed, (p) => {
        const t = fitTo(p.format, p.t);
        const literal = formatLiteral(t, p.format);
        const head = FILLER.repeat(p.fillerBefore) + p.before;
        const text = `${head}${literal}\n${p.after}${FILLER.repeat(p.fillerAfter)}`;
        const visible = Array.from({ length: literal.length }, (_, i) => i).filter((i) => !/\s/.test(literal[i]));
        const cursor = head.length + visible[p.pick % visible.length];
        const limit = p.maxScan * p.grow;
        const reference = findLiteralAt(text, cursor, { maxScan: 1 << 20 });
        if (reference === null || !reference.ok)
          throw new Error(`${p.format}: not found with a large window\n${literal}`);
        const want = reference.literal;
        expect(want.range.start).toBeGreaterThanOrEqual(head.length - 1);
        const check = (r: ParseResult | null, base: number, how: string) => {
          if (r !== null && !r.ok && (r.error.limit === 'window' || r.error.limit === 'elements')) {
            // a refusal only when the literal does reach past the limit from the cursor
            expect(
              cursor - want.range.start > limit - 64 || want.range.end - cursor > limit - 64,
              `${how}: refused though the literal fits in ±${limit}: ${r.error.message}`,
            ).toBe(true);
            refused++;
            return;
          }
          if (r === null || !r.ok) throw new Error(`${how}: ${r ? r.error.message : 'null'}\n${literal}`);
          expect({ start: r.literal.range.start + base, end: r.literal.range.end + base }, how).toEqual(want.range);
          expect(r.literal.shape, how).toEqual(want.shape);
          expect(sameData(r.literal.tensor.data, want.tensor.data), how).toBe(true);
          whole++;
        };
        check(findLiteralAt(text, cursor, { maxScan: p.maxScan, maxScanLimit: limit }), 0, 'whole text');
        const sliced = findLiteralInSource({ length: text.length, read: (a, b) => text.slice(a, b) }, cursor, {
          window: p.maxScan,
          maxScanLimit: limit,
        });
        check(sliced.result, sliced.base, 'slices');
      }),
      { numRuns: 1500, seed: 14 },
    );
    // both outcomes are reached, or the property proves little
    expect(whole).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(50);
  });

  it('a literal over the element limit is refused at its limit, wherever the cursor and the window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 3000 }), fc.nat(), fc.integer({ min: 8, max: 300 }), (n, pick, scan) => {
        const literal = `[${Array.from({ length: n }, (_, i) => i % 10).join(', ')}]`;
        const text = `x = ${literal}\n`;
        const cursor = 5 + (pick % (literal.length - 2));
        const r = findLiteralAt(text, cursor, { maxScan: scan, maxElements: 100 });
        if (r === null || r.ok) throw new Error(`a ${n}-element literal was answered with a 100-element limit`);
        expect(['elements', 'window']).toContain(r.error.limit);
      }),
      { numRuns: 300, seed: 15 },
    );
  });
});

const PIECES = ['[', ']', '(', ')', ',', ';', ' ', '\n', '\n\n', '1', '2', '-3.5', '|', '&', '#', 'x', '=', 'nan'];
const junk = fc.array(fc.constantFrom(...PIECES), { maxLength: 400 }).map((parts) => parts.join(''));

describe('random text: a small first window answers as a large one, or refuses', () => {
  it('never a different literal', () => {
    fc.assert(
      fc.property(junk, fc.nat(), fc.integer({ min: 4, max: 64 }), (text, pick, scan) => {
        const at = text.length === 0 ? 0 : pick % (text.length + 1);
        const big = findLiteralAt(text, at, { maxScan: 1 << 20 });
        const small = findLiteralAt(text, at, { maxScan: scan });
        if (small !== null && !small.ok && small.error.limit) return;
        if (small === null || big === null) {
          expect(small === null, `small ${JSON.stringify(small)} big ${JSON.stringify(big)}`).toBe(big === null);
          return;
        }
        expect(small.ok).toBe(big.ok);
        if (small.ok && big.ok) {
          expect(small.literal.range).toEqual(big.literal.range);
          expect(small.literal.shape).toEqual(big.literal.shape);
        }
      }),
      { numRuns: 3000, seed: 16 },
    );
  });
});
