/**
 * The shape lens reads a nested list of numbers in one loop (a tensor printed into a model file); the tree it
 * gives must be the general expression reader's, node for node, and anything that is not such a list must fall
 * through to the general reader unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChunk } from '../../src/shapeLens/parser';

const both = (src: string) => ({
  fast: parseChunk(src).body,
  general: parseChunk(src, { numberLists: false }).body,
});

const number = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((v) => String(v)),
  fc.constantFrom('1e-3', '-2.5E+4', '0x1F', '1_000', '.5', '5.', '-0', '3j'),
);
const space = fc.constantFrom('', ' ', '\n    ', '  ');
const list: fc.Arbitrary<string> = fc.letrec<{ list: string }>((tie) => ({
  list: fc
    .tuple(fc.array(fc.oneof({ depthSize: 'small' }, number, tie('list')), { maxLength: 5 }), fc.boolean(), space)
    .map(([items, trailing, ws]) => `[${items.join(`,${ws}`)}${trailing && items.length ? ',' : ''}]`),
})).list;

describe('nested lists of numbers in the shape lens', () => {
  it('give the general reader’s tree, node for node (positions included)', () => {
    fc.assert(
      fc.property(list, (l) => {
        const { fast, general } = both(`x = ${l}\n`);
        expect(fast).toEqual(general);
      }),
      { numRuns: 400 },
    );
  });

  it('fall through to the general reader for anything else in the brackets', () => {
    for (const src of [
      'x = [1, n, 3]',
      'x = [1, -n]',
      'x = [1 + 2, 3]',
      'x = [2 ** 2]',
      'x = [[1, 2], [i for i in range(3)]]',
      'x = [1, 2][0]',
      'x = [-(1), 2]',
      'x = [+1, 2]',
      'x = [[1, 2], torch.zeros(3)]',
      'y = nn.Sequential(*[nn.ReLU() for _ in range(2)])',
    ]) {
      const { fast, general } = both(`${src}\n`);
      expect(fast, src).toEqual(general);
    }
  });

  it('refuse what Python refuses, as the general reader does', () => {
    for (const src of ['x = [1, , 2]\n', 'x = [,]\n', 'x = [1 2]\n', 'x = [[1], [2]\n']) {
      const { fast, general } = both(src);
      expect(fast, src).toEqual(general);
    }
  });
});
